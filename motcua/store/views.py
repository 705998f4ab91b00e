"""Pages of the data store: the citizen's own store, and an official's audited view through a dossier."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from motcua.backoffice.views import dossier_or_404, official_required
from motcua.core.errors import NotFound

from . import services
from .models import StoredDocument


def _file(document: StoredDocument) -> FileResponse:
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("Tệp không còn trên máy chủ.")) from exc
    name = f"{document.title[:80]}.{services._extension(document.content_type)}"
    return FileResponse(handle, as_attachment=True, filename=name, content_type=document.content_type)


@login_required
def my_store(request: HttpRequest) -> HttpResponse:
    pid = getattr(request.user, "personal_id", None) or ""
    documents = StoredDocument.objects.filter(owner_personal_id=pid).prefetch_related("reuses") if pid else []
    return render(request, "store/my_store.html", {"documents": documents})


@login_required
def my_document(request: HttpRequest, pk: int) -> FileResponse:
    pid = getattr(request.user, "personal_id", None) or ""
    document = StoredDocument.objects.filter(pk=pk, owner_personal_id=pid).first() if pid else None
    if document is None:
        raise Http404(_("Không tìm thấy giấy tờ."))
    return _file(document)


@official_required
def dossier_document(request: HttpRequest, code: str, reuse_id: int) -> FileResponse:
    dossier = dossier_or_404(request, code, reason="xem giấy tờ dùng lại từ kho dữ liệu")
    try:
        document = services.open_for_official(request.user, dossier, reuse_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return _file(document)
