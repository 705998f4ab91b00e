"""An e-result is a PAdES-signed PDF that pyHanko and poppler's pdfsig both accept, with the development root as
trust anchor; one flipped byte, a revocation or a replacement changes what `verify` says."""

from __future__ import annotations

import io
import os
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from motcua.audit.models import AuditRecord
from motcua.core.errors import Conflict, PermissionDenied, ValidationFailed
from motcua.documents import pdf
from motcua.results import pki, services, signing, templates_pdf
from motcua.results.models import EResult, EResultEvent, EResultStatus
from motcua.results.tests.helpers import (
    flip_byte_in_signed_range,
    link_uris,
    make_ca,
    make_leaf,
    pdf_bytes,
    pdf_text,
    qr_modules_drawn,
)
from motcua.store.models import StoredDocument

REQUIRE_SERVICES = os.environ.get("MOTCUA_REQUIRE_SERVICES") == "1"


def _pdfsig() -> str:
    found = shutil.which("pdfsig")
    if found is None:
        if REQUIRE_SERVICES:
            pytest.fail("pdfsig (poppler-utils) is required in CI")
        pytest.skip("pdfsig (poppler-utils) is not installed")
    return found


@pytest.fixture(scope="session")
def nss_db(tmp_path_factory, session_pki_dir):
    """An NSS database trusting the session's development root (what `setup_dev_pki --nssdb` makes)."""
    from django.conf import settings

    if shutil.which("certutil") is None:
        if REQUIRE_SERVICES:
            pytest.fail("certutil (libnss3-tools) is required in CI")
        pytest.skip("certutil (libnss3-tools) is not installed")
    previous = settings.MOTCUA_PKI_DIR
    settings.MOTCUA_PKI_DIR = session_pki_dir
    try:
        return pki.make_nss_db(tmp_path_factory.mktemp("nss"))
    finally:
        settings.MOTCUA_PKI_DIR = previous


def test_the_signed_extract_passes_pyhanko_validation_with_the_dev_root_as_trust_anchor(rworld):
    # given: a birth registration approved by the commune's leader
    dossier = rworld.birth_result()
    # when: its e-result is read back
    result = EResult.objects.get(dossier=dossier)
    data = pdf_bytes(result)
    # then: one PAdES signature, SHA-256 over ECDSA P-256, whole file covered, chained to the dev root
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    sig = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=pki.trust_roots()))
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.md_algorithm == "sha256"
    assert sig.signer_cert.public_key.curve[1] == "secp256r1"
    # the chain travels with the signature: the root is among the CMS certificates
    embedded = {c.chosen.subject.native["common_name"] for c in sig.signed_data["certificates"]}
    assert embedded == {pki.ROOT_NAME, rworld.commune.name}
    # and what we recorded is what is in the file
    assert result.sha256 == services.hashlib.sha256(data).hexdigest()
    assert result.signer_fingerprint == services.hashlib.sha256(sig.signer_cert.dump()).hexdigest()
    assert sig.self_reported_timestamp == result.signed_at


def test_pdfsig_reports_the_signature_valid_and_with_the_dev_root_trusted(rworld, nss_db, tmp_path):
    # given: an issued e-result on disk
    result = EResult.objects.get(dossier=rworld.birth_result())
    path = tmp_path / "ket-qua.pdf"
    path.write_bytes(pdf_bytes(result))
    pdfsig = _pdfsig()
    # when: poppler checks it without, then with, the dev root in its NSS database
    plain = subprocess.run([pdfsig, str(path)], capture_output=True, text=True, check=False).stdout  # noqa: S603
    trusted = subprocess.run(  # noqa: S603
        [pdfsig, "-nssdir", f"sql:{nss_db}", str(path)], capture_output=True, text=True, check=False
    ).stdout
    # then: the signature (digest and ECDSA) is valid either way; the certificate is trusted once the root is known
    assert "Signature Validation: Signature is Valid." in plain
    assert "Certificate issuer isn't Trusted" in plain  # poppler does not know a development root by itself
    assert "Signature Validation: Signature is Valid." in trusted
    assert "Certificate Validation: Certificate is Trusted." in trusted
    assert "Total document signed" in trusted
    assert "ETSI.CAdES.detached" in trusted
    assert rworld.commune.name in trusted


def test_the_extract_shows_its_content_number_signature_block_and_a_qr_code_of_its_verification_url(rworld):
    # given
    dossier = rworld.birth_result()
    result = EResult.objects.get(dossier=dossier)
    data = pdf_bytes(result)
    url = f"https://dichvucong.quangninh.example/xac-minh/{result.token}/"
    # when
    text = pdf_text(data)
    # then: the extract's content from the declaration and the registration's structured result
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    for expected in (
        "TRÍCH LỤC KHAI SINH",
        "NGUYỄN MINH KHANG",
        "Ngày hai mươi, tháng mười một, năm hai nghìn không trăm hai mươi sáu",
        "Trần Thị Bích",
        "Nguyễn Văn Hùng",
        dossier.result["so_dinh_danh"],
        f"Số: {dossier.result['so_trich_luc']}",
        "UBND PHƯỜNG HÀ TU",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        result.number,
        "Ký bởi: UBND phường Hà Tu",
        f"Thời gian ký: {result.signed_at.astimezone(templates_pdf.TZ):%H:%M:%S} ngày",
        "Vũ Thị Hương",  # the leader who approved
    ):
        assert expected in text, expected
    assert result.doc_number == dossier.result["so_trich_luc"]
    # the QR code: its area links to the URL, and the modules drawn are exactly the QR matrix of that URL (the
    # same encoder run again on the expected text; there is no QR decoder here, so the test compares matrices)
    assert link_uris(data) == [url]
    assert qr_modules_drawn(data) == templates_pdf.qr_matrix(url)
    assert qr_modules_drawn(data) != templates_pdf.qr_matrix(url.replace(result.token[:4], "AAAA"))


def test_issue_is_idempotent_recorded_audited_and_deposited_in_the_applicants_store(rworld):
    # given: an issued e-result
    dossier = rworld.birth_result()
    first = EResult.objects.get(dossier=dossier)
    # when: issued again (the worker, a second hook run)
    again = services.issue(dossier)
    services.on_dossier_transition(dossier, "reappoint", {})
    # then: the same one, one event, one audit record, one deposit
    assert again.pk == first.pk and EResult.objects.filter(dossier=dossier).count() == 1
    assert list(first.events.values_list("kind", flat=True)) == ["issue"]
    assert AuditRecord.objects.filter(action="result.issue", object_id=dossier.code).count() == 1
    stored = StoredDocument.objects.get(source_ref=first.source_ref)
    assert stored.owner_personal_id == "022192004567"
    assert stored.doc_type == "trich_luc_khai_sinh" and stored.sha256 == first.sha256 and stored.status == "valid"
    # and the event log is append-only
    event = first.events.get()
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_verify_says_valid_and_who_signed_when(rworld):
    result = EResult.objects.get(dossier=rworld.birth_result())
    verdict = services.verify(pdf_bytes(result))
    assert verdict.status == "valid"
    assert verdict.result == result
    assert verdict.signer_agency == "UBND phường Hà Tu"
    assert "UBND phường Hà Tu" in verdict.signer_subject and "000.01.50.H49" in verdict.signer_subject
    assert verdict.signed_at == result.signed_at
    assert verdict.as_dict()["number"] == result.number


def test_one_flipped_byte_inside_the_signed_range_is_tampered(rworld):
    # given
    result = EResult.objects.get(dossier=rworld.birth_result())
    changed = flip_byte_in_signed_range(pdf_bytes(result))
    # when
    verdict = services.verify(changed)
    # then: the digest no longer matches; the document still names the result it pretends to be
    assert verdict.status == "tampered"
    assert verdict.result == result
    assert "đã bị thay đổi sau khi ký" in verdict.message
    assert not verdict.signatures[0].intact


def test_a_revoked_result_says_revoked_with_the_reason_and_only_a_leader_may_revoke(rworld):
    # given
    dossier = rworld.birth_result()
    result = EResult.objects.get(dossier=dossier)
    # when: a specialist tries, then the leader revokes with a reason
    with pytest.raises(PermissionDenied):
        services.revoke(result, rworld.specialist, "Sai sót")
    with pytest.raises(ValidationFailed):
        services.revoke(result, rworld.leader, "  ")
    services.revoke(result, rworld.leader, "Đăng ký khai sinh bị hủy theo quyết định số 12/QĐ")
    # then
    verdict = services.verify(pdf_bytes(result))
    assert verdict.status == "revoked"
    assert "12/QĐ" in verdict.message
    result.refresh_from_db()
    assert result.status == EResultStatus.REVOKED and result.revoked_at is not None
    assert StoredDocument.objects.get(source_ref=result.source_ref).status == "revoked"
    assert AuditRecord.objects.filter(action="result.revoke", object_id=dossier.code).exists()
    with pytest.raises(Conflict):
        services.revoke(result, rworld.leader, "lần nữa")


def test_a_replaced_result_says_replaced_by_the_new_number_and_the_new_one_is_valid(rworld):
    # given
    dossier = rworld.birth_result()
    old = EResult.objects.get(dossier=dossier)
    # when
    new = services.replace(old, rworld.leader, "Sửa lỗi chính tả quê quán")
    # then: the old file still verifies cryptographically, and names its successor
    verdict = services.verify(pdf_bytes(old))
    assert verdict.status == "replaced"
    assert verdict.replaced_by == new
    assert new.number in verdict.message
    assert services.verify(pdf_bytes(new)).status == "valid"
    old.refresh_from_db()
    assert old.status == "replaced" and old.replaced_by == new and new.revision == 2
    # the same register number (the registration is one), a new e-result number and token
    assert new.doc_number == old.doc_number and new.number != old.number and new.token != old.token
    assert services.current(dossier) == new
    assert list(old.events.values_list("kind", flat=True)) == ["issue", "replace"]
    assert new.events.get().data["replaces"] == old.number
    assert StoredDocument.objects.get(source_ref=old.source_ref).status == "replaced"
    assert StoredDocument.objects.get(source_ref=new.source_ref).status == "valid"


def test_documents_that_are_not_ours_are_unknown(rworld, tmp_path):
    # given: no PDF at all, an unsigned PDF, and a PDF validly signed by someone else's CA
    rworld.birth_result()  # so the dev root exists and something is registered
    unsigned = pdf.build([pdf.p("Giấy tờ không có chữ ký số")], title="x", author="y")
    foreign_ca = make_ca("Một CA khác")
    forger = make_leaf(foreign_ca, "Cơ quan giả mạo")
    from motcua.results.pki import SigningIdentity, _asn1_cert, _asn1_key

    identity = SigningIdentity("X", _asn1_cert(forger.cert), _asn1_key(forger.key), (_asn1_cert(foreign_ca.cert),), "x")
    foreign = signing.sign_pdf(
        unsigned, identity, signing_time=services.timezone.now().replace(microsecond=0), reason="x", location="y"
    )
    # when / then
    assert services.verify(b"not a pdf at all").status == "unknown"
    assert services.verify(unsigned).status == "unknown"
    verdict = services.verify(foreign)
    assert verdict.status == "unknown"
    assert "không thuộc hệ thống tin cậy" in verdict.message
    assert verdict.signatures[0].intact and verdict.signatures[0].valid and not verdict.signatures[0].trusted


def test_an_undone_approval_revokes_the_result_and_a_new_approval_issues_a_new_one(rworld):
    # given: the leader approved (result ready, e-result issued)
    dossier = rworld.birth_result()
    first = EResult.objects.get(dossier=dossier)
    from motcua.dossiers import services as dossiers

    # when: the leader undoes the approval, then approves again
    with rworld.capture(execute=True):
        dossier = dossiers.perform(rworld.leader, dossier, "undo", note="Nhầm")
    assert dossier.status == "processing"
    first.refresh_from_db()
    assert first.status == "revoked" and "hoàn tác" in first.revoked_reason
    with rworld.capture(execute=True):
        dossier = dossiers.perform(rworld.leader, dossier, "phe_duyet", note="Đồng ý")
    # then
    second = services.current(dossier)
    assert second is not None and second.pk != first.pk and second.revision == 2
    assert second.doc_number == first.doc_number


def test_residence_notice_template(rworld):
    dossier = rworld.to_result(rworld.submit("1.004222"))
    result = EResult.objects.get(dossier=dossier)
    text = pdf_text(pdf_bytes(result))
    assert result.template == "thong_bao_cu_tru" and result.title.startswith("Thông báo kết quả")
    for expected in (
        "THÔNG BÁO KẾT QUẢ GIẢI QUYẾT THỦ TỤC VỀ CƯ TRÚ",
        "Kính gửi: Nguyễn Minh Khang",
        "Đã đăng ký thường trú",
        "Số 12, đường Trần Hưng Đạo, tổ 3, khu 5, Phường Hạ Long, tỉnh Quảng Ninh",
        "Nguyễn Văn Hùng",
        "Con",
        dossier.code,
    ):
        assert expected in text, expected
    assert services.verify(pdf_bytes(result)).status == "valid"


def test_a_procedure_without_its_own_template_gets_the_generic_result(rworld):
    from motcua.catalog.examples import EXAMPLES

    death = {**EXAMPLES["1.000656"], "nyc_ho_ten": "Trần Thị Bích", "nyc_so_dinh_danh": "022192004567"}
    dossier = rworld.to_result(rworld.submit("1.000656", death))
    result = EResult.objects.get(dossier=dossier)
    text = pdf_text(pdf_bytes(result))
    assert result.template == "ket_qua_chung" and result.title == "Kết quả giải quyết thủ tục hành chính"
    assert "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text
    assert dossier.result["so_trich_luc"] in text and "1.000656" in text
    assert services.verify(pdf_bytes(result)).status == "valid"


def test_templates_are_chosen_by_procedure_and_version():
    birth = templates_pdf.choose("1.001193", 1)
    assert birth.code == "trich_luc_khai_sinh"
    assert templates_pdf.choose("9.999999", 1) is templates_pdf.GENERIC
    later = templates_pdf.ResultTemplate(
        code="trich_luc_khai_sinh", version=2, procedure="1.001193", since_version=3, title="x", body=lambda ri: [],
        signer_role="y",
    )  # fmt: skip
    templates_pdf.TEMPLATES.append(later)
    try:
        assert templates_pdf.choose("1.001193", 2) is birth
        assert templates_pdf.choose("1.001193", 3) is later
        assert templates_pdf.choose("1.001193", 7) is later
    finally:
        templates_pdf.TEMPLATES.remove(later)


def test_numbers_in_words():
    words = templates_pdf.so_thanh_chu
    assert [words(n) for n in (0, 5, 10, 14, 15, 21, 24, 25, 30, 105, 110, 2005, 2026, 1999)] == [
        "không", "năm", "mười", "mười bốn", "mười lăm", "hai mươi mốt", "hai mươi tư", "hai mươi lăm", "ba mươi",
        "một trăm linh năm", "một trăm mười", "hai nghìn không trăm linh năm", "hai nghìn không trăm hai mươi sáu",
        "một nghìn chín trăm chín mươi chín",
    ]  # fmt: skip


def test_events_are_kept_for_every_change(rworld):
    dossier = rworld.birth_result()
    result = EResult.objects.get(dossier=dossier)
    new = services.replace(result, rworld.leader, "Cấp lại")
    services.revoke(new, rworld.leader, "Thu hồi")
    kinds = list(EResultEvent.objects.filter(result__dossier=dossier).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["issue", "issue", "replace", "revoke"]


def test_signing_and_checking_work_from_a_thread_that_runs_an_event_loop(rworld):
    # given: a caller inside a running event loop (an async view, a browser-driving test)
    import asyncio

    dossier = rworld.birth_result()
    data = pdf_bytes(EResult.objects.get(dossier=dossier))
    identity = pki.identity_for(rworld.commune)
    unsigned = pdf.build([pdf.p("Văn bản thử")], title="x", author="y")

    async def inside_a_loop():
        signed = signing.sign_pdf(
            unsigned, identity, signing_time=services.timezone.now().replace(microsecond=0), reason="x", location="y"
        )
        return signed, signing.check_pdf(data)

    # when
    signed, check = asyncio.run(inside_a_loop())
    # then: pyHanko's own event loop ran beside it
    assert check.signatures[0].sound and check.signatures[0].trusted
    assert signing.check_pdf(signed).signatures[0].sound
