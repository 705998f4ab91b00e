"""Who submits what, where, by which channel and when: every dossier's header for the whole year at once, drawn
with numpy, then sorted by submission time so that ids and the per-agency daily code numbers follow time, as
they do when real submissions take them one by one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fastcal import DAY, EPOCH_ORD, OFFSET
from .world import (
    DESK_MORNING_WEIGHT,
    ENTERPRISE_SHARE,
    MAX_DAILY_SEQUENCE,
    ONLINE_HOURS,
    ONLINE_LEVEL_FACTOR,
    POST_SHARE,
    RESIDENT_SHARE,
    World,
    day_profile,
    online_share,
)

ONLINE, IN_PERSON, POST = 0, 1, 2
CHANNELS = ("online", "in_person", "post")


@dataclass
class Headers:
    t: np.ndarray  # int64 epoch seconds, ascending
    offering: np.ndarray  # int32 index into world.offerings
    channel: np.ndarray  # int8: ONLINE / IN_PERSON / POST
    seq: np.ndarray  # int32: the number of the agency's day in the code
    day: np.ndarray  # int32: local date ordinal
    person: np.ndarray  # int32 index into world.people
    enterprise: np.ndarray  # int32 index into world.people.enterprises, -1 for none

    def __len__(self) -> int:
        return len(self.t)


def _desk_times(rng: np.random.Generator, periods: tuple[tuple[int, int], ...], n: int) -> np.ndarray:
    """Seconds after midnight inside the desk's periods, the first (morning) period busier."""
    lengths = np.array([(e - s) * 60 for s, e in periods], dtype=float)
    weights = lengths.copy()
    weights[0] *= DESK_MORNING_WEIGHT
    which = rng.choice(len(periods), size=n, p=weights / weights.sum())
    starts = np.array([s * 60 for s, _ in periods])
    return starts[which] + (rng.random(n) * lengths[which]).astype(np.int64)


def _online_times(rng: np.random.Generator, n: int) -> np.ndarray:
    p = np.array(ONLINE_HOURS, dtype=float)
    hours = rng.choice(24, size=n, p=p / p.sum())
    return hours * 3600 + rng.integers(0, 3600, size=n)


def plan_year(world: World, n: int, seed: int, bases: dict[tuple[int, int], int]) -> Headers:
    """`bases[(agency id, day ordinal)]`: the last number real dossiers took that day (simulated ones follow)."""
    rng = np.random.default_rng(seed)
    national = world.national
    days, desk_w, closed_w = day_profile(national, world.start, world.end)
    days_a = np.array(days, dtype=np.int64)
    n_days = len(days)
    shares = np.array([online_share(i, n_days) for i in range(n_days)])
    desk_w_a, closed_w_a = np.array(desk_w), np.array(closed_w)

    offerings = world.offerings
    w = np.array([o.weight for o in offerings])
    w = w / w.sum()
    agency_of = np.array([o.agency for o in offerings], dtype=np.int32)
    level = np.array([ONLINE_LEVEL_FACTOR[o.online_level] * world.agencies[o.agency].online_factor for o in offerings])
    post_ok = np.array([o.accepts_post for o in offerings])

    # How many dossiers come in on days the desk is closed (online only) against the working days.
    online_mass = float((w * np.minimum(0.95, level * shares.mean())).sum())
    a_total = desk_w_a.sum()
    b_total = (closed_w_a * online_mass).sum()
    n_b = round(n * b_total / (a_total + b_total)) if level.any() else 0
    n_a = n - n_b

    # Working days: the day, the offering, then the channel (the online share rises through the year).
    day_i = rng.choice(n_days, size=n_a, p=desk_w_a / a_total)
    off = rng.choice(len(offerings), size=n_a, p=w)
    p_online = np.minimum(0.95, level[off] * shares[day_i])
    u = rng.random(n_a)
    channel = np.where(u < p_online, ONLINE, IN_PERSON).astype(np.int8)
    post = (channel == IN_PERSON) & post_ok[off] & (rng.random(n_a) < POST_SHARE)
    channel[post] = POST
    # Days the desk is closed: online-capable offerings only.
    if n_b:
        wb = w * level
        day_b = rng.choice(n_days, size=n_b, p=closed_w_a / closed_w_a.sum())
        off_b = rng.choice(len(offerings), size=n_b, p=wb / wb.sum())
        day_i = np.concatenate([day_i, day_b])
        off = np.concatenate([off, off_b])
        channel = np.concatenate([channel, np.full(n_b, ONLINE, dtype=np.int8)])

    # Time of day: desk hours of the agency for the desk, round the clock (evening peak) online.
    tod = np.zeros(n, dtype=np.int64)
    online = channel == ONLINE
    tod[online] = _online_times(rng, int(online.sum()))
    agency_rows = agency_of[off]
    periods = {}
    for a in world.agencies:
        periods.setdefault(a.cal.periods, []).append(a.index)
    for key, members in sorted(periods.items()):
        mask = (~online) & np.isin(agency_rows, members)
        tod[mask] = _desk_times(rng, key, int(mask.sum()))

    # No agency-day may hold more than the code's 4 digits: move the excess to the following working day.
    day_i = _cap(day_i, agency_rows, days_a, bases, world)
    day_ord = days_a[day_i]
    t = (day_ord - EPOCH_ORD) * DAY + tod - OFFSET

    order = np.lexsort((np.arange(n), t))
    t, off, channel, day_ord, agency_rows = t[order], off[order], channel[order], day_ord[order], agency_rows[order]

    # The daily number: rank within (agency, day) in time order, after the real dossiers' numbers.
    by_day = np.lexsort((np.arange(n), day_ord, agency_rows))
    a_s, d_s = agency_rows[by_day], day_ord[by_day]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (a_s[1:] != a_s[:-1]) | (d_s[1:] != d_s[:-1])
    starts = np.flatnonzero(new_group)
    group_id = np.cumsum(new_group) - 1
    rank = np.arange(n) - starts[group_id]
    agency_ids = np.array([a.id for a in world.agencies])
    base = np.array([bases.get((int(agency_ids[a_s[i]]), int(d_s[i])), 0) for i in starts], dtype=np.int64)
    seq = np.empty(n, dtype=np.int32)
    seq[by_day] = base[group_id] + rank + 1

    person, enterprise = _applicants(rng, world, off, channel, agency_rows)
    return Headers(t, off.astype(np.int32), channel, seq, day_ord.astype(np.int32), person, enterprise)


def _cap(day_i: np.ndarray, agency_rows: np.ndarray, days_a: np.ndarray, bases: dict, world: World) -> np.ndarray:
    n_days = len(days_a)
    agency_ids = [a.id for a in world.agencies]
    working = np.array([world.national.is_working_ord(int(o)) for o in days_a])
    for _ in range(50):
        key = agency_rows.astype(np.int64) * n_days + day_i
        uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        room = np.array(
            [MAX_DAILY_SEQUENCE - bases.get((agency_ids[k // n_days], int(days_a[k % n_days])), 0) for k in uniq]
        )
        over = counts > room
        if not over.any():
            return day_i
        for g in np.flatnonzero(over):
            rows = np.flatnonzero(inverse == g)[room[g] :]
            d = int(uniq[g] % n_days)
            step = 1 if d < n_days - 1 else -1
            target = d + step
            while 0 <= target < n_days and not working[target]:
                target += step
            if not 0 <= target < n_days:
                target = d - 1
            day_i[rows] = target
    raise ValueError("Quá nhiều hồ sơ cho một cơ quan trong một ngày (tối đa 9999): giảm --dossiers.")


def _applicants(rng: np.random.Generator, world: World, off, channel, agency_rows) -> tuple[np.ndarray, np.ndarray]:
    """A resident of the commune (mostly) or anyone in the province; an account holder when online. For
    procedures for organisations, often an enterprise's representative acting for it."""
    ppl = world.people
    n = len(off)
    person = np.empty(n, dtype=np.int32)
    online = channel == ONLINE
    everyone = np.arange(len(ppl.pid), dtype=np.int32)
    holders = np.array(ppl.with_account, dtype=np.int32)
    if len(everyone) == 0 or len(holders) == 0:
        raise ValueError("Không có người nộp hồ sơ nào trong dân cư mô phỏng.")
    communes = sorted({a.commune_code for a in world.agencies if a.commune_code})
    index = {c: i for i, c in enumerate(communes)}
    commune_of_agency = np.array([index.get(a.commune_code, -1) for a in world.agencies], dtype=np.int64)
    row_commune = commune_of_agency[agency_rows]
    resident = (row_commune >= 0) & (rng.random(n) < RESIDENT_SHARE)
    draw = rng.random(n)
    picked = np.zeros(n, dtype=bool)
    # Group the resident rows by (commune, needs an account) once, then draw each group from its pool.
    rows = np.flatnonzero(resident)
    keys = row_commune[rows] * 2 + online[rows]
    order = np.argsort(keys, kind="stable")
    for group in np.split(order, np.flatnonzero(np.diff(keys[order])) + 1):
        if not len(group):
            continue
        key = int(keys[group[0]])
        commune, need_account = communes[key // 2], bool(key % 2)
        pool = ppl.with_account_by_commune.get(commune) if need_account else ppl.by_commune.get(commune)
        if not pool:
            continue
        members = rows[group]
        pool_a = np.array(pool, dtype=np.int32)
        person[members] = pool_a[(draw[members] * len(pool_a)).astype(np.int64)]
        picked[members] = True
    rest = ~picked
    person[rest & online] = holders[(draw[rest & online] * len(holders)).astype(np.int64)]
    person[rest & ~online] = everyone[(draw[rest & ~online] * len(everyone)).astype(np.int64)]

    enterprise = np.full(n, -1, dtype=np.int32)
    if ppl.enterprises:
        for_org = np.array([p.for_organisations for p in world.procs])
        proc_of = np.array([o.proc for o in world.offerings], dtype=np.int32)
        candidates = for_org[proc_of[off]] & (rng.random(n) < ENTERPRISE_SHARE)
        chosen = rng.integers(0, len(ppl.enterprises), size=n)
        reps = np.array([e[2] for e in ppl.enterprises], dtype=np.int32)
        has_acc = np.array([ppl.user_id[r] is not None for r in reps])
        ok = candidates & (~online | has_acc[chosen])
        enterprise[ok] = chosen[ok]
        person[ok] = reps[chosen[ok]]
    return person, enterprise
