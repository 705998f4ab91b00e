"""Uploaded documents: size and type are checked by content, never by the name or the client's claim."""

from __future__ import annotations

import hashlib
import os

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from motcua.core.errors import ValidationFailed

_TYPE_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def inspect_upload(upload: UploadedFile) -> tuple[str, str]:
    """Return (content_type, sha256) or raise ValidationFailed with a Vietnamese reason."""
    limit = settings.MOTCUA_UPLOAD_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise ValidationFailed("Tệp tải lên rỗng.", errors=[{"field": "file", "message": "Tệp rỗng."}])
    if upload.size > limit:
        raise ValidationFailed(
            f"Tệp quá lớn: {upload.size // 1024} KB, tối đa {limit // 1024} KB.",
            errors=[{"field": "file", "message": "Tệp quá lớn."}],
            status=413,
        )
    upload.seek(0)
    head = upload.read(8192)
    kind = filetype.guess(head)
    allowed = settings.MOTCUA_UPLOAD_TYPES
    if kind is None or kind.mime not in allowed:
        names = ", ".join(_TYPE_LABELS.get(t, t) for t in allowed)
        raise ValidationFailed(
            f"Loại tệp không được chấp nhận. Chỉ nhận: {names}.",
            errors=[{"field": "file", "message": "Sai loại tệp."}],
            status=415,
        )
    digest = hashlib.sha256(head)
    for chunk in iter(lambda: upload.read(65536), b""):
        digest.update(chunk)
    upload.seek(0)
    return kind.mime, digest.hexdigest()


def safe_name(name: str) -> str:
    base = os.path.basename(name or "tep")
    return "".join(ch for ch in base if ch.isalnum() or ch in "._-")[:120] or "tep"
