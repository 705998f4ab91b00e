"""Dossiers: the current state (denormalised) and the append-only action log it is rebuilt from."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    DRAFT = "draft", _("Bản nháp")
    SUBMITTED = "submitted", _("Chờ tiếp nhận")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Chờ bổ sung")
    PROCESSING = "processing", _("Đang xử lý")
    RESULT_READY = "result_ready", _("Chờ trả kết quả")
    RETURNED = "returned", _("Đã trả kết quả")
    REFUSED = "refused", _("Từ chối")
    WITHDRAWN = "withdrawn", _("Đã rút")


OPEN_STATUSES = (Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED, Status.PROCESSING, Status.RESULT_READY)
FINAL_STATUSES = (Status.RETURNED, Status.REFUSED, Status.WITHDRAWN)


class Channel(models.TextChoices):
    ONLINE = "online", _("Trực tuyến")
    IN_PERSON = "in_person", _("Trực tiếp")
    POST = "post", _("Bưu chính")


class IdentityStatus(models.TextChoices):
    NOT_CHECKED = "not_checked", _("Chưa kiểm tra")
    VERIFIED = "verified", _("Đã xác thực với CSDL dân cư")
    TO_VERIFY = "to_verify", _("Cần xác minh (CSDL dân cư không phản hồi)")


class Outcome(models.TextChoices):
    EARLY = "early", _("Trước hạn")
    ON_TIME = "on_time", _("Đúng hạn")
    LATE = "late", _("Trễ hạn")


class Dossier(models.Model):
    # Drafts have no code; a code is given when the dossier is submitted (Circular 01/2018 art. 19).
    code = models.CharField(_("mã hồ sơ"), max_length=48, unique=True, null=True, blank=True)
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="dossiers")
    version = models.ForeignKey("catalog.ProcedureVersion", on_delete=models.PROTECT, related_name="dossiers")
    variant = models.CharField(_("trường hợp"), max_length=32, blank=True)
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="dossiers")
    channel = models.CharField(_("kênh nộp"), max_length=12, choices=Channel.choices)
    status = models.CharField(_("trạng thái"), max_length=24, choices=Status.choices, default=Status.DRAFT)

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="dossiers"
    )
    applicant_name = models.CharField(_("người nộp"), max_length=200)
    applicant_personal_id = models.CharField(_("số định danh người nộp"), max_length=12, blank=True)
    applicant_phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)
    # The enterprise a business representative acts for (validated tax code), recorded with the person.
    enterprise_tax_code = models.CharField(_("mã số thuế doanh nghiệp"), max_length=14, blank=True)
    enterprise_name = models.CharField(_("tên doanh nghiệp"), max_length=255, blank=True)
    # Applicant identity checked against the population registry at submission: verified, or to be verified
    # (registry unavailable) — the desk sees the flag. A mismatch is refused before anything is saved.
    identity_status = models.CharField(
        _("xác thực danh tính"), max_length=16, choices=IdentityStatus.choices, default=IdentityStatus.NOT_CHECKED
    )
    data_sources = models.JSONField(_("nguồn dữ liệu tờ khai"), default=dict, blank=True)
    data = models.JSONField(_("tờ khai"), default=dict)
    checklist = models.JSONField(_("kiểm tra thành phần hồ sơ"), default=list, blank=True)

    current_step = models.CharField(_("bước hiện tại"), max_length=48, blank=True)
    current_role = models.CharField(_("vai trò xử lý bước hiện tại"), max_length=20, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_dossiers",
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    submitted_at = models.DateTimeField(_("nộp lúc"), null=True, blank=True)
    acceptance_due_at = models.DateTimeField(_("hạn tiếp nhận"), null=True, blank=True)
    acceptance_breached = models.BooleanField(_("quá hạn tiếp nhận"), default=False)
    accepted_at = models.DateTimeField(_("tiếp nhận lúc"), null=True, blank=True)
    due_at = models.DateTimeField(_("hẹn trả"), null=True, blank=True)
    original_due_at = models.DateTimeField(_("hẹn trả ban đầu"), null=True, blank=True)
    reappointed_at = models.DateTimeField(_("đã hẹn lại lúc"), null=True, blank=True)
    step_started_at = models.DateTimeField(null=True, blank=True)
    step_due_at = models.DateTimeField(_("hạn bước"), null=True, blank=True)
    paused_at = models.DateTimeField(_("tạm dừng lúc"), null=True, blank=True)
    supplement_due_at = models.DateTimeField(_("hạn bổ sung"), null=True, blank=True)
    supplement_count = models.PositiveSmallIntegerField(default=0)
    result_ready_at = models.DateTimeField(_("có kết quả lúc"), null=True, blank=True)
    finished_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)
    outcome = models.CharField(_("kết quả đúng hạn"), max_length=8, choices=Outcome.choices, blank=True)
    due_soon = models.BooleanField(_("sắp đến hạn"), default=False)
    overdue = models.BooleanField(_("quá hạn"), default=False)
    apology_due = models.BooleanField(_("cần xin lỗi, hẹn lại"), default=False)
    pin_hash = models.CharField(max_length=64, blank=True)
    action_count = models.PositiveIntegerField(default=0)
    # A sub-dossier of a linked request (one per agency) points at the request the citizen submitted.
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("hồ sơ liên thông"),
    )
    # The structured result the agency issued (extract number, personal ID, card number…), for linked steps.
    result = models.JSONField(_("kết quả giải quyết"), default=dict, blank=True)

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        indexes = [
            models.Index(fields=["agency", "status", "due_at"]),
            models.Index(fields=["applicant", "-created_at"]),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["agency", "current_role", "step_due_at"]),
            # the operations centre's live overdue list (count and most overdue first), for the province or an
            # agency: a few thousand rows among millions
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(overdue=True, status__in=OPEN_STATUSES),
                name="dossier_open_overdue",
            ),
            models.Index(
                fields=["agency", "due_at", "id"],
                condition=models.Q(overdue=True, status__in=OPEN_STATUSES),
                name="dossier_agency_open_overdue",
            ),
        ]

    def __str__(self) -> str:
        return self.code or f"nháp #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class DossierAction(models.Model):
    """One transition. Never updated or deleted: undo is a new row that restores `before`."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="actions")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=48)
    label = models.CharField(max_length=200, blank=True)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24)
    from_step = models.CharField(max_length=48, blank=True)
    to_step = models.CharField(max_length=48, blank=True)
    note = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    # The denormalised dossier fields just before this action, so an undo can restore them exactly.
    before = models.JSONField(default=dict, blank=True)
    undone = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("thao tác hồ sơ")
        verbose_name_plural = _("nhật ký xử lý hồ sơ")
        ordering = ["dossier", "seq"]
        constraints = [models.UniqueConstraint(fields=["dossier", "seq"], name="uniq_dossier_action_seq")]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.action}"


class DossierDocument(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="documents")
    doc_code = models.CharField(_("mã thành phần"), max_length=32, blank=True)
    name = models.CharField(_("tên giấy tờ"), max_length=500)
    file = models.FileField(upload_to="dossiers/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("giấy tờ đính kèm")
        verbose_name_plural = _("giấy tờ đính kèm")

    def __str__(self) -> str:
        return self.name


class DailySequence(models.Model):
    """The per-agency daily counter behind the 4-digit part of a dossier code."""

    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "day"], name="uniq_daily_sequence")]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.day}: {self.last}"


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key: the same key from the same user returns the same dossier."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    request_hash = models.CharField(max_length=64)
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
