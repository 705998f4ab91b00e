"""The PDF someone asks us to verify: size and type checked by content (magic bytes), never by name or claim."""

from __future__ import annotations

import filetype
from django.conf import settings
from django.utils.translation import gettext as _

from motcua.core.errors import ProblemError, ValidationFailed


def read_pdf(upload) -> bytes:
    """The uploaded file's bytes, or a ProblemError with a clear reason: 400 nothing sent, 413 too large,
    415 not a PDF."""
    limit = settings.MOTCUA_VERIFY_MAX_BYTES
    if upload is None or not upload.size:
        raise ProblemError(
            _("Chưa chọn tệp, hoặc tệp rỗng."), status=400, errors=[{"field": "file", "message": _("Chọn tệp PDF.")}]
        )
    if upload.size > limit:
        raise ProblemError(
            _("Tệp quá lớn: %(size)s KB, tối đa %(limit)s KB.") % {"size": upload.size // 1024, "limit": limit // 1024},
            status=413,
            title=_("Dữ liệu quá lớn"),
            errors=[{"field": "file", "message": _("Tệp quá lớn.")}],
        )
    upload.seek(0)
    head = upload.read(8192)
    kind = filetype.guess(head)
    if kind is None or kind.mime != "application/pdf":
        raise ValidationFailed(
            _("Chỉ xác minh được tệp PDF (kết quả điện tử có chữ ký số)."),
            status=415,
            errors=[{"field": "file", "message": _("Sai loại tệp.")}],
        )
    data = head + upload.read(limit + 1 - len(head))
    if len(data) > limit:  # the declared size lied
        raise ProblemError(_("Tệp quá lớn."), status=413, errors=[{"field": "file", "message": _("Tệp quá lớn.")}])
    return data
