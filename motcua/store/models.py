"""The citizen's data store ("kho dữ liệu"): every e-result, e-receipt and digitised document of a person, with
where it came from and whether it is still valid, so no later procedure asks for it again."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    E_RESULT = "e_result", _("Kết quả giải quyết điện tử")
    RECEIPT = "receipt", _("Biên lai điện tử")
    DIGITISED = "digitised", _("Giấy tờ đã số hóa")


class DocStatus(models.TextChoices):
    VALID = "valid", _("Còn hiệu lực")
    REVOKED = "revoked", _("Đã thu hồi")
    REPLACED = "replaced", _("Đã được thay thế")
    EXPIRED = "expired", _("Hết hạn")


class StoredDocument(models.Model):
    owner_personal_id = models.CharField(_("số định danh chủ kho"), max_length=12, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="stored_documents"
    )
    kind = models.CharField(_("loại"), max_length=16, choices=Kind.choices)
    # What the document is, so a procedure can ask for it by type (e.g. "trich_luc_khai_sinh").
    doc_type = models.CharField(_("loại giấy tờ"), max_length=64, blank=True, db_index=True)
    title = models.CharField(_("tên giấy tờ"), max_length=255)
    issuer = models.CharField(_("cơ quan cấp"), max_length=255)
    # Where it came from ("results.EResult:12"): a deposit is idempotent on it.
    source_ref = models.CharField(_("nguồn"), max_length=128, unique=True)
    dossier = models.ForeignKey(
        "dossiers.Dossier", null=True, blank=True, on_delete=models.SET_NULL, related_name="stored_documents"
    )
    file = models.FileField(upload_to="store/%Y/%m/")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("hiệu lực"), max_length=16, choices=DocStatus.choices, default=DocStatus.VALID)
    valid_from = models.DateField(_("có giá trị từ"), null=True, blank=True)
    valid_to = models.DateField(_("có giá trị đến"), null=True, blank=True)
    created_at = models.DateTimeField(_("lưu lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("giấy tờ trong kho dữ liệu")
        verbose_name_plural = _("kho dữ liệu công dân")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner_personal_id", "doc_type", "status"], name="store_lookup")]

    def __str__(self) -> str:
        return f"{self.title} ({self.owner_personal_id})"


class StoreReuse(models.Model):
    """A stored document used by a dossier in place of an upload: a Decision 766 digitisation indicator."""

    document = models.ForeignKey(StoredDocument, on_delete=models.PROTECT, related_name="reuses")
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="store_reuses")
    doc_code = models.CharField(_("thành phần hồ sơ"), max_length=32)
    reused_at = models.DateTimeField(_("dùng lại lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("lần dùng lại dữ liệu")
        verbose_name_plural = _("dùng lại dữ liệu")
        constraints = [
            models.UniqueConstraint(fields=["document", "dossier", "doc_code"], name="uniq_store_reuse"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} ← {self.document_id} ({self.doc_code})"
