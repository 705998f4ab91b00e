"""The synthetic year (`simulate_year`): a small year on the real province and a slice of the real catalogue must be
internally consistent, leave the sweeper nothing to do, let the services carry on, be deterministic and
replaceable without touching real dossiers, and give the facts the same numbers as plain counts."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

import pytest

from motcua.analytics.simulate import simulate_year
from motcua.analytics.simulate.world import CENTRE_BOOSTS, COMMUNE_BOOSTS, SIMULATED_KEY
from motcua.worktime.calc import TZ

END = date(2026, 7, 1)  # the year 1 Jul 2025 – 30 Jun 2026: Tết 2026 (14–22 Feb) inside
AS_OF = datetime.combine(END, time(), TZ)
CODE = re.compile(r"^(?P<agency>\d{3}\.\d{2}\.\d{2}\.H\d{2})-(?P<day>\d{6})-(?P<n>\d{4})$")


@pytest.fixture
def province(db, tmp_path):
    """Quảng Ninh's agencies, the official calendar and a slice of the real catalogue: the busiest commune and
    centre procedures, the hand-made ones, and every 80th other procedure for the long tail."""
    from motcua.catalog.agencies import ensure_province_agencies
    from motcua.catalog.services import load_catalog, read_catalog
    from motcua.worktime.services import load_official_schedules

    load_official_schedules()
    ensure_province_agencies(22)
    wanted = set(COMMUNE_BOOSTS) | set(CENTRE_BOOSTS) | {"1.009664", "1.003197", "1.000656"}
    records = read_catalog()
    picked = [r for i, r in enumerate(records) if r["code"] in wanted or i % 80 == 0]
    path = tmp_path / "catalogue.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in picked:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    load_catalog(path)
    return picked


def simulated():
    from motcua.dossiers.models import Dossier

    return Dossier.objects.filter(**{"data_sources__has_key": SIMULATED_KEY})


def fingerprint() -> str:
    """Everything a seed decides, keyed by dossier code (ids and PINs are not the seed's)."""
    from motcua.dossiers.models import DossierAction
    from motcua.payments.models import Payment

    h = hashlib.sha256()
    for row in (
        simulated()
        .order_by("code")
        .values_list(
            "code", "status", "channel", "applicant_personal_id", "submitted_at", "due_at", "outcome", "finished_at"
        )
    ):
        h.update(repr(row).encode())
    for row in (
        DossierAction.objects.filter(dossier__in=simulated())
        .order_by("dossier__code", "seq")
        .values_list("dossier__code", "seq", "at", "action", "to_status", "before", "payload")
    ):
        h.update(repr(row).encode())
    for row in (
        Payment.objects.filter(dossier__in=simulated())
        .order_by("txn_ref")
        .values_list("dossier__code", "txn_ref", "status", "amount_vnd", "paid_at", "receipt_no")
    ):
        h.update(repr(row).encode())
    return h.hexdigest()


# --- a small year ----------------------------------------------------------------------------------------------


def test_a_small_year_is_internally_consistent(province):
    from motcua.analytics.models import Rating
    from motcua.dossiers.models import DailySequence, DossierAction
    from motcua.dossiers.services import _outcome
    from motcua.payments.models import Payment, ReceiptCounter
    from motcua.payments.services import fee_for

    # given the province and its catalogue, when a small year is simulated
    report = simulate_year(dossiers=500, seed=7, end=END)
    dossiers = list(simulated().select_related("agency", "version", "procedure"))
    # then every dossier is there, with a well-formed code of its agency and its day of receipt, unique
    assert report["counts"]["dossiers"] == len(dossiers) == 500
    codes = [d.code for d in dossiers]
    assert len(set(codes)) == len(codes)
    for d in dossiers:
        m = CODE.match(d.code)
        assert m, d.code
        assert m["agency"] == d.agency.code
        assert m["day"] == d.submitted_at.astimezone(TZ).strftime("%y%m%d")
        assert datetime.combine(END - timedelta(days=365), time(), TZ) <= d.submitted_at < AS_OF
    # and the daily counters hold exactly the last number taken each agency-day
    last = defaultdict(int)
    for d in dossiers:
        key = (d.agency_id, d.submitted_at.astimezone(TZ).date())
        last[key] = max(last[key], int(d.code[-4:]))
    counters = {(s.agency_id, s.day): s.last for s in DailySequence.objects.all()}
    assert counters == dict(last)
    # and each action log starts with the submission, runs 1..n without gaps, chains its statuses and ends in the
    # dossier's state
    log = defaultdict(list)
    for a in DossierAction.objects.filter(dossier__in=dossiers).order_by("dossier_id", "seq"):
        log[a.dossier_id].append(a)
    for d in dossiers:
        actions = log[d.id]
        assert [a.seq for a in actions] == list(range(1, d.action_count + 1))
        assert actions[0].action == "submit" and actions[0].to_status == "submitted"
        for before, after in itertools.pairwise(actions):
            assert after.from_status == before.to_status and after.from_step == before.to_step
            assert after.before["status"] == before.to_status
            assert after.at >= before.at
        assert actions[-1].to_status == d.status and actions[-1].to_step == d.current_step
        assert d.updated_at == actions[-1].at
        # and the outcome is the engine's judgement of the result against the appointment
        if d.status == "returned":
            assert d.outcome == _outcome(d.result_ready_at, d.due_at)
            assert d.finished_at >= d.result_ready_at
        if d.status in ("returned", "refused", "withdrawn"):
            assert d.finished_at is not None and d.finished_at < AS_OF
        else:
            assert d.finished_at is None
    # and a returned dossier owing a fee was paid (the return guard), online when it came online
    paid = {p.dossier_id: p for p in Payment.objects.filter(dossier__in=dossiers, status="paid")}
    for d in dossiers:
        fee = fee_for(d)
        if d.status == "returned" and fee.payable_online:
            p = paid[d.id]
            assert p.amount_vnd == fee.amount_vnd
            assert p.method == ("online" if d.channel == "online" else "desk")
            assert d.accepted_at <= p.paid_at <= d.finished_at
    # and receipt numbers run without gaps per year, the counter at the last one
    for counter in ReceiptCounter.objects.all():
        numbers = sorted(
            int(n.rsplit("-", 1)[1])
            for n in Payment.objects.filter(receipt_no__startswith=counter.series + "-").values_list(
                "receipt_no", flat=True
            )
        )
        assert numbers == list(range(1, counter.last + 1))
    # and nothing points at a row that is not there (the bulk path may load without the foreign-key triggers)
    from motcua.analytics.models import Feedback
    from motcua.analytics.simulate import store
    from motcua.dossiers.models import Dossier
    from motcua.payments.models import PaymentEvent

    assert not any(store.orphans([Dossier, DossierAction, Payment, PaymentEvent, Rating, Feedback]).values())
    # and only applicants with an account rate, and only returned dossiers
    for r in Rating.objects.filter(dossier__in=dossiers).select_related("dossier"):
        assert r.dossier.status == "returned" and r.applicant_id == r.dossier.applicant_id
        assert r.created_at > r.dossier.finished_at
    # and the mix is a real one: some of every ending, some still open at the end of the year
    statuses = Counter(d.status for d in dossiers)
    assert statuses["returned"] > 400
    assert statuses["refused"] + statuses["withdrawn"] > 0
    assert sum(statuses[s] for s in ("submitted", "supplement_requested", "processing", "result_ready")) > 0
    assert Counter(d.outcome for d in dossiers if d.status == "returned")["late"] > 0


def test_deadlines_are_the_services_own(province):
    from motcua.dossiers.services import compute_due

    # given a simulated year, when the appointment of each accepted dossier without a pause or a new date is
    # computed again by the dossier engine from its acceptance
    simulate_year(dossiers=300, seed=3, end=END)
    checked = 0
    for d in simulated().filter(accepted_at__isnull=False, supplement_count=0, reappointed_at__isnull=True):
        d = type(d).objects.select_related("version", "agency").get(pk=d.pk)
        # then it is the one the simulation wrote
        assert d.original_due_at == d.due_at == compute_due(d, d.accepted_at), d.code
        checked += 1
    assert checked > 200


def test_the_sweeper_finds_the_year_as_it_would_have_left_it(province):
    from motcua.dossiers.models import DossierAction
    from motcua.dossiers.services import sweep

    # given a simulated year, when the sweeper runs at the instant the year ends
    simulate_year(dossiers=500, seed=11, end=END)
    flags = dict(simulated().values_list("code", "overdue"))
    soon = dict(simulated().values_list("code", "due_soon"))
    apology = dict(simulated().values_list("code", "apology_due"))
    actions = DossierAction.objects.count()
    counts = sweep(AS_OF)
    # then it marks nothing new, refuses nothing, flags no late acknowledgement: the year already holds its work
    assert counts["supplement_expired"] == 0
    assert counts["acceptance_breached"] == 0
    assert DossierAction.objects.count() == actions
    assert dict(simulated().values_list("code", "overdue")) == flags
    assert dict(simulated().values_list("code", "due_soon")) == soon
    assert dict(simulated().values_list("code", "apology_due")) == apology


def test_the_services_carry_on_where_the_year_stopped(province):
    from motcua.accounts.models import User
    from motcua.dossiers import services
    from motcua.payments.services import fee_for

    # given a simulated year with dossiers still open at its end
    simulate_year(dossiers=600, seed=5, end=END)
    open_ = simulated().select_related("agency", "version", "procedure")

    def staff(dossier, role):
        return User.objects.filter(roles__agency=dossier.agency, roles__role=role).order_by("id").first()

    # when the desk accepts one waiting for acceptance
    waiting = open_.filter(status="submitted").first()
    if waiting is not None:
        accepted = services.perform(staff(waiting, "desk"), waiting, "accept", note="Hồ sơ đầy đủ.")
        assert accepted.status == "processing" and accepted.action_count == waiting.action_count + 1
    # and the officials move one in progress on to its result
    moving = open_.filter(status="processing").first()
    assert moving is not None
    for _ in range(6):
        moving.refresh_from_db()
        if moving.status != "processing":
            break
        actor = staff(moving, moving.current_role)
        forward = next(a for a in services.available_actions(actor, moving) if a["kind"] == "forward")
        moving = services.perform(actor, moving, forward["action"], note="Chuyển bước.")
    assert moving.status == "result_ready"
    # and the desk returns a ready result that owes nothing
    ready = next((d for d in open_.filter(status__in=["result_ready"]) if not fee_for(d).payable_online), None)
    if ready is not None:
        done = services.perform(staff(ready, "desk"), ready, "return_result", note="Trả kết quả.")
        assert done.status == "returned" and done.outcome
    # then the action logs continue the simulated ones without a gap
    for d in (waiting, moving, ready):
        if d is not None:
            seqs = list(d.actions.order_by("seq").values_list("seq", flat=True))
            assert seqs == list(range(1, len(seqs) + 1))


def test_seasons_and_channels_show(province):
    # given a year of 3,000 dossiers
    simulate_year(dossiers=3000, seed=22, end=END, rebuild=False)
    days = Counter(d.astimezone(TZ).date() for d in simulated().values_list("submitted_at", flat=True))
    # then the Tết holiday (14–22 Feb 2026) is nearly empty next to an ordinary day
    tet = [date(2026, 2, 14) + timedelta(days=i) for i in range(9)]
    per_tet_day = sum(days[d] for d in tet) / len(tet)
    ordinary = [date(2026, 3, 2) + timedelta(days=i) for i in range(28)]
    per_day = sum(days[d] for d in ordinary) / len(ordinary)
    assert per_tet_day < 0.25 * per_day
    # and the last three working days of a month are busier than its other working days
    from motcua.worktime.services import calendar_for

    cal = calendar_for(None)
    working = [d for d in (END - timedelta(days=365 - i) for i in range(365)) if cal.is_working_day(d)]
    by_month = defaultdict(list)
    for d in working:
        by_month[(d.year, d.month)].append(d)
    month_end = [d for month in by_month.values() for d in month[-3:]]
    others = [d for d in working if d not in set(month_end) and not date(2026, 2, 1) <= d <= date(2026, 3, 1)]
    assert sum(days[d] for d in month_end) / len(month_end) > 1.1 * sum(days[d] for d in others) / len(others)

    # and online is a real share that grows: the last quarter above the first
    def online_share(first: date, last: date) -> float:
        qs = simulated().filter(
            submitted_at__gte=datetime.combine(first, time(), TZ), submitted_at__lt=datetime.combine(last, time(), TZ)
        )
        return qs.filter(channel="online").count() / qs.count()

    early, late = online_share(date(2025, 7, 1), date(2025, 10, 1)), online_share(date(2026, 4, 1), date(2026, 7, 1))
    assert 0.2 < early < late < 0.85
    # and the commune level dominates, civil status and certification first
    kinds = Counter(simulated().values_list("agency__kind", flat=True))
    assert kinds["commune"] > 0.75 * sum(kinds.values())
    fields = Counter(simulated().values_list("procedure__field", flat=True))
    assert {f for f, _ in fields.most_common(2)} == {"Hộ tịch", "Chứng thực"}
    # and about one in ten needed a supplement, a couple in a hundred were refused
    total = simulated().count()
    assert 0.05 < simulated().filter(supplement_count__gt=0).count() / total < 0.16
    assert 0.005 < simulated().filter(status="refused").count() / total < 0.05


def test_a_rerun_replaces_the_year_the_same_way_and_leaves_real_dossiers_alone(province, monkeypatch):
    from django.utils import timezone

    from motcua.accounts.models import Role, RoleAssignment, User
    from motcua.analytics.simulate import purge
    from motcua.catalog.models import Agency
    from motcua.dossiers import services
    from motcua.dossiers.models import DailySequence, Dossier

    # given a real dossier received at a commune desk on a day inside the year
    agency = Agency.objects.get(commune_code="06652")
    desk = User.objects.create_user("that.desk", password="x-mat-khau-1", full_name="Cán bộ thật")
    RoleAssignment.objects.create(user=desk, agency=agency, role=Role.DESK)
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: datetime(2026, 3, 3, 9, 0, tzinfo=TZ))
        real = services.submit_dossier(
            desk,
            procedure_code="2.000815",
            agency_code=agency.code,
            channel="in_person",
            data={
                "ho_ten": "Người Thật",
                "so_dinh_danh": "022099000001",
                "dien_thoai": "0912000009",
                "dia_chi": "Số 1, tổ 1, khu 1, phường Hà Tu",
                "noi_dung": "Chứng thực bản sao.",
                "hinh_thuc_nhan_ket_qua": "truc_tiep",
            },
            applicant={"name": "Người Thật", "personal_id": "022099000001"},
        ).dossier
    real_actions = list(real.actions.values_list("seq", "action", "at"))
    # when the year is simulated twice with the same seed
    first = simulate_year(dossiers=400, seed=9, end=END)
    once = fingerprint()
    second = simulate_year(dossiers=400, seed=9, end=END)
    # then the second run replaced the first, identical
    assert simulated().count() == 400
    assert fingerprint() == once
    assert first["counts"] == second["counts"]
    # and the real dossier is untouched, its number kept; simulated dossiers of that desk and day come after it
    real.refresh_from_db()
    assert not Dossier.objects.filter(pk=real.pk, **{"data_sources__has_key": SIMULATED_KEY}).exists()
    assert list(real.actions.values_list("seq", "action", "at")) == real_actions
    same_day = [
        int(c[-4:]) for c in simulated().filter(agency=agency, code__contains="-260303-").values_list("code", flat=True)
    ]
    assert all(n > int(real.code[-4:]) for n in same_day)
    counter = DailySequence.objects.get(agency=agency, day=date(2026, 3, 3)).last
    assert counter == max([int(real.code[-4:]), *same_day])
    # and another seed gives another year
    simulate_year(dossiers=400, seed=10, end=END)
    assert fingerprint() != once
    # and purging leaves only the real dossier, its counter back at its own number
    purge()
    assert not simulated().exists()
    assert Dossier.objects.filter(pk=real.pk).exists()
    assert DailySequence.objects.get(agency=agency, day=date(2026, 3, 3)).last == int(real.code[-4:])


def test_the_facts_count_what_plain_queries_count(province):
    from django.db.models import Q

    from motcua.analytics import queries
    from motcua.analytics.models import Rating
    from motcua.dossiers.services import _outcome

    # given a simulated year whose facts were rebuilt
    simulate_year(dossiers=800, seed=4, end=END)
    start, end = date(2026, 1, 1), date(2026, 3, 31)
    lo, hi = datetime.combine(start, time(), TZ), datetime.combine(end + timedelta(days=1), time(), TZ)
    agency_id = simulated().values_list("agency_id", flat=True).order_by("agency_id").first()
    for scope in (queries.Scope(start, end), queries.Scope(start, end, agency_ids=(agency_id,))):
        base = simulated().filter(agency_id__in=scope.agency_ids) if scope.agency_ids else simulated()
        received = base.filter(submitted_at__gte=lo, submitted_at__lt=hi)
        ready = Q(result_ready_at__gte=lo, result_ready_at__lt=hi)
        ended = Q(finished_at__gte=lo, finished_at__lt=hi)
        # when the operations centre's totals are read
        counts = queries.totals(scope).counts
        # then they are the plain counts of the dossiers
        assert counts["received"] == received.count()
        assert counts["received_online"] == received.filter(channel="online").count()
        assert counts["received_in_person"] == received.filter(channel="in_person").count()
        assert counts["refused"] == base.filter(ended, status="refused").count()
        assert counts["withdrawn"] == base.filter(ended, status="withdrawn").count()
        assert counts["resolved"] == base.filter(ready).count()
        late = [d for d in base.filter(ready) if _outcome(d.result_ready_at, d.due_at) == "late"]
        assert counts["resolved_late"] == len(late)
        assert counts["rated"] == Rating.objects.filter(dossier__in=base, created_at__gte=lo, created_at__lt=hi).count()
        # and a drill-down returns exactly the dossiers counted
        for metric in ("received", "resolved_early", "resolved_late", "refused", "fees_paid_online", "rated"):
            assert queries.drilldown(scope, metric).count() == counts[metric], metric
