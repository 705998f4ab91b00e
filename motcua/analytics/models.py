"""The operations centre's facts and the citizens' ratings and feedback.

Three layers of facts (docs/analytics.md, "Facts"):
- `DossierFact`: one row per counted dossier saying on which day it entered each figure (received, accepted,
  closed as early / on time / late / refused / withdrawn, overdue from, fee paid, e-result issued, rated…). It is
  a pure function of the dossier, its action log and the source tables (payments, e-results, store, outbox,
  ratings), recomputed for a dossier whenever one of those changes, and in bulk by `rebuild_facts`.
- `DailyFact` / `MonthlyFact`: integer counters per day (month) × agency × procedure × channel × chain, the sums of
  the dossier facts; what every page reads. Stocks (carried over, in progress on track / overdue) are running
  sums of flows (received − closed; overdue_in − overdue_out).
- `DurationFact`: resolved dossiers per whole working day of processing time, for the percentiles.
- `RollupFact` / `MonthlyRollupFact` / `RollupDurationFact` / `MonthlyRollupDurationFact`: the same sums over a
  coarser key (the province, an agency, a procedure or a channel: `level` × `member`), kept by the same deltas in
  the same transaction; what the queries read when the slice allows (a few thousand rows instead of millions).

Every counter is kept by deltas: when a dossier's fact row changes, the difference of its contributions is added
to the aggregates in the same transaction, so the aggregates always equal the sum of the dossier facts and a
drill-down (a filter on `DossierFact`) returns exactly the dossiers counted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .counters import COUNTERS, ROLLUP_COUNTERS, TABLE_COUNTERS, WIDE

__all__ = [
    "COUNTERS",
    "DailyFact",
    "DossierFact",
    "DurationFact",
    "Feedback",
    "MonthlyDurationFact",
    "MonthlyFact",
    "MonthlyRollupDurationFact",
    "MonthlyRollupFact",
    "Rating",
    "RollupDurationFact",
    "RollupFact",
    "Workday",
]


def _counters_base() -> type[models.Model]:
    """The abstract base of DailyFact / MonthlyFact: the key (agency, procedure, channel, chain) and one integer
    column per counter."""

    class Meta:
        abstract = True

    attrs = {
        "__module__": __name__,
        "Meta": Meta,
        "agency": models.ForeignKey(
            "catalog.Agency", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
        ),
        "procedure": models.ForeignKey(
            "catalog.Procedure", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
        ),
        "channel": models.CharField(max_length=12),
        "chain": models.BooleanField(default=False),  # the umbrella request of a linked chain (counted apart)
    }
    # int4 counts (a day's or a month's count for one key is far below 2^31; PostgreSQL sums int4 in int8, fast),
    # int8 for money and summed durations.
    attrs.update(
        {
            name: models.BigIntegerField(default=0) if name in WIDE else models.IntegerField(default=0)
            for name in COUNTERS
        }
    )
    return type("_Counters", (models.Model,), attrs)


_Counters = _counters_base()


class DailyFact(_Counters):
    day = models.DateField()

    class Meta:
        verbose_name = _("số liệu theo ngày")
        verbose_name_plural = _("số liệu theo ngày")
        constraints = [
            models.UniqueConstraint(fields=["day", "agency", "procedure", "channel", "chain"], name="uniq_daily_fact")
        ]
        indexes = [
            models.Index(fields=["agency", "day"], name="daily_fact_agency_day"),
            models.Index(fields=["procedure", "day"], name="daily_fact_procedure_day"),
        ]


class MonthlyFact(_Counters):
    month = models.DateField()  # the first day of the month

    class Meta:
        verbose_name = _("số liệu theo tháng")
        verbose_name_plural = _("số liệu theo tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency", "procedure", "channel", "chain"], name="uniq_monthly_fact"
            )
        ]
        indexes = [
            # an agency's procedure table over months and its stocks since the first month: read from the index
            # alone (PostgreSQL; the table's rows of an agency are scattered among every agency's), with what
            # those figures sum (queries._FIGURES["table"])
            models.Index(
                fields=["agency", "month"],
                include=["procedure", "channel", "chain", *TABLE_COUNTERS],
                name="monthly_fact_agency_month_cov",
            ),
            # one procedure anywhere, or the few procedures of an agency a page ranks
            models.Index(fields=["procedure", "agency", "month"], name="monthly_fact_proc_agency_month"),
        ]


class DurationFact(models.Model):
    """Resolved dossiers by processing time: `bucket` k holds the times in [k, k+1) working days (capped)."""

    day = models.DateField()
    agency = models.ForeignKey(
        "catalog.Agency", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    procedure = models.ForeignKey(
        "catalog.Procedure", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    channel = models.CharField(max_length=12)
    chain = models.BooleanField(default=False)
    bucket = models.PositiveIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("phân bố thời gian giải quyết")
        verbose_name_plural = _("phân bố thời gian giải quyết")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency", "procedure", "channel", "chain", "bucket"], name="uniq_duration_fact"
            )
        ]
        indexes = [
            models.Index(fields=["agency", "day"], name="duration_fact_agency_day"),
            # the few procedures of an agency a page ranks (its slowest), without reading the agency's others
            models.Index(fields=["agency", "procedure", "day"], name="duration_fact_agency_proc_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id}/{self.procedure_id}/{self.channel}: {self.n} × {self.bucket}"


class MonthlyDurationFact(models.Model):
    """DurationFact summed by month (long periods read it instead of every day)."""

    month = models.DateField()  # the first day of the month
    agency = models.ForeignKey(
        "catalog.Agency", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    procedure = models.ForeignKey(
        "catalog.Procedure", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    channel = models.CharField(max_length=12)
    chain = models.BooleanField(default=False)
    bucket = models.PositiveIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("phân bố thời gian giải quyết theo tháng")
        verbose_name_plural = _("phân bố thời gian giải quyết theo tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency", "procedure", "channel", "chain", "bucket"], name="uniq_monthly_duration"
            )
        ]
        indexes = [
            models.Index(fields=["agency", "month"], name="monthly_duration_agency_month"),
            models.Index(fields=["agency", "procedure", "month"], name="mduration_agency_proc_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%m/%Y} {self.agency_id}/{self.procedure_id}/{self.channel}: {self.n} × {self.bucket}"


# --- the rollups: the same sums over a coarser key ----------------------------------------------------------


def _rollup_base() -> type[models.Model]:
    """The abstract base of RollupFact / MonthlyRollupFact: the key (level, member, chain) and one integer column
    per counter, plus the received counts by channel (the channel is not in the key)."""

    class Meta:
        abstract = True

    attrs = {
        "__module__": __name__,
        "Meta": Meta,
        "level": models.PositiveSmallIntegerField(),  # counters.LEVEL_*
        "member": models.IntegerField(),  # the agency / procedure id, the channel's number, 0 for the province
        "chain": models.BooleanField(default=False),
    }
    attrs.update(
        {
            name: models.BigIntegerField(default=0) if name in WIDE else models.IntegerField(default=0)
            for name in ROLLUP_COUNTERS
        }
    )
    return type("_Rollup", (models.Model,), attrs)


_Rollup = _rollup_base()


class RollupFact(_Rollup):
    """DailyFact summed per day × (province | agency | procedure | channel) × chain."""

    day = models.DateField()

    class Meta:
        verbose_name = _("số liệu tổng hợp theo ngày")
        verbose_name_plural = _("số liệu tổng hợp theo ngày")
        constraints = [models.UniqueConstraint(fields=["level", "day", "chain", "member"], name="uniq_rollup_fact")]
        indexes = [models.Index(fields=["level", "member", "day"], name="rollup_fact_member_day")]


class MonthlyRollupFact(_Rollup):
    """MonthlyFact summed the same way."""

    month = models.DateField()  # the first day of the month

    class Meta:
        verbose_name = _("số liệu tổng hợp theo tháng")
        verbose_name_plural = _("số liệu tổng hợp theo tháng")
        constraints = [
            models.UniqueConstraint(fields=["level", "month", "chain", "member"], name="uniq_monthly_rollup")
        ]
        indexes = [models.Index(fields=["level", "member", "month"], name="monthly_rollup_member_month")]


class RollupDurationFact(models.Model):
    """DurationFact summed per day × (province | agency | procedure | channel) × chain × bucket."""

    day = models.DateField()
    level = models.PositiveSmallIntegerField()
    member = models.IntegerField()
    chain = models.BooleanField(default=False)
    bucket = models.PositiveIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("phân bố thời gian giải quyết tổng hợp")
        verbose_name_plural = _("phân bố thời gian giải quyết tổng hợp")
        constraints = [
            models.UniqueConstraint(fields=["level", "day", "chain", "member", "bucket"], name="uniq_rollup_duration")
        ]
        indexes = [models.Index(fields=["level", "member", "day"], name="rollup_duration_member_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.level}/{self.member}: {self.n} × {self.bucket}"


class MonthlyRollupDurationFact(models.Model):
    """MonthlyDurationFact summed the same way."""

    month = models.DateField()  # the first day of the month
    level = models.PositiveSmallIntegerField()
    member = models.IntegerField()
    chain = models.BooleanField(default=False)
    bucket = models.PositiveIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("phân bố thời gian giải quyết tổng hợp theo tháng")
        verbose_name_plural = _("phân bố thời gian giải quyết tổng hợp theo tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["level", "month", "chain", "member", "bucket"], name="uniq_monthly_rollup_duration"
            )
        ]
        indexes = [models.Index(fields=["level", "member", "month"], name="mrollup_duration_member_month")]

    def __str__(self) -> str:
        return f"{self.month:%m/%Y} {self.level}/{self.member}: {self.n} × {self.bucket}"


class DossierFact(models.Model):
    """On which day one dossier entered each figure (null: not in it). See the module docstring."""

    dossier = models.OneToOneField(
        "dossiers.Dossier", primary_key=True, on_delete=models.CASCADE, related_name="fact", db_constraint=False
    )
    agency = models.ForeignKey(
        "catalog.Agency", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    procedure = models.ForeignKey(
        "catalog.Procedure", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    channel = models.CharField(max_length=12)
    chain = models.BooleanField(default=False)
    seq = models.PositiveIntegerField(default=0)  # the dossier's action_count when last computed
    received_day = models.DateField(null=True)  # null: not counted (a draft)
    accepted_day = models.DateField(null=True)
    supplement_day = models.DateField(null=True)
    closed_day = models.DateField(null=True)  # result ready, refused or withdrawn
    closed_as = models.CharField(max_length=20, blank=True)  # resolved_early | … | refused | withdrawn
    proc_units = models.IntegerField(null=True)
    allowed_units = models.IntegerField(null=True)
    overdue_day = models.DateField(null=True)  # in the overdue stock from this day until closed_day
    fee_day = models.DateField(null=True)
    fee_online = models.BooleanField(default=False)
    fee_vnd = models.BigIntegerField(default=0)
    result_day = models.DateField(null=True)
    result_stored_day = models.DateField(null=True)
    digitised = models.BooleanField(default=False)
    reused = models.BooleanField(default=False)
    portal_sent = models.BooleanField(default=False)
    portal_synced = models.BooleanField(default=False)
    rated_day = models.DateField(null=True)
    rated_satisfied = models.BooleanField(default=False)
    feedback_day = models.DateField(null=True)
    feedback_handled_day = models.DateField(null=True)
    feedback_on_time = models.BooleanField(default=False)
    feedback_rated_day = models.DateField(null=True)
    feedback_satisfied = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("số liệu của hồ sơ")
        verbose_name_plural = _("số liệu của hồ sơ")
        indexes = [
            models.Index(fields=["agency", "received_day"], name="dfact_agency_received"),
            models.Index(fields=["agency", "closed_day"], name="dfact_agency_closed"),
            models.Index(fields=["received_day"], name="dfact_received"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.received_day} → {self.closed_as or 'đang xử lý'} {self.closed_day or ''}"


class Workday(models.Model):
    """The working-day table the set-based rebuild joins on: `idx` = working days strictly before `day`.
    Filled from motcua.worktime (the official calendar) by every rebuild; only differences of idx matter."""

    day = models.DateField(primary_key=True)
    idx = models.IntegerField()
    working = models.BooleanField()

    def __str__(self) -> str:
        return f"{self.day} #{self.idx}{'' if self.working else ' (nghỉ)'}"


# --- citizen feedback ---------------------------------------------------------------------------------------


class Rating(models.Model):
    """The applicant's evaluation of a returned dossier on the index's satisfaction criteria (1–5 each)."""

    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.PROTECT, related_name="rating")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scores = models.JSONField(_("điểm theo tiêu chí"), default=dict)  # {criterion code: 1..5}
    satisfied = models.BooleanField(_("hài lòng"))
    comment = models.TextField(_("ý kiến"), blank=True)
    created_at = models.DateTimeField(_("đánh giá lúc"))

    class Meta:
        verbose_name = _("đánh giá mức độ hài lòng")
        verbose_name_plural = _("đánh giá mức độ hài lòng")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {'hài lòng' if self.satisfied else 'chưa hài lòng'}"


class FeedbackStatus(models.TextChoices):
    OPEN = "open", _("Chờ xử lý")
    ANSWERED = "answered", _("Đã trả lời")


class Feedback(models.Model):
    """The applicant's free-text feedback (phản ánh, kiến nghị) on a returned dossier, tracked to its answer."""

    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.PROTECT, related_name="feedback")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("nội dung phản ánh, kiến nghị"))
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=FeedbackStatus.choices, default=FeedbackStatus.OPEN
    )
    created_at = models.DateTimeField(_("gửi lúc"))
    due_at = models.DateTimeField(_("hạn xử lý"))
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer = models.TextField(_("nội dung trả lời"), blank=True)
    handled_at = models.DateTimeField(_("trả lời lúc"), null=True, blank=True)
    handled_on_time = models.BooleanField(_("xử lý đúng hạn"), null=True, blank=True)
    applicant_satisfied = models.BooleanField(_("hài lòng với việc xử lý"), null=True, blank=True)
    rated_at = models.DateTimeField(_("đánh giá việc xử lý lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = _("phản ánh, kiến nghị")
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["agency", "status", "due_at"], name="feedback_agency_status_due")]

    def __str__(self) -> str:
        return f"{self.dossier_id} ({self.get_status_display()})"
