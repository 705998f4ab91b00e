"""The fault switches every simulator shares: parsed from the admin JSON (POST /__admin/faults) with a clear
Vietnamese message, and changed as a copy so a request never sees half an update."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any, ClassVar, Self


def count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or value != int(value):
        raise ValueError("phải là số nguyên không âm")
    return int(value)


def seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError("phải là số giây không âm")
    return float(value)


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("phải là true hoặc false")
    return value


def http_status(lowest: int = 500) -> Callable[[Any], int]:
    """An HTTP error status from `lowest` to 599 (5xx only by default)."""
    what = "mã HTTP 5xx" if lowest >= 500 else "mã HTTP 4xx hoặc 5xx"

    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= 599:
            raise ValueError(f"phải là {what}")
        return value

    return parse


class FaultSet:
    """Base of a simulator's `Faults` dataclass: each field has a parser in PARSERS."""

    PARSERS: ClassVar[dict[str, Callable[[Any], Any]]] = {}
    ALIASES: ClassVar[dict[str, str]] = {"fail_status": "status"}

    def updated(self, data: dict[str, Any]) -> Self:
        """A copy with the given faults (admin JSON names), or ValueError naming the bad one."""
        changes = {}
        for name, value in data.items():
            key = self.ALIASES.get(name, name)
            if key not in self.PARSERS:
                raise ValueError(f"Không có lỗi giả lập «{name}».")
            try:
                changes[key] = self.PARSERS[key](value)
            except ValueError as exc:
                raise ValueError(f"Giá trị của «{name}» {exc}.") from None
        return replace(self, **changes)  # type: ignore[type-var]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


def admin_update(handler: Any, current: FaultSet, *, extra: Callable[[dict, bool], Any] | None = None) -> None:
    """POST /__admin/faults, the same in every simulator: a JSON object of fault switches (`"reset": true` starts
    from a clean set first). Answers 400 naming the bad switch and changes nothing, or 200 with the new set.

    `extra(data, reset)` lets a simulator take its own keys out of `data` first (e.g. the agency's `mode`); it
    returns what to store with the faults and may raise ValueError. The server's `state` must have `lock` and
    `faults`; `state.apply_admin(faults, extra_value, reset)`, when present, stores the result and returns the
    answer's extra fields."""
    st = handler.state
    try:
        data = handler.json_body()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        handler.send_json({"error": "invalid_request", "error_description": "Cần một đối tượng JSON."}, 400)
        return
    data = dict(data)
    reset = data.pop("reset", False)
    with st.lock:
        try:
            if not isinstance(reset, bool):
                raise ValueError("Giá trị của «reset» phải là true hoặc false.")
            extra_value = extra(data, reset) if extra else None
            updated = (type(current)() if reset else current).updated(data)
        except ValueError as exc:
            answer, status = {"error": "invalid_request", "error_description": str(exc)}, 400
        else:
            st.faults = updated
            more = st.apply_admin(extra_value, reset) if hasattr(st, "apply_admin") else {}
            answer, status = {**updated.as_dict(), **more}, 200
    handler.send_json(answer, status)
