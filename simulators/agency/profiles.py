"""What each simulated agency does with a message: accepted kinds, required fields, and the domain result.

Pure functions plus one small piece of state (`Books`: counters, personal IDs issued, the portal's dossier
statuses), so the rules can be unit-tested without a server. The server (`simulators/agency/server.py`) only
asks a `Profile` to check a payload (`Refused` carries the reasons) and to build the result.

Field names are Vietnamese snake_case, dates ISO `YYYY-MM-DD`, money an integer number of đồng.
"""

from __future__ import annotations

import calendar
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from vietnam_provinces import Province, VietNamDivisionType, Ward

from motcua.core.identifiers import PROVINCE_BIRTH_CODES, century_gender_digit

# Luật Bảo hiểm xã hội 2024, Điều 66: trợ cấp mai táng = 10 lần mức tham chiếu (Nghị định 73/2024/NĐ-CP: 2.340.000 đ).
REFERENCE_AMOUNT = 2_340_000
FUNERAL_ALLOWANCE = 10 * REFERENCE_AMOUNT
# Nghị định 76/2024/NĐ-CP: mức chuẩn trợ giúp xã hội 500.000 đ; hỗ trợ chi phí mai táng = 20 lần mức chuẩn.
SOCIAL_ASSISTANCE_STANDARD = 500_000
FUNERAL_SUPPORT = 20 * SOCIAL_ASSISTANCE_STANDARD
DEFAULT_BIRTH_PROVINCE = "022"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

LABELS = {
    "ho_ten": "họ, chữ đệm và tên",
    "ngay_sinh": "ngày, tháng, năm sinh",
    "gioi_tinh": "giới tính",
    "so_dinh_danh": "số định danh cá nhân",
    "dia_chi_tinh": "tỉnh, thành phố nơi đăng ký thường trú",
    "dia_chi_xa": "xã, phường nơi đăng ký thường trú",
    "ngay_chet": "ngày chết",
    "nguoi_nhan_ho_ten": "họ, chữ đệm và tên người nhận trợ cấp",
    "nguoi_nhan_so_dinh_danh": "số định danh cá nhân của người nhận trợ cấp",
    "ks_ho_ten": "họ, chữ đệm và tên người được khai sinh",
    "ks_ngay_sinh": "ngày, tháng, năm sinh của người được khai sinh",
    "ks_gioi_tinh": "giới tính của người được khai sinh",
    "kt_ho_ten": "họ, chữ đệm và tên người chết",
    "kt_ngay_chet": "ngày chết",
    "ma_ho_so": "mã hồ sơ",
    "trang_thai": "trạng thái hồ sơ",
    "seq": "số thứ tự cập nhật trạng thái",
}
REMOVAL_REASONS = {"chet": "Người đăng ký thường trú đã chết"}


class Refused(ValueError):
    """The agency refuses the message; `reasons` are `{"code", "message"}` items for the 422 answer."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.reasons = [{"code": code, "message": message}]


# --- state kept between messages -------------------------------------------------------------------------------
@dataclass
class Books:
    """What a simulated agency remembers: number series, personal IDs issued, the portal's latest statuses."""

    counters: dict[str, int] = field(default_factory=dict)
    issued_ids: set[str] = field(default_factory=set)
    dossiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def next_number(self, series: str) -> int:
        with self.lock:
            self.counters[series] = self.counters.get(series, 0) + 1
            return self.counters[series]

    def issue_personal_id(self, prefix: str) -> str:
        """`prefix` (6 digits: province, century/gender, year) + 6 random digits never issued by this agency."""
        with self.lock:
            while True:
                pid = f"{prefix}{secrets.randbelow(1_000_000):06d}"
                if pid not in self.issued_ids:
                    self.issued_ids.add(pid)
                    return pid

    def keep_status(self, ma_ho_so: str, trang_thai: str, seq: int) -> dict[str, Any]:
        """Keep the status with the highest seq (a late, older update never overwrites a newer one)."""
        with self.lock:
            kept = self.dossiers.get(ma_ho_so)
            if kept is None or seq > kept["seq"]:
                kept = self.dossiers[ma_ho_so] = {"trang_thai": trang_thai, "seq": seq}
            return dict(kept)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {code: dict(kept) for code, kept in self.dossiers.items()}


# --- rules -----------------------------------------------------------------------------------------------------
def add_months(day: date, months: int) -> date:
    """`day` plus whole months; a day the target month lacks becomes its last day (Bộ luật Dân sự 2015, Điều 148)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def child_card_valid_until(birth: date) -> date:
    """Last day of a child's health-insurance card (Luật Bảo hiểm y tế, Điều 16).

    Valid until the day before the child is 72 months old; when that 6th birthday falls on or before 30 September,
    until 30 September of that year (the school year has not started). Born 29 February: 72 months end on
    28 February (no 29th in the target year).
    """
    sixth = add_months(birth, 72)
    september_30 = date(sixth.year, 9, 30)
    return september_30 if sixth <= september_30 else sixth - timedelta(days=1)


def gender_of(value: Any) -> str:
    """'nam' or 'nu' (the platform's codes) from 'Nam' / 'Nữ' / 'nam' / 'nu'."""
    text = str(value or "").strip().casefold()
    if text == "nam":
        return "nam"
    if text in ("nữ", "nu"):
        return "nu"
    raise Refused("sai_dinh_dang", f"Giới tính phải là «Nam» hoặc «Nữ», không phải «{value}».")


def birth_province_code(value: Any) -> str:
    """3-digit province-of-birth code of a personal ID ('22' = '022'); DEFAULT_BIRTH_PROVINCE when empty."""
    text = str(value if value is not None else "").strip()
    if not text:
        return DEFAULT_BIRTH_PROVINCE
    code = text.zfill(3) if text.isascii() and text.isdigit() else text
    if code not in PROVINCE_BIRTH_CODES:
        raise Refused("sai_dinh_dang", f"Mã tỉnh «{text}» không có trong danh mục mã tỉnh nơi đăng ký khai sinh.")
    return code


def new_personal_id(books: Books, *, birth: date, gender: str, province: str = DEFAULT_BIRTH_PROVINCE) -> str:
    """A new 12-digit personal ID: province (3) + century/gender (1) + birth year (2) + 6 digits unique in `books`."""
    try:
        digit = century_gender_digit(birth.year, gender)
    except ValueError as exc:
        raise Refused("sai_dinh_dang", str(exc)) from exc
    return books.issue_personal_id(f"{province}{digit}{birth.year % 100:02d}")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def commune_label(value: Any) -> str:
    """'phường Hạ Long' from a commune code ('06688') or name ('Phường Hạ Long'); 'xã/phường X' from a bare 'X'."""
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        try:
            return _lower_first(Ward.from_code(int(text)).name)
        except ValueError:
            raise Refused("dia_chi_khong_hop_le", f"Mã xã, phường «{text}» không tồn tại.") from None
    if text.casefold().startswith(("xã ", "phường ", "đặc khu ", "thị trấn ")):
        return _lower_first(text)
    return f"xã/phường {text}"


def province_label(value: Any) -> str:
    """'tỉnh Quảng Ninh' from a province code ('22') or name; 'thành phố Hà Nội' for a centrally-run city."""
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        try:
            province = Province.from_code(int(text))
        except ValueError:
            raise Refused("dia_chi_khong_hop_le", f"Mã tỉnh, thành phố «{text}» không tồn tại.") from None
        if province.division_type == VietNamDivisionType.TINH:
            return f"tỉnh {province.name}"
        return _lower_first(province.name)
    if text.casefold().startswith(("tỉnh ", "thành phố ", "tp ", "tp. ")):
        return _lower_first(text)
    return f"tỉnh {text}"


def residence_address(so_nha_duong: Any, xa: Any, tinh: Any) -> str:
    """'<house, street>, <commune>, <province>' with codes resolved; a coded commune must be in the coded province."""
    xa_text, tinh_text = str(xa).strip(), str(tinh).strip()
    if xa_text.isdigit() and tinh_text.isdigit():
        try:
            ward = Ward.from_code(int(xa_text))
        except ValueError:
            ward = None
        if ward is not None and int(ward.province_code) != int(tinh_text):
            raise Refused("dia_chi_khong_hop_le", f"Xã, phường «{xa_text}» không thuộc tỉnh, thành phố «{tinh_text}».")
    parts = [str(so_nha_duong).strip()] if so_nha_duong and str(so_nha_duong).strip() else []
    return ", ".join([*parts, commune_label(xa), province_label(tinh)])


def _token() -> str:
    return secrets.token_hex(3).upper()


# --- builders: (payload, books, today) -> result -----------------------------------------------------------------
def residence_register(p: dict, books: Books, today: date) -> dict:
    address = residence_address(p.get("dia_chi_so_nha_duong"), p["dia_chi_xa"], p["dia_chi_tinh"])
    return {
        "so_thong_bao": f"TB-CT-{_token()}",
        "so_dinh_danh": p["so_dinh_danh"],
        "ho_ten": p["ho_ten"],
        "dia_chi_thuong_tru": address,
        "ngay_dang_ky": today.isoformat(),
        "co_quan": f"Công an {commune_label(p['dia_chi_xa'])}",
    }


def residence_remove(p: dict, books: Books, today: date) -> dict:
    reason = str(p.get("ly_do") or "").strip()
    return {
        "so_thong_bao": f"TB-XTT-{_token()}",
        "so_dinh_danh": p["so_dinh_danh"],
        "ho_ten": p["ho_ten"],
        "ngay_xoa": today.isoformat(),
        "ly_do": REMOVAL_REASONS.get(reason, reason) or REMOVAL_REASONS["chet"],
    }


def child_health_card(p: dict, books: Books, today: date) -> dict:
    birth = date.fromisoformat(p["ngay_sinh"])
    return {
        "ma_the": p["so_dinh_danh"],  # since 1 August 2025 the personal ID is the card number
        "ho_ten": p["ho_ten"],
        "ngay_sinh": birth.isoformat(),
        "gia_tri_tu": birth.isoformat(),
        "gia_tri_den": child_card_valid_until(birth).isoformat(),
        "noi_kcb_ban_dau": str(p.get("noi_kcb_ban_dau") or "").strip() or "Trạm y tế xã/phường",
        "doi_tuong": "Trẻ em dưới 6 tuổi",
    }


def funeral_allowance(p: dict, books: Books, today: date) -> dict:
    return {
        "so_quyet_dinh": f"QĐ-MT-{_token()}",
        "so_tien": FUNERAL_ALLOWANCE,
        "can_cu": "Trợ cấp mai táng bằng 10 lần mức tham chiếu (2.340.000 đồng) — Luật Bảo hiểm xã hội 2024",
        "nguoi_nhan_ho_ten": p["nguoi_nhan_ho_ten"],
        "ngay_quyet_dinh": today.isoformat(),
    }


def funeral_support(p: dict, books: Books, today: date) -> dict:
    return {
        "so_quyet_dinh": f"QĐ-HTMT-{_token()}",
        "so_tien": FUNERAL_SUPPORT,
        "can_cu": (
            "Hỗ trợ chi phí mai táng bằng 20 lần mức chuẩn trợ giúp xã hội (500.000 đồng) — Nghị định 76/2024/NĐ-CP"
        ),
        "nguoi_nhan_ho_ten": p["nguoi_nhan_ho_ten"],
        "ngay_quyet_dinh": today.isoformat(),
    }


def birth_register(p: dict, books: Books, today: date) -> dict:
    birth = date.fromisoformat(p["ks_ngay_sinh"])
    gender = gender_of(p["ks_gioi_tinh"])
    province = birth_province_code(p.get("ma_tinh"))
    pid = new_personal_id(books, birth=birth, gender=gender, province=province)
    number = books.next_number(f"TLKS/{today.year}")
    return {
        "so_trich_luc": f"{number}/{today.year}/TLKS",
        "so_dinh_danh": pid,
        "ho_ten": p["ks_ho_ten"],
        "ngay_sinh": birth.isoformat(),
        "gioi_tinh": p["ks_gioi_tinh"],
        "ngay_dang_ky": today.isoformat(),
    }


def death_register(p: dict, books: Books, today: date) -> dict:
    number = books.next_number(f"TLKT/{today.year}")
    return {
        "so_trich_luc": f"{number}/{today.year}/TLKT",
        "ho_ten": p["kt_ho_ten"],
        "ngay_chet": date.fromisoformat(p["kt_ngay_chet"]).isoformat(),
        "ngay_dang_ky": today.isoformat(),
    }


def _seq(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    raise Refused("sai_dinh_dang", f"Số thứ tự cập nhật (seq) phải là số nguyên, không phải «{value}».")


def dossier_status(p: dict, books: Books, today: date) -> dict:
    kept = books.keep_status(str(p["ma_ho_so"]), p["trang_thai"], _seq(p["seq"]))
    return {"ma_ho_so": p["ma_ho_so"], "trang_thai_da_luu": kept["trang_thai"], "seq_da_luu": kept["seq"]}


# --- kinds and profiles ----------------------------------------------------------------------------------------
Builder = Callable[[dict, Books, date], dict]


@dataclass(frozen=True)
class KindSpec:
    required: tuple[str, ...]
    build: Builder
    optional: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()  # fields that must be ISO dates when present
    checks: tuple[Callable[[dict], Any], ...] = ()  # pure checks of values, raising Refused


def iso_date(value: Any, name: str) -> date:
    """A strict `YYYY-MM-DD` date, else Refused naming the field."""
    text = str(value).strip()
    try:
        if not ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise Refused("sai_dinh_dang", f"Trường {name} phải là ngày dạng YYYY-MM-DD, không phải «{value}».") from None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing_fields(payload: Mapping[str, Any], required: tuple[str, ...]) -> list[str]:
    return [name for name in required if _blank(payload.get(name))]


def check_payload(spec: KindSpec, payload: Any) -> None:
    """Raise Refused unless the payload has every required field, well-formed dates and valid values."""
    if not isinstance(payload, dict):
        raise Refused("sai_dinh_dang", "Nội dung thông điệp (payload) phải là một đối tượng JSON.")
    missing = missing_fields(payload, spec.required)
    if missing:
        named = "; ".join(f"{LABELS.get(name, name)} ({name})" for name in missing)
        raise Refused("thieu_thong_tin", f"Thiếu thông tin bắt buộc: {named}.")
    for name in spec.dates:
        value = payload.get(name)
        if _blank(value):
            continue
        iso_date(value, name)
    for check in spec.checks:
        check(payload)


@dataclass(frozen=True)
class Profile:
    key: str
    code: str  # what it signs as (X-Motcua-Sender)
    name: str
    ticket_prefix: str
    default_port: int
    kinds: Mapping[str, KindSpec]
    reject_reason: dict[str, str]  # the reason of "reject" mode

    def spec(self, kind: Any) -> KindSpec:
        spec = self.kinds.get(kind) if isinstance(kind, str) else None
        if spec is None:
            supported = ", ".join(self.kinds)
            message = f"{self.name} không xử lý loại thông điệp «{kind}» (chỉ nhận: {supported})."
            raise Refused("loai_khong_ho_tro", message)
        return spec

    def check(self, kind: Any, payload: Any) -> KindSpec:
        """The kind's spec if this agency takes the message, else Refused (unknown kind, missing or bad fields)."""
        spec = self.spec(kind)
        check_payload(spec, payload)
        return spec

    def build(self, kind: str, payload: dict, books: Books, today: date | None = None) -> dict:
        """Check, then apply the message: the domain result (may raise Refused)."""
        return self.check(kind, payload).build(payload, books, today or date.today())


_RESIDENCE_OPTIONAL = (
    "gioi_tinh",
    "so_trich_luc_khai_sinh",
    "chu_ho_ho_ten",
    "chu_ho_so_dinh_danh",
    "quan_he_chu_ho",
    "dia_chi_so_nha_duong",
    "nguoi_yeu_cau_so_dinh_danh",
)
_FUNERAL_REQUIRED = ("ho_ten", "so_dinh_danh", "ngay_chet", "nguoi_nhan_ho_ten", "nguoi_nhan_so_dinh_danh")


def _check_address(p: dict) -> None:
    residence_address(p.get("dia_chi_so_nha_duong"), p["dia_chi_xa"], p["dia_chi_tinh"])


def _check_birth(p: dict) -> None:
    gender = gender_of(p["ks_gioi_tinh"])
    birth_province_code(p.get("ma_tinh"))
    try:
        century_gender_digit(iso_date(p["ks_ngay_sinh"], "ks_ngay_sinh").year, gender)
    except ValueError as exc:
        if isinstance(exc, Refused):
            raise
        raise Refused("sai_dinh_dang", str(exc)) from exc


def _check_seq(p: dict) -> None:
    _seq(p["seq"])


PROFILES: dict[str, Profile] = {
    "police": Profile(
        key="police",
        code="cong-an",
        name="Công an tỉnh (mô phỏng) — Cơ sở dữ liệu về cư trú",
        ticket_prefix="CA",
        default_port=9103,
        kinds={
            "residence.register": KindSpec(
                required=("ho_ten", "ngay_sinh", "so_dinh_danh", "dia_chi_tinh", "dia_chi_xa"),
                optional=_RESIDENCE_OPTIONAL,
                dates=("ngay_sinh",),
                checks=(_check_address,),
                build=residence_register,
            ),
            "residence.remove": KindSpec(
                required=("ho_ten", "so_dinh_danh", "ngay_chet"),
                optional=("ly_do", "ngay_sinh", "gioi_tinh", "so_trich_luc_khai_tu"),
                dates=("ngay_chet",),
                build=residence_remove,
            ),
        },
        reject_reason={"code": "dia_chi_khong_hop_le", "message": "Địa chỉ đăng ký không có trong dữ liệu cư trú."},
    ),
    "social_insurance": Profile(
        key="social_insurance",
        code="bhxh",
        name="Bảo hiểm xã hội (mô phỏng)",
        ticket_prefix="BHXH",
        default_port=9104,
        kinds={
            "health_insurance.child_card": KindSpec(
                required=("ho_ten", "ngay_sinh", "so_dinh_danh"),
                optional=("gioi_tinh", "so_trich_luc_khai_sinh", "noi_kcb_ban_dau", "dia_chi_xa"),
                dates=("ngay_sinh",),
                build=child_health_card,
            ),
            "social_insurance.funeral_allowance": KindSpec(
                required=_FUNERAL_REQUIRED,
                optional=("so_trich_luc_khai_tu", "nguoi_nhan_quan_he", "so_tai_khoan", "ngan_hang"),
                dates=("ngay_chet",),
                build=funeral_allowance,
            ),
        },
        reject_reason={
            "code": "khong_du_dieu_kien",
            "message": "Không đủ điều kiện hưởng theo dữ liệu của cơ quan bảo hiểm xã hội.",
        },
    ),
    "social_assistance": Profile(
        key="social_assistance",
        code="tro-giup-xa-hoi",
        name="Cơ quan trợ giúp xã hội (mô phỏng)",
        ticket_prefix="TGXH",
        default_port=9105,
        kinds={
            "social_assistance.funeral_support": KindSpec(
                required=_FUNERAL_REQUIRED,
                optional=("so_trich_luc_khai_tu", "nguoi_nhan_quan_he", "so_tai_khoan", "ngan_hang"),
                dates=("ngay_chet",),
                build=funeral_support,
            ),
        },
        reject_reason={
            "code": "khong_thuoc_doi_tuong",
            "message": "Người đã chết không thuộc đối tượng được hỗ trợ chi phí mai táng.",
        },
    ),
    "civil_status": Profile(
        key="civil_status",
        code="ho-tich",
        name="Cơ sở dữ liệu hộ tịch điện tử — Bộ Tư pháp (mô phỏng)",
        ticket_prefix="HT",
        default_port=9106,
        kinds={
            "civil_status.birth.register": KindSpec(
                required=("ks_ho_ten", "ks_ngay_sinh", "ks_gioi_tinh"),
                optional=("ma_tinh",),
                dates=("ks_ngay_sinh",),
                checks=(_check_birth,),
                build=birth_register,
            ),
            "civil_status.death.register": KindSpec(
                required=("kt_ho_ten", "kt_ngay_chet"), dates=("kt_ngay_chet",), build=death_register
            ),
        },
        reject_reason={"code": "trung_dang_ky", "message": "Sự kiện hộ tịch này đã được đăng ký trước đó."},
    ),
    "portal": Profile(
        key="portal",
        code="dvcqg",
        name="Cổng Dịch vụ công quốc gia (mô phỏng)",
        ticket_prefix="DVC",
        default_port=9107,
        kinds={
            "portal.dossier_status": KindSpec(
                required=("ma_ho_so", "trang_thai", "seq"), checks=(_check_seq,), build=dossier_status
            ),
        },
        reject_reason={
            "code": "ma_ho_so_khong_hop_le",
            "message": "Mã hồ sơ không đúng cấu trúc của Cổng Dịch vụ công quốc gia.",
        },
    ),
}


def get_profile(name: str) -> Profile:
    """A profile by its key ('police') or its agency code ('cong-an')."""
    found = PROFILES.get(name) or next((p for p in PROFILES.values() if p.code == name), None)
    if found is None:
        raise ValueError(f"Không có hồ sơ cơ quan «{name}» (có: {', '.join(PROFILES)}).")
    return found
