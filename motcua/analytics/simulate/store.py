# ruff: noqa: S608 - table and column names come from the models' metadata, values are always parameters
"""Writing the synthetic year: PostgreSQL COPY or SQLite executemany of the rows `life.py` builds, id ranges
reserved under a table lock, and the counters (daily code numbers, receipt numbers) left consistent. Also the
removal of a previously simulated year, with everything that hangs on its dossiers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from django.db import connection, models

from motcua.dossiers.models import DailySequence, Dossier
from motcua.payments import conf as payment_conf
from motcua.payments.models import Payment, PaymentEvent, ReceiptCounter
from motcua.worktime.calc import TZ

from .life import ts_postgres, ts_sqlite
from .world import SIMULATED_KEY

RECEIPT_PLACEHOLDER = "#receipt"


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def timestamp_formatter():
    return ts_postgres if is_postgres() else ts_sqlite


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def reserve_ids(model: type[models.Model], count: int) -> int:
    """The first of `count` consecutive ids nobody else will take. Call inside a transaction."""
    table = model._meta.db_table
    with connection.cursor() as cur:
        if is_postgres():
            # The lock keeps concurrent INSERTs (whose nextval comes after it) out of the range until commit.
            cur.execute(f"LOCK TABLE {_table(model)} IN EXCLUSIVE MODE")
            cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cur.fetchone()[0]
            cur.execute("SELECT nextval(%s)", [sequence])
            first = int(cur.fetchone()[0])
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM " + _table(model))
            first = max(first, int(cur.fetchone()[0]) + 1)
            cur.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
            return first
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM " + _table(model))
        top = int(cur.fetchone()[0])
        cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cur.fetchone()
        first = max(top, int(row[0]) if row else 0) + 1
        if row:
            cur.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [first + count - 1, table])
        else:
            cur.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, first + count - 1])
        return first


def write_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Append rows (values already in the database's text forms) to the model's table."""
    raw = connection.connection
    table = _table(model)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    if is_postgres():
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def fast_load_available() -> bool:
    """PostgreSQL as a superuser: the bulk writes may skip the foreign-key triggers (session_replication_role =
    replica, as pg_restore --disable-triggers does). Every reference the generator writes is to a row it read or
    wrote itself; `orphans()` checks it after the fact (the tests do)."""
    if not is_postgres():
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cur.fetchone()
    return bool(row and row[0])


@contextmanager
def without_triggers(fast: bool):
    """Inside a transaction: the foreign-key triggers off for the block (PostgreSQL superuser only)."""
    if not fast:
        yield
        return
    with connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SET LOCAL session_replication_role = origin")


def write_chunk(rows, fast: bool) -> None:
    """One chunk's rows, in the caller's transaction."""
    from motcua.analytics.models import Feedback, Rating
    from motcua.dossiers.models import DossierAction

    from .life import (
        ACTION_COLUMNS,
        DOSSIER_COLUMNS,
        EVENT_COLUMNS,
        FEEDBACK_COLUMNS,
        PAYMENT_COLUMNS,
        RATING_COLUMNS,
    )

    with without_triggers(fast):
        write_rows(Dossier, DOSSIER_COLUMNS, rows.dossiers)
        write_rows(DossierAction, ACTION_COLUMNS, rows.actions)
        if rows.payments:
            first = reserve_ids(Payment, len(rows.payments))
            write_rows(Payment, PAYMENT_COLUMNS, ((first + k, *p[1:]) for k, p in enumerate(rows.payments)))
            write_rows(PaymentEvent, EVENT_COLUMNS, ((first + e[0], *e[1:]) for e in rows.events))
        if rows.ratings:
            write_rows(Rating, RATING_COLUMNS, rows.ratings)
        if rows.feedback:
            write_rows(Feedback, FEEDBACK_COLUMNS, rows.feedback)


def orphans(models_: Iterable[type[models.Model]]) -> dict[str, int]:
    """Rows of these tables whose foreign key (one the database enforces) points at no row: must be none."""
    out = {}
    with connection.cursor() as cur:
        for model in models_:
            for f in model._meta.concrete_fields:
                if not f.is_relation or not f.db_constraint:
                    continue
                target = f.related_model
                col, tcol = connection.ops.quote_name(f.column), connection.ops.quote_name(f.target_field.column)
                cur.execute(
                    f"SELECT COUNT(*) FROM {_table(model)} a WHERE a.{col} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {_table(target)} b WHERE b.{tcol} = a.{col})"
                )
                out[f"{model._meta.db_table}.{f.column}"] = int(cur.fetchone()[0])
    return out


def check_columns(model: type[models.Model], columns: Sequence[str]) -> None:
    """Every column of the table is written (so a new field without a database default is noticed at once)."""
    have = {f.column for f in model._meta.concrete_fields}
    written = set(columns)
    if "id" not in written:
        written.add("id")  # left to the database
    missing, unknown = have - written, written - have
    if missing or unknown:
        raise RuntimeError(f"{model.__name__}: columns not written {sorted(missing)}, unknown {sorted(unknown)}")


# --- removing a previous synthetic year ---------------------------------------------------------------------------


def simulated_ids_sql() -> tuple[str, tuple]:
    sql, params = (
        Dossier.objects.filter(**{"data_sources__has_key": SIMULATED_KEY}).values("pk").query.sql_with_params()
    )
    return sql, tuple(params)


def _purge(model: type[models.Model], ids: str, params: tuple, path: tuple = ()) -> int:
    """Delete the rows of `model` whose primary key is in the subquery `ids`, after everything that references
    them (recursively); references that are SET_NULL are cleared. Raw SQL: millions of rows, no signals."""
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cur:
        for rel in model._meta.related_objects:
            child = rel.related_model
            if rel.many_to_many or child in path or child is model:
                continue
            col = connection.ops.quote_name(rel.field.column)
            if rel.on_delete is models.SET_NULL:
                cur.execute(f"UPDATE {_table(child)} SET {col} = NULL WHERE {col} IN ({ids})", params)
            elif rel.on_delete is not models.DO_NOTHING:
                child_pk = connection.ops.quote_name(child._meta.pk.column)
                child_ids = f"SELECT {child_pk} FROM {_table(child)} WHERE {col} IN ({ids})"
                _purge(child, child_ids, params, (*path, model))
        cur.execute(f"DELETE FROM {_table(model)} WHERE {pk} IN ({ids})", params)
        return cur.rowcount


def _local_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return datetime.combine(first, time(), TZ), datetime.combine(last + timedelta(days=1), time(), TZ)


def real_daily_numbers(first: date, last: date) -> dict[tuple[int, int], int]:
    """The last code number real (not simulated) dossiers took on each agency-day of [first, last]."""
    lo, hi = _local_bounds(first, last)
    out: dict[tuple[int, int], int] = {}
    real = Dossier.objects.filter(code__isnull=False, submitted_at__gte=lo, submitted_at__lt=hi).exclude(
        **{"data_sources__has_key": SIMULATED_KEY}
    )
    for agency_id, code in real.values_list("agency_id", "code").iterator():
        try:
            _, yymmdd, number = code.rsplit("-", 2)
            day = date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])).toordinal()
            out[(agency_id, day)] = max(out.get((agency_id, day), 0), int(number))
        except ValueError:
            continue
    return out


def reset_daily_sequences(first: date, last: date) -> None:
    """DailySequence of [first, last] back to what the real dossiers took (rows with none are removed)."""
    real = real_daily_numbers(first, last)
    rows = DailySequence.objects.filter(day__gte=first, day__lte=last)
    for row in rows.only("id", "agency_id", "day", "last").iterator():
        value = real.get((row.agency_id, row.day.toordinal()))
        if value is None:
            DailySequence.objects.filter(pk=row.pk).delete()
        elif value != row.last:
            DailySequence.objects.filter(pk=row.pk).update(last=value)


def set_daily_sequences(lasts: dict[tuple[int, int], int]) -> None:
    table = _table(DailySequence)
    rows = [(agency, date.fromordinal(day).isoformat(), last) for (agency, day), last in sorted(lasts.items())]
    with connection.cursor() as cur:
        for i in range(0, len(rows), 1000):
            batch = rows[i : i + 1000]
            values = ", ".join(["(%s, %s, %s)"] * len(batch))
            cur.execute(
                f"INSERT INTO {table} (agency_id, day, last) VALUES {values} "
                f"ON CONFLICT (agency_id, day) DO UPDATE SET last = excluded.last",
                [v for row in batch for v in row],
            )


def _series(year: int) -> str:
    return f"{payment_conf.get('MOTCUA_RECEIPT_SERIES')}{year % 100:02d}E"


def _real_receipt_max(series: str) -> int:
    top = 0
    for number in Payment.objects.filter(receipt_no__startswith=f"{series}-").values_list("receipt_no", flat=True):
        try:
            top = max(top, int(number.rsplit("-", 1)[1]))
        except ValueError:
            continue
    return top


def reset_receipt_counters(years: Iterable[int]) -> None:
    for year in years:
        series = _series(year)
        top = _real_receipt_max(series)
        if top:
            ReceiptCounter.objects.filter(series=series, year=year).update(last=top)
        else:
            ReceiptCounter.objects.filter(series=series, year=year).delete()


def simulated_payment_years() -> set[int]:
    """The years of the receipts simulated payments took."""
    span = Payment.objects.filter(**{"dossier__data_sources__has_key": SIMULATED_KEY}, paid_at__isnull=False).aggregate(
        lo=models.Min("paid_at"), hi=models.Max("paid_at")
    )
    if span["lo"] is None:
        return set()
    return set(range(span["lo"].astimezone(TZ).year, span["hi"].astimezone(TZ).year + 1))


def _bounds(lo: datetime, hi: datetime) -> tuple:
    if is_postgres():
        return lo, hi
    return ts_sqlite(int(lo.timestamp())), ts_sqlite(int(hi.timestamp()))


def number_receipts(first: date, last: date) -> dict[int, int]:
    """Give the simulated paid payments their receipt numbers, by year in order of payment, after the real
    ones; set the counters. Returns {year: count}."""
    table = _table(Payment)
    done: dict[int, int] = {}
    for year in range(first.year, last.year + 2):
        lo, hi = datetime(year, 1, 1, tzinfo=TZ), datetime(year + 1, 1, 1, tzinfo=TZ)
        series = _series(year)
        base = _real_receipt_max(series)
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT COUNT(*) FROM {table} WHERE receipt_no = %s AND paid_at >= %s AND paid_at < %s",
                [RECEIPT_PLACEHOLDER, *_bounds(lo, hi)],
            )
            count = int(cur.fetchone()[0])
            if not count:
                continue
            if is_postgres():
                cur.execute(
                    f"WITH n AS (SELECT id, row_number() OVER (ORDER BY paid_at, id) AS k FROM {table} "
                    f"WHERE receipt_no = %s AND paid_at >= %s AND paid_at < %s) "
                    f"UPDATE {table} p SET receipt_no = %s || lpad((n.k + %s)::text, 7, '0') FROM n WHERE p.id = n.id",
                    [RECEIPT_PLACEHOLDER, lo, hi, f"{series}-", base],
                )
            else:
                cur.execute(
                    f"WITH n AS (SELECT id, row_number() OVER (ORDER BY paid_at, id) AS k FROM {table} "
                    f"WHERE receipt_no = %s AND paid_at >= %s AND paid_at < %s) "
                    f"UPDATE {table} SET receipt_no = %s || printf('%%07d', n.k + %s) FROM n "
                    f"WHERE {table}.id = n.id",
                    [RECEIPT_PLACEHOLDER, ts_sqlite(int(lo.timestamp())), ts_sqlite(int(hi.timestamp())),
                     f"{series}-", base],
                )  # fmt: skip
        ReceiptCounter.objects.update_or_create(series=series, year=year, defaults={"last": base + count})
        done[year] = count
    return done


def purge_simulated(first: date | None = None, last: date | None = None) -> dict[str, int]:
    """Remove every simulated dossier and what references it; put the counters back to the real dossiers' and
    payments' own. Real (non-simulated) rows are never touched."""
    sql, params = simulated_ids_sql()
    span = Dossier.objects.filter(**{"data_sources__has_key": SIMULATED_KEY}).aggregate(
        lo=models.Min("submitted_at"), hi=models.Max("submitted_at")
    )
    years = simulated_payment_years()
    with connection.cursor() as cur:  # the ids once (indexed), not the JSON test once per referencing table
        cur.execute("DROP TABLE IF EXISTS motcua_simulated_ids")
        cur.execute("CREATE TEMPORARY TABLE motcua_simulated_ids (id bigint PRIMARY KEY)")
        cur.execute(f"INSERT INTO motcua_simulated_ids (id) {sql}", params)
        if is_postgres():
            cur.execute("ANALYZE motcua_simulated_ids")
    with without_triggers(fast_load_available()):  # every referencing row is deleted explicitly: no trigger to run
        removed = _purge(Dossier, "SELECT id FROM motcua_simulated_ids", ())
    with connection.cursor() as cur:
        cur.execute("DROP TABLE motcua_simulated_ids")
    if span["lo"] is not None:
        reset_daily_sequences(span["lo"].astimezone(TZ).date(), span["hi"].astimezone(TZ).date())
    reset_receipt_counters(years)
    return {"dossiers_removed": removed}
