"""Online forms built from a procedure version's JSON Schema (2020-12).

Procedures are data: a new version with a new declaration must not need new code. This module turns the
schema into a Django form (labels from "title", help from "description", choices from enum / oneOf-const,
fieldsets from nested objects and from the catalogue's ``x-groups``, repeatable rows from arrays of objects),
turns the cleaned form back into the declaration dict the dossier engine validates, and maps the engine's field
errors (dotted paths such as ``me.ho_ten`` or ``thanh_vien.0.ho_ten``) back onto the form fields.

The schema stays the single source of truth for what is valid: the form only helps the applicant type it right;
the server-side JSON Schema check in ``motcua.dossiers.validation`` has the last word.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

SEP = "."
MAX_DEPTH = 6
LONG_TEXT = 300  # strings allowed to be longer than this get a textarea
MAX_ROWS = 50  # repeatable rows (arrays of objects) shown at most


class DateInput(forms.DateInput):
    """The browser's own date picker; the value travels as ISO 8601 whatever the display locale."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class LinesField(forms.CharField):
    """A list of short strings typed one per line (JSON Schema array of strings)."""

    def __init__(self, *args: Any, item_max_length: int | None = None, **kwargs: Any) -> None:
        self.item_max_length = item_max_length
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, (list, tuple)):
            lines = [str(v).strip() for v in value]
        else:
            lines = [line.strip() for line in str(value or "").splitlines()]
        return [line for line in lines if line]

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if self.item_max_length:
            for line in value:
                if len(line) > self.item_max_length:
                    raise forms.ValidationError(
                        _("Mỗi dòng tối đa %(n)s ký tự.") % {"n": self.item_max_length}, code="max_length"
                    )

    def run_validators(self, value: Any) -> None:
        for line in value or []:
            super().run_validators(line)


class JSONTextField(forms.CharField):
    """Fallback for shapes we have no widget for: edited as JSON, so nothing is ever lost."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}))
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (list, dict)):
            return json.dumps(value, ensure_ascii=False, indent=1)
        return value

    def to_python(self, value: Any) -> Any:
        if isinstance(value, (list, dict)):
            return value
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Không đọc được dữ liệu (JSON)."), code="invalid") from exc


# --- reading the schema -------------------------------------------------------------------------------------


def _type_of(node: dict) -> str:
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind:
        return str(kind)
    return "object" if "properties" in node else "string"


def choices_of(node: dict) -> list[tuple[Any, str]] | None:
    """[(value, Vietnamese title)] from enum or oneOf/anyOf of consts; None when the field is free."""
    if not isinstance(node, dict):
        return None
    options = node.get("oneOf") or node.get("anyOf")
    if isinstance(options, list) and options and all(isinstance(o, dict) and "const" in o for o in options):
        return [(o["const"], str(o.get("title") or o["const"])) for o in options]
    if isinstance(node.get("enum"), list):
        titles = node.get("x-enumTitles") or node.get("enumTitles") or []
        return [(v, str(titles[i]) if i < len(titles) else str(v)) for i, v in enumerate(node["enum"]) if v is not None]
    return None


def _label(name: str, node: dict) -> str:
    return str(node.get("title") or name.replace("_", " ").capitalize())


def _is_object_array(node: dict) -> bool:
    items = node.get("items")
    return _type_of(node) == "array" and isinstance(items, dict) and bool(items.get("properties"))


def _coerce_choice(kind: str):
    if kind == "integer":
        return int
    if kind == "number":
        return lambda v: Decimal(str(v))
    if kind == "boolean":
        return lambda v: v in (True, "True", "true", "1")
    return str


def _choice_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def field_for(name: str, node: dict, *, required: bool) -> forms.Field:
    """One Django form field for one leaf of the schema."""
    kind = _type_of(node)
    common: dict[str, Any] = {
        "label": _label(name, node),
        "required": required,
        "help_text": str(node.get("description") or ""),
    }
    if "default" in node and not isinstance(node["default"], (dict, list)):
        common["initial"] = node["default"]
    if "const" in node and kind != "boolean":
        # A fixed value (e.g. the province this portal serves): shown, not editable, always sent.
        return forms.CharField(disabled=True, **{**common, "initial": node["const"], "required": False})
    choices = choices_of(node)
    if choices is not None and kind != "array":
        options = [(_choice_value(v), t) for v, t in choices]
        if len(options) <= 4:
            return forms.TypedChoiceField(
                choices=options, coerce=_coerce_choice(kind), empty_value=None, widget=forms.RadioSelect, **common
            )
        return forms.TypedChoiceField(
            choices=[("", _("— Chọn —")), *options], coerce=_coerce_choice(kind), empty_value=None, **common
        )
    if kind == "boolean":
        # Required in JSON Schema only means "present" (an unticked box sends false); a box that must be ticked
        # says const: true.
        common["required"] = node.get("const") is True
        return forms.BooleanField(**common)
    if kind == "integer":
        return forms.IntegerField(min_value=node.get("minimum"), max_value=node.get("maximum"), **common)
    if kind == "number":
        return forms.DecimalField(min_value=node.get("minimum"), max_value=node.get("maximum"), **common)
    if kind == "array":
        items = node.get("items") if isinstance(node.get("items"), dict) else {}
        item_choices = choices_of(items)
        if item_choices is not None:
            return forms.TypedMultipleChoiceField(
                choices=[(_choice_value(v), t) for v, t in item_choices],
                coerce=_coerce_choice(_type_of(items)),
                widget=forms.CheckboxSelectMultiple,
                **common,
            )
        if _type_of(items) == "string":
            field = LinesField(item_max_length=items.get("maxLength"), **common)
            if items.get("pattern"):
                field.validators.append(
                    RegexValidator(items["pattern"], message=_("Không đúng định dạng."), code="pattern")
                )
            if not field.help_text:
                field.help_text = _("Mỗi dòng một mục.")
            return field
        return JSONTextField(**common)
    if kind == "object":  # an object without properties: free-form JSON
        return JSONTextField(**common)
    fmt = node.get("format")
    if fmt == "date":
        return forms.DateField(widget=DateInput, input_formats=["%Y-%m-%d", "%d/%m/%Y"], **common)
    if fmt == "date-time":
        return forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
            **common,
        )
    if fmt == "email":
        return forms.EmailField(max_length=node.get("maxLength"), **common)
    max_length = node.get("maxLength")
    widget = forms.Textarea(attrs={"rows": 3}) if (max_length or 0) > LONG_TEXT else None
    field = forms.CharField(max_length=max_length, min_length=node.get("minLength"), widget=widget, **common)
    pattern = node.get("pattern")
    if pattern:
        field.validators.append(RegexValidator(pattern, message=_("Không đúng định dạng."), code="pattern"))
        if re.fullmatch(r"\^?(\\d|\[0-9\])(\{\d+(,\d*)?\}|\+)?\$?", pattern):
            field.widget.attrs.setdefault("inputmode", "numeric")
    return field


def _show_when(condition: dict | None) -> dict | None:
    if not condition or not isinstance(condition.get("field"), str):
        return None
    return {"field": condition["field"], "any": " ".join(str(v) for v in condition.get("any") or [])}


class _Builder:
    """Walks a schema once per form instance (rows of repeatable groups depend on the data)."""

    def __init__(self, rows: dict[str, int]) -> None:
        self.rows = rows
        self.fields: dict[str, forms.Field] = {}
        self.kinds: dict[str, str] = {}
        # x-groups' "show_when" ({"field": name, "any": [values]}): shown only when it applies (site.js; every
        # group stays visible without JavaScript, and the schema's if/then is what the server enforces).
        self.conditions: dict[str, dict] = {}

    def properties(self, node: dict, prefix: str, required_chain: bool, depth: int) -> list:
        props = node.get("properties") or {}
        required = set(node.get("required") or [])
        built = {}
        for key, child in props.items():
            child = child if isinstance(child, dict) else {}
            built[key] = self.one(key, child, f"{prefix}{key}", required_chain and key in required, depth)
        groups = node.get("x-groups") if depth == 0 else None
        if not groups:
            return [built[k] for k in props]
        structure, placed = [], set()
        for i, group in enumerate(groups):
            members = [k for k in group.get("fields") or [] if k in built and k not in placed]
            if not members:
                continue
            placed.update(members)
            if isinstance(group.get("show_when"), dict):
                self.conditions[f"nhom-{i + 1}"] = group["show_when"]
            structure.append(
                (
                    "group",
                    f"nhom-{i + 1}",
                    str(group.get("title") or ""),
                    str(group.get("description") or ""),
                    [built[k] for k in members],
                )
            )
        structure.extend(built[k] for k in props if k not in placed)
        return structure

    def one(self, key: str, node: dict, path: str, required: bool, depth: int) -> tuple:
        if _type_of(node) == "object" and node.get("properties") and depth < MAX_DEPTH:
            self.kinds[path] = "object"
            children = self.properties(node, path + SEP, required, depth + 1)
            return ("group", path, _label(key, node), str(node.get("description") or ""), children)
        if _is_object_array(node) and depth < MAX_DEPTH:
            self.kinds[path] = "object_array"
            items = node["items"]
            limit = min(int(node.get("maxItems") or MAX_ROWS), MAX_ROWS)
            count = max(1, min(self.rows.get(path, 1), limit))
            rows = []
            for i in range(count):
                # Rows are optional as a whole: an empty row is dropped; the engine checks a filled one.
                children = self.properties(items, f"{path}{SEP}{i}{SEP}", False, depth + 1)
                rows.append((f"{_label('', items) or _('Dòng')} {i + 1}", children))
            return ("array", path, _label(key, node), str(node.get("description") or ""), rows, count < limit)
        self.kinds[path] = _leaf_kind(node)
        self.fields[path] = field_for(key, node, required=required)
        return ("field", path)


def _leaf_kind(node: dict) -> str:
    kind = _type_of(node)
    if kind == "string" and node.get("format") in ("date", "date-time"):
        return node["format"]
    return kind


def _object_array_paths(node: dict, prefix: str = "", depth: int = 0) -> list[str]:
    out = []
    for key, child in (node.get("properties") or {}).items():
        if not isinstance(child, dict) or depth >= MAX_DEPTH:
            continue
        if _is_object_array(child):
            out.append(prefix + key)
        elif _type_of(child) == "object":
            out.extend(_object_array_paths(child, f"{prefix}{key}{SEP}", depth + 1))
    return out


class SchemaForm(forms.Form):
    """A form whose fields come from a JSON Schema. Field names are dotted paths into the declaration."""

    schema: dict = {}

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        *,
        data_dict: dict | None = None,
        add_rows: tuple[str, ...] | list[str] = (),
        prefill: dict[str, dict] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, files, **kwargs)
        rows = self._row_counts(data, data_dict or {}, add_rows)
        builder = _Builder(rows)
        self.structure = builder.properties(self.schema or {}, "", True, 0)
        self.kinds = builder.kinds
        self.fields = builder.fields
        self.conditions = builder.conditions
        if data_dict is not None:
            self.initial = {**flatten(data_dict, self.kinds), **self.initial}
        self.prefill: dict[str, dict] = {}
        self._apply_prefill(prefill or {})

    # --- provide once: values from the population registry ----------------------------------------------------
    def _apply_prefill(self, prefill: dict[str, dict]) -> None:
        """Fill fields from the registry. A read-only one shows the registry value (HTML readonly) and, whatever
        the browser posts, keeps it: the server puts the registry value back before validation. An editable one
        is only a starting value (a draft's own answer wins)."""
        locked: dict[str, Any] = {}
        for name, spec in prefill.items():
            field = self.fields.get(name)
            if field is None or not isinstance(spec, dict) or "value" not in spec:
                continue
            self.prefill[name] = spec
            value = spec["value"]
            widget = field.widget
            if isinstance(self.auto_id, str) and "%s" in self.auto_id:  # the source badge describes the field
                own = self.auto_id % name
                described = [f"{own}_nguon"] + ([f"{own}_helptext"] if field.help_text else [])
                widget.attrs["aria-describedby"] = " ".join(described)
            if spec.get("editable"):
                if _empty(self.initial.get(name)):
                    self.initial[name] = value
                continue
            self.initial[name] = value
            locked[name] = value
            if isinstance(widget, (forms.RadioSelect, forms.Select, forms.CheckboxInput)):
                widget.attrs["disabled"] = True  # no readonly for choices; the server supplies the value anyway
            else:
                widget.attrs["readonly"] = True
        if locked and self.is_bound:
            data = self.data.copy()
            for name, value in locked.items():
                data[name] = _choice_value(value) if not isinstance(value, str) else value
            self.data = data

    def registry_source(self, name: str) -> dict | None:
        """{"value", "source", "editable"} when the field was filled from the registry."""
        return self.prefill.get(name)

    def _row_counts(self, data: Any, data_dict: dict, add_rows: Any) -> dict[str, int]:
        counts: dict[str, int] = {}
        for path in _object_array_paths(self.schema or {}):
            n = 0
            if data is not None:
                pattern = re.compile(re.escape(path + SEP) + r"(\d+)" + re.escape(SEP))
                indexes = [int(m.group(1)) for k in data if (m := pattern.match(k))]
                n = max(indexes) + 1 if indexes else 0
            else:
                node: Any = data_dict
                for part in path.split(SEP):
                    node = node.get(part) if isinstance(node, dict) else None
                n = len(node) if isinstance(node, list) else 0
            counts[path] = max(n, 1) + sum(1 for p in add_rows if p == path)
        return counts

    # --- what the template walks -------------------------------------------------------------------------
    def layout(self) -> list[dict]:
        """Bound fields grouped as the schema nests them (objects and x-groups become fieldsets)."""

        def walk(items: list) -> list[dict]:
            out = []
            for item in items:
                if item[0] == "field":
                    out.append({"kind": "field", "field": self[item[1]], "registry": self.prefill.get(item[1])})
                elif item[0] == "group":
                    _, path, title, description, children = item
                    out.append(
                        {
                            "kind": "group",
                            "path": path,
                            "title": title,
                            "description": description,
                            "items": walk(children),
                            "show_when": _show_when(self.conditions.get(path)),
                        }
                    )
                else:
                    _, path, title, description, rows, can_add = item
                    out.append(
                        {
                            "kind": "array",
                            "path": path,
                            "title": title,
                            "description": description,
                            "rows": [{"title": t, "items": walk(children)} for t, children in rows],
                            "can_add": can_add,
                        }
                    )
            return out

        return walk(self.structure)

    # --- form → declaration ------------------------------------------------------------------------------
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._check_any_of_required(cleaned)
        return cleaned

    def _check_any_of_required(self, cleaned: dict) -> None:
        """Root ``anyOf: [{required: [a]}, {required: [b]}]`` ("the mother's or the father's name"), said on the
        fields themselves rather than as an anonymous schema error."""
        options = self.schema.get("anyOf") if isinstance(self.schema, dict) else None
        if not isinstance(options, list) or not options:
            return
        if not all(isinstance(o, dict) and set(o) == {"required"} for o in options):
            return
        if any(all(not _empty(cleaned.get(name)) for name in o["required"]) for o in options):
            return
        names = [n for o in options for n in o["required"] if n in self.fields]
        if not names:
            return
        titles = " " + str(_("hoặc")) + " "
        message = _("Cần nhập ít nhất một trong các trường: %(fields)s.") % {
            "fields": titles.join(str(self.fields[n].label) for n in names)
        }
        for name in names:
            if name not in self._errors:
                self.add_error(name, message)

    def to_data(self) -> dict:
        """The declaration dict from cleaned_data: empty optional values are left out, dates as ISO 8601."""
        values = {name: self.cleaned_data.get(name) for name in self.fields}
        return unflatten(values, self.kinds)

    def partial_data(self) -> dict:
        """What the applicant typed so far, valid or not, for a draft: nothing typed is thrown away."""
        values: dict[str, Any] = {}
        for name, field in self.fields.items():
            bound = self[name]
            raw = bound.initial if field.disabled else bound.data
            try:
                values[name] = field.clean(raw)
            except forms.ValidationError:
                values[name] = list(raw) if isinstance(raw, (list, tuple)) else raw
        return unflatten(values, self.kinds)

    # --- server errors → fields --------------------------------------------------------------------------
    def field_for_path(self, path: str) -> str | None:
        """The form field a dotted error path belongs to (``ds.0.x`` → that row's field; ``me`` → first me.*)."""
        if not path or path == "data":
            return None
        parts = path.split(SEP)
        while parts:
            name = SEP.join(parts)
            if name in self.fields:
                return name
            parts = parts[:-1]
        prefix = path + SEP
        return next((n for n in self.fields if n.startswith(prefix)), None)

    def add_problem_errors(self, errors: list[dict]) -> list[str]:
        """Attach each engine error to its field; return the messages that belong to no field."""
        leftover = []
        for err in errors or []:
            path = str(err.get("field") or "")
            message = str(err.get("message") or _("Giá trị không hợp lệ."))
            name = self.field_for_path(path)
            if name is not None:
                if name in self.errors and message in self.errors[name]:
                    continue
                self.add_error(name, message)
            else:
                title = err.get("title") or ("" if path in ("", "data") else path)
                leftover.append(f"{title}: {message}" if title else message)
        return leftover


def build_form_class(schema: dict, *, name: str = "DeclarationForm") -> type[SchemaForm]:
    """A SchemaForm subclass for one schema (one procedure version)."""
    return type(name, (SchemaForm,), {"schema": schema or {}})


# --- flat <-> nested ---------------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def unflatten(values: dict[str, Any], kinds: dict[str, str]) -> dict:
    """{"me.ho_ten": "A", "ds.0.x": 1} → {"me": {"ho_ten": "A"}, "ds": [{"x": 1}]}; empty values, rows and
    objects are left out so that optional parts stay absent rather than invalid."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if kinds.get(name) == "boolean":
            if value is None:
                continue
        elif _empty(value):
            continue
        node = out
        parts = name.split(SEP)
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _json_value(value)
    # Rows of repeatable groups arrive as {"0": {...}, "2": {...}}: make them lists, deepest first.
    arrays = sorted((p for p, k in kinds.items() if k == "object_array"), key=lambda p: -p.count(SEP))
    for path in arrays:
        parent: Any = out
        parts = path.split(SEP)
        for part in parts[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
            if parent is None:
                break
        if not isinstance(parent, dict) or not isinstance(parent.get(parts[-1]), dict):
            continue
        rows = parent[parts[-1]]
        items = [rows[k] for k in sorted(rows, key=lambda k: int(k) if k.isdigit() else 0) if rows[k]]
        if items:
            parent[parts[-1]] = items
        else:
            del parent[parts[-1]]
    return out


def flatten(data: dict, kinds: dict[str, str] | None = None, prefix: str = "") -> dict[str, Any]:
    """The inverse of unflatten, for a form's initial values; values the form keeps whole stay whole."""
    flat: dict[str, Any] = {}
    kinds = kinds or {}
    for key, value in (data or {}).items():
        path = f"{prefix}{key}"
        kind = kinds.get(path)
        if isinstance(value, dict) and kind in (None, "object"):
            flat.update(flatten(value, kinds, path + SEP))
        elif isinstance(value, list) and kind == "object_array":
            for i, row in enumerate(value):
                if isinstance(row, dict):
                    flat.update(flatten(row, kinds, f"{path}{SEP}{i}{SEP}"))
        else:
            flat[path] = value
    return flat


# --- read-only display ----------------------------------------------------------------------------------------


def _show(node: dict, value: Any) -> str:
    if isinstance(value, bool):
        return str(_("Có")) if value else str(_("Không"))
    items = node.get("items") if isinstance(node.get("items"), dict) else {}
    choices = choices_of(node) or choices_of(items)
    if choices is not None:
        titles = dict(choices)
        if isinstance(value, list):
            return ", ".join(titles.get(v, str(v)) for v in value)
        return titles.get(value, str(value))
    if isinstance(value, list):
        return "; ".join(json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if node.get("format") == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if isinstance(value, int) and _type_of(node) in ("integer", "number") and abs(value) >= 10000:
        return f"{value:,}".replace(",", ".")
    return str(value)


def display_rows(schema: dict, data: dict) -> list[dict]:
    """{title, value as text, depth, group} for every answer of a declaration, in schema order, for read-only
    pages (the desk reads the declaration with the same Vietnamese titles the applicant saw)."""
    rows: list[dict] = []

    def walk(node: dict, values: dict, depth: int) -> None:
        props = node.get("properties") or {}
        for key in props:
            if key not in values:
                continue
            child = props[key] if isinstance(props[key], dict) else {}
            value = values[key]
            if isinstance(value, dict) and child.get("properties") and depth < MAX_DEPTH:
                rows.append({"title": _label(key, child), "value": "", "depth": depth, "group": True})
                walk(child, value, depth + 1)
            elif isinstance(value, list) and _is_object_array(child) and depth < MAX_DEPTH:
                rows.append({"title": _label(key, child), "value": "", "depth": depth, "group": True})
                for i, item in enumerate(value):
                    rows.append(
                        {
                            "title": f"{_label('', child['items'])} {i + 1}",
                            "value": "",
                            "depth": depth + 1,
                            "group": True,
                        }
                    )
                    walk(child["items"], item if isinstance(item, dict) else {}, depth + 2)
            else:
                rows.append({"title": _label(key, child), "value": _show(child, value), "depth": depth, "group": False})
        for key, value in values.items():  # answers the schema does not describe: still shown, never hidden
            if key not in props:
                rows.append({"title": key, "value": _show({}, value), "depth": depth, "group": False})

    walk(schema or {}, data or {}, 0)
    return rows


def grouped_rows(schema: dict, data: dict) -> list[dict]:
    """[{title, rows: [{title, value}]}]: a read-only summary of a declaration under the catalogue's ``x-groups``
    (answers in no group come last, under an empty title), with the schema's titles and display_rows' formats."""
    schema = schema or {}
    data = {k: v for k, v in (data or {}).items() if not _empty(v)}
    props = schema.get("properties") or {}
    placed: set[str] = set()
    out = []
    for group in schema.get("x-groups") or []:
        members = [k for k in group.get("fields") or [] if k in data and k not in placed]
        if not members:
            continue
        placed.update(members)
        sub = {"properties": {k: props.get(k) or {} for k in members}}
        out.append({"title": str(group.get("title") or ""), "rows": display_rows(sub, {k: data[k] for k in members})})
    rest = {k: v for k, v in data.items() if k not in placed}
    if rest:
        sub = {"properties": {k: v for k, v in props.items() if k in rest}}
        out.append({"title": "", "rows": display_rows(sub, rest)})
    return out


def restrict_schema(schema: dict, names: set[str] | list[str]) -> dict:
    """The root-level schema of only these fields (their titles, rules, required flags and x-groups kept), for a
    form where only part of a declaration may be changed."""
    schema = schema or {}
    props = schema.get("properties") or {}
    keep = [k for k in props if k in set(names)]
    groups = [{**g, "fields": [f for f in g.get("fields") or [] if f in keep]} for g in schema.get("x-groups") or []]
    return {
        "type": "object",
        "properties": {k: props[k] for k in keep},
        "required": [k for k in schema.get("required") or [] if k in keep],
        "x-groups": [g for g in groups if g["fields"]],
    }
