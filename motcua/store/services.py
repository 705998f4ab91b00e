"""The citizen's data store: deposit (idempotent), validity changes, reuse in a later dossier, audited reads.

"Provide once": a procedure version's document may name the type of stored document that stands for it
(`"x-store": "trich_luc_khai_sinh"`); when the applicant's store holds a valid one, the form does not ask for
an upload and the dossier records the reuse instead. An official opens a stored document only through a
dossier that reused it, and each opening is audited.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.accounts.models import User
from motcua.analytics import services as analytics
from motcua.audit.services import record
from motcua.core.errors import NotFound, ValidationFailed
from motcua.dossiers.models import Dossier

from .models import DocStatus, Kind, StoredDocument, StoreReuse

# The document type each procedure's result is (what a later procedure asks for by type).
RESULT_TYPES = {
    "1.001193": "trich_luc_khai_sinh",
    "1.000656": "trich_luc_khai_tu",
    "1.004222": "xac_nhan_thuong_tru",
    "1.003197": "xac_nhan_xoa_thuong_tru",
    "1.009664": "gcn_dang_ky_dau_tu",
}
MAX_BYTES = 20 * 1024 * 1024


def deposit(
    owner_personal_id: str,
    *,
    kind: str,
    title: str,
    issuer: str,
    content: bytes,
    content_type: str,
    source_ref: str,
    valid_from: date | None = None,
    valid_to: date | None = None,
    doc_type: str = "",
    dossier: Dossier | None = None,
) -> StoredDocument:
    """Keep a document in the owner's store. Idempotent on `source_ref`: the same source deposits once."""
    if not (len(owner_personal_id or "") == 12 and owner_personal_id.isdigit()):
        raise ValidationFailed("Kho dữ liệu gắn với số định danh cá nhân 12 chữ số.")
    if kind not in Kind.values:
        raise ValidationFailed(f"Loại giấy tờ '{kind}' không hợp lệ.")
    if not content or len(content) > MAX_BYTES:
        raise ValidationFailed("Giấy tờ rỗng hoặc quá lớn.")
    existing = StoredDocument.objects.filter(source_ref=source_ref).first()
    if existing is not None:
        return existing
    if not doc_type and dossier is not None and kind == Kind.E_RESULT:
        doc_type = RESULT_TYPES.get(dossier.procedure.code, "")
    digest = hashlib.sha256(content).hexdigest()
    document = StoredDocument(
        owner_personal_id=owner_personal_id,
        owner=User.objects.filter(personal_id=owner_personal_id).first(),
        kind=kind,
        doc_type=doc_type,
        title=title[:255],
        issuer=issuer[:255],
        source_ref=source_ref[:128],
        dossier=dossier,
        content_type=content_type,
        size=len(content),
        sha256=digest,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    document.file.save(f"{digest[:16]}.{_extension(content_type)}", ContentFile(content), save=False)
    try:
        with transaction.atomic():
            document.save()
            analytics.record("store", dossier)  # the facts: result stored, dossier digitised
            record(
                actor=None,
                action="store.deposit",
                obj_type="store",
                obj_id=str(document.pk),
                data={"owner": owner_personal_id, "kind": kind, "source": source_ref, "sha256": digest},
            )
    except IntegrityError:  # a concurrent deposit of the same source won: keep one, drop our file
        document.file.delete(save=False)
        return StoredDocument.objects.get(source_ref=source_ref)
    return document


def _extension(content_type: str) -> str:
    return {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(content_type, "bin")


def set_status(source_ref: str, status: str) -> int:
    """A revoked or replaced result stays in the store, marked as such, and is no longer offered for reuse."""
    if status not in DocStatus.values:
        raise ValidationFailed(f"Trạng thái '{status}' không hợp lệ.")
    return StoredDocument.objects.filter(source_ref=source_ref).update(status=status)


def usable(owner_personal_id: str, on: date | None = None):
    """The owner's documents that may stand in for an upload today."""
    on = on or timezone.localdate()
    return (
        StoredDocument.objects.filter(owner_personal_id=owner_personal_id, status=DocStatus.VALID)
        .exclude(valid_to__lt=on)
        .exclude(valid_from__gt=on)
    )


def offers_for(user: Any, documents: list[dict]) -> dict[str, StoredDocument]:
    """{document code: stored document} for every document of the form the user's store can provide."""
    wanted = {str(d.get("code")): d.get("x-store") for d in documents or [] if d.get("x-store")}
    personal_id = getattr(user, "personal_id", None) or ""
    if not wanted or not personal_id:
        return {}
    by_type: dict[str, StoredDocument] = {}
    for doc in usable(personal_id).filter(doc_type__in=set(wanted.values())).order_by("-created_at"):
        by_type.setdefault(doc.doc_type, doc)
    return {code: by_type[kind] for code, kind in wanted.items() if kind in by_type}


def reuse(user: Any, dossier: Dossier, offers: dict[str, StoredDocument]) -> list[StoreReuse]:
    """Record that the dossier uses these stored documents instead of uploads (counted, audited)."""
    if dossier.applicant_id != getattr(user, "pk", None):
        raise NotFound("Không tìm thấy hồ sơ.")
    rows = []
    with transaction.atomic():
        for code, document in offers.items():
            if document.owner_personal_id != user.personal_id:
                raise NotFound("Không tìm thấy giấy tờ trong kho dữ liệu.")
            row, created = StoreReuse.objects.get_or_create(document=document, dossier=dossier, doc_code=code)
            if created:
                record(
                    actor=user,
                    action="store.reuse",
                    obj_type="dossier",
                    obj_id=dossier.code or str(dossier.pk),
                    data={"document": document.pk, "doc_code": code, "doc_type": document.doc_type},
                )
            rows.append(row)
        analytics.record("store", dossier)  # the facts: stored data reused
    return rows


def open_for_official(user: Any, dossier: Dossier, reuse_id: int) -> StoredDocument:
    """An official reads a stored document only through a dossier (already authorised) that reused it."""
    row = StoreReuse.objects.select_related("document").filter(pk=reuse_id, dossier=dossier).first()
    if row is None:
        raise NotFound("Không tìm thấy giấy tờ trong hồ sơ này.")
    record(
        actor=user,
        action="store.read",
        obj_type="store",
        obj_id=str(row.document_id),
        reason=f"Xem trong hồ sơ {dossier.code}",
        data={"dossier": dossier.code, "doc_code": row.doc_code},
    )
    return row.document


def reuse_count(start: date | None = None, end: date | None = None) -> dict[str, int]:
    """How often stored data replaced an upload (and in how many dossiers), for the digitisation indicator."""
    qs = StoreReuse.objects.all()
    if start:
        qs = qs.filter(reused_at__date__gte=start)
    if end:
        qs = qs.filter(reused_at__date__lte=end)
    return {"reuses": qs.count(), "dossiers": qs.values("dossier").distinct().count()}
