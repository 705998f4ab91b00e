"""Procedure workflows as data: the processing steps between the desk's acceptance and "result ready".

The desk's reception (accept / request_supplement / refuse) and the final return_result belong to the dossier
engine; a workflow only lists the processing steps, who works each one, what share of the statutory time it gets,
and the actions that move the dossier on ("to": a step code, or "result" when the result is ready for the desk).
"""

from __future__ import annotations

import copy
from typing import Any

from motcua.core.errors import ValidationFailed

STEP_ROLES = ("desk", "specialist", "leader", "coordinator")
ACTION_KINDS = ("forward", "back", "other")
RESULT = "result"
# Names the dossier engine handles itself: a step action must not shadow them.
RESERVED_ACTIONS = frozenset(
    {"accept", "request_supplement", "refuse", "return_result", "supplement", "withdraw", "reappoint", "undo"}
)


def default_workflow() -> dict[str, Any]:
    """Specialist examines, leader signs: the shape most one-stop procedures follow. The desk keeps 10%."""
    return {
        "steps": [
            {
                "code": "xu_ly",
                "name": "Thẩm định, xử lý",
                "role": "specialist",
                "share": 0.6,
                "actions": [{"action": "trinh_ky", "label": "Trình lãnh đạo ký", "to": "phe_duyet", "kind": "forward"}],
            },
            {
                "code": "phe_duyet",
                "name": "Phê duyệt, ký kết quả",
                "role": "leader",
                "share": 0.3,
                "actions": [
                    {"action": "phe_duyet", "label": "Phê duyệt, ký kết quả", "to": RESULT, "kind": "forward"},
                    {"action": "tra_lai", "label": "Trả lại chuyên viên", "to": "xu_ly", "kind": "back"},
                ],
            },
        ],
        "undo": True,
    }


def _fail(problems: list[str]) -> None:
    raise ValidationFailed(
        "Quy trình không hợp lệ: " + "; ".join(problems),
        errors=[{"field": "workflow", "message": p} for p in problems],
    )


def validate_workflow(wf: Any) -> None:
    """Refuse a workflow the dossier engine could get stuck in, listing every problem in Vietnamese."""
    problems: list[str] = []
    if not isinstance(wf, dict) or not isinstance(wf.get("steps"), list) or not wf["steps"]:
        _fail(["phải có danh sách bước xử lý (steps) không rỗng"])
    steps = wf["steps"]
    codes = [s.get("code") if isinstance(s, dict) else None for s in steps]
    if len(set(codes)) != len(codes):
        problems.append("mã bước bị trùng")
    if RESULT in codes:
        problems.append(f"'{RESULT}' là mã dành riêng, không dùng làm mã bước")
    total = 0.0
    reaches_result = False
    for index, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            problems.append(f"bước {index} phải là một đối tượng")
            continue
        code = step.get("code")
        label = f"bước '{code or index}'"
        if not isinstance(code, str) or not code:
            problems.append(f"bước {index} thiếu mã (code)")
        if not step.get("name"):
            problems.append(f"{label} thiếu tên")
        if step.get("role") not in STEP_ROLES:
            problems.append(f"{label} có vai trò '{step.get('role')}' không hợp lệ (cho phép: {', '.join(STEP_ROLES)})")
        share = step.get("share")
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            problems.append(f"{label} có tỷ lệ thời gian (share) phải trong khoảng (0, 1]")
        else:
            total += share
        actions = step.get("actions")
        if not isinstance(actions, list) or not actions:
            problems.append(f"{label} phải có ít nhất một thao tác")
            continue
        names = [a.get("action") if isinstance(a, dict) else None for a in actions]
        if len(set(names)) != len(names):
            problems.append(f"{label} có tên thao tác bị trùng")
        for action in actions:
            if not isinstance(action, dict):
                problems.append(f"{label} có thao tác không phải đối tượng")
                continue
            name = action.get("action")
            if not isinstance(name, str) or not name:
                problems.append(f"{label} có thao tác thiếu tên (action)")
            elif name in RESERVED_ACTIONS:
                problems.append(f"{label}: thao tác '{name}' trùng tên thao tác của bộ phận một cửa")
            if not action.get("label"):
                problems.append(f"{label}: thao tác '{name}' thiếu nhãn hiển thị (label)")
            target = action.get("to")
            if target == RESULT:
                reaches_result = True
            elif target not in codes:
                problems.append(f"{label}: thao tác '{name}' chuyển tới bước '{target}' không tồn tại")
            if action.get("kind", "forward") not in ACTION_KINDS:
                problems.append(f"{label}: thao tác '{name}' có loại '{action.get('kind')}' không hợp lệ")
    if total > 1 + 1e-9:
        problems.append(f"tổng tỷ lệ thời gian các bước là {total:g}, không được vượt quá 1")
    if not reaches_result:
        problems.append("không có thao tác nào hoàn thành kết quả (to: 'result')")
    if "undo" in wf and not isinstance(wf["undo"], bool):
        problems.append("'undo' phải là true hoặc false")
    if problems:
        _fail(problems)


_RESULT_DELIVERY = {
    "type": "string",
    "title": "Hình thức nhận kết quả",
    "description": "Nơi và cách thức anh/chị muốn nhận kết quả giải quyết thủ tục.",
    "oneOf": [
        {"const": "truc_tiep", "title": "Nhận trực tiếp tại bộ phận một cửa"},
        {"const": "buu_chinh", "title": "Nhận qua dịch vụ bưu chính công ích"},
        {"const": "truc_tuyen", "title": "Nhận bản điện tử trên Cổng dịch vụ công / VNeID"},
    ],
    "default": "truc_tiep",
}


def result_delivery_field() -> dict[str, Any]:
    """The result-delivery choice every declaration ends with (shared by the hand-made definitions)."""
    return copy.deepcopy(_RESULT_DELIVERY)


def default_form_schema(procedure_record: dict[str, Any]) -> dict[str, Any]:
    """A generic declaration for procedures without a hand-made form: who asks, how to reach them, what they ask."""
    name = procedure_record.get("name") or procedure_record.get("code") or "thủ tục hành chính"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": f"Tờ khai: {name}",
        "description": "Tờ khai chung cho thủ tục chưa có biểu mẫu điện tử riêng.",
        "properties": {
            "ho_ten": {
                "type": "string",
                "title": "Họ, chữ đệm và tên người nộp hồ sơ",
                "description": "Ghi bằng chữ in hoa hoặc chữ thường, có dấu.",
                "minLength": 2,
                "maxLength": 100,
            },
            "so_dinh_danh": {
                "type": "string",
                "title": "Số định danh cá nhân",
                "description": "12 chữ số trên thẻ căn cước / căn cước công dân.",
                "pattern": r"^\d{12}$",
            },
            "dien_thoai": {
                "type": "string",
                "title": "Số điện thoại liên hệ",
                "description": "Số di động để nhận tin nhắn về hồ sơ.",
                "pattern": r"^(0|\+84)\d{9,10}$",
            },
            "email": {
                "type": "string",
                "title": "Thư điện tử",
                "description": "Không bắt buộc.",
                "format": "email",
            },
            "dia_chi": {
                "type": "string",
                "title": "Địa chỉ liên hệ",
                "description": "Số nhà, đường/thôn, xã/phường, tỉnh/thành phố.",
                "minLength": 5,
                "maxLength": 255,
            },
            "noi_dung": {
                "type": "string",
                "title": "Nội dung yêu cầu giải quyết",
                "description": "Trình bày ngắn gọn việc anh/chị đề nghị cơ quan giải quyết.",
                "minLength": 5,
                "maxLength": 4000,
            },
            "hinh_thuc_nhan_ket_qua": result_delivery_field(),
        },
        "required": ["ho_ten", "so_dinh_danh", "dien_thoai", "dia_chi", "noi_dung", "hinh_thuc_nhan_ket_qua"],
    }


_EFFECTIVE_KEYS = ("documents", "workflow", "time_value", "time_unit")


def choose_variant(version: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The definition that applies to one declaration: the first variant whose `when` matches, else the version.

    A variant applies when data[when.field] == when.equals; keys it leaves out fall back to the version's own.
    Works on a ProcedureVersion or on a plain dict with the same keys. The result shares the version's lists and
    dicts (it is on every submission's hot path): treat it as read-only.
    """

    def get(key: str) -> Any:
        return version.get(key) if isinstance(version, dict) else getattr(version, key, None)

    effective: dict[str, Any] = {"code": "", **{key: get(key) for key in _EFFECTIVE_KEYS}}
    data = data or {}
    for variant in get("variants") or []:
        when = variant.get("when") or {}
        field = when.get("field")
        if field and field in data and data.get(field) == when.get("equals"):
            effective["code"] = variant.get("code", "")
            for key in _EFFECTIVE_KEYS:
                if variant.get(key) is not None:
                    effective[key] = variant[key]
            break
    return effective
