"""What the platform keeps from national eID logins: the link to the citizen, used nonces, enterprises."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Assurance(models.TextChoices):
    """Levels of the national eID account (Decree 69/2024), lowest first; NONE = no identity proof at all."""

    NONE = "none", _("Chưa xác thực định danh")
    LOA1 = "loa1", _("Định danh điện tử mức 1")
    LOA2 = "loa2", _("Định danh điện tử mức 2")


class EidAccount(models.Model):
    """The link between a local user and the national eID, and the assurance level of their latest login.

    `assurance` is reset to the local-login level when the user logs in by password, so a service that only sees
    the user (the API, submit_dossier) judges the identity proof of the latest login, not the best one ever made.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="eid_account")
    # Pairwise subject: stable for this client only; the personal ID number stays the key of the citizen.
    sub = models.CharField(max_length=255, db_index=True)
    assurance = models.CharField(_("mức định danh"), max_length=8, choices=Assurance.choices)
    acr = models.CharField(max_length=64, blank=True)
    birth_date = models.DateField(_("ngày sinh"), null=True, blank=True)
    gender = models.CharField(_("giới tính"), max_length=3, blank=True)
    last_login_at = models.DateTimeField(_("đăng nhập VNeID lần cuối"))

    class Meta:
        verbose_name = _("tài khoản định danh điện tử")
        verbose_name_plural = _("tài khoản định danh điện tử")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_assurance_display()}"


class UsedNonce(models.Model):
    """A nonce of an ID token already accepted: a second token carrying it is a replay. Kept until it expires."""

    nonce = models.CharField(max_length=255, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nonce đã dùng")
        verbose_name_plural = _("nonce đã dùng")

    def __str__(self) -> str:
        return self.nonce[:12] + "…"


class Enterprise(models.Model):
    """An enterprise a citizen acted for, as the eID asserted it (validated tax code)."""

    tax_code = models.CharField(_("mã số thuế"), max_length=14, unique=True)
    name = models.CharField(_("tên doanh nghiệp"), max_length=255)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("doanh nghiệp")
        verbose_name_plural = _("doanh nghiệp")
        ordering = ["tax_code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.tax_code})"


class EnterpriseRepresentative(models.Model):
    """A citizen the eID said may act for an enterprise, and when it last said so."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="representatives")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enterprises")
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("người đại diện doanh nghiệp")
        verbose_name_plural = _("người đại diện doanh nghiệp")
        constraints = [models.UniqueConstraint(fields=["enterprise", "user"], name="uniq_enterprise_representative")]

    def __str__(self) -> str:
        return f"{self.user} → {self.enterprise}"
