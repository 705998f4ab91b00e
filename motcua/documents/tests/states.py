"""Dossiers in each state the forms care about, made through the real dossier services, and PDF text for tests."""

from __future__ import annotations

import io
import re
from datetime import datetime

from pypdf import PdfReader

from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from motcua.portal.tests.helpers import submit_online
from motcua.worktime.calc import TZ

MISSING = ["Giấy chứng sinh (bản chính)", "Văn bản ủy quyền có chứng thực của người đi khai sinh"]
SUPPLEMENT_NOTE = "Bản chụp giấy chứng sinh bị mờ, không đọc được số; thiếu văn bản ủy quyền."
REFUSAL_REASONS = ["Trẻ sinh tại tỉnh Lạng Sơn, không thuộc thẩm quyền của phường Hạ Long", "Thiếu tờ khai hợp lệ"]
APOLOGY_NOTE = "Cần xác minh thông tin nơi cư trú của người mẹ với Công an tỉnh."


def at(*args: int) -> datetime:
    """A local (+07:00) instant."""
    return datetime(*args, tzinfo=TZ)


def pdf_pages(data: bytes) -> list[str]:
    """Each page's text, whitespace collapsed (a phrase wrapped over two lines still reads as one)."""
    assert data.startswith(b"%PDF-")
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    return " ".join(pdf_pages(data))


def refresh(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_related("procedure", "agency", "version").get(pk=dossier.pk)


def accepted(world) -> Dossier:
    dossier = submit_online(world).dossier
    checklist = [{"doc": "TP1", "name": "Giấy chứng sinh", "present": True, "original": True}]
    return services.perform(world.desk, dossier, "accept", payload={"checklist": checklist})


def supplement_requested(world) -> Dossier:
    dossier = submit_online(world).dossier
    return services.perform(
        world.desk, dossier, "request_supplement", note=SUPPLEMENT_NOTE, payload={"missing": list(MISSING)}
    )


def refused(world) -> Dossier:
    dossier = submit_online(world).dossier
    return services.perform(
        world.desk, dossier, "refuse", note="Không đủ điều kiện tiếp nhận", payload={"reasons": list(REFUSAL_REASONS)}
    )


def reappointed(world) -> Dossier:
    dossier = accepted(world)
    return services.perform(world.leader, dossier, "reappoint", note=APOLOGY_NOTE, payload={"extra_working_days": 2})


def returned(world) -> Dossier:
    """Accepted → specialist → leader (sent back once) → specialist → leader → result → returned."""
    dossier = accepted(world)
    dossier = services.perform(world.specialist, dossier, "trinh_ky", note="Đủ điều kiện, trình ký")
    dossier = services.perform(world.leader, dossier, "tra_lai", note="Kiểm tra lại họ tên của mẹ")
    dossier = services.perform(world.specialist, dossier, "trinh_ky", note="Đã kiểm tra lại")
    dossier = services.perform(world.leader, dossier, "phe_duyet")
    return services.perform(world.desk, dossier, "return_result", payload={"method": "desk"})
