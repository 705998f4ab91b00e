"""The catalogue: agencies as a tree, procedures with versioned definitions, and where each is offered."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AgencyKind(models.TextChoices):
    PROVINCE = "province", _("UBND tỉnh")
    SERVICE_CENTRE = "service_centre", _("Trung tâm Phục vụ hành chính công")
    DEPARTMENT = "department", _("Sở, ban, ngành")
    POLICE = "police", _("Công an")
    SOCIAL_INSURANCE = "social_insurance", _("Bảo hiểm xã hội")
    COMMUNE = "commune", _("UBND xã, phường, đặc khu")
    OTHER = "other", _("Khác")


class Agency(models.Model):
    """A public body. `code` is its unit code under the national e-document identifier standard."""

    code = models.CharField(_("mã định danh"), max_length=32, unique=True)
    name = models.CharField(_("tên cơ quan"), max_length=255)
    kind = models.CharField(_("loại"), max_length=20, choices=AgencyKind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    province_code = models.CharField(_("mã tỉnh"), max_length=2)
    commune_code = models.CharField(_("mã xã"), max_length=5, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    # [["07:30", "11:30"], ["13:00", "17:00"]]; empty means the national default.
    work_periods = models.JSONField(_("giờ làm việc"), default=list, blank=True)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)

    class Meta:
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("ngày làm việc")
    WORKING_HOURS = "working_hours", _("giờ làm việc")
    DAYS = "days", _("ngày")
    MONTHS = "months", _("tháng")
    NONE = "none", _("không quy định")


class OnlineLevel(models.TextChoices):
    FULL = "full", _("Toàn trình")
    PARTIAL = "partial", _("Một phần")
    NONE = "none", _("Không trực tuyến")


class Procedure(models.Model):
    """An administrative procedure as published on the National Public Service Portal."""

    code = models.CharField(_("mã thủ tục"), max_length=16, unique=True)
    name = models.TextField(_("tên thủ tục"))
    level = models.CharField(_("cấp thực hiện"), max_length=100, blank=True)
    field = models.CharField(_("lĩnh vực"), max_length=255, blank=True)
    kind = models.CharField(_("loại thủ tục"), max_length=255, blank=True)
    decision = models.CharField(_("quyết định công bố"), max_length=100, blank=True)
    applicants = models.TextField(_("đối tượng thực hiện"), blank=True)
    implementing_agency = models.TextField(_("cơ quan thực hiện"), blank=True)
    competent_agency = models.TextField(_("cơ quan có thẩm quyền"), blank=True)
    steps_text = models.TextField(_("trình tự thực hiện"), blank=True)
    conditions_text = models.TextField(_("yêu cầu, điều kiện"), blank=True)
    result_text = models.TextField(_("kết quả"), blank=True)
    # [{"number": "123/2015/NĐ-CP", "title": "..."}]
    legal_basis = models.JSONField(_("căn cứ pháp lý"), default=list, blank=True)
    # [{"channel": "online|in_person|post", "time_value": 5, "time_unit": "working_days", "fee_text": "...",
    #   "note": "..."}]
    channels = models.JSONField(_("cách thức thực hiện"), default=list, blank=True)
    source = models.CharField(_("nguồn dữ liệu"), max_length=64, blank=True)
    source_url = models.URLField(_("địa chỉ nguồn"), max_length=500, blank=True)
    # Lower-case, diacritics-free copy of code + name + field, for accent-insensitive search on any database.
    search_text = models.TextField(editable=False, blank=True)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class ProcedureVersion(models.Model):
    """One published definition of a procedure. A dossier pins the version it was received under.

    `workflow` is {"steps": [{"code", "name", "role", "share", "actions": [{"action", "label", "to", "kind"}]}],
    "undo": bool}; `variants` is [{"code", "name", "when": {"field", "equals"}, "documents", "workflow",
    "time_value", "time_unit"}]; `documents` is [{"code", "name", "form", "quantity", "original", "required"}];
    `fee_rule` is {"kind": "free|fixed|per_copy|text", "amount": int VND, "text": str}.
    """

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("phiên bản"))
    is_current = models.BooleanField(_("đang hiệu lực"), default=True)
    hand_made = models.BooleanField(_("định nghĩa thủ công"), default=False)
    time_value = models.DecimalField(_("thời hạn giải quyết"), max_digits=7, decimal_places=2, null=True)
    time_unit = models.CharField(_("đơn vị thời hạn"), max_length=20, choices=TimeUnit.choices)
    cutoff = models.TimeField(_("giờ tiếp nhận tính sang ngày sau"), null=True, blank=True)
    pause_on_supplement = models.BooleanField(_("dừng tính thời gian khi bổ sung"), default=True)
    supplement_days = models.PositiveIntegerField(_("hạn bổ sung (ngày làm việc)"), null=True, blank=True)
    form_schema = models.JSONField(_("biểu mẫu điện tử (JSON Schema)"), default=dict)
    documents = models.JSONField(_("thành phần hồ sơ"), default=list, blank=True)
    fee_rule = models.JSONField(_("phí, lệ phí"), default=dict, blank=True)
    workflow = models.JSONField(_("quy trình"), default=dict)
    variants = models.JSONField(_("trường hợp"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=255, blank=True)
    # SHA-256 of the definition this version was loaded from (catalogue import): a re-import creates a new version
    # only when the source definition changed, so an administrator's later edit is not silently reverted.
    source_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("phiên bản thủ tục")
        verbose_name_plural = _("phiên bản thủ tục")
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="uniq_procedure_version"),
            models.UniqueConstraint(
                fields=["procedure"], condition=models.Q(is_current=True), name="one_current_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number}"


class ProcedureOffering(models.Model):
    """Where a procedure can be submitted, with that agency's online level and postal options."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="offerings")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="offerings")
    online_level = models.CharField(_("mức trực tuyến"), max_length=10, choices=OnlineLevel.choices)
    accepts_post = models.BooleanField(_("nhận hồ sơ qua bưu chính"), default=True)
    result_by_post = models.BooleanField(_("trả kết quả qua bưu chính"), default=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("nơi tiếp nhận")
        verbose_name_plural = _("nơi tiếp nhận")
        constraints = [models.UniqueConstraint(fields=["procedure", "agency"], name="uniq_offering")]

    def __str__(self) -> str:
        return f"{self.procedure.code} @ {self.agency.code}"
