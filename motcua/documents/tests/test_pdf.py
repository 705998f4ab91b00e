"""The shared PDF blocks: Vietnamese text survives (every diacritic), output is deterministic."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from motcua.documents import pdf

TEXT = "Ủy ban nhân dân phường Hà Tu — Giấy tiếp nhận hồ sơ và hẹn trả kết quả: Nguyễn Thị Hoa, Đặng Thu Hà, ữ ỹ ẵ ợ"


def _render() -> bytes:
    flow = [
        pdf.header(parent="UBND tỉnh Quảng Ninh", agency="UBND phường Hà Tu", number="Số: 01/TN", place="Hà Tu",
                   on=date(2026, 11, 28)),
        pdf.p(TEXT),
        pdf.key_values([("Số tiền", pdf.vnd(23_400_000))]),
        pdf.signature("Người tiếp nhận", "Nguyễn Thị Hoa"),
    ]  # fmt: skip
    return pdf.build(flow, title="Thử", author="motcua")


def test_vietnamese_text_is_extractable_with_every_diacritic():
    text = PdfReader(io.BytesIO(_render())).pages[0].extract_text()
    for word in ("Ủy ban", "Hà Tu", "Giấy tiếp nhận", "Đặng", "ữ ỹ ẵ ợ", "CỘNG HÒA XÃ HỘI", "23.400.000 đồng",
                 "ngày 28 tháng 11 năm 2026"):  # fmt: skip
        assert word in text, word


def test_same_input_same_bytes():
    assert _render() == _render()
