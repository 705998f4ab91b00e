"""Forms 01-05 of Circular 01/2018/TT-VPCP from real dossiers: Vietnamese text, the dossier's data, the rules of when
each form exists. The PDFs are read back with pypdf."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.core.errors import Conflict
from motcua.documents import forms
from motcua.documents.pdf import vn_datetime
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, DossierAction, Status
from motcua.portal.tests.helpers import submit_online

from .states import (
    APOLOGY_NOTE,
    MISSING,
    REFUSAL_REASONS,
    SUPPLEMENT_NOTE,
    accepted,
    at,
    pdf_text,
    reappointed,
    refresh,
    refused,
    returned,
    supplement_requested,
)

HEADER = [
    "UBND TỈNH QUẢNG NINH",
    "UBND PHƯỜNG HẠ LONG",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
]


def _assert_all(text: str, *phrases: str) -> None:
    missing = [p for p in phrases if p not in text]
    assert not missing, f"not in the PDF: {missing}\n---\n{text}"


def test_receipt_has_the_header_the_code_the_documents_and_the_appointment_but_no_pin(world):
    # given a dossier submitted online (with its PIN) and accepted by the desk with the birth certificate checked
    submitted = submit_online(world)
    checklist = [{"doc": "TP1", "name": "Giấy chứng sinh", "present": True, "original": True}]
    dossier = services.perform(world.desk, submitted.dossier, "accept", payload={"checklist": checklist})
    # and fixed instants, so the written-out dates are known
    Dossier.objects.filter(pk=dossier.pk).update(
        submitted_at=at(2026, 11, 25, 7, 45),
        accepted_at=at(2026, 11, 25, 8, 30),
        original_due_at=at(2026, 11, 28, 10, 0),
        due_at=at(2026, 11, 28, 10, 0),
    )
    # when the receipt is generated
    text = pdf_text(forms.receipt(refresh(dossier)))
    # then it is form 01 with the agency, its parent, the place and the date, in Vietnamese
    _assert_all(
        text,
        *HEADER,
        "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ",
        "Hạ Long, ngày 25 tháng 11 năm 2026",
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        f"Mã hồ sơ: {dossier.code}",
        f"Số: {dossier.code[-4:]}/TNHS",
        # the applicant and the request
        "Trần Thị Bích",
        "022192004567",
        "Thủ tục đăng ký khai sinh (mã thủ tục 1.001193)",
        # the documents received, the number of sets, the statutory time
        "1. Thành phần hồ sơ nộp gồm:",
        "Giấy chứng sinh",
        "Bản chính",
        "2. Số lượng hồ sơ: 01 (bộ).",
        "3. Thời gian giải quyết hồ sơ theo quy định là: 03 ngày làm việc.",
        # the receipt time, the appointment, where to collect
        "4. Thời gian nhận hồ sơ: 08 giờ 30 phút, ngày 25 tháng 11 năm 2026",
        "nộp trực tuyến lúc 07 giờ 45 phút, ngày 25 tháng 11 năm 2026",
        "5. Thời gian trả kết quả giải quyết hồ sơ: 10 giờ 00 phút, ngày 28 tháng 11 năm 2026.",
        "6. Đăng ký nhận kết quả tại: Bộ phận tiếp nhận và trả kết quả - UBND phường Hạ Long.",
        # how to look it up, without the PIN
        "Tra cứu hồ sơ",
        "/tra-cuu/",
        "mã PIN được cấp khi nộp hồ sơ (mã PIN không in trên giấy này)",
        # both signatures, the receiving officer named
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "(Ký và ghi rõ họ tên)",
    )
    assert submitted.pin not in text


def test_receipt_follows_the_chosen_way_to_receive_the_result(world):
    # given a declaration asking for the result by post
    from motcua.conftest import VALID_BIRTH

    dossier = accepted(world)
    Dossier.objects.filter(pk=dossier.pk).update(data={**VALID_BIRTH, "hinh_thuc_nhan_ket_qua": "buu_chinh"})
    # then the receipt says so
    assert "Qua dịch vụ bưu chính công ích" in pdf_text(forms.receipt(refresh(dossier)))


def test_supplement_request_lists_every_missing_item_the_reason_and_the_deadline(world):
    # given the desk asked once for two missing documents, with a 7-working-day deadline
    dossier = supplement_requested(world)
    Dossier.objects.filter(pk=dossier.pk).update(supplement_due_at=at(2026, 12, 4, 17, 0))
    DossierAction.objects.filter(dossier=dossier, action="request_supplement").update(at=at(2026, 11, 25, 9, 15))
    # when form 02 is generated
    text = pdf_text(forms.supplement_request(refresh(dossier)))
    # then it lists each item, the reason, the deadline, and says the guidance is given once
    _assert_all(
        text,
        *HEADER,
        "Hạ Long, ngày 25 tháng 11 năm 2026",
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
        f"Mã hồ sơ: {dossier.code}",
        "Trần Thị Bích",
        "hướng dẫn một lần, đầy đủ",
        f"1. {MISSING[0]}",
        f"2. {MISSING[1]}",
        f"Lý do: {SUPPLEMENT_NOTE}",
        "chậm nhất 17 giờ 00 phút, ngày 04 tháng 12 năm 2026",
        "NGƯỜI HƯỚNG DẪN",
    )


def test_supplement_request_keeps_its_deadline_after_the_applicant_supplemented(world):
    # given the applicant supplemented (the dossier no longer holds the deadline)
    dossier = supplement_requested(world)
    due = refresh(dossier).supplement_due_at
    assert due is not None
    dossier = services.perform(world.citizen, refresh(dossier), "supplement", note="Đã bổ sung")
    assert refresh(dossier).supplement_due_at is None
    # then form 02 still shows the deadline that was given, from the log
    assert vn_datetime(due) in pdf_text(forms.supplement_request(refresh(dossier)))


def test_refusal_gives_every_reason(world):
    dossier = refused(world)
    text = pdf_text(forms.refusal(refresh(dossier)))
    _assert_all(
        text,
        *HEADER,
        "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ",
        f"Mã hồ sơ: {dossier.code}",
        "thông báo không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:",
        f"1. {REFUSAL_REASONS[0]}",
        f"2. {REFUSAL_REASONS[1]}",
        "3. Không đủ điều kiện tiếp nhận",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
    )


def test_apology_gives_the_old_and_the_new_date_and_the_reason(world):
    # given the leader apologised and moved the appointment once
    dossier = reappointed(world)
    row = DossierAction.objects.get(dossier=dossier, action="reappoint")
    row.payload = {"old_due_at": at(2026, 11, 27, 10, 0).isoformat(), "new_due_at": at(2026, 12, 1, 10, 0).isoformat()}
    DossierAction.objects.filter(pk=row.pk).update(payload=row.payload, at=at(2026, 11, 25, 14, 0))
    # when form 04 is generated
    text = pdf_text(forms.apology(refresh(dossier)))
    # then
    _assert_all(
        text,
        *HEADER,
        "Hạ Long, ngày 25 tháng 11 năm 2026",
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "Kính gửi: Ông/Bà Trần Thị Bích",
        dossier.code,
        "Thời gian hẹn trả kết quả giải quyết hồ sơ: 10 giờ 00 phút, ngày 27 tháng 11 năm 2026.",
        f"Lý do: {APOLOGY_NOTE}",
        "xin lỗi Ông/Bà",
        "hẹn lại thời gian trả kết quả giải quyết hồ sơ vào lúc 10 giờ 00 phút, ngày 01 tháng 12 năm 2026",
        "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ",
        "leader",
    )


def test_process_control_sheet_has_one_row_per_hand_over_with_deadline_and_timeliness(world):
    # given a dossier that went desk → specialist → leader → back to the specialist → leader → desk → applicant
    dossier = returned(world)
    # when form 05 is generated
    rows = forms.handovers(refresh(dossier))
    text = pdf_text(forms.process_control_sheet(refresh(dossier)))
    # then every hand-over is a row, in order, with who handed to whom
    assert [r[0] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert rows[0][1].startswith("Bộ phận tiếp nhận và trả kết quả") and rows[0][2].startswith("Chuyên viên xử lý")
    assert "specialist" in rows[0][2]  # who took it over
    assert rows[1][1].startswith("Chuyên viên xử lý (Thẩm định, xử lý)") and rows[1][2].startswith("Lãnh đạo")
    assert rows[2][1].startswith("Lãnh đạo") and "Kiểm tra lại họ tên của mẹ" in rows[2][6]
    assert rows[4][2].startswith("Bộ phận tiếp nhận và trả kết quả")
    assert rows[5][2] == "Người nộp hồ sơ: Trần Thị Bích (nhận kết quả)"
    # and each step's deadline and whether it was met (all on time or early here)
    assert all(r[4] != "—" for r in rows[1:]) and all(r[5] in ("Trước hạn", "Đúng hạn") for r in rows[1:])
    _assert_all(
        text,
        *HEADER,
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        f"Mã hồ sơ: {dossier.code}",
        "Bên giao",
        "Bên nhận",
        "Thời gian giao, nhận",
        "Hạn xử lý",
        "Trình lãnh đạo ký: Đủ điều kiện, trình ký",
        "Trả lại chuyên viên: Kiểm tra lại họ tên của mẹ",
        "Phê duyệt, ký kết quả",
    )


def test_a_late_step_is_marked_late_on_the_process_control_sheet(world):
    # given the specialist's step deadline had passed when they handed it on
    dossier = accepted(world)
    Dossier.objects.filter(pk=dossier.pk).update(step_due_at=dossier.accepted_at - timedelta(hours=1))
    services.perform(world.specialist, refresh(dossier), "trinh_ky", note="Chậm")
    # then that hand-over is late
    rows = forms.handovers(refresh(dossier))
    assert rows[1][5] == "Trễ hạn"


@pytest.mark.parametrize(
    ("make", "function", "message"),
    [
        (submit_online, forms.receipt, "chưa được tiếp nhận"),
        (accepted, forms.supplement_request, "không có yêu cầu bổ sung"),
        (accepted, forms.refusal, "không bị từ chối"),
        (accepted, forms.apology, "chưa có văn bản xin lỗi"),
        (submit_online, forms.process_control_sheet, "chưa được tiếp nhận"),
    ],
)
def test_a_form_that_does_not_apply_is_a_conflict_in_vietnamese(world, make, function, message):
    made = make(world)
    dossier = getattr(made, "dossier", made)
    with pytest.raises(Conflict) as caught:
        function(refresh(dossier))
    assert message in caught.value.detail and dossier.code in caught.value.detail


def test_forms_that_apply_follow_the_state(world):
    assert [k.number for k in forms.applicable(refresh(submit_online(world).dossier))] == []
    assert [k.number for k in forms.applicable(refresh(supplement_requested(world)))] == ["02"]
    assert [k.number for k in forms.applicable(refresh(refused(world)))] == ["03"]
    assert [k.number for k in forms.applicable(refresh(reappointed(world)))] == ["01", "04", "05"]
    assert [k.number for k in forms.applicable(refresh(returned(world)), for_applicant=True)] == ["01"]


def test_forms_only_read_and_are_deterministic(world):
    # given a returned dossier
    dossier = refresh(returned(world))
    # when every applicable form is generated twice
    with CaptureQueriesContext(connection) as queries:
        first = [forms.render(dossier, k.number) for k in forms.applicable(dossier)]
    second = [forms.render(refresh(dossier), k.number) for k in forms.applicable(dossier)]
    # then nothing was written and the bytes are the same
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)
    assert first == second
    assert refresh(dossier).status == Status.RETURNED


def test_place_is_the_commune_or_the_province(world):
    from motcua.catalog.models import Agency, AgencyKind

    assert forms.place_of(world.agency) == "Hạ Long"
    province = world.agency.parent
    assert forms.place_of(province) == "Quảng Ninh"
    department = Agency.objects.create(
        code="000.00.02.H49", name="Sở Tư pháp tỉnh Quảng Ninh", kind=AgencyKind.DEPARTMENT, province_code="22"
    )
    assert forms.place_of(department) == "Quảng Ninh"
