"""How a linked request's results read for people: the agencies' result keys as Vietnamese labels, values in the
formats a citizen expects (dates dd/mm/yyyy, money in đồng with thousands dots). Used by the portal and the
back office; unknown keys are still shown, under their own name, never hidden."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

# In the order a result reads best: what it is, who it is for, the details, then who issued it and when.
RESULT_LABELS = {
    "so_trich_luc": _("Số trích lục"),
    "so_thong_bao": _("Số thông báo"),
    "so_quyet_dinh": _("Số quyết định"),
    "so_van_ban": _("Số văn bản"),
    "ma_the": _("Mã thẻ BHYT"),
    "ho_ten": _("Họ và tên"),
    "so_dinh_danh": _("Số định danh cá nhân"),
    "ngay_sinh": _("Ngày sinh"),
    "gioi_tinh": _("Giới tính"),
    "ngay_chet": _("Ngày chết"),
    "dia_chi_thuong_tru": _("Nơi thường trú"),
    "ngay_xoa": _("Ngày xóa đăng ký thường trú"),
    "ly_do": _("Lý do"),
    "doi_tuong": _("Đối tượng"),
    "gia_tri_tu": _("Giá trị sử dụng từ"),
    "gia_tri_den": _("Giá trị sử dụng đến"),
    "noi_kcb_ban_dau": _("Nơi đăng ký khám, chữa bệnh ban đầu"),
    "so_tien": _("Số tiền"),
    "can_cu": _("Căn cứ"),
    "nguoi_nhan_ho_ten": _("Người nhận"),
    "ngay_quyet_dinh": _("Ngày quyết định"),
    "ngay_dang_ky": _("Ngày đăng ký"),
    "ngay_ky": _("Ngày ký"),
    "co_quan": _("Cơ quan cấp"),
    "ma_ho_so": _("Mã hồ sơ giải quyết"),
}
MONEY_KEYS = {"so_tien"}
GENDERS = {"nam": _("Nam"), "nu": _("Nữ")}


def money(value: Any) -> str:
    """23400000 → '23.400.000 đồng'."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:,}".replace(",", ".") + " đồng"


def result_value(key: str, value: Any) -> str:
    if key in MONEY_KEYS:
        return money(value)
    if key == "gioi_tinh" and value in GENDERS:
        return str(GENDERS[value])
    if isinstance(value, bool):
        return str(_("Có")) if value else str(_("Không"))
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return str(value)


def result_fields(result: dict | None) -> list[dict[str, str]]:
    """[{key, label, value}] for a result: known keys first in a readable order, then any other key as it is."""
    result = result or {}
    present = {k: v for k, v in result.items() if v not in (None, "", [], {})}
    keys = [k for k in RESULT_LABELS if k in present] + [k for k in present if k not in RESULT_LABELS]
    return [{"key": k, "label": str(RESULT_LABELS.get(k, k)), "value": result_value(k, present[k])} for k in keys]
