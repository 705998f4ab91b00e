"""The five hand-made definitions: valid JSON Schemas, realistic declarations accepted, bad ones refused."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from motcua.catalog.examples import EXAMPLES
from motcua.catalog.services import load_definitions
from motcua.catalog.workflow import choose_variant, validate_workflow

DEFINITIONS = load_definitions()


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
    assert sorted(DEFINITIONS) == ["1.000656", "1.001193", "1.003197", "1.004222", "1.009664", "2.000986", "LT.KHAITU"]


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
