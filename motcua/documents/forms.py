"""The one-stop forms of Circular 01/2018/TT-VPCP (carried over by Circular 03/2025/TT-VPCP) as PDF.

Mẫu 01 receipt and appointment, 02 supplement request, 03 refusal, 04 apology and new appointment, 05 process-control
sheet, 06 tracking book. Each is a pure function of the database (it reads the dossier and its action log, writes
nothing) and gives the same bytes for the same state. A form that does not apply to the dossier (a refusal for a
dossier never refused) raises `Conflict` with a Vietnamese message.

The text is Vietnamese whatever the reader's language (they are legal documents). Headings and fields follow the
2018 forms as we know them; what is not checked against the gazetted text is listed in docs/dossiers.md,
"Biểu mẫu một cửa".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override
from reportlab.platypus import Flowable, Spacer

from motcua.accounts.models import Role
from motcua.catalog.models import Agency, AgencyKind, TimeUnit
from motcua.core.errors import Conflict, ValidationFailed
from motcua.core.links import public_url
from motcua.dossiers import services
from motcua.dossiers.models import Channel, Dossier, DossierAction, Outcome, Status
from motcua.worktime.calc import TZ

from . import pdf

DESK_UNIT = "Bộ phận tiếp nhận và trả kết quả"
MAX_BOOK_DAYS = 366  # one tracking book covers at most a year

OUTCOME_WORDS = {Outcome.EARLY: "Trước hạn", Outcome.ON_TIME: "Đúng hạn", Outcome.LATE: "Trễ hạn"}
STATUS_WORDS = {
    Status.SUBMITTED: "Chờ tiếp nhận",
    Status.SUPPLEMENT_REQUESTED: "Chờ bổ sung hồ sơ",
    Status.PROCESSING: "Đang giải quyết",
    Status.RESULT_READY: "Chờ trả kết quả",
    Status.RETURNED: "Đã trả kết quả",
    Status.REFUSED: "Từ chối tiếp nhận, giải quyết",
    Status.WITHDRAWN: "Người nộp rút hồ sơ",
}
ROLE_WORDS = {
    Role.DESK: "Cán bộ một cửa",
    Role.SPECIALIST: "Chuyên viên xử lý",
    Role.LEADER: "Lãnh đạo",
    Role.COORDINATOR: "Điều phối liên thông",
    "citizen": "Người nộp hồ sơ",
    "system": "Hệ thống",
}
UNIT_WORDS = {
    TimeUnit.WORKING_DAYS: "ngày làm việc",
    TimeUnit.WORKING_HOURS: "giờ làm việc",
    TimeUnit.DAYS: "ngày",
    TimeUnit.MONTHS: "tháng",
}
DELIVERY_WORDS = {
    "buu_chinh": "Qua dịch vụ bưu chính công ích, theo địa chỉ người nộp đã đăng ký",
    "truc_tuyen": "Bản điện tử trên Cổng dịch vụ công / ứng dụng VNeID (tài khoản của người nộp)",
}


# --- shared pieces ----------------------------------------------------------------------------------------


def place_of(agency: Agency) -> str:
    """The place written before the date: the commune's or the province's name ("Hạ Long, ngày …")."""
    name = agency.name
    if agency.kind not in (AgencyKind.COMMUNE, AgencyKind.PROVINCE):
        province = _province_name(agency.province_code)
        if province:
            return province
        name = agency.parent.name if agency.parent_id else name
    return _strip_unit(name)


def _strip_unit(name: str) -> str:
    out = name.strip()
    for prefix in ("ủy ban nhân dân ", "uỷ ban nhân dân ", "ubnd "):
        if out.lower().startswith(prefix):
            out = out[len(prefix) :]
            break
    for unit in ("phường ", "xã ", "đặc khu ", "thị trấn ", "tỉnh ", "thành phố "):
        if out.lower().startswith(unit):
            return out[len(unit) :]
    return out


def _province_name(code: str) -> str:
    from vietnam_provinces import Province

    try:
        return _strip_unit(Province.from_code(int(code)).name)
    except (ValueError, LookupError, TypeError):
        return ""


def _header(agency: Agency, *, number: str, on: date | datetime, unit: str = "", width: float = 165) -> Flowable:
    parent = agency.parent.name if agency.parent_id else ""
    return pdf.header(
        parent=parent, agency=agency.name, number=number, place=place_of(agency), on=on, unit=unit, width=width
    )


def _title(text: str, *lines: str) -> list[Flowable]:
    out: list[Flowable] = [Spacer(1, 6 * pdf.mm), pdf.p(text.upper(), "title")]
    out += [pdf.p(line, "center") for line in lines if line]
    return [*out, Spacer(1, 4 * pdf.mm)]


def _seq(dossier: Dossier) -> str:
    """The 4-digit daily number at the end of the code, used as the form's number."""
    return (dossier.code or "").rsplit("-", 1)[-1]


def _local(value: datetime) -> datetime:
    return value.astimezone(TZ)


def _short(value: datetime | None) -> str:
    """'28/11/2026\\n08:00' for a table cell; '—' when there is no date."""
    if value is None:
        return "—"
    local = _local(value)
    return f"{local:%d/%m/%Y}\n{local:%H:%M}"


def _iso(value: object) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) and value else None


def _bucket(at: datetime, due: datetime | None) -> str:
    """Early / on time / late, the rule every statistic uses (services._outcome): after the deadline is late, an
    earlier calendar day is early, otherwise on time."""
    if due is None:
        return "—"
    if at > due:
        return OUTCOME_WORDS[Outcome.LATE]
    if _local(at).date() < _local(due).date():
        return OUTCOME_WORDS[Outcome.EARLY]
    return OUTCOME_WORDS[Outcome.ON_TIME]


def _person(action: DossierAction | None) -> str:
    if action is None or action.actor is None:
        return ""
    return action.actor.display_name


def _request(dossier: Dossier) -> str:
    return f"{dossier.procedure.name} (mã thủ tục {dossier.procedure.code})"


def _applicant_rows(dossier: Dossier) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = [("Ông/Bà (tổ chức)", dossier.applicant_name)]
    if dossier.applicant_personal_id:
        rows.append(("Số định danh cá nhân", dossier.applicant_personal_id))
    if dossier.enterprise_name or dossier.enterprise_tax_code:
        rows.append(("Doanh nghiệp", f"{dossier.enterprise_name} (mã số thuế {dossier.enterprise_tax_code})"))
    address = (dossier.data or {}).get("dia_chi")
    if isinstance(address, str) and address.strip():
        rows.append(("Địa chỉ", address.strip()))
    if dossier.applicant_phone:
        rows.append(("Số điện thoại", dossier.applicant_phone))
    if dossier.applicant_email:
        rows.append(("Thư điện tử", dossier.applicant_email))
    return rows


def _statutory_time(dossier: Dossier) -> str:
    definition = services.effective_definition(dossier)
    value, unit = definition.get("time_value"), definition.get("time_unit")
    if value in (None, "") or unit not in UNIT_WORDS:
        return "Không quy định thời hạn"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    shown = f"{int(amount):02d}" if amount == amount.to_integral_value() else str(amount).replace(".", ",")
    return f"{shown} {UNIT_WORDS[unit]}"


def _log(dossier: Dossier) -> list[DossierAction]:
    return list(dossier.actions.select_related("actor").order_by("seq"))


def _last(rows: list[DossierAction], action: str) -> DossierAction | None:
    return next((r for r in reversed(rows) if r.action == action and not r.undone), None)


def _build(flow: list[Flowable], *, title: str, dossier: Dossier | None = None, agency: Agency) -> bytes:
    subject = f"Mã hồ sơ {dossier.code}" if dossier is not None else ""
    return pdf.build(flow, title=title, author=agency.name, subject=subject)


# --- Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả --------------------------------------------------------


def _received_documents(dossier: Dossier) -> list[list[object]]:
    """One row per document checked present at acceptance: name, original or copy, number of copies."""
    declared = {
        str(d.get("code") or f"TP{i + 1}"): d
        for i, d in enumerate(services.effective_definition(dossier).get("documents") or [])
        if isinstance(d, dict)
    }
    rows: list[list[object]] = []
    for entry in dossier.checklist or []:
        if not isinstance(entry, dict) or not entry.get("present"):
            continue
        doc = declared.get(str(entry.get("doc")), {})
        name = entry.get("name") or doc.get("name") or entry.get("doc") or "Giấy tờ"
        kind = "Bản chính" if entry.get("original") else "Bản sao"
        rows.append([str(len(rows) + 1), str(name), kind, f"{int(doc.get('quantity') or 1):02d}"])
    if not rows:  # no paper checklist (e.g. accepted through the API): the electronic files received
        for doc in dossier.documents.order_by("uploaded_at", "pk"):
            rows.append([str(len(rows) + 1), doc.name, "Bản điện tử", "01"])
    return rows


def _delivery(dossier: Dossier) -> str:
    choice = (dossier.data or {}).get("hinh_thuc_nhan_ket_qua")
    if choice in DELIVERY_WORDS:
        return DELIVERY_WORDS[choice]
    agency = dossier.agency
    where = f"{DESK_UNIT} - {agency.name}"
    return f"{where}, {agency.address}" if agency.address else where


def _lookup_instructions(dossier: Dossier) -> str:
    address = public_url(reverse("portal:lookup"))
    return (
        f"Tra cứu tình trạng giải quyết hồ sơ: vào mục “Tra cứu hồ sơ” ({address}) trên Cổng dịch vụ công, nhập mã "
        f"hồ sơ {dossier.code} và mã PIN được cấp khi nộp hồ sơ (mã PIN không in trên giấy này); hoặc đăng nhập "
        "tài khoản của người nộp để xem hồ sơ."
    )


def receipt(dossier: Dossier) -> bytes:
    """Mẫu 01: what was received, when, and when and where the result will be returned."""
    if dossier.parent_id:
        raise Conflict(
            f"Hồ sơ {dossier.code} là một phần của yêu cầu liên thông {dossier.parent.code}: Giấy tiếp nhận hồ sơ "
            f"và hẹn trả kết quả được lập cho hồ sơ {dossier.parent.code}."
        )
    if dossier.accepted_at is None:
        raise Conflict(f"Hồ sơ {dossier.code} chưa được tiếp nhận nên chưa có Giấy tiếp nhận hồ sơ và hẹn trả kết quả.")
    with override("vi"):
        return _receipt(dossier)


def _receipt(dossier: Dossier) -> bytes:
    agency = dossier.agency
    accept = _last(_log(dossier), "accept")
    appointment = dossier.original_due_at or dossier.due_at
    received = pdf.vn_datetime(dossier.accepted_at)
    if dossier.channel == Channel.ONLINE and dossier.submitted_at:
        received += f" (nộp trực tuyến lúc {pdf.vn_datetime(dossier.submitted_at)})"
    documents = _received_documents(dossier)
    flow: list[Flowable] = [
        _header(agency, number=f"Số: {_seq(dossier)}/TNHS", on=dossier.accepted_at, unit=DESK_UNIT),
        *_title("Giấy tiếp nhận hồ sơ và hẹn trả kết quả", f"Mã hồ sơ: {dossier.code}"),
        pdf.p(f"{DESK_UNIT} {agency.name} tiếp nhận hồ sơ của:"),
        pdf.key_values(_applicant_rows(dossier)),
        Spacer(1, 2 * pdf.mm),
        pdf.rich(f"<b>Nội dung yêu cầu giải quyết:</b> {pdf.escape(_request(dossier))}"),
        pdf.p("1. Thành phần hồ sơ nộp gồm:"),
    ]
    if documents:
        flow.append(pdf.grid(["STT", "Tên giấy tờ", "Bản chính / bản sao", "Số lượng"], documents, [12, 103, 30, 20]))
    else:
        flow.append(pdf.p("(Không có giấy tờ kèm theo.)", "small"))
    flow += [
        pdf.p("2. Số lượng hồ sơ: 01 (bộ)."),
        pdf.p(f"3. Thời gian giải quyết hồ sơ theo quy định là: {_statutory_time(dossier)}."),
        pdf.p(f"4. Thời gian nhận hồ sơ: {received}."),
        pdf.p(
            f"5. Thời gian trả kết quả giải quyết hồ sơ: {pdf.vn_datetime(appointment)}."
            if appointment
            else "5. Thời gian trả kết quả giải quyết hồ sơ: không quy định thời hạn."
        ),
        pdf.p(f"6. Đăng ký nhận kết quả tại: {_delivery(dossier)}."),
        Spacer(1, 2 * pdf.mm),
        pdf.p(_lookup_instructions(dossier), "small"),
        Spacer(1, 4 * pdf.mm),
        pdf.signatures(
            ("Người nộp hồ sơ", "(Ký và ghi rõ họ tên)", dossier.applicant_name),
            ("Người tiếp nhận hồ sơ", "(Ký và ghi rõ họ tên)", _person(accept)),
        ),
    ]
    return _build(flow, title="Giấy tiếp nhận hồ sơ và hẹn trả kết quả", dossier=dossier, agency=agency)


# --- Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ --------------------------------------------------------


def _supplement_due(dossier: Dossier, rows: list[DossierAction], request: DossierAction) -> datetime | None:
    """The applicant's deadline: on the dossier while it waits, afterwards in the next log row's snapshot."""
    if dossier.status == Status.SUPPLEMENT_REQUESTED and dossier.supplement_due_at:
        return dossier.supplement_due_at
    after = next((r for r in rows if r.seq > request.seq), None)
    return _iso((after.before or {}).get("supplement_due_at")) if after else None


def supplement_request(dossier: Dossier) -> bytes:
    """Mẫu 02: everything missing, listed once ("hướng dẫn một lần"), with the reason and the deadline."""
    rows = _log(dossier)
    request = _last(rows, "request_supplement")
    if request is None:
        raise Conflict(f"Hồ sơ {dossier.code} không có yêu cầu bổ sung, hoàn thiện hồ sơ.")
    with override("vi"):
        return _supplement_request(dossier, rows, request)


def _supplement_request(dossier: Dossier, rows: list[DossierAction], request: DossierAction) -> bytes:
    agency = dossier.agency
    at_desk = request.from_status == Status.SUBMITTED
    issuer = f"{DESK_UNIT} {agency.name}" if at_desk else agency.name
    missing = [str(m) for m in (request.payload or {}).get("missing") or [] if str(m).strip()]
    due = _supplement_due(dossier, rows, request)
    flow: list[Flowable] = [
        _header(agency, number=f"Số: {_seq(dossier)}/YCBS", on=request.at, unit=DESK_UNIT if at_desk else ""),
        *_title("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", f"Mã hồ sơ: {dossier.code}"),
        pdf.p(f"{issuer} tiếp nhận hồ sơ của:"),
        pdf.key_values(_applicant_rows(dossier)),
        Spacer(1, 2 * pdf.mm),
        pdf.rich(f"<b>Nội dung yêu cầu giải quyết:</b> {pdf.escape(_request(dossier))}"),
        pdf.p(
            f"Sau khi kiểm tra, xem xét, {issuer} hướng dẫn một lần, đầy đủ để Ông/Bà bổ sung, hoàn thiện hồ sơ "
            "gồm những nội dung sau:"
        ),
    ]
    flow += pdf.numbered(missing or [request.note])
    flow.append(pdf.rich(f"<b>Lý do:</b> {pdf.escape(request.note)}"))
    if due is not None:
        flow.append(
            pdf.p(
                f"Thời hạn bổ sung, hoàn thiện hồ sơ: chậm nhất {pdf.vn_datetime(due)}. Quá thời hạn này mà hồ sơ "
                "chưa được bổ sung, hoàn thiện thì hồ sơ bị từ chối tiếp nhận, giải quyết."
            )
        )
    if request.from_status == Status.PROCESSING and dossier.version.pause_on_supplement:
        flow.append(pdf.p("Thời gian bổ sung, hoàn thiện hồ sơ không tính vào thời hạn giải quyết hồ sơ."))
    contact = f" ({agency.address})" if agency.address else ""
    flow += [
        pdf.p(
            f"Trong quá trình bổ sung, hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ {issuer}{contact} để "
            "được hướng dẫn."
        ),
        pdf.p("Xin trân trọng cảm ơn!"),
        Spacer(1, 2 * pdf.mm),
        pdf.signature("Người hướng dẫn", _person(request), "(Ký và ghi rõ họ tên)"),
    ]
    return _build(flow, title="Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", dossier=dossier, agency=agency)


# --- Mẫu 03: Phiếu từ chối tiếp nhận, giải quyết hồ sơ ------------------------------------------------------


def refusal(dossier: Dossier) -> bytes:
    """Mẫu 03: the reasons the dossier is not received or not resolved."""
    rows = _log(dossier)
    refuse = _last(rows, "refuse")
    if refuse is None:
        raise Conflict(f"Hồ sơ {dossier.code} không bị từ chối tiếp nhận, giải quyết nên không có Phiếu từ chối.")
    with override("vi"):
        return _refusal(dossier, refuse)


def _refusal(dossier: Dossier, refuse: DossierAction) -> bytes:
    agency = dossier.agency
    at_desk = refuse.from_status in (Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED) or refuse.actor_role == Role.DESK
    issuer = f"{DESK_UNIT} {agency.name}" if at_desk else agency.name
    reasons = [str(r) for r in (refuse.payload or {}).get("reasons") or [] if str(r).strip()]
    if refuse.note and refuse.note not in reasons:
        reasons.append(refuse.note)
    if refuse.actor is None:
        signer = ("Bộ phận tiếp nhận và trả kết quả", "", "(Phiếu do hệ thống lập tự động)")
    elif at_desk:
        signer = ("Người tiếp nhận hồ sơ", refuse.actor.display_name, "(Ký và ghi rõ họ tên)")
    else:
        signer = ("Thủ trưởng cơ quan, đơn vị", refuse.actor.display_name, "(Ký, ghi rõ họ tên và đóng dấu)")
    flow: list[Flowable] = [
        _header(agency, number=f"Số: {_seq(dossier)}/TCHS", on=refuse.at, unit=DESK_UNIT if at_desk else ""),
        *_title("Phiếu từ chối tiếp nhận, giải quyết hồ sơ", f"Mã hồ sơ: {dossier.code}"),
        pdf.p(f"{issuer} tiếp nhận hồ sơ của:"),
        pdf.key_values(_applicant_rows(dossier)),
        Spacer(1, 2 * pdf.mm),
        pdf.rich(f"<b>Nội dung yêu cầu giải quyết:</b> {pdf.escape(_request(dossier))}"),
        pdf.p(f"Qua xem xét, {issuer} thông báo không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:"),
        *pdf.numbered(reasons or ["Không ghi lý do."]),
        pdf.p("Xin thông báo để Ông/Bà được biết và thực hiện./."),
        Spacer(1, 2 * pdf.mm),
        pdf.signature(*signer),
    ]
    return _build(flow, title="Phiếu từ chối tiếp nhận, giải quyết hồ sơ", dossier=dossier, agency=agency)


# --- Mẫu 04: Phiếu xin lỗi và hẹn lại ngày trả kết quả -----------------------------------------------------


def apology(dossier: Dossier) -> bytes:
    """Mẫu 04: the apology, the appointment that will be missed, the reason and the one new date."""
    rows = _log(dossier)
    reappoint = _last(rows, "reappoint")
    if reappoint is None:
        raise Conflict(f"Hồ sơ {dossier.code} chưa có văn bản xin lỗi và hẹn lại ngày trả kết quả.")
    with override("vi"):
        return _apology(dossier, reappoint)


def _apology(dossier: Dossier, reappoint: DossierAction) -> bytes:
    agency = dossier.agency
    old_due = _iso((reappoint.payload or {}).get("old_due_at")) or dossier.original_due_at
    new_due = _iso((reappoint.payload or {}).get("new_due_at")) or dossier.due_at
    received = dossier.accepted_at or dossier.submitted_at
    signer_name = reappoint.actor.display_name if reappoint.actor and reappoint.actor_role == Role.LEADER else ""
    flow: list[Flowable] = [
        _header(agency, number=f"Số: {_seq(dossier)}/XLHS", on=reappoint.at),
        *_title("Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
        pdf.rich(f"<b>Kính gửi:</b> Ông/Bà {pdf.escape(dossier.applicant_name)}"),
        Spacer(1, 2 * pdf.mm),
        pdf.p(
            f"Vào lúc {pdf.vn_datetime(received)}, {agency.name} tiếp nhận giải quyết hồ sơ của Ông/Bà "
            f"(mã hồ sơ {dossier.code})."
        ),
        pdf.rich(f"<b>Nội dung yêu cầu giải quyết:</b> {pdf.escape(_request(dossier))}"),
        pdf.p(f"Thời gian hẹn trả kết quả giải quyết hồ sơ: {pdf.vn_datetime(old_due)}."),
        pdf.p(
            f"Tuy nhiên, {agency.name} không thể trả kết quả giải quyết hồ sơ của Ông/Bà đúng thời hạn đã hẹn trên "
            "Giấy tiếp nhận hồ sơ và hẹn trả kết quả."
        ),
        pdf.rich(f"<b>Lý do:</b> {pdf.escape(reappoint.note)}"),
        pdf.p(
            f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {agency.name} xin lỗi Ông/Bà và sự bất tiện đã gây ra, "
            f"và xin hẹn lại thời gian trả kết quả giải quyết hồ sơ vào lúc {pdf.vn_datetime(new_due)}."
        ),
        pdf.p("Mong nhận được sự thông cảm của Ông/Bà. Xin trân trọng cảm ơn./."),
        Spacer(1, 2 * pdf.mm),
        pdf.signature("Thủ trưởng cơ quan, đơn vị", signer_name, "(Ký, ghi rõ họ tên và đóng dấu)"),
    ]
    return _build(flow, title="Phiếu xin lỗi và hẹn lại ngày trả kết quả", dossier=dossier, agency=agency)


# --- Mẫu 05: Phiếu kiểm soát quá trình giải quyết hồ sơ ----------------------------------------------------

_NOT_HANDOVERS = {"submit", "mark_overdue"}


def _step_deadline(dossier: Dossier, row: DossierAction) -> datetime | None:
    """The deadline of the step the row hands over, from the snapshot the log keeps of the state before it."""
    before = row.before or {}
    if row.action == "accept" or row.from_status == Status.SUBMITTED:
        return dossier.acceptance_due_at
    if row.from_status == Status.SUPPLEMENT_REQUESTED:
        return _iso(before.get("supplement_due_at"))
    if row.action in ("return_result", "reappoint") or row.from_status == Status.RESULT_READY:
        return _iso(before.get("due_at"))
    return _iso(before.get("step_due_at")) or _iso(before.get("due_at"))


def _party(role: str, step: str, steps: dict[str, dict]) -> str:
    step_name = (steps.get(step) or {}).get("name") or step
    role_name = ROLE_WORDS.get(role, role)
    if role == Role.DESK:
        return DESK_UNIT
    return f"{role_name} ({step_name})" if step_name else role_name


def _receiver(dossier: Dossier, row: DossierAction, nxt: DossierAction | None, steps: dict[str, dict]) -> str:
    if row.action == "reappoint":
        return "Người nộp hồ sơ (Phiếu xin lỗi và hẹn lại ngày trả kết quả)"
    to = row.to_status
    if to == Status.PROCESSING and row.to_step:
        step = steps.get(row.to_step) or {}
        who = _party(step.get("role", ""), row.to_step, steps)
    elif to in (Status.RESULT_READY, Status.SUBMITTED):
        who = DESK_UNIT
    elif to == Status.SUPPLEMENT_REQUESTED:
        return f"Người nộp hồ sơ: {dossier.applicant_name} (bổ sung hồ sơ)"
    elif to == Status.RETURNED:
        return f"Người nộp hồ sơ: {dossier.applicant_name} (nhận kết quả)"
    elif to == Status.REFUSED:
        return f"Người nộp hồ sơ: {dossier.applicant_name} (nhận lại hồ sơ bị từ chối)"
    elif to == Status.WITHDRAWN:
        return "Kết thúc: người nộp rút hồ sơ"
    else:
        who = STATUS_WORDS.get(to, to)
    taker = _person(nxt) if nxt is not None and nxt.from_step == row.to_step and nxt.from_status == to else ""
    return f"{who}\n{taker}" if taker else who


def _giver(row: DossierAction, steps: dict[str, dict]) -> str:
    if row.actor_role == "citizen":
        who = "Người nộp hồ sơ"
    elif row.actor_role == "system":
        who = "Hệ thống"
    else:
        who = _party(row.actor_role, row.from_step, steps)
    name = _person(row)
    return f"{who}\n{name}" if name else who


def handovers(dossier: Dossier, rows: list[DossierAction] | None = None) -> list[list[str]]:
    """The process-control sheet's rows: each hand-over in the action log, who to whom, when, the step's deadline,
    early / on time / late, and the note."""
    rows = _log(dossier) if rows is None else rows
    steps = {s["code"]: s for s in services.effective_definition(dossier).get("workflow", {}).get("steps", [])}
    out: list[list[str]] = []
    moves = [
        r
        for r in rows
        if r.action not in _NOT_HANDOVERS
        and (r.action == "reappoint" or (r.from_status, r.from_step) != (r.to_status, r.to_step))
    ]
    for row in moves:
        nxt = next((r for r in rows if r.seq > row.seq and r.action not in _NOT_HANDOVERS), None)
        deadline = _step_deadline(dossier, row)
        note = row.label or row.action
        if row.note:
            note += f": {row.note}"
        if row.action == "reappoint":
            new_due = _iso((row.payload or {}).get("new_due_at"))
            note += f" (hẹn lại {_short(new_due).replace(chr(10), ' ')})" if new_due else ""
        if row.undone:
            note += " (đã hoàn tác)"
        out.append(
            [
                str(len(out) + 1),
                _giver(row, steps),
                _receiver(dossier, row, nxt, steps),
                _short(row.at),
                _short(deadline),
                _bucket(row.at, deadline),
                note[:400],
            ]
        )
    return out


def process_control_sheet(dossier: Dossier) -> bytes:
    """Mẫu 05: every hand-over of the dossier, for the desk to follow it from acceptance to return."""
    if dossier.accepted_at is None:
        raise Conflict(
            f"Hồ sơ {dossier.code} chưa được tiếp nhận nên chưa có Phiếu kiểm soát quá trình giải quyết hồ sơ."
        )
    with override("vi"):
        return _process_control_sheet(dossier)


def _process_control_sheet(dossier: Dossier) -> bytes:
    agency = dossier.agency
    rows = handovers(dossier)
    partners = sorted({c.agency.name for c in dossier.children.select_related("agency")})
    facts: list[tuple[str, object]] = [
        ("Người nộp hồ sơ", dossier.applicant_name),
        ("Nội dung yêu cầu giải quyết", _request(dossier)),
        ("Cơ quan (bộ phận) giải quyết hồ sơ", agency.name),
    ]
    if partners:
        facts.append(("Cơ quan phối hợp giải quyết", "; ".join(partners)))
    facts += [
        ("Thời gian tiếp nhận", pdf.vn_datetime(dossier.accepted_at)),
        ("Hẹn trả kết quả", pdf.vn_datetime(dossier.original_due_at or dossier.due_at)),
    ]
    if dossier.reappointed_at:
        facts.append(("Hẹn lại ngày trả kết quả", pdf.vn_datetime(dossier.due_at)))
    if dossier.outcome:
        facts.append(("Kết quả giải quyết", OUTCOME_WORDS.get(dossier.outcome, dossier.outcome)))
    head = ["STT", "Bên giao", "Bên nhận", "Thời gian giao, nhận", "Hạn xử lý", "Kết quả", "Ghi chú"]
    flow: list[Flowable] = [
        _header(agency, number="", on=dossier.accepted_at),
        *_title(
            "Phiếu kiểm soát quá trình giải quyết hồ sơ",
            f"Mã hồ sơ: {dossier.code}",
            f"(Kèm theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả số: {_seq(dossier)}/TNHS)",
        ),
        pdf.key_values(facts),
        Spacer(1, 4 * pdf.mm),
        pdf.grid(head, rows, [10, 30, 32, 22, 22, 21, 28], font_size=9.5),
        Spacer(1, 3 * pdf.mm),
        pdf.p(
            "Ghi chú: Kết quả của từng lần giao, nhận được so với hạn xử lý của bước đó. Trường hợp hồ sơ được chuyển "
            "qua dịch vụ bưu chính thì thời gian giao, nhận hồ sơ và việc ký nhận thể hiện trong hóa đơn của cơ quan "
            "bưu chính.",
            "small",
        ),
    ]
    return _build(flow, title="Phiếu kiểm soát quá trình giải quyết hồ sơ", dossier=dossier, agency=agency)


# --- Mẫu 06: Sổ theo dõi hồ sơ ------------------------------------------------------------------------------


def book_period(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start:
        raise ValidationFailed(
            "Ngày kết thúc phải sau hoặc trùng ngày bắt đầu.",
            errors=[{"field": "end", "message": "Trước ngày bắt đầu."}],
        )
    if (end - start).days + 1 > MAX_BOOK_DAYS:
        raise ValidationFailed(
            f"Mỗi sổ theo dõi tối đa {MAX_BOOK_DAYS} ngày.", errors=[{"field": "end", "message": "Kỳ quá dài."}]
        )
    return datetime.combine(start, time.min, TZ), datetime.combine(end + timedelta(days=1), time.min, TZ)


BOOK_FIELDS = (
    "code",
    "status",
    "applicant_name",
    "applicant_phone",
    "submitted_at",
    "accepted_at",
    "due_at",
    "original_due_at",
    "reappointed_at",
    "finished_at",
    "outcome",
    "procedure__name",
    "procedure__code",
)


def book_dossiers(agency: Agency, start: date, end: date) -> QuerySet[Dossier]:
    """The dossiers an agency received from `start` to `end` (local days, both included), in order of receipt."""
    since, until = book_period(start, end)
    return (
        Dossier.objects.filter(agency=agency, submitted_at__gte=since, submitted_at__lt=until)
        .exclude(status=Status.DRAFT)
        .select_related("procedure")
        .only(*BOOK_FIELDS)
        .order_by("submitted_at", "code")
    )


def _book_row(number: int, d: Dossier) -> list[str]:
    appointment = d.original_due_at or d.due_at
    returned = d.finished_at if d.status == Status.RETURNED else None
    notes = []
    if d.status != Status.RETURNED:
        notes.append(STATUS_WORDS.get(d.status, d.status))
    if d.reappointed_at and d.due_at:
        notes.append(f"Hẹn lại: {_short(d.due_at).replace(chr(10), ' ')}")
    applicant = d.applicant_name + (f"\n{d.applicant_phone}" if d.applicant_phone else "")
    return [
        str(number),
        d.code or "",
        d.procedure.name,
        applicant,
        _short(d.submitted_at),
        _short(appointment),
        _short(returned),
        OUTCOME_WORDS.get(d.outcome, "") if d.outcome else "",
        "; ".join(notes),
    ]


def _book_summary(dossiers: list[Dossier]) -> str:
    returned = [d for d in dossiers if d.status == Status.RETURNED]
    by_outcome = {o: sum(1 for d in returned if d.outcome == o) for o in OUTCOME_WORDS}
    refused = sum(1 for d in dossiers if d.status == Status.REFUSED)
    withdrawn = sum(1 for d in dossiers if d.status == Status.WITHDRAWN)
    pending = len(dossiers) - len(returned) - refused - withdrawn
    return (
        f"Tổng số hồ sơ tiếp nhận: {len(dossiers)}; đã trả kết quả: {len(returned)} (trước hạn "
        f"{by_outcome[Outcome.EARLY]}, đúng hạn {by_outcome[Outcome.ON_TIME]}, trễ hạn {by_outcome[Outcome.LATE]}); "
        f"từ chối: {refused}; rút hồ sơ: {withdrawn}; đang giải quyết: {pending}."
    )


BOOK_HEAD = ["STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Tên cá nhân, tổ chức", "Nhận hồ sơ", "Hẹn trả kết quả",
             "Trả kết quả", "Kết quả giải quyết", "Ghi chú"]  # fmt: skip
BOOK_WIDTHS = [11, 45, 54, 40, 21, 21, 21, 18, 31]  # 262 mm: landscape A4 between the margins


def tracking_book(agency: Agency, start: date, end: date) -> bytes:
    """Mẫu 06: every dossier the agency received in the period, one row each, the column heads on every page."""
    dossiers = list(book_dossiers(agency, start, end))
    with override("vi"):
        flow: list[Flowable] = [
            _header(agency, number="", on=end, width=pdf.text_width(landscape=True)),
            *_title("Sổ theo dõi hồ sơ", f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"),
            pdf.p(_book_summary(dossiers), "small"),
            Spacer(1, 3 * pdf.mm),
            pdf.grid(BOOK_HEAD, (_book_row(i, d) for i, d in enumerate(dossiers, 1)), BOOK_WIDTHS, font_size=9),
        ]
        if not dossiers:
            flow.append(pdf.p("Không có hồ sơ nào được tiếp nhận trong kỳ.", "small"))
        return pdf.build(
            flow,
            title=f"Sổ theo dõi hồ sơ {start:%d/%m/%Y} - {end:%d/%m/%Y}",
            author=agency.name,
            subject=agency.code,
            landscape=True,
            page_numbers=True,
        )


# --- the registry the pages and the API use ----------------------------------------------------------------


@dataclass(frozen=True)
class FormKind:
    number: str
    title: str  # the legal name, printed on the form
    label: str  # the same, for the pages (translatable)
    render: Callable[[Dossier], bytes]
    for_applicant: bool  # the applicant may download it (01-04); 05 is the agencies' own record

    def applies(self, dossier: Dossier, actions: set[str]) -> bool:
        if self.number in ("01", "05"):
            return dossier.accepted_at is not None and not (self.number == "01" and dossier.parent_id)
        return {"02": "request_supplement", "03": "refuse", "04": "reappoint"}[self.number] in actions


_KINDS = (
    ("01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", _("Giấy tiếp nhận hồ sơ và hẹn trả kết quả"), receipt, True),
    (
        "02",
        "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
        _("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
        supplement_request,
        True,
    ),
    ("03", "Phiếu từ chối tiếp nhận, giải quyết hồ sơ", _("Phiếu từ chối tiếp nhận, giải quyết hồ sơ"), refusal, True),
    ("04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả", _("Phiếu xin lỗi và hẹn lại ngày trả kết quả"), apology, True),
    (
        "05",
        "Phiếu kiểm soát quá trình giải quyết hồ sơ",
        _("Phiếu kiểm soát quá trình giải quyết hồ sơ"),
        process_control_sheet,
        False,
    ),
)
FORMS: dict[str, FormKind] = {k[0]: FormKind(*k) for k in _KINDS}


def applicable(dossier: Dossier, *, for_applicant: bool = False) -> list[FormKind]:
    """The forms that exist for the dossier in its state (one query on the log)."""
    if not dossier.code:
        return []
    actions = set(dossier.actions.filter(undone=False).values_list("action", flat=True).distinct())
    return [k for k in FORMS.values() if (k.for_applicant or not for_applicant) and k.applies(dossier, actions)]


def render(dossier: Dossier, number: str) -> bytes:
    """Form `number` ("01".."05") of the dossier; Conflict when it does not apply."""
    kind = FORMS.get(number)
    if kind is None:
        raise ValidationFailed(f"Không có biểu mẫu số {number}: các mẫu của hồ sơ là 01 đến 05.")
    return kind.render(dossier)


def filename(dossier: Dossier, number: str) -> str:
    return f"{dossier.code}-mau-{number}.pdf"


def book_filename(agency: Agency, start: date, end: date) -> str:
    return f"so-theo-doi-{agency.code}-{start:%Y%m%d}-{end:%Y%m%d}.pdf"
