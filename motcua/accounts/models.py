"""Accounts: one user model for citizens and officials, roles held per agency, API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DESK = "desk", _("Cán bộ một cửa")
    SPECIALIST = "specialist", _("Chuyên viên xử lý")
    LEADER = "leader", _("Lãnh đạo")
    COORDINATOR = "coordinator", _("Điều phối liên thông")
    AGENCY_ADMIN = "agency_admin", _("Quản trị cơ quan")
    SYSTEM_ADMIN = "system_admin", _("Quản trị hệ thống")
    AUDITOR = "auditor", _("Kiểm soát viên")


class User(AbstractUser):
    """A person. Citizens are keyed by their 12-digit personal ID number, never by e-mail."""

    personal_id = models.CharField(_("số định danh cá nhân"), max_length=12, unique=True, null=True, blank=True)
    full_name = models.CharField(_("họ và tên"), max_length=200, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_citizen(self) -> bool:
        return bool(self.personal_id)

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


class RoleAssignment(models.Model):
    """A role that a user holds in one agency (least privilege: no role, no access)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("phân quyền")
        verbose_name_plural = _("phân quyền")
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="uniq_role_assignment")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.agency.code}"


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the clear token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("mã truy cập API")
        verbose_name_plural = _("mã truy cập API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
