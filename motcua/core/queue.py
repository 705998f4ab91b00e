"""Claiming due rows of a database-backed queue (the exchange outbox, notifications): the one pattern both use.

A short transaction picks the due rows (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's IMMEDIATE
transaction serialises) and marks them in flight with a lease in `next_attempt_at`, so the work is done outside
any transaction and a worker that dies mid-send leaves its rows due again when the lease expires.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F

LEASE = timedelta(minutes=5)


def claim_due(
    model: type[models.Model],
    *,
    waiting: str,
    in_flight: str,
    now: datetime,
    limit: int,
    lease: timedelta = LEASE,
    related: tuple[str, ...] = (),
    **also: Any,
) -> list[models.Model]:
    """Take up to `limit` rows due at `now` (waiting, or in flight with an expired lease), oldest due first; each
    gets one more attempt and the lease. Returns the claimed rows (with `related` joined), fetched in one query.
    `also`: more fields to set on claim (e.g. updated_at, which a queryset update does not touch)."""
    with transaction.atomic():
        due = model.objects.filter(status__in=[waiting, in_flight], next_attempt_at__lte=now).order_by(
            "next_attempt_at"
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        model.objects.filter(pk__in=ids).update(
            status=in_flight, attempts=F("attempts") + 1, next_attempt_at=now + lease, **also
        )
    rows = model.objects.select_related(*related).in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]
