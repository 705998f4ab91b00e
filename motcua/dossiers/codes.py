"""Dossier codes (Circular 01/2018 art. 19) and look-up PINs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date

from django.conf import settings
from django.db import connection

from .models import DailySequence

_UPSERT = (
    "INSERT INTO {table} (agency_id, day, last) VALUES (%s, %s, 1) "
    "ON CONFLICT (agency_id, day) DO UPDATE SET last = {table}.last + 1 RETURNING last"
)


def next_sequence(agency_id: int, day: date) -> int:
    """Atomically take the next number of the agency's day.

    One upsert statement: PostgreSQL serialises concurrent writers on the row lock and SQLite on its write
    lock, so two submissions can never read the same value.
    """
    sql = _UPSERT.format(table=connection.ops.quote_name(DailySequence._meta.db_table))
    with connection.cursor() as cur:
        cur.execute(sql, [agency_id, day])
        return int(cur.fetchone()[0])


def format_code(agency_code: str, day: date, seq: int) -> str:
    return f"{agency_code}-{day:%y%m%d}-{seq:04d}"


def new_code(agency_id: int, agency_code: str, local_day: date) -> str:
    """The next dossier code of the agency's day (its receipt date in Vietnam)."""
    return format_code(agency_code, local_day, next_sequence(agency_id, local_day))


def new_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def pin_hash(code: str, pin: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{code}:{pin}".encode(), hashlib.sha256).hexdigest()


def pin_matches(code: str, pin: str, stored: str) -> bool:
    return bool(stored) and hmac.compare_digest(pin_hash(code, pin), stored)
