"""Vietnamese identifiers: personal ID numbers (số định danh cá nhân) and enterprise tax codes.

Pure functions, no Django: the platform, the simulators and the tests all need the same rules.
A personal ID number has no check digit, so "valid" means well formed and consistent with what the person
states (birth date, gender). A tax code has an official check digit.
"""

from __future__ import annotations

from datetime import date

# Province of birth registration, as coded in personal ID numbers (Circular 59/2021/TT-BCA, the 63 pre-2025
# provinces). These codes stay in the numbers for life even though the provinces were merged in 2025.
PROVINCE_BIRTH_CODES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hoà Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hoá",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hoà",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa – Vũng Tàu",
    "079": "TP Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}

GENDERS = ("nam", "nu")
_FIRST_CENTURY = 1900  # digit 0/1 = 1900s, 2/3 = 2000s, ... 8/9 = 2300s
_LAST_CENTURY = 2300

TAX_CODE_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def _check_gender(gender: str) -> None:
    if gender not in GENDERS:
        raise ValueError(f"Giới tính phải là 'nam' hoặc 'nu', không phải {gender!r}.")


def century_gender_digit(birth_year: int, gender: str) -> int:
    """The 4th digit of a personal ID number: it encodes both the century of birth and the gender."""
    _check_gender(gender)
    century = birth_year // 100 * 100
    if not _FIRST_CENTURY <= century <= _LAST_CENTURY:
        raise ValueError(f"Năm sinh {birth_year} nằm ngoài khoảng mà số định danh cá nhân mã hoá được (1900–2399).")
    return (century - _FIRST_CENTURY) // 100 * 2 + (0 if gender == "nam" else 1)


def personal_id_facts(pid: str) -> tuple[str, int, str, int]:
    """(province code, first year of the birth century, gender, 2-digit birth year) read from a well-formed number."""
    if not isinstance(pid, str) or len(pid) != 12 or not pid.isascii() or not pid.isdigit():
        raise ValueError("Số định danh cá nhân phải gồm đúng 12 chữ số.")
    province = pid[:3]
    if province not in PROVINCE_BIRTH_CODES:
        raise ValueError(f"Mã tỉnh nơi đăng ký khai sinh «{province}» trong số định danh cá nhân không tồn tại.")
    digit = int(pid[3])
    century_start = _FIRST_CENTURY + digit // 2 * 100
    gender = GENDERS[digit % 2]
    return province, century_start, gender, int(pid[4:6])


def validate_personal_id(pid: str, *, birth_date: date | None = None, gender: str | None = None) -> None:
    """Raise ValueError (Vietnamese message) unless `pid` is well formed and agrees with the stated facts."""
    _province, century_start, id_gender, two_digit_year = personal_id_facts(pid)
    if century_start + two_digit_year > date.today().year:
        raise ValueError(
            f"Năm sinh suy ra từ số định danh cá nhân ({century_start + two_digit_year}) ở tương lai: "
            "chữ số thế kỷ/giới tính hoặc năm sinh bị nhập sai."
        )
    if gender is not None:
        _check_gender(gender)
        if gender != id_gender:
            raise ValueError("Chữ số thứ 4 của số định danh cá nhân không khớp với giới tính đã khai.")
    if birth_date is not None:
        if birth_date.year // 100 * 100 != century_start:
            raise ValueError("Chữ số thứ 4 của số định danh cá nhân không khớp với thế kỷ của năm sinh đã khai.")
        if birth_date.year % 100 != two_digit_year:
            raise ValueError("Chữ số thứ 5–6 của số định danh cá nhân không khớp với năm sinh đã khai.")


def is_valid_personal_id(pid: str) -> bool:
    """Structural check only (no stated facts to compare with)."""
    try:
        validate_personal_id(pid)
    except ValueError:
        return False
    return True


def tax_code_check_digit(first_nine: str) -> int | None:
    """The 10th digit of an enterprise tax code, or None when no digit can make the first nine valid."""
    if len(first_nine) != 9 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError("Cần đúng 9 chữ số đầu của mã số thuế.")
    check = 10 - sum(int(d) * w for d, w in zip(first_nine, TAX_CODE_WEIGHTS, strict=True)) % 11
    return None if check == 10 else check


def validate_tax_code(code: str) -> None:
    """Raise ValueError unless `code` is a 10-digit tax code with a correct check digit, or a branch code.

    Branch (unit) codes are the parent's 10 digits plus a 3-digit sequence 001–999, written "NNNNNNNNNN-NNN"
    (the usual form) or as 13 digits without the hyphen (older documents).
    """
    if not isinstance(code, str):
        raise ValueError("Mã số thuế phải là một chuỗi chữ số.")
    if len(code) == 14 and code[10] == "-":
        parent, branch = code[:10], code[11:]
    elif len(code) == 13:
        parent, branch = code[:10], code[10:]
    elif len(code) == 10:
        parent, branch = code, None
    else:
        raise ValueError("Mã số thuế phải gồm 10 chữ số, hoặc 10 chữ số, gạch ngang và 3 chữ số (đơn vị phụ thuộc).")
    if not (parent.isascii() and parent.isdigit()):
        raise ValueError("Mã số thuế chỉ gồm chữ số.")
    if branch is not None and not (branch.isascii() and branch.isdigit() and branch != "000"):
        raise ValueError("Ba chữ số cuối của mã số thuế đơn vị phụ thuộc phải từ 001 đến 999.")
    expected = tax_code_check_digit(parent[:9])
    if expected is None or int(parent[9]) != expected:
        raise ValueError("Mã số thuế sai chữ số kiểm tra (chữ số thứ 10).")


def is_valid_tax_code(code: str) -> bool:
    try:
        validate_tax_code(code)
    except ValueError:
        return False
    return True
