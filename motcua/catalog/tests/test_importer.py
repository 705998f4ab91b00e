"""Parsers of the flattened portal tables, on strings copied from the real catalogue and on the whole file."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from motcua.catalog import importer
from motcua.catalog.importer import (
    clean,
    fee_rule,
    parse_channels,
    parse_documents,
    parse_legal_basis,
    parse_money,
    parse_result,
    parse_time,
    split_form,
)

SHARED = Path(os.environ.get("MOTCUA_SHARED_DATA") or Path(__file__).resolve().parents[3].parent / "shared" / "data")


def shared_or_skip() -> Path:
    if not (SHARED / importer.DICHVUCONG_FILE).exists():
        pytest.skip("../shared/data is not present")
    return SHARED


@pytest.mark.parametrize(
    ("text", "vnd"),
    [
        ("50.000 Đồng", 50000),
        ("Lệ phí : 8.000 Đồng", 8000),
        ("10,000 Việt Nam Đồng", 10000),
        ("2,000,000 Việt Nam Đồng", 2000000),
        ("70,000 VNĐ", 70000),
        ("Miễn phí", 0),
        ("Phí : 0 Đồng", 0),
        ("Phí : Không Đồng", 0),
        ("Không có thông tin", None),
        ("Lệ phí : 1.5 USD", None),
        ("Phí : Mức thu bằng 50% mức thu phí quy định", None),
        ("", None),
    ],
)
def test_parse_money_reads_vietnamese_amounts_as_integer_vnd(text, vnd):
    # given a fee cell as the portal prints it / when parsed / then integer VND (or None when not stated in VND)
    assert parse_money(text) == vnd


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 Ngày làm việc", (5, "working_days")),
        ("15 Ngày", (15, "days")),
        ("01 Giờ", (1, "working_hours")),
        ("0.5 Giờ", (0.5, "working_hours")),
        ("3 Tháng", (3, "months")),
        ("1", (1, "working_days")),
        ("10-25", (25, "working_days")),
        ("Không quy định", (None, "none")),
        ("", (None, "none")),
    ],
)
def test_parse_time_maps_units(text, expected):
    assert parse_time(text) == expected


def test_channels_split_the_flattened_table_with_fee_and_note():
    # given the real 'Cách thức thực hiện' of permanent residence registration (1.004222), abridged
    text = (
        "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến7 Ngày làm việc10,000 Việt Nam Đồng(Trường hợp công dân "
        "nộp hồ sơ qua cổng dịch vụ công trực tuyến thu 10.000 đồng/lần đăng ký.)Trực tiếp7 Ngày làm việc20,000 "
        "Việt Nam Đồng(Trường hợp công dân thuộc diện được miễn phí…)"
    )
    # when parsed
    channels = parse_channels(text)
    # then one entry per channel, with time, integer fee and the fee's explanation kept
    assert [c["channel"] for c in channels] == ["online", "in_person"]
    assert channels[0]["time_value"] == 7 and channels[0]["time_unit"] == "working_days"
    assert channels[0]["fee_vnd"] == 10000 and channels[1]["fee_vnd"] == 20000
    assert "10.000 đồng/lần" in channels[0]["fee_text"]
    # and the fee rule keeps the per-channel amounts
    rule = fee_rule(channels)
    assert rule["kind"] == "fixed" and rule["amount"] == 10000
    assert rule["by_channel"] == {"in_person": 20000, "online": 10000}


def test_channels_with_bare_time_and_description_note():
    # given civil-status style cells ('1' without a unit) and a description after the fee
    text = (
        "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến1Miễn phíDịch vụ bưu chính1Miễn phíTrực tiếp5 Ngày làm "
        "việcMiễn phí05 (năm) ngày làm việc kể từ ngày nhận hồ sơ đầy đủ, hợp lệ."
    )
    channels = parse_channels(text)
    assert [(c["channel"], c["time_value"], c["time_unit"]) for c in channels] == [
        ("online", 1, "working_days"),
        ("post", 1, "working_days"),
        ("in_person", 5, "working_days"),
    ]
    assert channels[2]["note"].startswith("05 (năm) ngày làm việc")
    assert fee_rule(channels) == {"kind": "free", "amount": 0, "text": "Miễn phí"}


def test_channel_without_information():
    channels = parse_channels("Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến5 Ngày làm việcKhông có thông tin")
    assert channels == [
        {"channel": "online", "time_value": 5, "time_unit": "working_days", "fee_text": "", "fee_vnd": None,
         "note": ""}
    ]  # fmt: skip
    assert fee_rule(channels)["kind"] == "text"


def test_free_with_amounts_in_the_explanation_is_not_free():
    # given 'Miễn phí' whose explanation lists real amounts (portal data entry): we must not promise free
    channels = parse_channels(
        "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến12 NgàyMiễn phí(Cho một loại hình sản phẩm hoặc dịch vụ: "
        "8.000.000/lần; thêm một loại hình sản phẩm hoặc dịch vụ: 2.000.000/lần.)"
    )
    assert fee_rule(channels)["kind"] == "text"


def test_documents_by_case_with_form_file_and_copies():
    # given the real 'Thành phần hồ sơ' of the investment certificate (1.009664), abridged to two cases
    text = (
        "(1) Trường hợp 1: Đối với dự án đầu tư không thuộc diện chấp thuận chủ trương đầu tưTên giấy tờMẫu đơn, "
        "tờ khaiSố lượngVăn bản đề nghị thực hiện dự án đầu tư, gồm cả cam kết chịu mọi chi phí, rủi ro nếu dự án "
        "không được chấp thuậnMẫu I.1.1.docx1 bản chínhTài liệu về tư cách pháp lý của nhà đầu tư1 bản chính"
        "(3) Trường hợp 3: Dự án có nhu cầu cấp Giấy chứng nhậnTên giấy tờMẫu đơn, tờ khaiSố lượngThông tin về "
        "Quyết định chấp thuận chủ trương đầu tư (nếu có)0 bản chính,1 bản sao"
    )
    # when parsed
    documents, notes = parse_documents(text)
    # then each row is a document with its template file, count and case
    assert [d["code"] for d in documents] == ["TP1", "TP2", "TP3"]
    assert documents[0]["form"] == "Mẫu I.1.1.docx"
    assert documents[0]["name"].endswith("nếu dự án không được chấp thuận")
    assert documents[0]["case"].startswith("(1) Trường hợp 1")
    assert documents[2] | {"name": ""} == {
        "code": "TP3", "name": "", "form": "", "quantity": 1, "original": False,
        "case": "(3) Trường hợp 3: Dự án có nhu cầu cấp Giấy chứng nhận",
    }  # fmt: skip
    assert notes == []


def test_documents_zero_copies_are_notes_and_bullets_are_stripped():
    text = (
        "* Giấy tờ phải nộp:Tên giấy tờMẫu đơn, tờ khaiSố lượng- Giấy chứng sinh; trường hợp không có Giấy chứng "
        "sinh thì nộp văn bản của người làm chứng.1 bản chínhTrường hợp người yêu cầu đã nộp bản điện tử Giấy chứng "
        "sinh thì không phải nộp bản giấy.0 bản chính"
    )
    documents, notes = parse_documents(text)
    assert len(documents) == 1
    assert documents[0]["name"].startswith("Giấy chứng sinh;")
    assert documents[0]["case"] == "Giấy tờ phải nộp"
    assert notes == ["Trường hợp người yêu cầu đã nộp bản điện tử Giấy chứng sinh thì không phải nộp bản giấy."]


@pytest.mark.parametrize(
    ("row", "name", "form"),
    [
        ("Đơn đề nghị theo Mẫu số 01 Phụ lục I của Nghị định số 258/2025/NĐ-CPMẫu số 01.docx",
         "Đơn đề nghị theo Mẫu số 01 Phụ lục I của Nghị định số 258/2025/NĐ-CP", "Mẫu số 01.docx"),
        ("Tờ khai thay đổi thông tin cư trú (Mẫu CT01 ban hành kèm theo Thông tư số 53/2025/TT-BCA).1.MuCT01.doc",
         "Tờ khai thay đổi thông tin cư trú (Mẫu CT01 ban hành kèm theo Thông tư số 53/2025/TT-BCA).",
         "1.MuCT01.doc"),
        ("Giấy đề nghị cấp Giấy phép kinh doanh theo mẫu quy định;TK 1.000703.docx",
         "Giấy đề nghị cấp Giấy phép kinh doanh theo mẫu quy định;", "TK 1.000703.docx"),
        ("Tài liệu về tư cách pháp lý của nhà đầu tư", "Tài liệu về tư cách pháp lý của nhà đầu tư", ""),
    ],
)  # fmt: skip
def test_split_form_separates_the_glued_template_file(row, name, form):
    assert split_form(row) == (name, form)


def test_legal_basis_splits_titles_and_numbers():
    # given the real legal basis of birth registration, abridged (titles and numbers glued together)
    text = (
        "Tên văn bản pháp lýMã văn bảnThông tư Hướng dẫn về phí và lệ phí thuộc thẩm quyền quyết định của Hội đồng "
        "nhân dân tỉnh, thành phố trực thuộc Trung ương85/2019/TT-BTCNghị định số 123/2015/NĐ-CP ngày 15/11/2015 "
        "của Chính phủ quy định chi tiết một số điều và biện pháp thi hành Luật Hộ tịch123/2015/NĐ-CP"
        "Nghị quyết số 66.7/2025/NQ-CP của Chính phủ: Quy định cắt giảm66.7/2025/NQ-CPLuật 60/2014/QH1360/2014/QH13"
        "Thông tư số 03/2023/TT-BTP ngày 02/8/2023 của Bộ trưởng Bộ Tư phápThông tư số 03/2023/TT-BTP"
    )
    refs = parse_legal_basis(text)
    assert [r["number"] for r in refs] == [
        "85/2019/TT-BTC", "123/2015/NĐ-CP", "66.7/2025/NQ-CP", "60/2014/QH13", "03/2023/TT-BTP",
    ]  # fmt: skip
    assert refs[1]["title"].endswith("thi hành Luật Hộ tịch")
    assert refs[3]["title"] == "Luật 60/2014/QH13"
    assert refs[4]["title"] == "Thông tư số 03/2023/TT-BTP ngày 02/8/2023 của Bộ trưởng Bộ Tư pháp"


def test_legal_basis_law_with_year_glued_and_lowercase_title():
    text = (
        "Tên văn bản pháp lýMã văn bảnLuật Cư trú 202068/2020/QH14Quy định mức thu phí hàng hải189/2016/TT-BTC"
        "quy định về cấp, thu hồi Giấy chứng nhận bảo hiểm năm 2001.22/2025/TT-BXDLuật Đầu tư 143/2025/QH15"
    )
    refs = parse_legal_basis(text)
    assert [r["number"] for r in refs] == ["68/2020/QH14", "189/2016/TT-BTC", "22/2025/TT-BXD", "143/2025/QH15"]
    assert refs[0]["title"] == "Luật Cư trú 2020"
    assert refs[3]["title"] == "Luật Đầu tư"


def test_result_and_portal_boilerplate_are_cleaned():
    text = (
        "Giấy khai sinhMã: KQ.G15.000031Từ khóaKhông có thông tinMô tảKhông có thông tinChọn cơ quan thực hiện"
        "Tỉnh/ Thành phốBộ ngành-- Chọn Tỉnh/ Thành phố --Phường/ XãSở-- Chọn Phường/ Xã --Hệ thống chỉ hiển thị "
        "những cơ quan đã áp dụng dịch vụ công trực tuyếnNộp hồ sơ"
    )
    assert parse_result(text) == "Giấy khai sinh (Mã: KQ.G15.000031)"
    assert clean("Không có thông tin") == ""
    assert clean("Thu\u0309 tu\u0323c") == "Thủ tục"  # NFC


def test_bqp_record_is_normalised_from_structured_tables():
    raw = {
        "thu_tuc_id": "1.013124",
        "metadata": {"mã_thủ_tục": "1.013124", "tên_thủ_tục": "Thủ tục thẩm định kế hoạch", "số_quyết_định":
                     "Quyết định số 6225/QĐ-BQP", "cấp_thực_hiện": "Cấp Bộ", "loại_thủ_tục": "TTHC",
                     "lĩnh_vực": "Ứng phó sự cố tràn dầu"},
        "content": {"cơ_quan_thực_hiện": "Văn phòng Ủy ban", "cơ_quan_phối_hợp": "Không có thông tin"},
        "tables": {
            "hinh_thuc_nop": [
                {"hinh_thuc": "Trực tiếp", "thoi_han_giai_quyet": "30 Ngày làm việc", "phi_le_phi": "Phí : 0 Đồng",
                 "mo_ta": ""},
                {"hinh_thuc": "Trực tuyến", "thoi_han_giai_quyet": "01 Giờ", "phi_le_phi": "Lệ phí : 50.000 Đồng "
                 "(50.000 đồng/hồ sơ)", "mo_ta": ""},
            ],
            "thanh_phan_ho_so": [
                {"ten_giay_to": "Văn bản đề nghị", "so_luong": "5-PHLCII.doc", "ghi_chu": "Bản chính: 1\nBản sao: 0"},
                {"ten_giay_to": "Bản sao giấy phép", "so_luong": "", "ghi_chu": "Bản chính: 0\nBản sao: 1"},
            ],
            "can_cu_phap_ly": [{"so_ky_hieu": "12", "trich_yeu": "Quyết định số 12/2021/QĐ-TTg ngày 24/3/2021"}],
        },
    }  # fmt: skip
    record = importer.normalise_bqp(raw)
    assert record["decision"] == "6225/QĐ-BQP"
    assert (record["time_value"], record["time_unit"]) == (1, "working_hours")  # the online channel's
    assert record["channels"][1]["fee_vnd"] == 50000
    assert record["documents"][0]["form"] == "5-PHLCII.doc" and record["documents"][1]["original"] is False
    assert record["legal_basis"] == [
        {"number": "12/2021/QĐ-TTg", "title": "Quyết định số 12/2021/QĐ-TTg ngày 24/3/2021"}
    ]
    assert record["source"] == "bqp"


# --- the real files -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return importer.read_sources(shared_or_skip())


def test_real_catalogue_coverage(records):
    # given both shared sources / when parsed / then the figures quoted in docs/catalog.md hold (with a margin)
    cov = importer.coverage(records)
    assert cov["procedures"] == 2642 + 207
    assert cov["with_documents"] >= 2750
    assert cov["with_time"] >= 2650
    assert cov["with_fee_known"] >= 2150
    assert cov["with_legal_basis"] >= 2750
    codes = [r["code"] for r in records]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)


def test_real_times_agree_with_the_derived_csv(records):
    # given the heuristic times derived next to the source / then our parser agrees on every row it has
    units = {"Ngày làm việc": "working_days", "Ngày": "days", "Giờ": "working_hours", "Tháng": "months"}
    names = {"Trực tiếp": "in_person", "Trực tuyến": "online", "Dịch vụ bưu chính": "post"}
    by_code = {r["code"]: r for r in records}
    disagreements = []
    with (SHARED / "tthc_dichvucong_6_agencies" / "derived_processing_times.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            channels = [c for c in by_code[row["ma_thu_tuc"]]["channels"] if c["channel"] == names[row["channel"]]]
            want = (float(row["time_value"]), units[row["time_unit"]])
            if not any((c["time_value"], c["time_unit"]) == want for c in channels):
                disagreements.append(row)
    assert disagreements == []


def test_real_records_are_nfc_and_free_of_portal_widget(records):
    import unicodedata

    sample = json.dumps(records[::50], ensure_ascii=False)
    assert unicodedata.normalize("NFC", sample) == sample
    assert "Chọn cơ quan thực hiện" not in json.dumps([r["result_text"] for r in records], ensure_ascii=False)


def test_real_birth_registration_record(records):
    birth = next(r for r in records if r["code"] == "1.001193")
    assert birth["name"] == "Thủ tục đăng ký khai sinh"
    assert birth["fee_rule"]["kind"] == "free"
    assert any(d["name"].startswith("Giấy chứng sinh") for d in birth["documents"])
    assert {"number": "123/2015/NĐ-CP"}.items() <= birth["legal_basis"][2].items()
    assert birth["source_url"].startswith("https://dichvucong.gov.vn/")
