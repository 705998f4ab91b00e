"""Checking a declaration against its procedure version's JSON Schema, with Vietnamese field errors."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from motcua.core.errors import ValidationFailed

_MESSAGES = {
    "required": "Chưa nhập trường bắt buộc.",
    "pattern": "Không đúng định dạng.",
    "format": "Không đúng định dạng.",
    "enum": "Giá trị không nằm trong danh sách cho phép.",
    "const": "Giá trị không hợp lệ.",
    "oneOf": "Giá trị không nằm trong danh sách cho phép.",
    "anyOf": "Giá trị không hợp lệ.",
    "type": "Sai kiểu dữ liệu.",
    "minLength": "Quá ngắn.",
    "maxLength": "Quá dài.",
    "minimum": "Giá trị quá nhỏ.",
    "maximum": "Giá trị quá lớn.",
    "exclusiveMinimum": "Giá trị quá nhỏ.",
    "additionalProperties": "Có trường không được phép.",
    "minItems": "Chưa đủ số mục.",
    "maxItems": "Quá nhiều mục.",
}


@lru_cache(maxsize=512)
def _validator(schema_key: str, schema_json: str) -> Draft202012Validator:
    import json

    return Draft202012Validator(json.loads(schema_json), format_checker=FormatChecker())


def _field_title(schema: dict, path: list[Any]) -> str:
    node: Any = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {}) if isinstance(node, dict) else {}
        else:
            node = node.get("properties", {}).get(part, {}) if isinstance(node, dict) else {}
    return node.get("title", "") if isinstance(node, dict) else ""


def _alternative_fields(err) -> list[str]:
    """For anyOf/oneOf whose branches are only `required` lists: the fields one of which must be filled."""
    if err.validator not in ("anyOf", "oneOf") or not isinstance(err.validator_value, list):
        return []
    names: list[str] = []
    for branch in err.validator_value:
        if not isinstance(branch, dict) or set(branch) != {"required"}:
            return []
        names.extend(n for n in branch["required"] if n not in names)
    return names


def validate_declaration(schema: dict, data: Any, *, cache_key: str = "") -> None:
    """Raise ValidationFailed listing every problem (not just the first), or return quietly."""
    import json

    if not isinstance(data, dict):
        raise ValidationFailed(
            "Tờ khai phải là một đối tượng JSON.", errors=[{"field": "data", "message": "Sai kiểu."}]
        )
    if not schema:
        return
    validator = _validator(cache_key, json.dumps(schema, sort_keys=True, ensure_ascii=False))
    errors = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = list(err.absolute_path)
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else ""
            path = [*path, missing]
        alternatives = _alternative_fields(err)
        if alternatives:
            # "at least one of": name the fields, and put the error on each so a form can show it there
            titles = [_field_title(schema, [*path, name]) or name for name in alternatives]
            message = "Cần nhập ít nhất một trong các trường: " + ", ".join(titles) + "."
            for name, title in zip(alternatives, titles, strict=True):
                errors.append({"field": ".".join(str(p) for p in [*path, name]), "title": title, "message": message})
            continue
        field = ".".join(str(p) for p in path) or "data"
        title = _field_title(schema, path)
        message = _MESSAGES.get(str(err.validator), "Giá trị không hợp lệ.")
        errors.append({"field": field, "title": title, "message": message})
    if errors:
        names = ", ".join(e["title"] or e["field"] for e in errors[:5])
        raise ValidationFailed(f"Tờ khai chưa hợp lệ ({len(errors)} lỗi): {names}.", errors=errors)
