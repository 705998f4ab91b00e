"""The e-receipt ("Biên lai thu phí, lệ phí điện tử") of a paid payment, as PDF, and the amount in words.

Rendered from the payment's stored fields only, with the shared document blocks, so the same payment always gives
the same bytes: the stored SHA-256 can be checked by regenerating the file.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from motcua.catalog.models import AgencyKind
from motcua.documents import pdf

from .models import Method

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_GROUPS = ("", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ")


def _three(n: int, full: bool) -> list[str]:
    """One group of three digits; `full` when a higher group was read (then "không trăm", "linh" are said)."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if full or hundreds:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append("linh")
            words.append(_DIGITS[units])
        return words
    if tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units == 1:
        words.append("một" if tens == 1 else "mốt")
    elif units == 4 and tens > 1:
        words.append("tư")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(_DIGITS[units])
    return words


def amount_in_words(amount: int) -> str:
    """10000 → 'Mười nghìn đồng'; 105000 → 'Một trăm linh năm nghìn đồng' (how receipts write the sum)."""
    amount = int(amount)
    if amount < 0:
        raise ValueError("amount must not be negative")
    if amount >= 1000 ** len(_GROUPS):
        raise ValueError("amount too large")
    if amount == 0:
        return "Không đồng"
    groups = []
    rest = amount
    while rest:
        groups.append(rest % 1000)
        rest //= 1000
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        value = groups[index]
        if value == 0:
            continue
        words += _three(value, full=index < len(groups) - 1)
        if _GROUPS[index]:
            words.append(_GROUPS[index])
    text = " ".join(words)
    return f"{text[0].upper()}{text[1:]} đồng"


def _place(agency: Any) -> str:
    """The place before the date: the commune's name, else the province's (the parent's) name."""
    name = agency.name if agency.kind in (AgencyKind.COMMUNE, AgencyKind.PROVINCE) or not agency.parent_id else ""
    name = name or agency.parent.name
    lowered = name.lower()
    for prefix in ("ủy ban nhân dân ", "uỷ ban nhân dân ", "ubnd "):
        if lowered.startswith(prefix):
            name, lowered = name[len(prefix) :], lowered[len(prefix) :]
            break
    for unit in ("phường ", "xã ", "đặc khu ", "thị trấn ", "tỉnh ", "thành phố "):
        if lowered.startswith(unit):
            return name[len(unit) :]
    return name


def render(payment: Any) -> bytes:
    """The receipt PDF of a paid payment (its number must already be given)."""
    dossier = payment.dossier
    agency = dossier.agency
    paid_at = payment.paid_at or payment.created_at
    online = payment.method == Method.ONLINE
    series = payment.receipt_no.split("-", 1)[0] if "-" in payment.receipt_no else ""
    number = payment.receipt_no.split("-", 1)[1] if "-" in payment.receipt_no else payment.receipt_no
    facts: list[tuple[str, object]] = [
        ("Đơn vị thu phí, lệ phí", agency.name),
        ("Người nộp", dossier.applicant_name),
    ]
    if dossier.applicant_personal_id:
        facts.append(("Số định danh cá nhân", dossier.applicant_personal_id))
    facts += [
        ("Hồ sơ", f"{dossier.code} — {dossier.procedure.name}"),
        ("Nội dung thu", payment.purpose),
        ("Số tiền", pdf.vnd(payment.amount_vnd)),
        ("Bằng chữ", amount_in_words(payment.amount_vnd)),
        (
            "Hình thức nộp",
            "Trực tuyến qua cổng thanh toán" + (f" ({payment.gateway.upper()})" if payment.gateway else "")
            if online
            else "Nộp tại bộ phận tiếp nhận và trả kết quả (một cửa)",
        ),
        ("Mã giao dịch", payment.txn_ref),
    ]
    if payment.gateway_txn_no:
        facts.append(("Mã giao dịch tại cổng thanh toán", payment.gateway_txn_no))
    if payment.bank_code:
        facts.append(("Ngân hàng", payment.bank_code))
    facts.append(("Thời điểm nộp", pdf.vn_datetime(paid_at)))
    lines = (payment.fee or {}).get("lines") or [
        {"label": payment.purpose, "quantity": 1, "unit_vnd": payment.amount_vnd, "total_vnd": payment.amount_vnd}
    ]
    rows = [
        (i, line["label"], line["quantity"], pdf.vnd(line["unit_vnd"]), pdf.vnd(line["total_vnd"]))
        for i, line in enumerate(lines, start=1)
    ]
    rows.append(("", "Tổng cộng", "", "", pdf.vnd(payment.amount_vnd)))
    flow = [
        pdf.header(
            parent=agency.parent.name if agency.parent_id else "",
            agency=agency.name,
            number=f"Ký hiệu: {series} — Số: {number}" if series else f"Số: {number}",
            place=_place(agency),
            on=paid_at,
        ),
        Spacer(1, 6 * mm),
        pdf.p("BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ", "title"),
        pdf.p("(Không in sẵn mệnh giá)", "center"),
        Spacer(1, 5 * mm),
        pdf.key_values(facts),
        Spacer(1, 5 * mm),
        pdf.grid(["STT", "Nội dung", "Số lượng", "Đơn giá", "Thành tiền"], rows, [12, 68, 22, 30, 33]),
        Spacer(1, 6 * mm),
        pdf.signature("Đơn vị thu", agency.name, note="(Biên lai điện tử)"),
        Spacer(1, 4 * mm),
        pdf.p(
            "Biên lai điện tử do hệ thống một cửa điện tử lập khi khoản thu được xác nhận; "
            "có giá trị như biên lai giấy. Tra cứu bằng mã hồ sơ và số biên lai.",
            "small",
        ),
    ]
    return pdf.build(
        flow,
        title=f"Biên lai thu phí, lệ phí điện tử {payment.receipt_no}",
        author=agency.name,
        subject=f"Hồ sơ {dossier.code}",
    )
