"""What an applicant owes for one dossier: the pinned version's fee rule applied to the declaration. Pure.

Money is integer VND everywhere (a float amount makes the rule unusable, never rounded). A rule that cannot be
computed (a text-only fee from the catalogue, an unknown kind, a malformed amount, a category the rule does not
price) creates **no online obligation**: the fee, if any, is collected at the desk as before.

Shapes of `ProcedureVersion.fee_rule` understood here (every key but `kind` optional):

    {"kind": "free", "text": "Miễn lệ phí"}
    {"kind": "fixed", "amount": 10000, "by_channel": {"online": 10000, "in_person": 20000}}
    {"kind": "per_copy", "amount": 8000, "field": "so_ban_sao"}               # amount × copies declared
    {"kind": "by_category", "field": "loai", "amounts": {"a": 50000, "b": 0}, "default": 20000}
    {"kind": "sum", "parts": [{"kind": "fixed", ...}, {"kind": "per_copy", ...}]}
    {"kind": "text", "text": "Theo Thông tư ..."}                             # not computable: pay at the desk

Any rule (and any part of a sum) may carry `"exempt_when": {"field": f, "in": [v, ...]}` (or `"equals": v`, or
a list of such conditions: one match exempts), `"label"` (the receipt's line), `"text"` (shown to people). The
top-level rule may say `"pay_at_desk": true`: the applicant may pay at the one-stop desk instead of online.
`by_channel` replaces `amount` for the channel the dossier came in by (the catalogue's online discounts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FREE, FIXED, PER_COPY, BY_CATEGORY, SUM, TEXT = "free", "fixed", "per_copy", "by_category", "sum", "text"
KINDS = (FREE, FIXED, PER_COPY, BY_CATEGORY, SUM, TEXT)
MAX_COPIES = 1000  # more copies than this is a typing error, not a fee
DEFAULT_LABELS = {FIXED: "Phí, lệ phí", PER_COPY: "Phí cấp bản sao", BY_CATEGORY: "Phí, lệ phí"}


@dataclass(frozen=True)
class FeeLine:
    label: str
    quantity: int
    unit_vnd: int

    @property
    def total_vnd(self) -> int:
        return self.quantity * self.unit_vnd


@dataclass(frozen=True)
class Fee:
    """The result for one dossier. `amount_vnd` is what is owed; `computable` False means "pay at the desk"."""

    amount_vnd: int
    kind: str
    text: str = ""
    lines: tuple[FeeLine, ...] = field(default_factory=tuple)
    exempt: bool = False
    computable: bool = True
    pay_at_desk: bool = False
    reason: str = ""

    @property
    def payable_online(self) -> bool:
        """An amount is owed and the platform knows it exactly: the applicant can (and must) pay it online."""
        return self.computable and self.amount_vnd > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "amount_vnd": self.amount_vnd,
            "kind": self.kind,
            "text": self.text,
            "exempt": self.exempt,
            "computable": self.computable,
            "payable_online": self.payable_online,
            "pay_at_desk": self.pay_at_desk,
            "reason": self.reason,
            "lines": [
                {"label": x.label, "quantity": x.quantity, "unit_vnd": x.unit_vnd, "total_vnd": x.total_vnd}
                for x in self.lines
            ],
        }


class _NotComputable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def vnd(value: Any) -> int | None:
    """A non-negative integer amount, or None (floats, strings and booleans are not money here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _same(a: Any, b: Any) -> bool:
    """Equality without Python's True == 1: a declared `true` is not the category `1`."""
    return type(a) is type(b) and a == b


def _matches(data: dict, condition: Any) -> bool:
    if isinstance(condition, list):
        return any(_matches(data, c) for c in condition)
    if not isinstance(condition, dict) or not condition.get("field"):
        raise _NotComputable("Điều kiện miễn phí không hợp lệ.")
    value = data.get(condition["field"])
    if "in" in condition:
        options = condition["in"]
        if not isinstance(options, list):
            raise _NotComputable("Điều kiện miễn phí không hợp lệ.")
        return any(_same(value, option) for option in options)
    if "equals" in condition:
        return _same(value, condition["equals"])
    raise _NotComputable("Điều kiện miễn phí không hợp lệ.")


def _unit(rule: dict, channel: str) -> int:
    by_channel = rule.get("by_channel")
    raw = by_channel[channel] if isinstance(by_channel, dict) and channel in by_channel else rule.get("amount")
    amount = vnd(raw)
    if amount is None:
        raise _NotComputable("Mức thu không phải là số tiền nguyên (đồng).")
    return amount


def _category_key(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    return None


def _lines(rule: Any, data: dict, channel: str, depth: int = 0) -> tuple[list[FeeLine], bool]:
    """(lines, exempt) of one rule or part; raises _NotComputable."""
    if not isinstance(rule, dict):
        raise _NotComputable("Quy định phí không hợp lệ.")
    kind = rule.get("kind")
    if "exempt_when" in rule and _matches(data, rule["exempt_when"]):
        return [], True
    label = str(rule.get("label") or DEFAULT_LABELS.get(kind, "Phí, lệ phí"))
    if kind == FREE:
        return [], False
    if kind == FIXED:
        unit = _unit(rule, channel)
        return ([FeeLine(label, 1, unit)] if unit else []), False
    if kind == PER_COPY:
        unit = _unit(rule, channel)
        name = rule.get("field")
        if not name:
            raise _NotComputable("Quy định phí theo bản sao thiếu tên trường số bản.")
        raw = data.get(name, 0)
        copies = 0 if raw is None else vnd(raw)
        if copies is None or copies > MAX_COPIES:
            raise _NotComputable("Số bản sao trong tờ khai không hợp lệ.")
        return ([FeeLine(label, copies, unit)] if copies and unit else []), False
    if kind == BY_CATEGORY:
        amounts, name = rule.get("amounts"), rule.get("field")
        if not isinstance(amounts, dict) or not name:
            raise _NotComputable("Quy định phí theo trường hợp không hợp lệ.")
        key = _category_key(data.get(name))
        raw = amounts[key] if key is not None and key in amounts else rule.get("default")
        if raw is None:
            raise _NotComputable("Không xác định được mức thu cho trường hợp đã khai.")
        unit = vnd(raw)
        if unit is None:
            raise _NotComputable("Mức thu không phải là số tiền nguyên (đồng).")
        return ([FeeLine(label, 1, unit)] if unit else []), False
    if kind == SUM and depth == 0:
        parts = rule.get("parts")
        if not isinstance(parts, list) or not parts:
            raise _NotComputable("Quy định phí gộp không có thành phần.")
        lines: list[FeeLine] = []
        for part in parts:
            lines.extend(_lines(part, data, channel, depth + 1)[0])
        return lines, False
    if kind == TEXT:
        raise _NotComputable("Mức thu được quy định bằng văn bản: nộp tại bộ phận một cửa.")
    raise _NotComputable("Loại quy định phí chưa được hỗ trợ: nộp tại bộ phận một cửa.")


def compute(rule: dict | None, data: dict | None, channel: str = "online") -> Fee:
    """The fee one declaration owes under one rule. Never raises: an unusable rule gives a non-computable Fee."""
    rule = rule if isinstance(rule, dict) else {}
    data = data if isinstance(data, dict) else {}
    kind = str(rule.get("kind") or "")
    text = str(rule.get("text") or "")
    pay_at_desk = rule.get("pay_at_desk") is True
    if not rule:
        return Fee(0, "", text, computable=False, reason="Thủ tục chưa có quy định phí, lệ phí.")
    try:
        lines, exempt = _lines(rule, data, channel)
    except _NotComputable as exc:
        return Fee(0, kind, text, computable=False, pay_at_desk=True, reason=exc.reason)
    if exempt:
        return Fee(0, kind, text, exempt=True, pay_at_desk=pay_at_desk, reason="Thuộc trường hợp được miễn.")
    total = sum(line.total_vnd for line in lines)
    return Fee(total, kind, text, tuple(lines), pay_at_desk=pay_at_desk)
