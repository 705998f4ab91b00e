"""What a synthetic year is made of: the province's agencies and what they offer (from the catalogue), the mix of
procedures, the people who apply (the synthetic population), the officials who act, and the shape of the year.

Everything here is read once before generation; the hot loop in `life.py` only looks things up. The parameters
that shape the figures (shares, rates, delays) are the module constants below: they are the model, written down.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

from motcua.accounts.models import Role, RoleAssignment, User
from motcua.catalog.models import Agency, AgencyKind, OnlineLevel, ProcedureOffering, ProcedureVersion
from motcua.catalog.workflow import choose_variant
from motcua.payments import fees
from motcua.worktime.services import calendar_for

from .fastcal import FastCalendar, cutoff_seconds

# --- the model's parameters ---------------------------------------------------------------------------------

# Who receives what: commune-level dossiers dominate (civil status, certification, residence, land).
LEVEL_SHARES = {"commune": 0.85, "service_centre": 0.145, "department": 0.005}
# Communes weigh by population: an urban ward has ~2.5× the residents of a rural commune (as in the population
# generator), times a per-commune factor (lognormal, σ 0.35).
URBAN_WEIGHT, RURAL_WEIGHT, COMMUNE_SIGMA = 3.0, 1.2, 0.35
# The busiest procedures, by their national code (certified copies and civil status lead every commune's book).
COMMUNE_BOOSTS = {
    "2.000815": 24.0,  # chứng thực bản sao từ bản chính
    "2.000884": 7.0,  # chứng thực chữ ký
    "1.001193": 8.0,  # đăng ký khai sinh
    "1.004873": 5.0,  # xác nhận tình trạng hôn nhân
    "1.004222": 4.0,  # đăng ký thường trú
    "1.004194": 3.5,  # đăng ký tạm trú
    "1.000894": 3.0,  # đăng ký kết hôn
    "2.000635": 3.0,  # bản sao trích lục hộ tịch
    "1.000656": 2.5,  # đăng ký khai tử
    "1.010041": 2.0,  # xác nhận thông tin về cư trú
    "1.012753": 2.0,  # đăng ký đất đai, cấp giấy chứng nhận lần đầu
    "1.003197": 1.5,  # xóa đăng ký thường trú
    "1.004859": 1.0,  # thay đổi, cải chính hộ tịch
    "1.013978": 1.0,  # đăng ký biến động đất đai
    "1.002755": 0.8,  # gia hạn tạm trú
    "1.010038": 0.7,  # tách hộ
}
COMMUNE_OTHER_SHARE = 0.2  # the long tail of the commune's other procedures
CENTRE_BOOSTS = {"3.000333": 10.0, "3.000348": 8.0, "3.000334": 1.5}  # lý lịch tư pháp, giấy phép lái xe
CENTRE_FIELD_FACTORS = {
    "Đất đai": 3.0,
    "Hoạt động xây dựng": 2.0,
    "Thành lập và hoạt động của doanh nghiệp": 2.0,
    "Chính sách": 1.5,
    "Thực hiện chính sách BHXH": 1.5,
    "Đường bộ": 1.5,
    "Thuế": 0.2,
    "Hải quan": 0.2,
    "Thành lập và hoạt động ngân hàng": 0.2,
    "Hoạt động ngoại hối": 0.2,
}
CENTRE_BOOSTED_SHARE = 0.35

# Channels: the online share of online-capable procedures rises through the year (Đề án 06 push).
ONLINE_SHARE_START, ONLINE_SHARE_END = 0.50, 0.80
ONLINE_LEVEL_FACTOR = {OnlineLevel.FULL: 1.25, OnlineLevel.PARTIAL: 0.9, OnlineLevel.NONE: 0.0}
POST_SHARE = 0.04  # of desk-channel dossiers where the agency takes post
NON_WORKING_DAY_ONLINE = 0.3  # online submissions on weekends and holidays, relative to a working day
HOLIDAY_ONLINE = 0.1  # and during Tết / national holidays
# Online submissions by hour of day (local), relative.
ONLINE_HOURS = (
    0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 1.5, 2.5, 3.0, 3.0, 2.6,
    1.8, 2.0, 2.6, 2.6, 2.4, 2.0, 2.0, 2.4, 2.6, 2.2, 1.4, 0.6,
)  # fmt: skip
DESK_MORNING_WEIGHT = 1.3  # the morning period is busier at the desk
WEEKDAY_FACTOR = (1.15, 1.05, 1.0, 1.0, 0.9, 0.7, 0.7)  # Monday … Sunday (a swapped working Saturday: 0.7)
MONTH_END_FACTOR, MONTH_END_DAYS = 1.3, 3  # the last working days of a month
PRE_TET_FACTOR, PRE_TET_DAYS = 1.25, 10  # the rush before the Tết holiday
POST_TET_RAMP = (0.45, 0.6, 0.75, 0.85, 0.95)  # the first working days after it
YEARLY_GROWTH = 0.06  # volume grows through the year
MAX_DAILY_SEQUENCE = 9999  # the code's 4 digits: an agency's day never holds more

# Account holders (VNeID level 2): only they submit online, supplement or withdraw through the portal.
ACCOUNT_SHARE = 0.65
RESIDENT_SHARE = 0.85  # a commune's dossiers come from its residents, the rest from elsewhere in the province
ENTERPRISE_SHARE = 0.5  # of dossiers of procedures for organisations, filed for an enterprise

SIMULATED_KEY = "simulated"
# An unusable password (Django's "!" prefix): simulated officials never log in, citizens only through the eID.
NO_PASSWORD = UNUSABLE_PASSWORD_PREFIX + "mo-phong"  # data_sources[SIMULATED_KEY] marks a dossier of the synthetic year


@dataclass(frozen=True)
class Move:
    action: str
    label: str
    to: str  # a step code or "result"
    kind: str
    share: float  # the share of the statutory time of the step the move leaves


@dataclass(frozen=True)
class Step:
    code: str
    role: str
    share: float
    forward: Move
    back: Move | None
    other: Move | None


@dataclass
class Proc:
    """A procedure's current version, as a dossier pins it, with what the generator needs to know."""

    index: int
    procedure_id: int
    version_id: int
    code: str
    name: str
    field: str
    time_value: Decimal | None
    time_unit: str | None
    cutoff: int | None
    pause_on_supplement: bool
    supplement_days: int | None
    steps: dict[str, Step]
    first_step: str
    variant: str
    template: dict[str, Any] | None  # a hand-made declaration (catalog.examples), or None for the generic form
    registry_fields: dict[str, str]  # field → "person.full_name" | "person.personal_id" (bound to the applicant)
    delivery_field: str | None
    fee: dict[str, tuple[int, str, bool]]  # channel → (amount owed online, fee JSON, pay at desk allowed)
    for_organisations: bool
    late_factor: float
    weight: float = 0.0


@dataclass
class AgencyInfo:
    index: int
    id: int
    code: str
    name: str
    kind: str
    commune_code: str
    cal: FastCalendar
    staff: dict[str, int]  # role → user id
    late_factor: float
    ontime_factor: float
    online_factor: float
    satisfaction: float
    weight: float = 0.0


@dataclass
class Offering:
    agency: int  # AgencyInfo.index
    proc: int  # Proc.index
    online_level: str
    accepts_post: bool
    weight: float


@dataclass
class People:
    """The applicants: a prefix of the synthetic population (simulators/population.py, seed 22), adults only."""

    pid: list[str]
    name: list[str]
    phone: list[str]
    address: list[str]
    commune: list[str]
    user_id: list[int | None]  # the citizen's account, when they have one
    email: list[str]
    name_json: list[str] = field(default_factory=list)  # the JSON string literals, made once
    address_json: list[str] = field(default_factory=list)
    by_commune: dict[str, list[int]] = field(default_factory=dict)
    with_account: list[int] = field(default_factory=list)
    with_account_by_commune: dict[str, list[int]] = field(default_factory=dict)
    enterprises: list[tuple[str, str, int]] = field(default_factory=list)  # (tax code, name, person index)


@dataclass
class World:
    start: date  # first day of the year (local)
    end: date  # day after the last
    as_of: int  # epoch seconds: the moment the year is cut (local midnight of `end`)
    agencies: list[AgencyInfo]
    procs: list[Proc]
    offerings: list[Offering]
    people: People
    national: FastCalendar
    seed: int

    @cached_property
    def marker(self) -> str:
        """data_sources of every simulated dossier: which year it belongs to."""
        return json.dumps({SIMULATED_KEY: {"seed": self.seed, "end": self.end.isoformat()}})


def stable_random(*parts: Any) -> random.Random:
    """A generator seeded by a stable hash of the parts (Python's hash() is salted per process)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


# --- the catalogue ----------------------------------------------------------------------------------------------


def _moves(step: dict) -> tuple[Move, Move | None, Move | None]:
    forward = back = other = None
    for a in step.get("actions", []):
        if a.get("system"):
            continue
        move = Move(a["action"], a.get("label") or a["action"], a["to"], a.get("kind", "forward"),
                    float(step.get("share") or 0))  # fmt: skip
        if move.kind == "forward" and forward is None:
            forward = move
        elif move.kind == "back" and back is None:
            back = move
        elif move.kind == "other" and other is None:
            other = move
    if forward is None:
        raise ValueError("no forward action")
    return forward, back, other


def _steps(workflow: dict) -> tuple[dict[str, Step], str] | None:
    """The workflow's steps, or None for one the generator cannot walk (a linked request's coordinator step)."""
    raw = (workflow or {}).get("steps") or []
    if not raw or any(s.get("role") == "coordinator" for s in raw):
        return None
    try:
        steps = {s["code"]: Step(s["code"], s["role"], float(s.get("share") or 0), *_moves(s)) for s in raw}
    except (KeyError, ValueError):
        return None
    code = raw[0]["code"]
    for _ in range(len(steps) + 1):  # the forward actions alone must lead to the result
        target = steps[code].forward.to
        if target == "result":
            return steps, raw[0]["code"]
        if target not in steps:
            return None
        code = target
    return None


def _generic_declaration(schema: dict) -> bool:
    from motcua.catalog.workflow import default_form_schema

    return set((schema or {}).get("properties", {})) <= set(default_form_schema({})["properties"])


def _registry_fields(schema: dict) -> dict[str, str]:
    """The applicant's own fields of a hand-made form: name and personal ID where the registry fills them and they
    cannot be edited (as demo._as_applicant), and their residence → "name" | "pid" | "address"."""
    out = {}
    for name, spec in (schema or {}).get("properties", {}).items():
        source, fixed = spec.get("x-registry"), not spec.get("x-editable")
        if source == "person.full_name" and fixed:
            out[name] = "name"
        elif source == "person.personal_id" and fixed:
            out[name] = "pid"
        elif source == "person.current_residence.address":
            out[name] = "address"
    return out


def _fee(rule: dict, data: dict) -> dict[str, tuple[int, str, bool]]:
    out = {}
    for channel in ("online", "in_person", "post"):
        fee = fees.compute(rule, data, channel)
        amount = fee.amount_vnd if fee.payable_online else 0
        out[channel] = (amount, json.dumps(fee.as_dict(), ensure_ascii=False), fee.pay_at_desk)
    return out


def load_procs(procedure_ids: set[int], seed: int) -> dict[int, Proc]:
    """The current version of each procedure the generator can walk, keyed by procedure id."""
    from motcua.catalog.examples import EXAMPLES

    procs: dict[int, Proc] = {}
    versions = ProcedureVersion.objects.filter(
        procedure_id__in=procedure_ids, is_current=True, procedure__is_active=True
    ).select_related("procedure")
    for v in versions.order_by("procedure__code"):
        p = v.procedure
        generic = _generic_declaration(v.form_schema)
        if not generic and p.code not in EXAMPLES:
            continue  # a hand-made form without an example declaration: nothing realistic to send
        template = None if generic else dict(EXAMPLES[p.code])
        data_for_rules = template or {"hinh_thuc_nhan_ket_qua": "truc_tiep"}
        effective = choose_variant(v, data_for_rules)
        walked = _steps(effective.get("workflow") or {})
        if walked is None:
            continue
        steps, first = walked
        props = (v.form_schema or {}).get("properties", {})
        rng = stable_random("late", seed, p.code)
        long_limit = effective.get("time_unit") in ("days", "months") or (
            effective.get("time_value") is not None and Decimal(str(effective["time_value"])) >= 15
        )
        procs[p.id] = Proc(
            index=-1,
            procedure_id=p.id,
            version_id=v.id,
            code=p.code,
            name=p.name,
            field=p.field,
            time_value=None if effective.get("time_value") is None else Decimal(str(effective["time_value"])),
            time_unit=effective.get("time_unit"),
            cutoff=cutoff_seconds(v.cutoff),
            pause_on_supplement=v.pause_on_supplement,
            supplement_days=v.supplement_days,
            steps=steps,
            first_step=first,
            variant=effective.get("code", "") or "",
            template=template,
            registry_fields=_registry_fields(v.form_schema) if template else {},
            delivery_field="hinh_thuc_nhan_ket_qua" if "hinh_thuc_nhan_ket_qua" in props else None,
            fee=_fee(v.fee_rule, data_for_rules),
            for_organisations="doanh nghiệp" in (p.applicants or "").lower()
            or "tổ chức" in (p.applicants or "").lower(),
            late_factor=(1.8 if long_limit else 1.0) * rng.lognormvariate(0, 0.4),
        )
    return procs


def _commune_proc_weights(procs: list[Proc], seed: int) -> dict[int, float]:
    boosted = {p.index: COMMUNE_BOOSTS[p.code] for p in procs if p.code in COMMUNE_BOOSTS}
    others = [p for p in procs if p.code not in COMMUNE_BOOSTS]
    raw = {p.index: stable_random("commune-proc", seed, p.code).lognormvariate(0, 1.2) for p in others}
    total_boost, total_raw = sum(boosted.values()) or 1.0, sum(raw.values()) or 1.0
    out = {i: (1 - COMMUNE_OTHER_SHARE) * w / total_boost for i, w in boosted.items()}
    out.update({i: COMMUNE_OTHER_SHARE * w / total_raw for i, w in raw.items()})
    return out


def _centre_proc_weights(procs: list[Proc], seed: int) -> dict[int, float]:
    boosted = {p.index: CENTRE_BOOSTS[p.code] for p in procs if p.code in CENTRE_BOOSTS}
    others = [p for p in procs if p.code not in CENTRE_BOOSTS]
    raw = {
        p.index: CENTRE_FIELD_FACTORS.get(p.field, 1.0)
        * stable_random("centre-proc", seed, p.code).lognormvariate(0, 1)
        for p in others
    }
    share = CENTRE_BOOSTED_SHARE if boosted else 0.0
    total_boost, total_raw = sum(boosted.values()) or 1.0, sum(raw.values()) or 1.0
    out = {i: share * w / total_boost for i, w in boosted.items()}
    out.update({i: (1 - share) * w / total_raw for i, w in raw.items()})
    return out


# --- officials --------------------------------------------------------------------------------------------------

STAFF_ROLES = (Role.DESK, Role.SPECIALIST, Role.LEADER)
_STAFF_NAMES = {
    Role.DESK: ("Nguyễn Thị", "Cán bộ một cửa"),
    Role.SPECIALIST: ("Trần Văn", "Chuyên viên"),
    Role.LEADER: ("Lê Quang", "Lãnh đạo"),
}


def ensure_staff(agencies: list[Agency]) -> dict[int, dict[str, int]]:
    """One desk officer, specialist and leader per agency: the agency's own (the first assigned) where it has one,
    else a simulated official (no password: nobody logs in as them) with that role at that agency."""
    found: dict[int, dict[str, int]] = {a.id: {} for a in agencies}
    for ra in RoleAssignment.objects.filter(agency__in=agencies, role__in=STAFF_ROLES).order_by("id"):
        found[ra.agency_id].setdefault(ra.role, ra.user_id)
    for agency in agencies:
        for role in STAFF_ROLES:
            if role in found[agency.id]:
                continue
            username = f"mophong.{role}.{agency.code}"
            family, title = _STAFF_NAMES[role]
            user, _created = User.objects.get_or_create(
                username=username,
                defaults={"full_name": f"{family} {title} ({agency.name})"[:200], "password": NO_PASSWORD},
            )
            RoleAssignment.objects.get_or_create(user=user, agency=agency, role=role)
            found[agency.id][role] = user.id
    return found


# --- people -----------------------------------------------------------------------------------------------------


def _phone(pid: str) -> str:
    h = int(hashlib.sha256(pid.encode()).hexdigest()[:12], 16)
    return f"09{h % 100_000_000:08d}"


def has_account(pid: str) -> bool:
    return int(hashlib.sha256(f"account:{pid}".encode()).hexdigest()[:8], 16) % 1000 < ACCOUNT_SHARE * 1000


def _user_ids(pids: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(pids), 5000):
        out.update(User.objects.filter(personal_id__in=pids[i : i + 5000]).values_list("personal_id", "id"))
    return out


def load_people(n_people: int, reference: date) -> People:
    """Adults of the synthetic population (seed 22, the simulators' own), with a citizen account for the share
    that has one (created here if missing, username = personal ID, no password: they log in through the eID).
    The demo households (the first ones) are left out so the demo citizens' own pages stay as the demo made them."""
    from simulators.population import DEMO_HOUSEHOLDS, generate

    demo_ids = {m[0] for _, _, members in DEMO_HOUSEHOLDS for m in members}
    population = generate(n_people, seed=22)
    rows = []
    for person in population.people:
        if person.personal_id in demo_ids or person.deceased or person.age_on(reference) < 18:
            continue
        household = population.household(person.household_id)
        residence = person.temporary_residence or household.permanent_residence
        address = f"{residence.address_line}, {residence.commune_name}, tỉnh Quảng Ninh"
        rows.append((person.personal_id, person.full_name, address, residence.commune_code))
    wanted = [(pid, name) for pid, name, _, _ in rows if has_account(pid)]
    existing = (
        dict(User.objects.filter(personal_id__in=[pid for pid, _ in wanted]).values_list("personal_id", "id"))
        if len(wanted) < 50_000
        else dict(User.objects.exclude(personal_id=None).values_list("personal_id", "id"))
    )
    missing = [
        User(username=pid, personal_id=pid, full_name=name, phone=_phone(pid), password=NO_PASSWORD)
        for pid, name in wanted
        if pid not in existing
    ]
    User.objects.bulk_create(missing, batch_size=5000, ignore_conflicts=True)
    if missing:
        existing.update(_user_ids([u.personal_id for u in missing]))
    people = People([], [], [], [], [], [], [])
    for i, (pid, name, address, commune) in enumerate(rows):
        uid = existing.get(pid) if has_account(pid) else None
        people.pid.append(pid)
        people.name.append(name)
        people.phone.append(_phone(pid))
        people.address.append(address)
        people.commune.append(commune)
        people.user_id.append(uid)
        people.email.append(f"nd{pid[-7:]}@example.vn" if uid is not None and int(pid[-1]) < 3 else "")
        people.name_json.append(json.dumps(name, ensure_ascii=False))
        people.address_json.append(json.dumps(address, ensure_ascii=False))
        people.by_commune.setdefault(commune, []).append(i)
        if uid is not None:
            people.with_account.append(i)
            people.with_account_by_commune.setdefault(commune, []).append(i)
    index = {pid: i for i, pid in enumerate(people.pid)}
    people.enterprises = [(e.tax_code, e.name, index[e.representative_id]) for e in population.enterprises
                          if e.representative_id in index]  # fmt: skip
    return people


def people_for(n_dossiers: int) -> int:
    """How many people to draw applicants from: a few dossiers per person and year, within bounds."""
    return max(3_000, min(1_000_000, n_dossiers // 8))


# --- the year ---------------------------------------------------------------------------------------------------


def tet_holidays(national: FastCalendar, start: date, end: date) -> list[tuple[int, int]]:
    """Runs of ≥ 5 consecutive non-working days that include a weekday (Tết): (first ordinal, last ordinal)."""
    runs, o = [], start.toordinal()
    while o < end.toordinal():
        if national.is_working_ord(o):
            o += 1
            continue
        first = o
        while o < end.toordinal() + 10 and not national.is_working_ord(o):
            o += 1
        if o - first >= 5:
            runs.append((first, o - 1))
    return runs


def day_profile(national: FastCalendar, start: date, end: date) -> tuple[list[int], list[float], list[float]]:
    """(ordinals, desk weight, online weight on a day where the desk is closed) for each day of the year.

    Desk weight: weekday factor × month-end peak × the rush before Tết and the slow days after × yearly growth,
    zero on non-working days. The online weight of a closed day is a share of a working day's."""
    days = list(range(start.toordinal(), end.toordinal()))
    tet = tet_holidays(national, start, end)
    working = [o for o in days if national.is_working_ord(o)]
    pre_tet, post_tet = set(), {}
    for first, last in tet:
        before = [o for o in working if o < first][-PRE_TET_DAYS:]
        pre_tet.update(before)
        after = [o for o in working if o > last][: len(POST_TET_RAMP)]
        post_tet.update(dict(zip(after, POST_TET_RAMP, strict=False)))
    in_tet = {o for first, last in tet for o in range(first, last + 1)}
    month_end = set()
    by_month: dict[tuple[int, int], list[int]] = {}
    for o in working:
        d = date.fromordinal(o)
        by_month.setdefault((d.year, d.month), []).append(o)
    for month_days in by_month.values():
        month_end.update(month_days[-MONTH_END_DAYS:])
    desk, closed = [], []
    span = max(1, len(days) - 1)
    for i, o in enumerate(days):
        growth = 1 + YEARLY_GROWTH * (i / span - 0.5)
        if national.is_working_ord(o):
            w = WEEKDAY_FACTOR[date.fromordinal(o).weekday()] * growth
            w *= MONTH_END_FACTOR if o in month_end else 1.0
            w *= PRE_TET_FACTOR if o in pre_tet else 1.0
            w *= post_tet.get(o, 1.0)
            desk.append(w)
            closed.append(0.0)
        else:
            desk.append(0.0)
            closed.append((HOLIDAY_ONLINE if o in in_tet else NON_WORKING_DAY_ONLINE) * growth)
    return days, desk, closed


def online_share(i: int, n_days: int) -> float:
    return ONLINE_SHARE_START + (ONLINE_SHARE_END - ONLINE_SHARE_START) * i / max(1, n_days - 1)


# --- assembling ---------------------------------------------------------------------------------------------------


def build_world(province: int, start: date, end: date, as_of: int, seed: int, n_dossiers: int) -> World:
    pcode = f"{province:02d}"
    offerings_qs = ProcedureOffering.objects.filter(
        is_active=True, agency__is_active=True, agency__province_code=pcode, procedure__is_active=True
    ).values_list("agency_id", "procedure_id", "online_level", "accepts_post")
    raw_offerings = list(offerings_qs)
    if not raw_offerings:
        raise ValueError(f"Tỉnh {pcode} chưa có cơ quan nào tiếp nhận thủ tục (chạy load_demo trước).")
    procs_by_id = load_procs({p for _, p, _, _ in raw_offerings}, seed)
    procs = sorted(procs_by_id.values(), key=lambda p: p.code)
    for i, p in enumerate(procs):
        p.index = i
    agency_rows = list(Agency.objects.filter(id__in={a for a, _, _, _ in raw_offerings}).order_by("code"))
    staff = ensure_staff(agency_rows)
    lo, hi = start - timedelta(days=400), end + timedelta(days=10 * 366)  # the catalogue has 1,250 working days
    calendars: dict[Any, FastCalendar] = {}
    agencies: list[AgencyInfo] = []
    for i, a in enumerate(agency_rows):
        real = calendar_for(a)
        key = real.periods
        if key not in calendars:
            calendars[key] = FastCalendar(real, lo, hi)
        rng = stable_random("agency", seed, a.code)
        agencies.append(
            AgencyInfo(
                index=i,
                id=a.id,
                code=a.code,
                name=a.name,
                kind=a.kind,
                commune_code=a.commune_code,
                cal=calendars[key],
                staff=staff[a.id],
                late_factor=min(5.0, rng.lognormvariate(0, 0.7)),
                ontime_factor=rng.lognormvariate(0, 0.3),
                online_factor=min(1.35, rng.lognormvariate(0, 0.15)),
                satisfaction=min(0.99, max(0.6, rng.gauss(0.9, 0.04))),
            )
        )
    by_agency_id = {a.id: a for a in agencies}
    national = FastCalendar(calendar_for(None), lo, hi)

    commune_w = {}
    for a in agencies:
        if a.kind == AgencyKind.COMMUNE:
            base = RURAL_WEIGHT if a.name.lower().startswith("ubnd xã") else URBAN_WEIGHT
            commune_w[a.index] = base * stable_random("commune", seed, a.code).lognormvariate(0, COMMUNE_SIGMA)
    level_of = {AgencyKind.COMMUNE: "commune", AgencyKind.SERVICE_CENTRE: "service_centre"}
    offered: dict[str, list[tuple[AgencyInfo, Proc, str, bool]]] = {}
    for agency_id, procedure_id, level, post in raw_offerings:
        proc = procs_by_id.get(procedure_id)
        if proc is None:
            continue
        agency = by_agency_id[agency_id]
        offered.setdefault(level_of.get(agency.kind, "department"), []).append((agency, proc, level, post))
    offerings: list[Offering] = []
    for level, items in offered.items():
        level_procs = sorted({p.index: p for _, p, _, _ in items}.values(), key=lambda p: p.index)
        if level == "commune":
            proc_w = _commune_proc_weights(level_procs, seed)
        elif level == "service_centre":
            proc_w = _centre_proc_weights(level_procs, seed)
        else:
            proc_w = {p.index: 1.0 / len(level_procs) for p in level_procs}
        agencies_here = sorted({a.index for a, _, _, _ in items})
        if level == "commune":
            total = sum(commune_w[i] for i in agencies_here)
            agency_w = {i: commune_w[i] / total for i in agencies_here}
        else:
            agency_w = {i: 1.0 / len(agencies_here) for i in agencies_here}
        # A procedure offered by several agencies of the level shares its weight among them.
        offered_by: dict[int, float] = {}
        for a, p, _, _ in items:
            offered_by[p.index] = offered_by.get(p.index, 0.0) + agency_w[a.index]
        for a, p, online_level, post in items:
            w = LEVEL_SHARES[level] * proc_w[p.index] * agency_w[a.index] / offered_by[p.index]
            offerings.append(Offering(a.index, p.index, online_level, bool(post), w))
    offerings.sort(key=lambda o: (o.agency, o.proc))
    for o in offerings:
        agencies[o.agency].weight += o.weight
        procs[o.proc].weight += o.weight
    people = load_people(people_for(n_dossiers), end)
    return World(start, end, as_of, agencies, procs, offerings, people, national, seed)
