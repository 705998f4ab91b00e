"""Writing and verifying the audit chain.

Each record's hash covers its content and the previous hash. The chain tip lives in `AuditHead`, locked with
SELECT ... FOR UPDATE, so concurrent writers append one after another (on SQLite the IMMEDIATE transaction
already serialises writers).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import AuditHead, AuditRecord

GENESIS = "0" * 64


def _digest(prev_hash: str, seq: int, at: str, actor_id: Any, action: str, object_type: str,
            object_id: str, reason: str, data: Any) -> str:
    payload = json.dumps(
        [prev_hash, seq, at, actor_id, action, object_type, object_id, reason, data],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(*, actor: Any, action: str, obj_type: str, obj_id: str, reason: str = "",
           data: dict | None = None) -> AuditRecord:
    """Append one record. Must run inside the caller's transaction so it commits or rolls back with it."""
    data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    at = timezone.now()
    actor_id = getattr(actor, "pk", None)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        seq = head.seq + 1
        digest = _digest(head.hash, seq, at.isoformat(), actor_id, action, obj_type, str(obj_id), reason, data)
        rec = AuditRecord.objects.create(
            seq=seq, at=at, actor_id=actor_id, actor_label=str(actor or "")[:150], action=action,
            object_type=obj_type, object_id=str(obj_id), reason=reason[:255], data=data,
            prev_hash=head.hash, hash=digest,
        )
        head.seq, head.hash = seq, digest
        head.save(update_fields=["seq", "hash"])
    return rec


@dataclass
class ChainProblem:
    seq: int
    problem: str


def verify_chain(batch: int = 2000) -> Iterator[ChainProblem]:
    """Walk the chain in order; yield every record whose content, link or position is wrong."""
    prev_hash, expected_seq = GENESIS, 1
    last_seq = 0
    qs = AuditRecord.objects.order_by("seq").values_list(
        "seq", "at", "actor_id", "action", "object_type", "object_id", "reason", "data", "prev_hash", "hash"
    )
    for seq, at, actor_id, action, otype, oid, reason, data, stored_prev, stored_hash in qs.iterator(batch):
        if seq != expected_seq:
            yield ChainProblem(expected_seq, f"thiếu bản ghi {expected_seq}–{seq - 1} (đã bị xoá)")
        if stored_prev != prev_hash:
            yield ChainProblem(seq, "liên kết với bản ghi trước bị sai")
        if _digest(stored_prev, seq, at.isoformat(), actor_id, action, otype, oid, reason, data) != stored_hash:
            yield ChainProblem(seq, "nội dung đã bị sửa")
        prev_hash, expected_seq, last_seq = stored_hash, seq + 1, seq
    head = AuditHead.objects.filter(id=1).first()
    if head and (head.seq != last_seq or head.hash != prev_hash):
        yield ChainProblem(head.seq, "bản ghi cuối chuỗi đã bị xoá")
