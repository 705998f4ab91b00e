"""A linked request (one declaration, one code for the citizen) and its steps, one per agency.

The umbrella is an ordinary `Dossier` of the linked procedure (2.000986 …); `LinkedChain` adds the chain's
state, `ChainStep` each agency's part with the message that carries it and, for agencies processed inside
motcua, the sub-dossier the officials work on. `ChainEvent` is the chain's append-only timeline.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChainStatus(models.TextChoices):
    OPEN = "open", _("Đang giải quyết")
    COMPLETED = "completed", _("Đã có đủ kết quả")
    PARTIAL = "partial", _("Có kết quả một phần")
    FAILED = "failed", _("Không giải quyết được")
    CANCELLED = "cancelled", _("Đã dừng")


class StepStatus(models.TextChoices):
    WAITING = "waiting", _("Chờ kết quả bước trước")
    SENT = "sent", _("Đã chuyển cơ quan")
    IN_PROGRESS = "in_progress", _("Cơ quan đang giải quyết")
    DONE = "done", _("Đã có kết quả")
    REJECTED = "rejected", _("Cơ quan từ chối")
    BLOCKED = "blocked", _("Dừng do bước trước bị từ chối")
    CANCELLED = "cancelled", _("Đã dừng")


PENDING_STEP_STATUSES = (StepStatus.WAITING, StepStatus.SENT, StepStatus.IN_PROGRESS)


class LinkedChain(models.Model):
    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="chain", verbose_name=_("hồ sơ liên thông")
    )
    group = models.CharField(_("nhóm thủ tục liên thông"), max_length=32)
    status = models.CharField(_("trạng thái"), max_length=16, choices=ChainStatus.choices, default=ChainStatus.OPEN)
    verification = models.BooleanField(_("cần xác minh"), default=False)
    started_at = models.DateTimeField(_("bắt đầu lúc"))
    finished_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)
    # The life-event trigger: the birth registration this request continues (its result is reused, not retyped).
    source_dossier = models.ForeignKey(
        "dossiers.Dossier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_on_chains",
        verbose_name=_("hồ sơ gốc"),
    )

    class Meta:
        verbose_name = _("hồ sơ liên thông")
        verbose_name_plural = _("hồ sơ liên thông")
        indexes = [models.Index(fields=["status"], name="linked_chain_status")]

    def __str__(self) -> str:
        return f"{self.group}: {self.dossier_id} ({self.status})"

    @property
    def due_at(self):
        """The whole request's appointment is the umbrella dossier's (so an apology's new date moves it too)."""
        return self.dossier.due_at


class ChainStep(models.Model):
    chain = models.ForeignKey(LinkedChain, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    code = models.CharField(_("mã bước"), max_length=32)
    name = models.CharField(_("tên thủ tục"), max_length=255)
    procedure_code = models.CharField(_("mã thủ tục"), max_length=32, blank=True)
    partner_code = models.CharField(_("cơ quan giải quyết"), max_length=64)
    kind = models.CharField(_("loại thông điệp"), max_length=100)
    after = models.JSONField(_("sau các bước"), default=list, blank=True)
    status = models.CharField(_("trạng thái"), max_length=16, choices=StepStatus.choices, default=StepStatus.WAITING)
    message = models.ForeignKey(
        "exchange.OutboxMessage", null=True, blank=True, on_delete=models.PROTECT, related_name="chain_steps"
    )
    sub_dossier = models.ForeignKey(
        "dossiers.Dossier", null=True, blank=True, on_delete=models.PROTECT, related_name="chain_steps"
    )
    reference = models.CharField(_("số tiếp nhận của cơ quan"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("chuyển lúc"), null=True, blank=True)
    due_at = models.DateTimeField(_("hạn của bước"), null=True, blank=True)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)
    result_name = models.CharField(_("tên kết quả"), max_length=255, blank=True)
    result = models.JSONField(_("kết quả"), default=dict, blank=True)
    reasons = models.JSONField(_("lý do từ chối"), default=list, blank=True)

    class Meta:
        verbose_name = _("bước liên thông")
        verbose_name_plural = _("bước liên thông")
        ordering = ["chain", "position"]
        constraints = [models.UniqueConstraint(fields=["chain", "code"], name="uniq_chain_step")]

    def __str__(self) -> str:
        return f"{self.chain_id}/{self.code} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_STEP_STATUSES

    @property
    def reasons_text(self) -> str:
        """The agency's reasons in plain words ("" when it gave none)."""
        return "; ".join(
            str(r.get("message") or r.get("code") or "") for r in self.reasons or [] if isinstance(r, dict)
        )


class ChainEvent(models.Model):
    """What happened to the chain, in Vietnamese as recorded (the citizen's timeline merges it with the log)."""

    chain = models.ForeignKey(LinkedChain, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    step_code = models.CharField(max_length=32, blank=True)
    kind = models.CharField(max_length=32)
    text = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("diễn biến liên thông")
        verbose_name_plural = _("diễn biến liên thông")
        ordering = ["chain", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.chain_id} {self.kind} {self.step_code}"


class ResultNumber(models.Model):
    """Yearly counters behind the register numbers an agency issues (e.g. '12/2026/TLKS')."""

    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    series = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "series", "year"], name="uniq_result_number")]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.series}/{self.year}: {self.last}"
