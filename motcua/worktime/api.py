"""GET /deadline: the appointment date for a time limit, as the desk and the portal compute it."""

from __future__ import annotations

import re
from datetime import datetime, time

from django.http import HttpRequest
from ninja import Query, Router, Schema

from motcua.core.errors import NotFound, ValidationFailed
from motcua.worktime.calc import TZ, UNITS
from motcua.worktime.services import compute_deadline

router = Router(tags=["worktime"])

MAX_AMOUNT = 10000
# "2026-02-13T10:00:00+07:00" sent unencoded in a query string arrives as "...10:00:00 07:00".
_SPACE_OFFSET = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


class DeadlineOut(Schema):
    start: str
    amount: int
    unit: str
    due_at: str


def _parse_start(value: str) -> datetime:
    text = _SPACE_OFFSET.sub(r"\1+\2", value.strip())
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed(
            "Thời điểm bắt đầu không đúng định dạng ISO 8601 (ví dụ 2026-02-13T10:00:00+07:00).",
            errors=[{"field": "start", "message": f"Không đọc được {value!r}"}],
        ) from exc
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=TZ)  # no offset given: local time in Việt Nam
    return dt.astimezone(TZ)


def _procedure_cutoff(code: str) -> time | None:
    from motcua.catalog.models import Procedure, ProcedureVersion

    try:
        procedure = Procedure.objects.get(code=code)
        version = procedure.versions.get(is_current=True)
    except (Procedure.DoesNotExist, ProcedureVersion.DoesNotExist) as exc:
        raise NotFound(f"Không tìm thấy thủ tục có mã {code} (hoặc thủ tục chưa có phiên bản hiệu lực).") from exc
    return version.cutoff


def _agency(code: str) -> object:
    from motcua.catalog.models import Agency

    try:
        return Agency.objects.get(code=code)
    except Agency.DoesNotExist as exc:
        raise NotFound(f"Không tìm thấy cơ quan có mã {code}.") from exc


@router.get("/deadline", response=DeadlineOut, summary="Tính thời hạn giải quyết theo ngày/giờ làm việc")
def deadline(
    request: HttpRequest,
    start: str = Query(..., description="Thời điểm tiếp nhận, ISO 8601; không có múi giờ thì hiểu là giờ Việt Nam"),
    amount: int = Query(..., description=f"Thời hạn, số nguyên 0..{MAX_AMOUNT}"),
    unit: str = Query(..., description="working_days (ngày làm việc) hoặc working_hours (giờ làm việc)"),
    agency: str | None = Query(None, description="Mã cơ quan: dùng giờ làm việc của cơ quan"),
    procedure: str | None = Query(None, description="Mã thủ tục: dùng giờ tiếp nhận tính sang ngày sau (cut-off)"),
) -> dict[str, object]:
    """Working days: closing time of the N-th working day after day 0; hours: exact working time."""
    if unit not in UNITS:
        raise ValidationFailed(
            "Đơn vị thời hạn phải là working_days (ngày làm việc) hoặc working_hours (giờ làm việc).",
            errors=[{"field": "unit", "message": f"Không hỗ trợ {unit!r}"}],
        )
    if not 0 <= amount <= MAX_AMOUNT:
        raise ValidationFailed(
            f"Thời hạn phải từ 0 đến {MAX_AMOUNT}.",
            errors=[{"field": "amount", "message": f"Nhận {amount}"}],
        )
    start_dt = _parse_start(start)
    agency_obj = _agency(agency) if agency else None
    cutoff = _procedure_cutoff(procedure) if procedure else None
    due = compute_deadline(start_dt, amount, unit, agency=agency_obj, cutoff=cutoff)
    return {"start": start_dt.isoformat(), "amount": amount, "unit": unit, "due_at": due.isoformat()}
