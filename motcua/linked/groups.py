"""The linked groups (Decree 63/2024) as data: `groups/*.json`, checked once when first read.

A group lists its steps (one per agency), what each waits for (`after`), the message kind and partner that
carry it, its own time (`working_days`, 0 = the same working day) and how its payload is built from the
declaration (`data.<field>`), from earlier steps' results (`steps.<code>.<field>`) or a constant (`const:…`);
`{"*": "data"}` passes the whole declaration. `choose` lets the applicant pick which steps to run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from motcua.core.errors import ValidationFailed

GROUPS_DIR = Path(__file__).resolve().parent / "groups"


@dataclass(frozen=True)
class StepSpec:
    code: str
    name: str
    procedure: str
    partner: str
    kind: str
    after: tuple[str, ...]
    working_days: int
    result_name: str
    payload: dict[str, str]


@dataclass(frozen=True)
class GroupSpec:
    code: str
    name: str
    short_name: str
    limit_with_verification: int  # the usual limit, cut-off and supplement time are the umbrella procedure's
    steps: tuple[StepSpec, ...]
    choose: dict[str, Any] | None = None
    legal_basis: str = ""
    by_code: dict[str, StepSpec] = field(default_factory=dict, compare=False, repr=False)

    def selected_steps(self, data: dict) -> list[StepSpec]:
        """The steps this declaration asks for: all, or the mandatory ones plus the applicant's choice."""
        if not self.choose:
            return list(self.steps)
        chosen = data.get(self.choose["field"]) or []
        wanted = set(self.choose.get("mandatory", [])) | {c for c in chosen if c in self.by_code}
        return [s for s in self.steps if s.code in wanted]


def _check(raw: dict, path: Path) -> GroupSpec:
    problems: list[str] = []
    seen: list[str] = []
    steps = []
    for index, item in enumerate(raw.get("steps") or [], start=1):
        code = item.get("code")
        if not code or code in seen:
            problems.append(f"bước {index}: mã trống hoặc trùng")
        for dep in item.get("after") or []:
            if dep not in seen:  # only earlier steps: the graph cannot have a cycle
                problems.append(f"bước '{code}' chờ bước '{dep}' không đứng trước nó")
        for key in ("name", "partner", "kind"):
            if not item.get(key):
                problems.append(f"bước '{code}' thiếu '{key}'")
        for target, source in (item.get("payload") or {}).items():
            if not isinstance(source, str) or source.split(".")[0].split(":")[0] not in ("data", "steps", "const"):
                problems.append(f"bước '{code}': nguồn '{source}' của '{target}' không hợp lệ")
            elif source.startswith("steps.") and source.split(".")[1] not in (item.get("after") or []):
                problems.append(f"bước '{code}' dùng kết quả bước '{source.split('.')[1]}' mà không chờ bước đó")
        seen.append(code)
        steps.append(
            StepSpec(
                code=code,
                name=item.get("name", ""),
                procedure=item.get("procedure", ""),
                partner=item.get("partner", ""),
                kind=item.get("kind", ""),
                after=tuple(item.get("after") or ()),
                working_days=int(item.get("working_days", 0)),
                result_name=item.get("result_name", ""),
                payload=dict(item.get("payload") or {}),
            )
        )
    if not steps:
        problems.append("nhóm phải có ít nhất một bước")
    choose = raw.get("choose")
    if choose:
        unknown = [c for c in choose.get("mandatory", []) if c not in seen]
        if unknown or not choose.get("field"):
            problems.append("'choose' phải có 'field' và các bước bắt buộc có thật")
    if problems:
        raise ValidationFailed(f"Nhóm liên thông {path.name}: " + "; ".join(problems))
    spec = GroupSpec(
        code=raw["code"],
        name=raw["name"],
        short_name=raw.get("short_name", raw["name"]),
        limit_with_verification=int(raw["limit_working_days_with_verification"]),
        steps=tuple(steps),
        choose=choose,
        legal_basis=raw.get("legal_basis", ""),
    )
    spec.by_code.update({s.code: s for s in steps})
    return spec


@lru_cache(maxsize=1)
def all_groups() -> dict[str, GroupSpec]:
    """Every group by its procedure code (the code the umbrella dossier is received under)."""
    found = {}
    for path in sorted(GROUPS_DIR.glob("*.json")):
        spec = _check(json.loads(path.read_text(encoding="utf-8")), path)
        found[spec.code] = spec
    return found


def group_for(procedure_code: str) -> GroupSpec | None:
    return all_groups().get(procedure_code)


def build_payload(step: StepSpec, data: dict, results: dict[str, dict]) -> dict:
    """The message payload for a step, from the declaration and the results of the steps it waited for."""
    payload: dict[str, Any] = {}
    for target, source in step.payload.items():
        if target == "*" and source == "data":
            payload.update(data)
        elif source.startswith("const:"):
            payload[target] = source[len("const:") :]
        elif source.startswith("data."):
            value = data.get(source[len("data.") :])
            if value not in (None, ""):
                payload[target] = value
        elif source.startswith("steps."):
            _, code, name = source.split(".", 2)
            value = (results.get(code) or {}).get(name)
            if value not in (None, ""):
                payload[target] = value
    return payload
