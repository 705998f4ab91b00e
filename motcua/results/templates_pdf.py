"""E-result documents: one template per procedure, chosen by procedure code and version, drawn with the shared
blocks of `motcua.documents.pdf` (Vietnamese font, Decree 30 header, tables).

Every document carries the agency header, its content, a QR code that opens `<MOTCUA_PUBLIC_URL>/xac-minh/<token>/`
(also a link on the page), the e-result number, and the signature block where the agency's digital signature
goes. A template is picked by (procedure code, highest `since_version` ≤ the dossier's version number); anything
else gets the generic "Kết quả giải quyết thủ tục hành chính". A template's own `version` is recorded with each
e-result, so an old document can be explained (and re-rendered) with the layout it was made with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import qrcode
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from motcua.documents import pdf
from motcua.worktime.calc import TZ

from .signing import SignatureBox

QR_SIZE = 27 * mm


# --- data given to a template ------------------------------------------------------------------------------


@dataclass
class RenderInput:
    dossier: Any  # motcua.dossiers.models.Dossier
    result: dict  # the dossier's structured result (register numbers, new personal ID, …)
    number: str  # the e-result number
    doc_number: str  # the number printed in the header ("Số: …")
    verify_url: str
    signed_at: dt.datetime
    signer_name: str  # the certificate's common name
    approver: str = ""  # the official who approved the result, when one did
    extra: dict = field(default_factory=dict)  # what the template's `prepare` added (e.g. the project code)


@dataclass(frozen=True)
class ResultTemplate:
    code: str
    version: int
    title: str
    body: Callable[[RenderInput], list[Flowable]]
    signer_role: str
    procedure: str = ""  # "" for the generic template
    since_version: int = 1
    prepare: Callable[[Any, dict], dict] | None = None  # extra numbers to keep in the dossier's result


# --- flowables: QR code and the signature slot -------------------------------------------------------------


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR modules for `text` (error correction M, 2-module quiet zone included)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


class QrCode(Flowable):
    """The QR code drawn as vector squares in its own form XObject (`FormXob.QRKetQua`), one square per dark
    module, so the page shows it sharp at any zoom and a test can read the modules back; the area is a link."""

    FORM = "QRKetQua"

    def __init__(self, url: str, size: float = QR_SIZE) -> None:
        super().__init__()
        self.url = url
        self.size = size
        self.matrix = qr_matrix(url)
        self.width = self.height = size

    def draw(self) -> None:
        canv = self.canv
        n = len(self.matrix)
        module = self.size / n
        canv.beginForm(self.FORM, 0, 0, self.size, self.size)
        canv.setFillColor(colors.black)
        for r, row in enumerate(self.matrix):
            for c, dark in enumerate(row):
                if dark:
                    canv.rect(c * module, self.size - (r + 1) * module, module, module, stroke=0, fill=1)
        canv.endForm()
        canv.doForm(self.FORM)
        canv.linkURL(self.url, (0, 0, self.size, self.size), relative=1, thickness=0)


class SignatureSlot(Flowable):
    """Where the digital signature sits: who signed and when, in a framed box; records its place on the page so
    the signature field can be put exactly over it."""

    def __init__(self, lines: list[str], where: dict, width: float = 72 * mm, height: float = 20 * mm) -> None:
        super().__init__()
        self.lines, self.where = lines, where
        self.width, self.height = width, height

    def wrap(self, avail_width, avail_height):
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        font, bold, _italic = pdf.register_fonts()
        red = colors.HexColor("#b00020")
        canv.setStrokeColor(red)
        canv.setLineWidth(0.8)
        canv.roundRect(0, 0, self.width, self.height, 2 * mm, stroke=1, fill=0)
        canv.setFillColor(red)
        y = self.height - 5.5 * mm
        for i, line in enumerate(self.lines):
            canv.setFont(bold if i == 0 else font, 9.5 if i == 0 else 8.5)
            canv.drawCentredString(self.width / 2, y, line)
            y -= 4.3 * mm
        x, y0 = canv.absolutePosition(0, 0)
        self.where["page"] = canv.getPageNumber() - 1
        self.where["box"] = (int(x), int(y0), int(x + self.width + 0.999), int(y0 + self.height + 0.999))


# --- helpers -----------------------------------------------------------------------------------------------


_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]


def so_thanh_chu(n: int) -> str:
    """0 ≤ n < 10000 in Vietnamese words, as dates are written out on civil-status documents."""
    if not 0 <= n < 10000:
        raise ValueError(n)
    if n < 10:
        return _DIGITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        head = "mười" if tens == 1 else f"{_DIGITS[tens]} mươi"
        if unit == 0:
            return head
        if unit == 1 and tens > 1:
            return f"{head} mốt"
        if unit == 5:
            return f"{head} lăm"
        if unit == 4 and tens > 1:
            return f"{head} tư"
        return f"{head} {_DIGITS[unit]}"
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = f"{_DIGITS[hundreds]} trăm"
        if rest == 0:
            return head
        return f"{head} linh {_DIGITS[rest]}" if rest < 10 else f"{head} {so_thanh_chu(rest)}"
    thousands, rest = divmod(n, 1000)
    head = f"{_DIGITS[thousands]} nghìn"
    if rest == 0:
        return head
    if rest < 100:
        tail = f"linh {_DIGITS[rest]}" if rest < 10 else so_thanh_chu(rest)
        return f"{head} không trăm {tail}"
    return f"{head} {so_thanh_chu(rest)}"


def date_in_words(value: dt.date) -> str:
    return f"Ngày {so_thanh_chu(value.day)}, tháng {so_thanh_chu(value.month)}, năm {so_thanh_chu(value.year)}"


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(TZ).date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def _dmy(value: Any) -> str:
    day = _date(value)
    return day.strftime("%d/%m/%Y") if day else str(value or "")


def choice_label(dossier: Any, name: str, value: Any) -> str:
    """The declaration's own title for a coded answer ("nam" → "Nam"), from the pinned version's schema."""
    node = ((dossier.version.form_schema or {}).get("properties") or {}).get(name) or {}
    for option in node.get("oneOf") or node.get("anyOf") or []:
        if isinstance(option, dict) and option.get("const") == value:
            return str(option.get("title") or value)
    return "" if value is None else str(value)


def place_name(agency: Any) -> str:
    """The place written before the date: the commune or the province, without the body's title."""
    name = agency.name
    for prefix in ("UBND phường ", "UBND xã ", "UBND đặc khu ", "UBND tỉnh ", "UBND thành phố "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    parent = getattr(agency, "parent", None)
    return place_name(parent) if parent is not None else name


def commune_address(street: str, province_code: Any, commune_code: Any) -> str:
    """'Số 12, …, Phường Hạ Long, tỉnh Quảng Ninh' from the declaration's address codes."""
    from vietnam_provinces import Province, Ward

    parts = [str(street or "").strip()]
    try:
        parts.append(Ward.from_code(int(commune_code)).name)
    except (TypeError, ValueError, KeyError, LookupError):
        parts.append(f"mã xã {commune_code}" if commune_code else "")
    try:
        parts.append(f"tỉnh {Province.from_code(int(province_code)).name}")
    except (TypeError, ValueError, KeyError, LookupError):
        parts.append(f"mã tỉnh {province_code}" if province_code else "")
    return ", ".join(p for p in parts if p)


def _pair(*values: Any) -> str:
    return "; ".join(str(v) for v in values if v not in (None, ""))


def _kv(rows: list[tuple[str, Any]]) -> Table:
    """`pdf.key_values` with tighter rows, so a civil-status extract fits one page with its signature block."""
    table = pdf.key_values([(k, v) for k, v in rows if v not in (None, "")])
    table.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 1.2), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.8)]))
    return table


# --- the templates -----------------------------------------------------------------------------------------


def _birth(ri: RenderInput) -> list[Flowable]:
    d, r = ri.dossier.data or {}, ri.result
    born = _date(d.get("ks_ngay_sinh") or r.get("ngay_sinh"))
    registered = _date(r.get("ngay_dang_ky")) or ri.signed_at.astimezone(TZ).date()
    child = [
        ("Họ, chữ đệm, tên", str(d.get("ks_ho_ten") or r.get("ho_ten") or "").upper()),
        ("Ngày, tháng, năm sinh", f"{_dmy(born)}; ghi bằng chữ: {date_in_words(born)}" if born else ""),
        ("Giới tính", choice_label(ri.dossier, "ks_gioi_tinh", d.get("ks_gioi_tinh") or r.get("gioi_tinh"))),
        ("Dân tộc; quốc tịch", _pair(d.get("ks_dan_toc"), d.get("ks_quoc_tich"))),
        ("Nơi sinh", d.get("ks_noi_sinh")),
        ("Quê quán", d.get("ks_que_quan")),
        ("Số định danh cá nhân", r.get("so_dinh_danh")),
    ]
    mother = [
        ("Họ, chữ đệm, tên người mẹ", d.get("me_ho_ten")),
        ("Năm sinh", d.get("me_nam_sinh")),
        ("Dân tộc; quốc tịch", _pair(d.get("me_dan_toc"), d.get("me_quoc_tich"))),
        ("Nơi cư trú", d.get("me_noi_cu_tru")),
    ]
    father = [
        ("Họ, chữ đệm, tên người cha", d.get("cha_ho_ten")),
        ("Năm sinh", d.get("cha_nam_sinh")),
        ("Dân tộc; quốc tịch", _pair(d.get("cha_dan_toc"), d.get("cha_quoc_tich"))),
        ("Nơi cư trú", d.get("cha_noi_cu_tru")),
    ]
    registration = [
        ("Người đi đăng ký khai sinh", d.get("nyc_ho_ten") or ri.dossier.applicant_name),
        ("Quan hệ với người được khai sinh", choice_label(ri.dossier, "nyc_quan_he", d.get("nyc_quan_he"))),
        ("Nơi đăng ký khai sinh", r.get("co_quan") or ri.dossier.agency.name),
        ("Ngày, tháng, năm đăng ký", _dmy(registered)),
        ("Số trích lục", r.get("so_trich_luc")),
    ]
    flow: list[Flowable] = [pdf.p("(Bản chính)", "center"), Spacer(1, 3 * mm), _kv(child), Spacer(1, 2 * mm)]
    flow += [_kv(mother)]
    if d.get("cha_ho_ten"):
        flow += [Spacer(1, 2 * mm), _kv(father)]
    flow += [Spacer(1, 2 * mm), _kv(registration)]
    return flow


def _residence(ri: RenderInput) -> list[Flowable]:
    d, dossier = ri.dossier.data or {}, ri.dossier
    address = commune_address(d.get("dia_chi_so_nha_duong"), d.get("dia_chi_tinh"), d.get("dia_chi_xa"))
    person = [
        ("Họ, chữ đệm và tên", str(d.get("ho_ten") or "").upper()),
        ("Ngày, tháng, năm sinh", _dmy(d.get("ngay_sinh"))),
        ("Giới tính", choice_label(dossier, "gioi_tinh", d.get("gioi_tinh"))),
        ("Số định danh cá nhân", d.get("so_dinh_danh")),
    ]
    outcome = [
        ("Nội dung đề nghị", d.get("noi_dung_de_nghi")),
        ("Kết quả", "Đã đăng ký thường trú"),
        ("Nơi thường trú", address),
        ("Họ, chữ đệm và tên chủ hộ", d.get("chu_ho_ho_ten")),
        ("Số định danh cá nhân của chủ hộ", d.get("chu_ho_so_dinh_danh")),
        ("Quan hệ với chủ hộ", choice_label(dossier, "quan_he_chu_ho", d.get("quan_he_chu_ho"))),
        ("Ngày đăng ký", _dmy(ri.signed_at)),
        ("Mã hồ sơ", dossier.code),
    ]
    members = d.get("thanh_vien_cung_thay_doi") or []
    flow: list[Flowable] = [
        pdf.rich(f"<b>Kính gửi:</b> {pdf.escape(d.get('ho_ten') or dossier.applicant_name)}", "center"),
        Spacer(1, 3 * mm),
        pdf.p(
            f"{dossier.agency.name} thông báo kết quả giải quyết thủ tục đăng ký thường trú của công dân "
            f"(hồ sơ {dossier.code}) như sau:"
        ),
        Spacer(1, 2 * mm),
        _kv(person),
        Spacer(1, 3 * mm),
        _kv(outcome),
    ]
    if members:
        rows = [
            [m.get("ho_ten", ""), _dmy(m.get("ngay_sinh")), m.get("so_dinh_danh", ""), m.get("quan_he_chu_ho", "")]
            for m in members
            if isinstance(m, dict)
        ]
        flow += [
            Spacer(1, 3 * mm),
            pdf.p("Những thành viên trong hộ gia đình cùng thay đổi:", "left"),
            pdf.grid(["Họ và tên", "Ngày sinh", "Số định danh", "Quan hệ với chủ hộ"], rows, [55, 30, 40, 40]),
        ]
    flow += [
        Spacer(1, 3 * mm),
        pdf.p("Thông tin về cư trú của công dân đã được cập nhật vào Cơ sở dữ liệu về cư trú."),
    ]
    return flow


def _investment_prepare(dossier: Any, result: dict) -> dict:
    """The project code (10 digits: province, year, serial). In production the National Investment Information
    System gives it; here the Board's own yearly counter stands in, and it is kept with the dossier's result so a
    replacement certificate carries the same code."""
    if result.get("ma_so_du_an"):
        return {}
    from motcua.linked.results import next_number

    year = dt.datetime.now(TZ).year
    serial = next_number(dossier.agency_id, "MSDA", year)
    province = f"{int(dossier.agency.province_code or 0):02d}"
    return {"ma_so_du_an": f"{province}{year % 100:02d}{serial:06d}"}


def _investment(ri: RenderInput) -> list[Flowable]:
    d, dossier, r = ri.dossier.data or {}, ri.dossier, ri.result
    code = r.get("ma_so_du_an", "")
    submitted = _dmy(dossier.submitted_at) if dossier.submitted_at else ""
    site = commune_address(d.get("dia_diem_so_nha_duong"), d.get("dia_diem_tinh"), d.get("dia_diem_xa"))
    investor_id = d.get("ma_so_thue") if d.get("loai_nha_dau_tu") == "to_chuc" else d.get("so_dinh_danh")
    id_label = "Mã số doanh nghiệp" if d.get("loai_nha_dau_tu") == "to_chuc" else "Số định danh cá nhân"
    total = d.get("von_dau_tu")
    own = d.get("von_gop")
    flow: list[Flowable] = [
        pdf.rich(f"<b>Mã số dự án: {pdf.escape(code)}</b>", "center"),
        pdf.p(f"Chứng nhận lần đầu: {pdf.vn_date(ri.signed_at)}", "center"),
        Spacer(1, 3 * mm),
        pdf.p("Căn cứ Luật Đầu tư số 61/2020/QH14 ngày 17 tháng 6 năm 2020;"),
        pdf.p("Căn cứ các văn bản quy định chi tiết và hướng dẫn thi hành Luật Đầu tư;"),
        pdf.p(
            f"Căn cứ hồ sơ đề nghị cấp Giấy chứng nhận đăng ký đầu tư do {d.get('ten_nha_dau_tu', '')} nộp"
            + (f" ngày {submitted}" if submitted else "")
            + f", mã hồ sơ {dossier.code};"
        ),
        Spacer(1, 2 * mm),
        pdf.rich(f"<b>{pdf.escape(dossier.agency.name.upper())}</b>", "center"),
        pdf.rich("<b>Chứng nhận:</b>", "center"),
        Spacer(1, 2 * mm),
        _kv(
            [
                ("Nhà đầu tư", d.get("ten_nha_dau_tu")),
                (id_label, investor_id),
                ("Địa chỉ", d.get("dia_chi_nha_dau_tu")),
                ("Điện thoại / thư điện tử", " / ".join(x for x in (d.get("dien_thoai"), d.get("email")) if x)),
            ]
        ),
        Spacer(1, 2 * mm),
        pdf.p("Đăng ký thực hiện dự án đầu tư với nội dung như sau:", "left"),
        pdf.rich("<b>Điều 1. Nội dung dự án đầu tư</b>", "left"),
        _kv(
            [
                ("1. Tên dự án", d.get("ten_du_an")),
                ("2. Mục tiêu", d.get("muc_tieu")),
                ("3. Quy mô", d.get("quy_mo")),
                ("4. Địa điểm thực hiện", site),
                (
                    "5. Diện tích đất sử dụng",
                    f"{int(d['nhu_cau_su_dung_dat']):,} m²".replace(",", ".") if d.get("nhu_cau_su_dung_dat") else "",
                ),
                ("6. Tổng vốn đầu tư", pdf.vnd(total) if total else ""),
                ("    trong đó vốn góp của nhà đầu tư", pdf.vnd(own) if own else ""),
                (
                    "7. Thời hạn hoạt động",
                    f"{d['thoi_han_hoat_dong']} năm kể từ ngày được cấp Giấy chứng nhận"
                    if d.get("thoi_han_hoat_dong")
                    else "",
                ),
                ("8. Tiến độ thực hiện", d.get("tien_do")),
            ]
        ),
        Spacer(1, 2 * mm),
        pdf.rich("<b>Điều 2. Ưu đãi, hỗ trợ đầu tư</b>", "left"),
        pdf.p("Nhà đầu tư được hưởng ưu đãi, hỗ trợ đầu tư theo quy định của pháp luật hiện hành."),
        pdf.rich("<b>Điều 3. Hiệu lực</b>", "left"),
        pdf.p(
            "Giấy chứng nhận đăng ký đầu tư này là bản điện tử có chữ ký số của cơ quan đăng ký đầu tư, có giá trị "
            "pháp lý như bản giấy; có hiệu lực kể từ ngày ký."
        ),
    ]
    if d.get("so_quyet_dinh_chap_thuan"):
        flow.insert(
            5,
            pdf.p(
                f"Căn cứ Quyết định chấp thuận số {d['so_quyet_dinh_chap_thuan']}"
                + (f" ngày {_dmy(d.get('ngay_quyet_dinh_chap_thuan'))}" if d.get("ngay_quyet_dinh_chap_thuan") else "")
                + ";"
            ),
        )
    return flow


RESULT_LABELS = {
    "so_trich_luc": "Số trích lục",
    "so_dinh_danh": "Số định danh cá nhân",
    "ho_ten": "Họ, chữ đệm, tên",
    "ngay_sinh": "Ngày sinh",
    "ngay_chet": "Ngày chết",
    "ngay_dang_ky": "Ngày đăng ký",
    "so_van_ban": "Số văn bản",
    "ngay_ky": "Ngày ký",
    "ma_so_du_an": "Mã số dự án",
    "so_thong_bao": "Số thông báo",
}
_HIDDEN_RESULT_KEYS = {"co_quan", "gioi_tinh", "ma_ho_so"}


def _generic(ri: RenderInput) -> list[Flowable]:
    dossier, r = ri.dossier, ri.result
    facts = [
        ("Thủ tục", f"{dossier.procedure.name} (mã {dossier.procedure.code})"),
        ("Mã hồ sơ", dossier.code),
        ("Người nộp hồ sơ", dossier.applicant_name),
        ("Tổ chức", dossier.enterprise_name),
        ("Ngày tiếp nhận", _dmy(dossier.accepted_at) if dossier.accepted_at else ""),
        ("Ngày có kết quả", _dmy(dossier.result_ready_at or ri.signed_at)),
    ]
    outcome = [
        (RESULT_LABELS.get(k, k), _dmy(v) if k.startswith("ngay_") else v)
        for k, v in r.items()
        if k not in _HIDDEN_RESULT_KEYS and isinstance(v, (str, int)) and v != ""
    ]
    flow: list[Flowable] = [
        pdf.p(f"{dossier.agency.name} thông báo kết quả giải quyết thủ tục hành chính như sau:"),
        Spacer(1, 2 * mm),
        _kv(facts),
        Spacer(1, 3 * mm),
        pdf.rich("<b>Kết quả:</b> Hồ sơ đã được giải quyết.", "left"),
    ]
    if outcome:
        flow += [Spacer(1, 2 * mm), _kv(outcome)]
    return flow


GENERIC = ResultTemplate(
    code="ket_qua_chung",
    version=1,
    title="Kết quả giải quyết thủ tục hành chính",
    body=_generic,
    signer_role="Thủ trưởng cơ quan",
)
TEMPLATES: list[ResultTemplate] = [
    ResultTemplate(
        code="trich_luc_khai_sinh",
        version=1,
        procedure="1.001193",
        title="Trích lục khai sinh",
        body=_birth,
        signer_role="Người ký trích lục",
    ),
    ResultTemplate(
        code="thong_bao_cu_tru",
        version=1,
        procedure="1.004222",
        title="Thông báo kết quả giải quyết thủ tục về cư trú",
        body=_residence,
        signer_role="Thủ trưởng cơ quan đăng ký cư trú",
    ),
    ResultTemplate(
        code="gcn_dang_ky_dau_tu",
        version=1,
        procedure="1.009664",
        title="Giấy chứng nhận đăng ký đầu tư",
        body=_investment,
        signer_role="Trưởng ban",
        prepare=_investment_prepare,
    ),
]


def choose(procedure_code: str, version_number: int) -> ResultTemplate:
    """The template for this procedure and version: the one with the highest `since_version` not above the
    version number; the generic one when the procedure has none (or only for later versions)."""
    fitting = [
        t for t in TEMPLATES if t.procedure == procedure_code and t.since_version <= max(int(version_number or 1), 1)
    ]
    return max(fitting, key=lambda t: t.since_version) if fitting else GENERIC


# --- the page ----------------------------------------------------------------------------------------------


def _signature_cell(template: ResultTemplate, ri: RenderInput, where: dict) -> list[Flowable]:
    local = ri.signed_at.astimezone(TZ)
    lines = [
        "Đã ký số",
        f"Ký bởi: {ri.signer_name}"[:70],
        f"Thời gian ký: {local:%H:%M:%S} ngày {local:%d/%m/%Y}",
    ]
    cell: list[Flowable] = [
        pdf.p(template.signer_role.upper(), "center_bold"),
        Paragraph("<i>(Chữ ký số của cơ quan)</i>", pdf.styles()["center"]),
        Spacer(1, 2 * mm),
        SignatureSlot(lines, where),
        Spacer(1, 2 * mm),
    ]
    if ri.approver:
        cell.append(pdf.p(ri.approver, "center_bold"))
    return cell


def _qr_cell(ri: RenderInput) -> list[Flowable]:
    small = "small"
    return [
        QrCode(ri.verify_url),
        Spacer(1, 1.5 * mm),
        pdf.rich(f"<b>Mã kết quả điện tử:</b> {pdf.escape(ri.number)}", small),
        pdf.p("Quét mã QR hoặc truy cập địa chỉ sau để xác minh:", small),
        pdf.p(ri.verify_url, small),
    ]


def render(template: ResultTemplate, ri: RenderInput) -> tuple[bytes, SignatureBox]:
    """The unsigned PDF and where its signature field goes."""
    dossier = ri.dossier
    agency = dossier.agency
    parent = agency.parent.name if agency.parent_id else ""
    where: dict = {}
    body = template.body(ri)
    footer = Table(
        [[_qr_cell(ri), _signature_cell(template, ri, where)]],
        colWidths=[70 * mm, 95 * mm],
    )
    footer.setStyle(
        TableStyle(
            [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)],
        )
    )
    flow: list[Flowable] = [
        pdf.header(
            parent=parent,
            agency=agency.name,
            number=f"Số: {ri.doc_number}" if ri.doc_number else "",
            place=place_name(agency),
            on=ri.signed_at,
        ),
        Spacer(1, 6 * mm),
        pdf.p(template.title.upper(), "title"),
        Spacer(1, 2 * mm),
        *body[:-2],
        # The signature block never stands alone on a page: the last lines of the content go with it.
        KeepTogether([*body[-2:], Spacer(1, 5 * mm), footer]),
    ]
    data = pdf.build(
        flow,
        title=f"{template.title} {ri.number}",
        author=agency.name,
        subject=f"Kết quả điện tử {ri.number}; xác minh: {ri.verify_url}",
    )
    if "box" not in where:  # the slot is always drawn; this guards a future layout change
        raise RuntimeError("Không xác định được vị trí chữ ký trên văn bản.")
    return data, SignatureBox(page=where["page"], box=where["box"])
