"""Signed e-results ("kết quả giải quyết điện tử", Decree 45/2020: as valid as paper), their append-only history,
and the issue queue that keeps the dossier's transition independent of the signing."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    """The public verification token in the QR code: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


class EResultStatus(models.TextChoices):
    VALID = "valid", _("Còn hiệu lực")
    REVOKED = "revoked", _("Đã thu hồi")
    REPLACED = "replaced", _("Đã được thay thế")


class EResult(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="e_results")
    revision = models.PositiveSmallIntegerField(_("lần phát hành"), default=1)
    number = models.CharField(_("mã kết quả điện tử"), max_length=64, unique=True)
    doc_number = models.CharField(_("số văn bản"), max_length=64, blank=True)
    title = models.CharField(_("tên kết quả"), max_length=255)
    procedure_code = models.CharField(_("mã thủ tục"), max_length=16)
    template = models.CharField(_("mẫu"), max_length=64)
    template_version = models.PositiveSmallIntegerField(_("phiên bản mẫu"))
    content = models.JSONField(_("nội dung đã in"), default=dict, blank=True)
    pdf = models.FileField(upload_to="results/%Y/%m/")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, unique=True)
    signer_agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+")
    signer_subject = models.CharField(_("chủ thể chứng thư"), max_length=500)
    signer_fingerprint = models.CharField(_("dấu vân tay chứng thư (SHA-256)"), max_length=64)
    signer_source = models.CharField(max_length=16, default="dev")
    signed_at = models.DateTimeField(_("ký lúc"))
    timestamped_at = models.DateTimeField(_("dấu thời gian"), null=True, blank=True)
    status = models.CharField(
        _("hiệu lực"), max_length=16, choices=EResultStatus.choices, default=EResultStatus.VALID, db_index=True
    )
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces", verbose_name=_("thay bằng")
    )
    replaced_at = models.DateTimeField(_("thay thế lúc"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    revoked_reason = models.TextField(_("lý do"), blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("kết quả điện tử")
        verbose_name_plural = _("kết quả điện tử")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["dossier", "revision"], name="uniq_eresult_revision")]
        indexes = [models.Index(fields=["dossier", "status"], name="eresult_dossier_status")]

    def __str__(self) -> str:
        return f"{self.number} — {self.title}"

    @property
    def source_ref(self) -> str:
        """How the citizen's data store knows this result."""
        return f"results.EResult:{self.pk}"


class AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Nhật ký chỉ được ghi thêm, không được sửa.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Nhật ký chỉ được ghi thêm, không được xóa.")


class EResultEvent(AppendOnly):
    """What happened to an e-result (issue, revoke, replace), in order; never changed or deleted."""

    result = models.ForeignKey(EResult, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("sự kiện kết quả điện tử")
        verbose_name_plural = _("sự kiện kết quả điện tử")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.result_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Chờ phát hành")
    DONE = "done", _("Đã phát hành")
    FAILED = "failed", _("Lỗi, cần xử lý")
    CANCELLED = "cancelled", _("Đã hủy")


class IssueJob(models.Model):
    """A dossier whose e-result must be (re)issued: written in the transition's transaction, done after commit
    or by the worker, so a signing failure never undoes the transition and is never lost."""

    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.PROTECT, related_name="e_result_job")
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    result = models.ForeignKey(EResult, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("yêu cầu phát hành kết quả điện tử")
        verbose_name_plural = _("hàng đợi phát hành kết quả điện tử")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="eresult_job_due")]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.status}"
