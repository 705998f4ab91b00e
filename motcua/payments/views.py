"""Fee pages: the citizen starts a payment and comes back from the gateway; the desk records a fee collected at the
counter; both download the e-receipt. Thin: everything is decided in services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from motcua.backoffice.views import dossier_or_404, official_required
from motcua.core.errors import ProblemError
from motcua.documents import pdf
from motcua.dossiers import selectors
from motcua.dossiers.models import Dossier

from . import conf, services
from .gateways import get_gateway
from .models import Payment, PaymentStatus


def _payable_dossier(request: HttpRequest, code: str) -> Dossier:
    """A dossier the citizen may pay for: their own, or their enterprise's. Anything else is a 404."""
    dossier = selectors.visible_dossiers(request.user).filter(code=code).first()
    if dossier is None or (dossier.applicant_id != request.user.pk and not request.user.is_citizen):
        raise Http404(_("Không tìm thấy hồ sơ."))
    return dossier


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def start(request: HttpRequest, code: str) -> HttpResponse:
    """ "Nộp phí, lệ phí trực tuyến": create (or find again) the payment, then go to the gateway."""
    dossier = _payable_dossier(request, code)
    try:
        started = services.create_payment(
            request.user,
            dossier,
            request.POST.get("idempotency_key", ""),
            return_url=request.build_absolute_uri(reverse("payments:return")),
            client_ip=request.META.get("REMOTE_ADDR", ""),
            locale="en" if get_language() == "en" else "vn",
        )
    except ProblemError as exc:
        messages.error(request, exc.detail)
        return redirect("portal:dossier", code=dossier.code)
    return redirect("payments:go", txn_ref=started.payment.txn_ref)


@login_required
def go(request: HttpRequest, txn_ref: str) -> HttpResponse:
    """The hand-over to the gateway (a page of our own, then a plain navigation: the site's CSP allows forms to
    post only to us, and a redirect answering a form post would count as the form's target)."""
    payment = Payment.objects.select_related("dossier").filter(txn_ref=txn_ref, payer=request.user).first()
    if payment is None:
        raise Http404(_("Không tìm thấy giao dịch."))
    waiting = payment.status == PaymentStatus.PENDING and payment.expires_at and payment.expires_at > timezone.now()
    if not waiting or not conf.online_enabled():  # (the gateway may have been switched off since)
        messages.info(request, _("Giao dịch này không còn chờ thanh toán."))
        return redirect("portal:dossier", code=payment.dossier.code)
    url = get_gateway().redirect_url(payment.request_params)
    return render(request, "payments/go.html", {"payment": payment, "gateway_url": url})


def result(request: HttpRequest) -> HttpResponse:
    """Where the gateway sends the browser back: the payment's status (decided by the IPN or our query)."""
    view = services.handle_return(request.GET.dict(), client_ip=request.META.get("REMOTE_ADDR", ""))
    payment = view.payment
    own = bool(payment and request.user.is_authenticated and payment.dossier.applicant_id == request.user.pk)
    status = 400 if view.state == "invalid" else 200
    return render(request, "payments/result.html", {"view": view, "payment": payment, "own": own}, status=status)


@login_required
def receipt(request: HttpRequest, code: str, txn_ref: str) -> HttpResponse:
    dossier = _payable_dossier(request, code)
    return _receipt(dossier, txn_ref)


def _receipt(dossier: Dossier, txn_ref: str) -> HttpResponse:
    """The stored receipt, or the same bytes rendered again while the periodic job has not stored it yet."""
    try:
        payment = services.payment_of(dossier, txn_ref)
        content = services.receipt_pdf(payment)
    except ProblemError:  # no such payment of this dossier, or not paid (no receipt)
        raise Http404(_("Không tìm thấy biên lai.")) from None
    return _pdf(content, f"bien-lai-{payment.receipt_no}.pdf")


@official_required
@require_POST
def desk_payment(request: HttpRequest, code: str) -> HttpResponse:
    """ "Đã thu tại bộ phận một cửa"."""
    dossier = dossier_or_404(request, code, reason="ghi nhận thu phí tại quầy")
    try:
        payment = services.record_desk_payment(request.user, dossier, note=request.POST.get("note", "")[:255])
    except ProblemError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            _("Đã ghi nhận thu phí, lệ phí tại bộ phận một cửa: %(amount)s.") % {"amount": pdf.vnd(payment.amount_vnd)},
        )
    return redirect("backoffice:dossier", code=dossier.code)


@official_required
def official_receipt(request: HttpRequest, code: str, txn_ref: str) -> HttpResponse:
    return _receipt(dossier_or_404(request, code, reason="tải biên lai"), txn_ref)
