"""Workflow validation, the generic declaration, and how a variant is chosen from the declaration."""

from __future__ import annotations

import copy

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from motcua.catalog.workflow import choose_variant, default_form_schema, default_workflow, validate_workflow
from motcua.core.errors import ValidationFailed


def test_default_workflow_is_valid_and_leaves_the_desk_a_share():
    wf = default_workflow()
    validate_workflow(wf)
    assert [s["code"] for s in wf["steps"]] == ["xu_ly", "phe_duyet"]
    assert sum(s["share"] for s in wf["steps"]) == pytest.approx(0.9)
    assert wf["steps"][1]["actions"][0] == {
        "action": "phe_duyet", "label": "Phê duyệt, ký kết quả", "to": "result", "kind": "forward"
    }  # fmt: skip


def _broken(change) -> dict:
    wf = default_workflow()
    change(wf)
    return wf


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda wf: wf["steps"][0]["actions"][0].update(to="khong_co"), "không tồn tại"),
        (lambda wf: wf["steps"][0].update(role="giam_doc"), "vai trò"),
        (lambda wf: wf["steps"][0].update(share=0), "share"),
        (lambda wf: wf["steps"][0].update(share=1.5), "share"),
        (lambda wf: wf["steps"][0].update(share=0.8), "vượt quá 1"),
        (lambda wf: wf["steps"][1]["actions"].append(dict(wf["steps"][1]["actions"][0])), "trùng"),
        (lambda wf: wf["steps"][1]["actions"][0].update(action="accept"), "một cửa"),
        (lambda wf: wf["steps"][1]["actions"].pop(0), "to: 'result'"),
        (lambda wf: wf["steps"].append(copy.deepcopy(wf["steps"][0])), "mã bước bị trùng"),
        (lambda wf: wf.update(steps=[]), "không rỗng"),
    ],
)
def test_validate_workflow_rejects_broken_workflows_in_vietnamese(change, message):
    # given a workflow with one defect / when validated / then it is refused, saying what is wrong
    with pytest.raises(ValidationFailed) as exc:
        validate_workflow(_broken(change))
    assert message in exc.value.detail
    assert exc.value.errors and exc.value.errors[0]["field"] == "workflow"


def test_default_form_schema_is_valid_json_schema_and_accepts_a_declaration():
    schema = default_form_schema({"code": "2.000001", "name": "Thủ tục cấp giấy phép"})
    Draft202012Validator.check_schema(schema)
    for prop in schema["properties"].values():
        assert prop["title"] and prop["description"]
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    good = {
        "ho_ten": "Phạm Thu Hà", "so_dinh_danh": "022190001234", "dien_thoai": "0912345678",
        "dia_chi": "Số 5, phường Hạ Long, Quảng Ninh", "noi_dung": "Đề nghị cấp giấy phép",
        "hinh_thuc_nhan_ket_qua": "buu_chinh",
    }  # fmt: skip
    assert list(validator.iter_errors(good)) == []
    bad = {**good, "so_dinh_danh": "12345", "hinh_thuc_nhan_ket_qua": "fax"}
    assert {e.path[0] for e in validator.iter_errors(bad)} == {"so_dinh_danh", "hinh_thuc_nhan_ket_qua"}


VERSION = {
    "documents": [{"code": "TP1", "name": "Hồ sơ đầy đủ"}],
    "workflow": default_workflow(),
    "time_value": 12,
    "time_unit": "working_hours",
    "variants": [
        {"code": "case_2", "when": {"field": "truong_hop", "equals": "case_2"},
         "documents": [{"code": "TP1", "name": "Văn bản đề nghị"}], "time_value": 5, "time_unit": "working_days"},
    ],
}  # fmt: skip


def test_choose_variant_applies_the_matching_case_and_falls_back_for_missing_keys():
    # given a declaration choosing case 2 / when the variant is chosen
    effective = choose_variant(VERSION, {"truong_hop": "case_2"})
    # then its documents and time apply, and the version's workflow is kept
    assert effective["code"] == "case_2"
    assert effective["documents"] == [{"code": "TP1", "name": "Văn bản đề nghị"}]
    assert (effective["time_value"], effective["time_unit"]) == (5, "working_days")
    assert effective["workflow"] == VERSION["workflow"]


def test_choose_variant_without_match_returns_the_version_itself():
    effective = choose_variant(VERSION, {"truong_hop": "case_9"})
    assert effective == {"code": "", **{k: VERSION[k] for k in ("documents", "workflow", "time_value", "time_unit")}}
    # a new dict each time (its top level can be changed), sharing the version's read-only parts
    effective["code"] = "x"
    assert choose_variant(VERSION, {})["code"] == ""
