"""The five hand-made definitions: valid JSON Schemas, realistic declarations accepted, bad ones refused."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from motcua.catalog.services import load_definitions
from motcua.catalog.workflow import choose_variant, validate_workflow

DEFINITIONS = load_definitions()

EXAMPLES = {
    "1.001193": {
        "nyc_ho_ten": "Trần Thị Bích", "nyc_so_dinh_danh": "022192004567", "nyc_noi_cu_tru":
        "Tổ 3, khu 5, phường Hạ Long, tỉnh Quảng Ninh", "nyc_dien_thoai": "0912345678", "nyc_quan_he": "me",
        "ks_ho_ten": "Nguyễn Minh Khang", "ks_gioi_tinh": "nam", "ks_ngay_sinh": "2026-11-20",
        "ks_noi_sinh": "Bệnh viện Sản Nhi Quảng Ninh, phường Hồng Gai, tỉnh Quảng Ninh", "ks_dan_toc": "Kinh",
        "ks_quoc_tich": "Việt Nam", "ks_que_quan": "Xã Tiên Yên, tỉnh Quảng Ninh",
        "me_ho_ten": "Trần Thị Bích", "me_nam_sinh": 1992, "me_so_dinh_danh": "022192004567", "me_dan_toc": "Kinh",
        "me_quoc_tich": "Việt Nam", "me_noi_cu_tru": "Tổ 3, khu 5, phường Hạ Long, tỉnh Quảng Ninh",
        "cha_ho_ten": "Nguyễn Văn Hùng", "cha_nam_sinh": 1990, "cha_so_dinh_danh": "022090001234",
        "cha_dan_toc": "Kinh", "cha_quoc_tich": "Việt Nam",
        "cha_noi_cu_tru": "Tổ 3, khu 5, phường Hạ Long, tỉnh Quảng Ninh",
        "cap_ban_sao": True, "so_ban_sao": 2, "hinh_thuc_nhan_ket_qua": "truc_tuyen",
    },
    "1.000656": {
        "nyc_ho_ten": "Lê Văn Minh", "nyc_so_dinh_danh": "022085006789", "nyc_noi_cu_tru":
        "Thôn 2, xã Hải Sơn, tỉnh Quảng Ninh", "nyc_quan_he": "con",
        "kt_ho_ten": "Lê Văn Thành", "kt_ngay_sinh": "1940-03-15", "kt_gioi_tinh": "nam",
        "kt_so_dinh_danh": "022040000123", "kt_dan_toc": "Kinh", "kt_quoc_tich": "Việt Nam",
        "kt_noi_cu_tru": "Thôn 2, xã Hải Sơn, tỉnh Quảng Ninh", "kt_ngay_chet": "2026-11-25", "kt_gio_chet": "04:30",
        "kt_noi_chet": "Tại nhà, thôn 2, xã Hải Sơn", "kt_nguyen_nhan_chet": "Tuổi cao, bệnh già",
        "giay_bao_tu_so": "12/GBT", "giay_bao_tu_ngay_cap": "2026-11-25",
        "giay_bao_tu_co_quan_cap": "Trạm Y tế xã Hải Sơn", "cap_ban_sao": True, "so_ban_sao": 3,
        "hinh_thuc_nhan_ket_qua": "truc_tiep",
    },
    "1.004222": {
        "ho_ten": "Nguyễn Minh Khang", "ngay_sinh": "2026-11-20", "gioi_tinh": "nam", "so_dinh_danh": "022226000111",
        "dien_thoai": "0912345678", "chu_ho_ho_ten": "Nguyễn Văn Hùng", "chu_ho_so_dinh_danh": "022090001234",
        "quan_he_chu_ho": "con", "dia_chi_tinh": "22", "dia_chi_xa": "06688",
        "dia_chi_so_nha_duong": "Số 12, đường Trần Hưng Đạo, tổ 3, khu 5", "cho_o": "than_nhan",
        "chu_so_huu_ho_ten": "Nguyễn Văn Hùng", "chu_so_huu_dong_y": True,
        "noi_dung_de_nghi": "Đăng ký thường trú cho con mới sinh vào hộ của cha",
        "thanh_vien_cung_thay_doi": [], "hinh_thuc_nhan_ket_qua": "truc_tuyen",
    },
    "1.003197": {
        "nguoi_khai_ho_ten": "Lê Văn Minh", "nguoi_khai_so_dinh_danh": "022085006789", "nguoi_khai_quan_he": "chu_ho",
        "ho_ten": "Lê Văn Thành", "ngay_sinh": "1940-03-15", "gioi_tinh": "nam", "so_dinh_danh": "022040000123",
        "ly_do": "chet", "ngay_phat_sinh": "2026-11-25", "dia_chi_tinh": "22", "dia_chi_xa": "06724",
        "dia_chi_so_nha_duong": "Thôn 2", "noi_dung_de_nghi": "Xóa đăng ký thường trú do đã chết",
        "hinh_thuc_nhan_ket_qua": "truc_tuyen",
    },
    "1.009664": {
        "truong_hop": "case_1", "loai_nha_dau_tu": "to_chuc", "ten_nha_dau_tu": "Công ty TNHH Cơ khí Hạ Long",
        "ma_so_thue": "5701234567", "so_dinh_danh": "022080004321",
        "dia_chi_nha_dau_tu": "Lô A2, Khu công nghiệp Cái Lân, phường Bãi Cháy, tỉnh Quảng Ninh",
        "dien_thoai": "02033812345", "email": "dautu@cokhihalong.vn",
        "ten_du_an": "Nhà máy sản xuất kết cấu thép Hạ Long", "muc_tieu": "Sản xuất kết cấu thép (mã ngành 2511)",
        "quy_mo": "20.000 tấn sản phẩm/năm; diện tích xây dựng 3 ha", "von_dau_tu": 150_000_000_000,
        "von_gop": 30_000_000_000, "dia_diem_tinh": "22", "dia_diem_xa": "06673",
        "dia_diem_so_nha_duong": "Lô A2, Khu công nghiệp Cái Lân", "thoi_han_hoat_dong": 50,
        "tien_do": "Quý I/2027 khởi công; quý IV/2028 đi vào hoạt động", "nhu_cau_su_dung_dat": 30000,
        "hinh_thuc_nhan_ket_qua": "truc_tuyen",
    },
}  # fmt: skip

BAD = {
    "1.001193": {"ks_ngay_sinh": "20/11/2026", "me_so_dinh_danh": "02219200456", "ks_gioi_tinh": "khac"},
    "1.000656": {"kt_gio_chet": "25:10", "nyc_quan_he": "hang_xom"},
    "1.004222": {"dia_chi_tinh": "01", "dia_chi_xa": "6688", "chu_so_huu_dong_y": False},
    "1.003197": {"ly_do": "chuyen_nha", "so_dinh_danh": "abc"},
    "1.009664": {"von_dau_tu": "150 tỷ", "truong_hop": "case_5"},
}


def _validator(code: str) -> Draft202012Validator:
    return Draft202012Validator(DEFINITIONS[code]["form_schema"], format_checker=FormatChecker())


def test_the_five_definitions_are_present():
    assert sorted(DEFINITIONS) == ["1.000656", "1.001193", "1.003197", "1.004222", "1.009664"]


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_form_schema_is_valid_draft_2020_12_with_vietnamese_titles(code):
    schema = DEFINITIONS[code]["form_schema"]
    Draft202012Validator.check_schema(schema)
    assert schema["title"] and schema["description"]
    for name, prop in schema["properties"].items():
        assert prop.get("title") and prop.get("description"), name
        if "oneOf" in prop:
            assert all(option.get("title") for option in prop["oneOf"]), name
    grouped = [f for group in schema["x-groups"] for f in group["fields"]]
    assert sorted(grouped) == sorted(schema["properties"])


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_realistic_declaration_is_accepted(code):
    # given a filled declaration / when validated against the definition's schema / then no error
    assert [e.message for e in _validator(code).iter_errors(EXAMPLES[code])] == []


@pytest.mark.parametrize("code", sorted(BAD))
def test_wrong_values_are_refused_field_by_field(code):
    # given the realistic declaration with wrong values / then each wrong field is reported
    data = {**EXAMPLES[code], **BAD[code]}
    errors = list(_validator(code).iter_errors(data))
    fields = {e.absolute_path[0] for e in errors if e.absolute_path}
    if code == "1.004222":  # consent is checked by the if/then rule on the whole object
        assert {"dia_chi_tinh", "dia_chi_xa"} <= fields and any(e.validator == "const" for e in errors)
    else:
        assert set(BAD[code]) <= fields


def test_personal_id_pattern_and_dates_are_declared():
    props = DEFINITIONS["1.001193"]["form_schema"]["properties"]
    assert props["nyc_so_dinh_danh"]["pattern"] == r"^\d{12}$"
    assert props["ks_ngay_sinh"]["format"] == "date"


def test_investment_certificate_conditions():
    validator = _validator("1.009664")
    # given an individual investor without a personal ID / then refused
    individual = {**EXAMPLES["1.009664"], "loai_nha_dau_tu": "ca_nhan"}
    individual.pop("so_dinh_danh")
    assert any("so_dinh_danh" in e.message for e in validator.iter_errors(individual))
    # given case 2 without the approval decision / then refused
    case_2 = {**EXAMPLES["1.009664"], "truong_hop": "case_2"}
    assert any("so_quyet_dinh_chap_thuan" in e.message for e in validator.iter_errors(case_2))


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_definition_shape_workflow_and_documents(code):
    definition = DEFINITIONS[code]
    validate_workflow(definition["workflow"])
    assert definition["time_unit"] in ("working_days", "working_hours")
    assert definition["documents"] and all(d["name"] and d["code"].startswith("TP") for d in definition["documents"])
    assert definition["fee_rule"]["kind"] in ("free", "fixed")
    assert len(definition["note"]) <= 255


def test_civil_status_same_day_with_cut_off():
    for code in ("1.001193", "1.000656"):
        d = DEFINITIONS[code]
        assert (d["time_value"], d["time_unit"], d["cutoff"]) == (0, "working_days", "15:00")
        assert d["fee_rule"]["kind"] == "free"


def test_investment_variants_are_chosen_by_truong_hop():
    definition = DEFINITIONS["1.009664"]
    assert (definition["time_value"], definition["time_unit"]) == (12, "working_hours")
    case_1 = choose_variant(definition, {"truong_hop": "case_1"})
    case_2 = choose_variant(definition, {"truong_hop": "case_2"})
    assert case_1["code"] == "case_1" and case_2["code"] == "case_2"
    assert len(case_2["documents"]) < len(case_1["documents"])
    assert case_2["documents"][0]["form"] == "Mẫu I.1.5.docx"
    assert case_1["documents"][0]["form"] == "Mẫu I.1.1.docx"


def test_residence_documents_follow_the_lodging():
    definition = DEFINITIONS["1.004222"]
    rented = choose_variant(definition, {"cho_o": "thue_muon"})
    assert any("cho thuê, cho mượn" in d["name"] for d in rented["documents"])
    assert definition["fee_rule"]["by_channel"] == {"in_person": 20000, "online": 10000}
