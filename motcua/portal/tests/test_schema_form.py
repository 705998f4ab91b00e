"""The online form built from a procedure version's JSON Schema: fields, labels, choices, round trip, errors."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms

from motcua.catalog.services import load_definitions
from motcua.conftest import BIRTH_SCHEMA, VALID_BIRTH
from motcua.core.errors import ValidationFailed
from motcua.dossiers.validation import validate_declaration
from motcua.portal.schema_form import build_form_class, display_rows, flatten, unflatten

RICH_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "Tờ khai thử nghiệm",
    "required": ["ho_ten", "me", "noi_nhan"],
    "x-groups": [{"title": "Người khai", "fields": ["ho_ten", "so_dinh_danh", "ngay_sinh"]}],
    "properties": {
        "ho_ten": {"type": "string", "title": "Họ và tên", "description": "Viết có dấu.", "maxLength": 50},
        "so_dinh_danh": {"type": "string", "title": "Số định danh", "pattern": "^[0-9]{12}$"},
        "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "tinh": {"type": "string", "title": "Mã tỉnh", "const": "22", "default": "22"},
        "noi_nhan": {
            "type": "string",
            "title": "Nơi nhận kết quả",
            "oneOf": [
                {"const": "truc_tiep", "title": "Tại bộ phận một cửa"},
                {"const": "buu_chinh", "title": "Qua bưu chính"},
            ],
            "default": "truc_tiep",
        },
        "dan_toc": {"type": "string", "title": "Dân tộc", "enum": ["kinh", "tay", "thai", "muong", "khmer"]},
        "so_ban": {"type": "integer", "title": "Số bản", "minimum": 0, "maximum": 5},
        "dien_tich": {"type": "number", "title": "Diện tích (m²)", "minimum": 0},
        "dong_y": {"type": "boolean", "title": "Tôi cam đoan", "const": True},
        "co_ban_sao": {"type": "boolean", "title": "Cấp bản sao"},
        "me": {
            "type": "object",
            "title": "Người mẹ",
            "required": ["ho_ten"],
            "properties": {
                "ho_ten": {"type": "string", "title": "Họ tên mẹ", "minLength": 2},
                "nam_sinh": {"type": "integer", "title": "Năm sinh của mẹ"},
            },
        },
        "cha": {
            "type": "object",
            "title": "Người cha",
            "required": ["ho_ten"],
            "properties": {"ho_ten": {"type": "string", "title": "Họ tên cha"}},
        },
        "ghi_chu": {"type": "array", "title": "Ghi chú", "items": {"type": "string", "maxLength": 20}},
        "thanh_vien": {
            "type": "array",
            "title": "Thành viên",
            "maxItems": 3,
            "items": {
                "type": "object",
                "title": "Người",
                "required": ["ten"],
                "properties": {"ten": {"type": "string", "title": "Tên"}, "tuoi": {"type": "integer", "title": "Tuổi"}},
            },
        },
    },
}


def rich_post(**overrides: str) -> dict:
    post = {
        "ho_ten": "Nguyễn Văn An",
        "so_dinh_danh": "022090001234",
        "ngay_sinh": "1990-05-17",
        "noi_nhan": "buu_chinh",
        "dan_toc": "kinh",
        "so_ban": "2",
        "dien_tich": "12.50",
        "dong_y": "on",
        "me.ho_ten": "Trần Thị Bích",
        "me.nam_sinh": "1965",
        "ghi_chu": "dòng một\n\n  dòng hai  ",
        "thanh_vien.0.ten": "Bình",
        "thanh_vien.0.tuoi": "7",
        "thanh_vien.1.ten": "",
        "thanh_vien.1.tuoi": "",
    }
    post.update(overrides)
    return post


def test_fields_labels_help_and_required_come_from_the_schema():
    # given the birth declaration schema
    form = build_form_class(BIRTH_SCHEMA)()
    # then there is one field per property, labelled with its Vietnamese title
    assert list(form.fields) == list(BIRTH_SCHEMA["properties"])
    assert form.fields["ho_ten_tre"].label == "Họ, chữ đệm, tên của trẻ"
    assert form.fields["ho_ten_tre"].max_length == 100
    # and required comes from "required"
    assert {n for n, f in form.fields.items() if f.required} == set(BIRTH_SCHEMA["required"])
    # and types map to the right Django fields and widgets
    assert isinstance(form.fields["ngay_sinh"], forms.DateField)
    assert 'type="date"' in str(form["ngay_sinh"])
    assert isinstance(form.fields["so_ban_sao"], forms.IntegerField)
    assert form.fields["so_ban_sao"].max_value == 10
    # and oneOf-const becomes a choice with the Vietnamese titles
    assert list(form.fields["gioi_tinh"].choices) == [("nam", "Nam"), ("nu", "Nữ")]


def test_rich_schema_builds_groups_choices_constants_and_rows():
    # given a schema with x-groups, a nested object, an enum, a constant and an array of objects
    form = build_form_class(RICH_SCHEMA)()
    layout = form.layout()
    # then the x-group becomes a fieldset holding its fields, nested objects become fieldsets of dotted fields
    assert layout[0]["kind"] == "group" and layout[0]["title"] == "Người khai"
    assert [i["field"].name for i in layout[0]["items"]] == ["ho_ten", "so_dinh_danh", "ngay_sinh"]
    me = next(i for i in layout if i.get("path") == "me")
    assert [i["field"].name for i in me["items"]] == ["me.ho_ten", "me.nam_sinh"]
    # and a required child of a required object is required; of an optional object it is not
    assert form.fields["me.ho_ten"].required and not form.fields["cha.ho_ten"].required
    # and a long enum is a select with a blank first option, a short oneOf is radios with its default
    assert form.fields["dan_toc"].choices[0][0] == "" and len(form.fields["dan_toc"].choices) == 6
    assert isinstance(form.fields["noi_nhan"].widget, forms.RadioSelect)
    assert form["noi_nhan"].value() == "truc_tiep"
    # and a constant is shown, not editable
    assert form.fields["tinh"].disabled and form["tinh"].value() == "22"
    # and the array of objects starts with one empty row, the array of strings is a textarea
    rows = next(i for i in layout if i.get("path") == "thanh_vien")
    assert rows["kind"] == "array" and len(rows["rows"]) == 1 and rows["can_add"]
    assert "thanh_vien.0.ten" in form.fields
    assert isinstance(form.fields["ghi_chu"].widget, forms.Textarea)
    # and a box that must be ticked (const: true) is required, a plain boolean is not
    assert form.fields["dong_y"].required and not form.fields["co_ban_sao"].required


def test_round_trip_to_the_declaration_the_engine_accepts():
    # given a filled rich form
    form = build_form_class(RICH_SCHEMA)(rich_post())
    # when it is cleaned and turned into a declaration
    assert form.is_valid(), form.errors
    data = form.to_data()
    # then values are typed JSON, nested as the schema says, empty rows and optional parts left out
    assert data == {
        "ho_ten": "Nguyễn Văn An",
        "so_dinh_danh": "022090001234",
        "ngay_sinh": "1990-05-17",
        "tinh": "22",
        "noi_nhan": "buu_chinh",
        "dan_toc": "kinh",
        "so_ban": 2,
        "dien_tich": 12.5,
        "dong_y": True,
        "co_ban_sao": False,
        "me": {"ho_ten": "Trần Thị Bích", "nam_sinh": 1965},
        "ghi_chu": ["dòng một", "dòng hai"],
        "thanh_vien": [{"ten": "Bình", "tuoi": 7}],
    }
    validate_declaration(RICH_SCHEMA, data)
    # and the same declaration fills a new form back (flatten is the inverse of unflatten)
    again = build_form_class(RICH_SCHEMA)(data_dict=data)
    assert again["me.ho_ten"].value() == "Trần Thị Bích"
    assert again["thanh_vien.0.tuoi"].value() == 7
    assert unflatten(flatten(data, again.kinds), again.kinds) == data


def test_rows_follow_the_data_and_can_be_added():
    # given a declaration with two members
    data = {"thanh_vien": [{"ten": "A"}, {"ten": "B"}]}
    FormClass = build_form_class(RICH_SCHEMA)
    # then the form shows two rows, and one more when asked, but never more than maxItems
    assert "thanh_vien.1.ten" in FormClass(data_dict=data).fields
    assert "thanh_vien.2.ten" in FormClass(data_dict=data, add_rows=["thanh_vien"]).fields
    full = FormClass(data_dict={"thanh_vien": [{"ten": str(i)} for i in range(3)]}, add_rows=["thanh_vien"])
    assert "thanh_vien.3.ten" not in full.fields
    # and a posted form keeps as many rows as were posted
    assert "thanh_vien.1.ten" in FormClass(rich_post()).fields


def test_birth_form_round_trip_validates():
    # given the birth form filled with a valid declaration, as a browser would post it
    post = {k: str(v) for k, v in VALID_BIRTH.items()}
    form = build_form_class(BIRTH_SCHEMA)(post)
    # then it cleans, and the declaration is exactly the one the engine expects
    assert form.is_valid(), form.errors
    assert form.to_data() == VALID_BIRTH
    validate_declaration(BIRTH_SCHEMA, form.to_data())


def test_local_checks_speak_vietnamese_and_keep_input():
    # given a form with a bad ID number, a too long name and no required choice
    post = rich_post(so_dinh_danh="12345", ho_ten="x" * 60, noi_nhan="")
    form = build_form_class(RICH_SCHEMA)(post)
    # then it is invalid with the pattern message on the right field
    assert not form.is_valid()
    assert form.errors["so_dinh_danh"] == ["Không đúng định dạng."]
    assert "ho_ten" in form.errors and "noi_nhan" in form.errors
    # and what was typed is still there to correct
    assert form["so_dinh_danh"].value() == "12345"


def test_engine_errors_are_mapped_to_fields():
    # given a valid form and the engine's field errors with dotted paths
    form = build_form_class(RICH_SCHEMA)(rich_post())
    assert form.is_valid()
    leftover = form.add_problem_errors(
        [
            {"field": "me.ho_ten", "title": "Họ tên mẹ", "message": "Quá ngắn."},
            {"field": "thanh_vien.0.tuoi", "message": "Sai kiểu dữ liệu."},
            {"field": "thanh_vien", "message": "Quá nhiều mục."},
            {"field": "ghi_chu.1", "message": "Quá dài."},
            {"field": "data", "message": "Giá trị không hợp lệ."},
            {"field": "khong_co", "title": "", "message": "Có trường không được phép."},
        ]
    )
    # then each lands on its field (an array's own error on its first row), the rest are returned
    assert form.errors["me.ho_ten"] == ["Quá ngắn."]
    assert form.errors["thanh_vien.0.tuoi"] == ["Sai kiểu dữ liệu."]
    assert form.errors["thanh_vien.0.ten"] == ["Quá nhiều mục."]
    assert form.errors["ghi_chu"] == ["Quá dài."]
    assert leftover == ["Giá trị không hợp lệ.", "khong_co: Có trường không được phép."]


def test_real_engine_errors_round_trip_through_the_form():
    # given data the Django form lets through but the schema refuses (pattern on an item of a nested object)
    schema = {
        "type": "object",
        "properties": {
            "me": {"type": "object", "title": "Mẹ", "properties": {"so": {"type": "string", "title": "Số"}}}
        },
        "allOf": [{"properties": {"me": {"properties": {"so": {"pattern": "^[0-9]+$"}}}}}],
    }
    form = build_form_class(schema)({"me.so": "abc"})
    assert form.is_valid()
    # when the engine validates it
    with pytest.raises(ValidationFailed) as caught:
        validate_declaration(schema, form.to_data())
    # then its error comes back on the field the applicant typed into
    assert form.add_problem_errors(caught.value.errors) == []
    assert form.errors["me.so"] == ["Không đúng định dạng."]


def test_any_of_required_is_explained_on_the_fields():
    # given the hand-made birth form, which needs the mother's or the father's name
    schema = load_definitions()["1.001193"]["form_schema"]
    form = build_form_class(schema)({"me_ho_ten": "", "cha_ho_ten": ""})
    # then both fields say so, in Vietnamese
    assert not form.is_valid()
    assert "Cần nhập ít nhất một trong các trường" in form.errors["me_ho_ten"][0]
    assert form.errors["me_ho_ten"] == form.errors["cha_ho_ten"]


@pytest.mark.parametrize("code", ["1.001193", "1.000656", "1.003197", "1.004222", "1.009664"])
def test_every_hand_made_definition_builds_a_form(code):
    # given a hand-made procedure definition shipped with the catalogue
    schema = load_definitions()[code]["form_schema"]
    # when its form is built
    form = build_form_class(schema)()
    # then every top-level property has a field (or a row group) labelled with its title, and it renders
    for key, node in schema["properties"].items():
        if node.get("type") == "array" and "properties" in (node.get("items") or {}):
            assert any(name.startswith(f"{key}.0.") for name in form.fields)
        else:
            assert form.fields[key].label == node["title"]
    assert all(
        form.fields[k].required
        for k in schema["required"]
        if k in form.fields and "const" not in schema["properties"][k]
    )
    html = "".join(str(form[name]) for name in form.fields)
    assert "<input" in html


def test_partial_data_keeps_invalid_input_for_a_draft():
    # given a half-typed form with a bad date
    form = build_form_class(RICH_SCHEMA)({"ho_ten": "An", "ngay_sinh": "31/02/2020", "so_ban": "x"})
    # then the draft keeps everything typed, valid or not
    data = form.partial_data()
    assert data["ho_ten"] == "An" and data["ngay_sinh"] == "31/02/2020" and data["so_ban"] == "x"
    assert "me" not in data


def test_display_rows_use_titles_and_choice_labels():
    # given a declaration
    data = {**VALID_BIRTH, "extra": "giữ lại"}
    rows = display_rows(BIRTH_SCHEMA, data)
    by_title = {r["title"]: r["value"] for r in rows}
    # then titles and choice labels are shown, dates the Vietnamese way, unknown keys still listed
    assert by_title["Giới tính"] == "Nam"
    assert by_title["Ngày, tháng, năm sinh"] == date(2026, 11, 20).strftime("%d/%m/%Y")
    assert by_title["extra"] == "giữ lại"
