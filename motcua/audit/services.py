"""Writing and verifying the audit chains.

Each record's hash covers its content and the previous hash of its chain. Records are spread over `SHARDS`
chains by object (a dossier's records always share one chain), so concurrent writers of different dossiers do
not queue on one row. Each chain's tip lives in `AuditHead`, locked with SELECT ... FOR UPDATE; the tip also
lets the verifier notice a deleted last record.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import AuditHead, AuditRecord

GENESIS = "0" * 64
SHARDS = 16


def shard_of(obj_type: str, obj_id: str) -> int:
    return zlib.crc32(f"{obj_type}:{obj_id}".encode()) % SHARDS


def _digest(
    prev_hash: str,
    shard: int,
    seq: int,
    at: str,
    actor_id: Any,
    action: str,
    object_type: str,
    object_id: str,
    reason: str,
    data: Any,
) -> str:
    payload = json.dumps(
        [prev_hash, shard, seq, at, actor_id, action, object_type, object_id, reason, data],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(
    *, actor: Any, action: str, obj_type: str, obj_id: str, reason: str = "", data: dict | None = None
) -> AuditRecord:
    """Append one record in the caller's transaction, so it commits or rolls back with the change it audits."""
    data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    at = timezone.now()
    actor_id = getattr(actor, "pk", None)
    obj_id, reason = str(obj_id), reason[:255]
    shard = shard_of(obj_type, obj_id)
    with transaction.atomic(savepoint=False):
        head = AuditHead.objects.select_for_update().filter(id=shard).first()
        if head is None:
            AuditHead.objects.bulk_create([AuditHead(id=shard, seq=0, hash=GENESIS)], ignore_conflicts=True)
            head = AuditHead.objects.select_for_update().get(id=shard)
        seq = head.seq + 1
        digest = _digest(head.hash, shard, seq, at.isoformat(), actor_id, action, obj_type, obj_id, reason, data)
        rec = AuditRecord.objects.create(
            shard=shard,
            seq=seq,
            at=at,
            actor_id=actor_id,
            actor_label=str(actor or "")[:150],
            action=action,
            object_type=obj_type,
            object_id=obj_id,
            reason=reason,
            data=data,
            prev_hash=head.hash,
            hash=digest,
        )
        AuditHead.objects.filter(id=shard).update(seq=seq, hash=digest)
    return rec


@dataclass
class ChainProblem:
    shard: int
    seq: int
    problem: str


def verify_chain(batch: int = 2000) -> Iterator[ChainProblem]:
    """Walk every chain in order; yield each record whose content, link or position is wrong."""
    heads = {h.id: h for h in AuditHead.objects.all()}
    shards = set(heads) | set(AuditRecord.objects.values_list("shard", flat=True).distinct())
    for shard in sorted(shards):
        yield from _verify_shard(shard, heads.get(shard), batch)


def _verify_shard(shard: int, head: AuditHead | None, batch: int) -> Iterator[ChainProblem]:
    prev_hash, expected_seq, last_seq = GENESIS, 1, 0
    qs = (
        AuditRecord.objects.filter(shard=shard)
        .order_by("seq")
        .values_list(
            "seq",
            "at",
            "actor_id",
            "action",
            "object_type",
            "object_id",
            "reason",
            "data",
            "prev_hash",
            "hash",
        )
    )
    for seq, at, actor_id, action, otype, oid, reason, data, stored_prev, stored_hash in qs.iterator(batch):
        if seq != expected_seq:
            yield ChainProblem(shard, expected_seq, f"thiếu bản ghi {expected_seq}–{seq - 1} (đã bị xoá)")
        if stored_prev != prev_hash:
            yield ChainProblem(shard, seq, "liên kết với bản ghi trước bị sai")
        if _digest(stored_prev, shard, seq, at.isoformat(), actor_id, action, otype, oid, reason, data) != stored_hash:
            yield ChainProblem(shard, seq, "nội dung đã bị sửa")
        prev_hash, expected_seq, last_seq = stored_hash, seq + 1, seq
    if head is None:
        if last_seq:
            yield ChainProblem(shard, last_seq, "đầu chuỗi đã bị xoá")
    elif head.seq != last_seq or head.hash != prev_hash:
        yield ChainProblem(shard, head.seq, "bản ghi cuối chuỗi đã bị xoá")


def may_read_audit_log(user: Any) -> bool:
    """Auditors (read-only) and system administrators."""
    from motcua.accounts.models import Role
    from motcua.accounts.services import has_role, is_system_admin

    return bool(getattr(user, "is_authenticated", False)) and (has_role(user, Role.AUDITOR) or is_system_admin(user))


def search_log(*, object_id: str = "", action: str = "", limit: int = 200):
    """The latest records, newest first, optionally for one object (a dossier code) or one action prefix."""
    qs = AuditRecord.objects.order_by("-at", "-id")
    if object_id:
        qs = qs.filter(object_id=object_id)
    if action:
        qs = qs.filter(action__startswith=action)
    return qs[:limit]
