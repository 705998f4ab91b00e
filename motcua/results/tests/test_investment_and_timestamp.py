"""The investment registration certificate (1.009664) as the Economic Zone Board issues it, and a signature with a
trusted timestamp from a small RFC 3161 server run here (the `MOTCUA_TSA_URL` path)."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from motcua.dossiers.tests.investment import investment  # noqa: F401  (the fixture)
from motcua.results import services
from motcua.results.models import EResult
from motcua.results.pki import _asn1_cert, _asn1_key
from motcua.results.tests.conftest import drive_to_result
from motcua.results.tests.helpers import make_ca, make_leaf, pdf_bytes, pdf_text


def test_the_investment_certificate_from_the_declaration(investment, django_capture_on_commit_callbacks):  # noqa: F811
    # given: 1.009664 submitted with the demo declaration and processed by the Board's officials
    by_role = {"specialist": investment.specialist, "leader": investment.leader}
    dossier = drive_to_result(investment.submit(), investment.desk, by_role, django_capture_on_commit_callbacks)
    # when
    result = EResult.objects.get(dossier=dossier)
    data = pdf_bytes(result)
    text = pdf_text(data)
    # then: the certificate's content, with a project code kept in the dossier's result
    dossier.refresh_from_db()
    code = dossier.result["ma_so_du_an"]
    assert len(code) == 10 and code.startswith("22")
    assert result.template == "gcn_dang_ky_dau_tu"
    for expected in (
        "GIẤY CHỨNG NHẬN ĐĂNG KÝ ĐẦU TƯ",
        f"Mã số dự án: {code}",
        "Luật Đầu tư số 61/2020/QH14",
        "Công ty TNHH Cơ khí Hạ Long",
        "5701234567",
        "Nhà máy sản xuất kết cấu thép Hạ Long",
        "150.000.000.000 đồng",
        "30.000.000.000 đồng",
        "30.000 m²",
        "50 năm",
        "Phường Bãi Cháy, tỉnh Quảng Ninh",
        "TRƯỞNG BAN",
        dossier.code,
        result.number,
    ):
        assert expected in text, expected
    assert services.verify(data).status == "valid"


class _TsaHandler(BaseHTTPRequestHandler):
    stamper = None

    def do_POST(self):
        from asn1crypto import tsp

        request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
        body = self.stamper.request_tsa_response(request).dump()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def tsa(settings, tmp_path):
    """A real RFC 3161 server over HTTP (pyHanko's in-process TSA behind http.server), its root trusted."""
    from pyhanko.sign.timestamps import DummyTimeStamper

    root = make_ca("TSA Root thử nghiệm")
    unit = make_leaf(root, "TSA thử nghiệm", time_stamping=True)
    stamper = DummyTimeStamper(tsa_cert=_asn1_cert(unit.cert), tsa_key=_asn1_key(unit.key))
    handler = type("Handler", (_TsaHandler,), {"stamper": stamper})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    root_path, _ = root.write(tmp_path, "tsa-root")
    settings.MOTCUA_TSA_URL = f"http://127.0.0.1:{server.server_address[1]}/"
    settings.MOTCUA_SIGNING_TRUST_ROOTS = [str(root_path)]
    yield server
    server.shutdown()
    server.server_close()


def test_with_a_timestamp_authority_the_signature_carries_a_trusted_timestamp(rworld, tsa):
    # when
    result = EResult.objects.get(dossier=rworld.birth_result())
    data = pdf_bytes(result)
    # then: PAdES B-T: a signature timestamp token, validated, no later than now
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from motcua.results import pki

    sig = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=pki.trust_roots()))
    assert status.bottom_line
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    assert abs((status.timestamp_validity.timestamp - result.signed_at).total_seconds()) < 60
    verdict = services.verify(data)
    assert verdict.status == "valid" and verdict.signatures[0].timestamp is not None
