"""The agency simulators over real HTTP: signatures, idempotency, callbacks, the five profiles' rules, every fault."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from urllib.parse import urlsplit

import pytest
from joserfc.jwk import ECKey

from motcua.core.identifiers import validate_personal_id
from motcua.exchange import signing
from simulators._http import BaseHandler, serve
from simulators.agency import PROFILES, start_agency_server, start_profile
from simulators.agency.profiles import (
    Books,
    Refused,
    add_months,
    child_card_valid_until,
    get_profile,
    new_personal_id,
    residence_address,
)
from simulators.tests.conftest import REPO, request

MOTCUA_KEY = ECKey.generate_key("P-256", auto_kid=True)
TODAY = date.today().isoformat()

RESIDENCE = {
    "ho_ten": "Nguyễn Minh Khang",
    "ngay_sinh": "2026-11-20",
    "gioi_tinh": "nam",
    "so_dinh_danh": "022226000111",
    "dia_chi_tinh": "22",
    "dia_chi_xa": "06688",
    "dia_chi_so_nha_duong": "Số 12, đường Trần Hưng Đạo, tổ 3, khu 5",
    "chu_ho_ho_ten": "Nguyễn Văn Hùng",
    "quan_he_chu_ho": "con",
}
FUNERAL = {
    "ho_ten": "Lê Văn Thành",
    "so_dinh_danh": "022040000123",
    "ngay_chet": "2026-11-25",
    "nguoi_nhan_ho_ten": "Lê Hoàng Châu",
    "nguoi_nhan_so_dinh_danh": "022085007890",
}
BIRTH = {"ks_ho_ten": "Nguyễn Minh Khang", "ks_ngay_sinh": "2026-11-20", "ks_gioi_tinh": "nam"}


# --- helpers ---------------------------------------------------------------------------------------------------
def _message(
    payload: dict | None = None,
    kind: str = "residence.register",
    key: ECKey = MOTCUA_KEY,
    message_id: str | None = None,
):
    payload = payload if payload is not None else dict(RESIDENCE)
    body = signing.canonical_json({"kind": kind, "payload": payload})
    headers = {
        "X-Motcua-Sender": "ubnd-hoan-kiem",
        "X-Motcua-Message-Id": message_id or str(uuid.uuid4()),
        "X-Motcua-Citizen": "001092001234",
        "X-Motcua-Dossier": "H01-0001",
        "X-Motcua-Request-Hash": signing.request_hash(payload),
    }
    headers[signing.SIGNATURE_HEADER] = signing.sign_with_key(key, headers, body)
    return headers, body


def _post(base_url: str, headers: dict, body: bytes, timeout: float = 5):
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("POST", "/messages", body=body, headers={**headers, "Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def _send(base_url: str, kind: str, payload: dict) -> tuple[int, dict]:
    status, _, raw = _post(base_url, *_message(payload, kind))
    return status, json.loads(raw)


def _wait(predicate: Callable[[], bool], timeout: float = 3) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def _received(base_url: str) -> dict:
    return request("GET", base_url + "/__admin/received").json()


def _faults(base_url: str, **faults) -> dict:
    answer = request("POST", base_url + "/__admin/faults", json_body=faults)
    assert answer.status == 200, answer.text
    return answer.json()


@pytest.fixture
def agency_factory() -> Iterator:
    servers = []

    def start(**kwargs):
        server, _thread, base_url = start_agency_server(motcua_jwk=signing.public_jwk(MOTCUA_KEY), **kwargs)
        servers.append(server)
        return server, base_url

    yield start
    for server in servers:
        server.stop()


class _Capture(BaseHandler):
    """motcua's inbox, as far as callbacks go: records them, answers like motcua (401 bad signature, duplicate)."""

    def handle_request(self, method: str, path: str) -> None:
        state = self.server.state
        headers, body = dict(self.headers.items()), self.body()
        with state["lock"]:
            state["got"].append((headers, body))
            jwks = state.get("jwks")
        if jwks is not None:
            try:
                signing.verify(headers, body, jwks)
            except signing.SignatureError:
                self.send_json({"error": "invalid_signature"}, 401)
                return
        message_id = headers.get("X-Motcua-Message-Id")
        with state["lock"]:
            duplicate = message_id in state["seen"]
            state["seen"].add(message_id)
        self.send_json({"status": "applied", "duplicate": duplicate})


@pytest.fixture
def capture() -> Iterator[dict]:
    state: dict = {"got": [], "seen": set(), "lock": threading.Lock(), "jwks": None}
    server = serve(_Capture, state)
    state["url"] = server.base_url + "/api/v1/exchange/inbox"
    try:
        yield state
    finally:
        server.stop()


# --- the contract ----------------------------------------------------------------------------------------------
def test_now_answers_signed_and_a_duplicate_is_not_applied_twice(agency_factory):
    _server, base_url = agency_factory(mode="now")
    jwks = request("GET", base_url + "/jwks").json()
    headers, body = _message()
    status, answer_headers, raw = _post(base_url, headers, body)
    assert status == 200 and json.loads(raw)["status"] == "accepted"
    signing.verify(answer_headers, raw, jwks)
    assert answer_headers["X-Motcua-Message-Id"] == headers["X-Motcua-Message-Id"]
    assert answer_headers["X-Motcua-Sender"] == "cong-an"
    # the same message again: same answer, counted as duplicate, applied once
    status2, _, raw2 = _post(base_url, headers, body)
    assert (status2, raw2) == (status, raw)
    received = _received(base_url)
    assert received["received"] == [headers["X-Motcua-Message-Id"]] and received["duplicates"] == 1
    assert received["kinds"] == {headers["X-Motcua-Message-Id"]: "residence.register"}


def test_refuses_a_tampered_body_or_a_foreign_key(agency_factory):
    _, base_url = agency_factory(mode="now")
    headers, body = _message()
    assert _post(base_url, headers, body.replace(b"Khang", b"Kh"))[0] == 401
    headers2, body2 = _message(key=ECKey.generate_key("P-256", auto_kid=True))
    assert _post(base_url, headers2, body2)[0] == 401
    assert _received(base_url)["received"] == []


def test_reject_mode_and_fault_injection(agency_factory):
    _, base_url = agency_factory(mode="reject")
    _faults(base_url, fail_next=1, status=503)
    headers, body = _message()
    assert _post(base_url, headers, body)[0] == 503
    status, _, raw = _post(base_url, headers, body)
    assert status == 422 and json.loads(raw)["reasons"][0]["code"] == "dia_chi_khong_hop_le"


def test_later_answers_202_then_posts_a_signed_callback(agency_factory, capture):
    server, base_url = agency_factory(mode="later", callback_url=capture["url"])
    headers, body = _message()
    status, _, raw = _post(base_url, headers, body)
    ticket = json.loads(raw)["ticket"]
    assert status == 202 and ticket.startswith("CA-")
    assert _wait(lambda: len(capture["got"]) == 1)
    [(cb_headers, cb_body)] = capture["got"]
    signing.verify(cb_headers, cb_body, server.state.jwks())
    envelope = json.loads(cb_body)
    assert envelope["kind"] == "exchange.result"
    assert envelope["payload"]["in_reply_to"] == headers["X-Motcua-Message-Id"]
    assert envelope["payload"]["ticket"] == ticket and envelope["payload"]["status"] == "accepted"
    assert envelope["payload"]["result"]["so_thong_bao"].startswith("TB-CT-")
    assert cb_headers["X-Motcua-Dossier"] == "H01-0001"
    # and the callback's outcome at motcua is recorded
    assert _wait(lambda: len(_received(base_url)["callbacks"]) == 1)
    [entry] = _received(base_url)["callbacks"]
    assert entry["status"] == 200 and entry["duplicate"] is False and entry["result_status"] == "accepted"


# --- pure rules ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("born", "valid_until"),
    [
        ("2026-03-15", "2032-09-30"),  # 6th birthday before 30 September: until 30 September
        ("2026-11-20", "2032-11-19"),  # after: until the day before the 6th birthday
        ("2024-02-29", "2030-09-30"),  # 29 February: 72 months end 28 February 2030, before September
        ("2026-09-30", "2032-09-30"),  # on 30 September
        ("2026-10-01", "2032-09-30"),  # the day before is 30 September
        ("2026-10-02", "2032-10-01"),
    ],
)
def test_child_health_card_validity_rule(born, valid_until):
    assert child_card_valid_until(date.fromisoformat(born)).isoformat() == valid_until


def test_months_are_added_per_the_civil_code():
    assert add_months(date(2024, 2, 29), 72) == date(2030, 2, 28)
    assert add_months(date(2024, 2, 29), 48) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


@pytest.mark.parametrize(
    ("born", "gender", "province", "digit"),
    [
        (date(2026, 11, 20), "nam", "022", "2"),
        (date(2025, 1, 1), "nu", "001", "3"),
        (date(1999, 5, 5), "nu", "079", "1"),
    ],
)
def test_new_personal_ids_are_valid_and_unique(born, gender, province, digit):
    books = Books()
    ids = {new_personal_id(books, birth=born, gender=gender, province=province) for _ in range(300)}
    assert len(ids) == 300
    for pid in ids:
        validate_personal_id(pid, birth_date=born, gender=gender)
        assert pid[:3] == province and pid[3] == digit and pid[4:6] == f"{born.year % 100:02d}"
    # the 2100s use digits 4 (male) and 5 (female)
    assert new_personal_id(books, birth=date(2101, 1, 1), gender="nu")[:6] == "022501"


def test_addresses_are_human_text_and_codes_must_agree():
    assert residence_address("Số 12", "06688", "22") == "Số 12, phường Hạ Long, tỉnh Quảng Ninh"
    assert residence_address("", "Hà Tu", "Quảng Ninh") == "xã/phường Hà Tu, tỉnh Quảng Ninh"
    assert residence_address(None, "Xã Hải Sơn", "Tỉnh Quảng Ninh") == "xã Hải Sơn, tỉnh Quảng Ninh"
    assert residence_address("1 Tràng Tiền", "Phường Hoàn Kiếm", "1").endswith("thành phố Hà Nội")
    with pytest.raises(Refused) as refused:
        residence_address("", "06688", "1")  # a Quảng Ninh ward is not in Hà Nội
    assert refused.value.reasons[0]["code"] == "dia_chi_khong_hop_le"
    with pytest.raises(Refused):
        residence_address("", "99999", "22")


def test_the_portal_books_keep_the_highest_seq():
    books = Books()
    assert books.keep_status("H1", "tiep_nhan", 2) == {"trang_thai": "tiep_nhan", "seq": 2}
    assert books.keep_status("H1", "moi", 1) == {"trang_thai": "tiep_nhan", "seq": 2}
    assert books.keep_status("H1", "da_tra", 5) == {"trang_thai": "da_tra", "seq": 5}
    assert books.snapshot() == {"H1": {"trang_thai": "da_tra", "seq": 5}}


def test_profiles_are_found_by_key_or_code_and_an_unknown_one_is_refused():
    assert get_profile("bhxh") is PROFILES["social_insurance"] is get_profile("social_insurance")
    # without a profile, the agency code chooses it (police when no profile has that code)
    for code, key in (("bhxh", "social_insurance"), ("so-tu-phap", "police"), (None, "police")):
        server, _thread, base_url = start_agency_server(code=code)
        try:
            health = request("GET", base_url + "/healthz").json()
            assert (health["profile"], health["code"]) == (key, code or "cong-an")
        finally:
            server.stop()
    with pytest.raises(ValueError, match="police"):
        start_agency_server(profile="thue")


# --- police ----------------------------------------------------------------------------------------------------
def test_police_registers_residence(agency_factory):
    # given the police residence database
    _, base_url = agency_factory(profile="police")
    # when a newborn's permanent residence is registered
    status, answer = _send(base_url, "residence.register", RESIDENCE)
    # then it answers the notice with the address in words
    assert status == 200, answer
    result = answer["result"]
    assert re.fullmatch(r"TB-CT-[0-9A-F]{6}", result["so_thong_bao"])
    assert result == {
        "so_thong_bao": result["so_thong_bao"],
        "so_dinh_danh": "022226000111",
        "ho_ten": "Nguyễn Minh Khang",
        "dia_chi_thuong_tru": "Số 12, đường Trần Hưng Đạo, tổ 3, khu 5, phường Hạ Long, tỉnh Quảng Ninh",
        "ngay_dang_ky": TODAY,
        "co_quan": "Công an phường Hạ Long",
    }
    # and a name instead of codes is written as given
    status, answer = _send(
        base_url, "residence.register", {**RESIDENCE, "dia_chi_xa": "Hà Tu", "dia_chi_tinh": "Quảng Ninh"}
    )
    assert answer["result"]["co_quan"] == "Công an xã/phường Hà Tu"
    assert answer["result"]["dia_chi_thuong_tru"].endswith(", xã/phường Hà Tu, tỉnh Quảng Ninh")


def test_police_removes_residence(agency_factory):
    _, base_url = agency_factory(profile="police")
    payload = {"ho_ten": "Lê Văn Thành", "so_dinh_danh": "022040000123", "ngay_chet": "2026-11-25"}
    status, answer = _send(base_url, "residence.remove", payload)
    assert status == 200
    result = answer["result"]
    assert re.fullmatch(r"TB-XTT-[0-9A-F]{6}", result["so_thong_bao"])
    assert result["ly_do"] == "Người đăng ký thường trú đã chết" and result["ngay_xoa"] == TODAY
    assert (result["ho_ten"], result["so_dinh_danh"]) == ("Lê Văn Thành", "022040000123")
    status, answer = _send(base_url, "residence.remove", {**payload, "ly_do": "Ra nước ngoài định cư"})
    assert answer["result"]["ly_do"] == "Ra nước ngoài định cư"


def test_missing_fields_unknown_kinds_and_bad_values_are_rejected(agency_factory):
    _, base_url = agency_factory(profile="police")
    # given a payload without the person's ID and commune
    incomplete = {k: v for k, v in RESIDENCE.items() if k not in ("so_dinh_danh", "dia_chi_xa")}
    status, answer = _send(base_url, "residence.register", {**incomplete, "ho_ten": "  "})
    # then it is refused naming the fields, in Vietnamese
    assert status == 422 and answer["status"] == "rejected"
    [reason] = answer["reasons"]
    assert reason["code"] == "thieu_thong_tin" and reason["message"].startswith("Thiếu thông tin bắt buộc")
    for name in ("ho_ten", "so_dinh_danh", "dia_chi_xa"):
        assert name in reason["message"]
    assert "ngay_sinh" not in reason["message"]
    # a kind this agency does not handle
    status, answer = _send(base_url, "health_insurance.child_card", BIRTH)
    assert status == 422 and answer["reasons"][0]["code"] == "loai_khong_ho_tro"
    # a malformed date
    status, answer = _send(base_url, "residence.register", {**RESIDENCE, "ngay_sinh": "20/11/2026"})
    assert (
        status == 422
        and answer["reasons"][0]["code"] == "sai_dinh_dang"
        and "ngay_sinh" in answer["reasons"][0]["message"]
    )
    # refusals are answers too: recorded with their kinds
    assert sorted(_received(base_url)["kinds"].values()) == [
        "health_insurance.child_card",
        "residence.register",
        "residence.register",
    ]


# --- social insurance and social assistance ------------------------------------------------------------------
def test_social_insurance_issues_a_child_card(agency_factory):
    server, base_url = agency_factory(profile="social_insurance")
    payload = {"ho_ten": "Nguyễn Gia Hân", "ngay_sinh": "2026-03-15", "so_dinh_danh": "022326000777"}
    status, headers, raw = _post(base_url, *_message(payload, "health_insurance.child_card"))
    assert status == 200 and headers["X-Motcua-Sender"] == "bhxh"
    signing.verify(headers, raw, server.state.jwks())
    assert json.loads(raw)["result"] == {
        "ma_the": "022326000777",
        "ho_ten": "Nguyễn Gia Hân",
        "ngay_sinh": "2026-03-15",
        "gia_tri_tu": "2026-03-15",
        "gia_tri_den": "2032-09-30",
        "noi_kcb_ban_dau": "Trạm y tế xã/phường",
        "doi_tuong": "Trẻ em dưới 6 tuổi",
    }
    late = {**payload, "ngay_sinh": "2026-11-20", "noi_kcb_ban_dau": "Trạm y tế phường Hạ Long"}
    result = _send(base_url, "health_insurance.child_card", late)[1]["result"]
    assert (result["gia_tri_den"], result["noi_kcb_ban_dau"]) == ("2032-11-19", "Trạm y tế phường Hạ Long")


def test_social_insurance_grants_the_funeral_allowance(agency_factory):
    _, base_url = agency_factory(profile="social_insurance")
    status, answer = _send(base_url, "social_insurance.funeral_allowance", FUNERAL)
    assert status == 200
    result = answer["result"]
    assert re.fullmatch(r"QĐ-MT-[0-9A-F]{6}", result["so_quyet_dinh"])
    assert result["so_tien"] == 23_400_000 and isinstance(result["so_tien"], int)
    assert "10 lần mức tham chiếu (2.340.000 đồng)" in result["can_cu"]
    assert (result["nguoi_nhan_ho_ten"], result["ngay_quyet_dinh"]) == ("Lê Hoàng Châu", TODAY)
    status, answer = _send(base_url, "social_insurance.funeral_allowance", {**FUNERAL, "nguoi_nhan_so_dinh_danh": ""})
    assert status == 422 and "nguoi_nhan_so_dinh_danh" in answer["reasons"][0]["message"]


def test_social_assistance_supports_the_funeral_costs(agency_factory):
    _, base_url = agency_factory(profile="social_assistance")
    status, headers, raw = _post(base_url, *_message(FUNERAL, "social_assistance.funeral_support"))
    assert status == 200 and headers["X-Motcua-Sender"] == "tro-giup-xa-hoi"
    result = json.loads(raw)["result"]
    assert re.fullmatch(r"QĐ-HTMT-[0-9A-F]{6}", result["so_quyet_dinh"])
    assert result["so_tien"] == 10_000_000 and "Nghị định 76/2024/NĐ-CP" in result["can_cu"]
    assert (
        _send(base_url, "social_insurance.funeral_allowance", FUNERAL)[1]["reasons"][0]["code"] == "loai_khong_ho_tro"
    )


# --- civil status ----------------------------------------------------------------------------------------------
def test_civil_status_registers_births_with_a_new_personal_id(agency_factory):
    _, base_url = agency_factory(profile="civil_status")
    # when two births are registered
    status, first = _send(base_url, "civil_status.birth.register", BIRTH)
    girl = {"ks_ho_ten": "Trần Thu An", "ks_ngay_sinh": "2025-02-03", "ks_gioi_tinh": "Nữ", "ma_tinh": "1"}
    _, second = _send(base_url, "civil_status.birth.register", girl)
    # then each gets the next extract number and a new, valid personal ID
    assert status == 200
    year = date.today().year
    one, two = first["result"], second["result"]
    assert (one["so_trich_luc"], two["so_trich_luc"]) == (f"1/{year}/TLKS", f"2/{year}/TLKS")
    validate_personal_id(one["so_dinh_danh"], birth_date=date(2026, 11, 20), gender="nam")
    validate_personal_id(two["so_dinh_danh"], birth_date=date(2025, 2, 3), gender="nu")
    assert one["so_dinh_danh"].startswith("022226") and two["so_dinh_danh"].startswith("001325")
    assert one == {
        **one,
        "ho_ten": "Nguyễn Minh Khang",
        "ngay_sinh": "2026-11-20",
        "gioi_tinh": "nam",
        "ngay_dang_ky": TODAY,
    }
    # and a gender or province it cannot code is refused
    for bad in ({**BIRTH, "ks_gioi_tinh": "khác"}, {**BIRTH, "ma_tinh": "999"}):
        status, answer = _send(base_url, "civil_status.birth.register", bad)
        assert status == 422 and answer["reasons"][0]["code"] == "sai_dinh_dang"


def test_civil_status_registers_deaths(agency_factory):
    _, base_url = agency_factory(profile="civil_status")
    payload = {"kt_ho_ten": "Lê Văn Thành", "kt_ngay_chet": "2026-11-25", "kt_so_dinh_danh": "022040000123"}
    _send(base_url, "civil_status.death.register", payload)
    status, answer = _send(base_url, "civil_status.death.register", payload)
    assert status == 200
    assert answer["result"] == {
        "so_trich_luc": f"2/{date.today().year}/TLKT",
        "ho_ten": "Lê Văn Thành",
        "ngay_chet": "2026-11-25",
        "ngay_dang_ky": TODAY,
    }
    status, answer = _send(base_url, "civil_status.death.register", {"kt_ho_ten": "Lê Văn Thành"})
    assert status == 422 and "kt_ngay_chet" in answer["reasons"][0]["message"]


def test_civil_status_later_calls_back_with_the_new_personal_id(agency_factory, capture):
    server, base_url = agency_factory(profile="civil_status", mode="later", callback_url=capture["url"])
    status, answer = _send(base_url, "civil_status.birth.register", BIRTH)
    assert status == 202 and answer["ticket"].startswith("HT-")
    assert _wait(lambda: len(capture["got"]) == 1)
    [(headers, body)] = capture["got"]
    signing.verify(headers, body, server.state.jwks())
    assert headers["X-Motcua-Sender"] == "ho-tich"
    result = json.loads(body)["payload"]["result"]
    validate_personal_id(result["so_dinh_danh"], birth_date=date(2026, 11, 20), gender="nam")


# --- the national portal ---------------------------------------------------------------------------------------
def test_the_portal_keeps_the_status_with_the_highest_seq(agency_factory):
    _, base_url = agency_factory(profile="portal")

    def status_update(trang_thai, seq, ma_ho_so="H22.01-261128-0001"):
        return _send(base_url, "portal.dossier_status", {"ma_ho_so": ma_ho_so, "trang_thai": trang_thai, "seq": seq})

    # given the dossier received (seq 1) then being processed (seq 3)
    assert status_update("tiep_nhan", 1)[1]["result"]["trang_thai_da_luu"] == "tiep_nhan"
    assert status_update("dang_xu_ly", 3)[1]["result"] == {
        "ma_ho_so": "H22.01-261128-0001",
        "trang_thai_da_luu": "dang_xu_ly",
        "seq_da_luu": 3,
    }
    # when an older update (seq 2) arrives late, then it does not overwrite the newer one
    status, answer = status_update("cho_bo_sung", 2)
    assert (
        status == 200 and answer["result"]["trang_thai_da_luu"] == "dang_xu_ly" and answer["result"]["seq_da_luu"] == 3
    )
    # and a newer one does; seq 0 is a value, not a missing field
    assert status_update("da_tra_ket_qua", 7)[1]["result"]["seq_da_luu"] == 7
    status_update("tiep_nhan", 0, "H22.01-261128-0002")
    assert request("GET", base_url + "/__admin/dossiers").json() == {
        "H22.01-261128-0001": {"trang_thai": "da_tra_ket_qua", "seq": 7},
        "H22.01-261128-0002": {"trang_thai": "tiep_nhan", "seq": 0},
    }
    # a seq that is not an integer is refused
    status, answer = status_update("x", "hai")
    assert status == 422 and answer["reasons"][0]["code"] == "sai_dinh_dang"
    status, answer = _send(base_url, "portal.dossier_status", {"ma_ho_so": "H", "trang_thai": "x"})
    assert (
        status == 422 and answer["reasons"][0]["code"] == "thieu_thong_tin" and "seq" in answer["reasons"][0]["message"]
    )


# --- faults ----------------------------------------------------------------------------------------------------
def test_faults_can_be_set_at_start(agency_factory):
    _, base_url = agency_factory(fail_next=1, fail_status=502, callback_twice=True, timeout_seconds=0.5)
    faults = request("GET", base_url + "/__admin/faults").json()
    assert faults["fail_next"] == 1 and faults["status"] == 502 and faults["callback_twice"] is True
    headers, body = _message()
    assert _post(base_url, headers, body)[0] == 502  # failed before applying
    assert _received(base_url)["received"] == []
    assert _post(base_url, headers, body)[0] == 200


def test_delay_answers_after_applying_so_the_answer_is_lost(agency_factory):
    # given an agency that applies, then answers after the sender's timeout
    _, base_url = agency_factory(delay=0.6)
    headers, body = _message()
    with pytest.raises(TimeoutError):
        _post(base_url, headers, body, timeout=0.2)
    # then the message was applied anyway
    assert _wait(lambda: _received(base_url)["received"] == [headers["X-Motcua-Message-Id"]])
    # and the retry is answered from the stored answer, not applied again
    _faults(base_url, delay=0)
    assert _post(base_url, headers, body)[0] == 200
    assert _received(base_url)["duplicates"] == 1


def test_timeout_next_hangs_before_applying_then_answers_504(agency_factory):
    # given the next message hangs (longer than the sender waits)
    _, base_url = agency_factory()
    _faults(base_url, timeout_next=1, timeout_seconds=0.5)
    headers, body = _message()
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        _post(base_url, headers, body, timeout=0.15)
    # then other requests are served meanwhile, and nothing was applied
    assert request("GET", base_url + "/healthz", timeout=1).json()["status"] == "ok"
    assert time.monotonic() - started < 0.45
    assert _received(base_url)["received"] == []
    # a sender patient enough sees the 504 (the fault is spent: the one after is applied)
    _faults(base_url, timeout_next=1)
    assert _post(base_url, headers, body, timeout=3)[0] == 504
    assert _received(base_url)["received"] == []
    assert _post(base_url, headers, body)[0] == 200
    assert _received(base_url)["received"] == [headers["X-Motcua-Message-Id"]]


def test_a_hung_message_does_not_hold_the_shutdown(agency_factory):
    server, base_url = agency_factory(timeout_next=1, timeout_seconds=30)
    outcome: list = []

    def send():
        outcome.append(_post(base_url, *_message(), timeout=5)[0])

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    sender.join(timeout=2)
    assert time.monotonic() - started < 1.5
    assert outcome == [504]


def test_callback_twice_sends_the_same_callback_and_records_motcuas_answers(agency_factory, capture):
    _, base_url = agency_factory(mode="later", callback_url=capture["url"])
    _faults(base_url, callback_twice=True, callback_delay=0)
    headers, body = _message()
    assert _post(base_url, headers, body)[0] == 202
    assert _wait(lambda: len(_received(base_url)["callbacks"]) == 2)
    (h1, b1), (h2, b2) = capture["got"]
    assert h1["X-Motcua-Message-Id"] == h2["X-Motcua-Message-Id"] and b1 == b2
    first, second = _received(base_url)["callbacks"]
    assert first["message_id"] == second["message_id"] == h1["X-Motcua-Message-Id"]
    assert (first["status"], first["duplicate"]) == (200, False)
    assert (second["status"], second["duplicate"]) == (200, True)
    assert first["in_reply_to"] == headers["X-Motcua-Message-Id"]


def test_callback_delay_makes_the_answer_late(agency_factory, capture):
    _, base_url = agency_factory(mode="later", callback_url=capture["url"], callback_delay=0.5)
    started = time.monotonic()
    assert _post(base_url, *_message())[0] == 202
    time.sleep(0.25)
    assert capture["got"] == []
    assert _wait(lambda: len(capture["got"]) == 1)
    assert time.monotonic() - started >= 0.5


def test_callback_reject_says_rejected_and_applies_nothing(agency_factory, capture):
    _, base_url = agency_factory(profile="portal", mode="later", callback_url=capture["url"])
    _faults(base_url, callback_reject=True)
    payload = {"ma_ho_so": "H22.01-261128-0009", "trang_thai": "tiep_nhan", "seq": 1}
    status, answer = _send(base_url, "portal.dossier_status", payload)
    assert status == 202 and answer["ticket"].startswith("DVC-")
    assert _wait(lambda: len(capture["got"]) == 1)
    callback = json.loads(capture["got"][0][1])["payload"]
    assert callback["status"] == "rejected" and "result" not in callback
    assert callback["reasons"][0]["code"] and callback["reasons"][0]["message"]
    assert request("GET", base_url + "/__admin/dossiers").json() == {}
    assert _wait(lambda: [c["result_status"] for c in _received(base_url)["callbacks"]] == ["rejected"])


def test_bad_signature_signs_answers_and_callbacks_with_an_unpublished_key(agency_factory, capture):
    # given an agency signing with a key it does not publish
    _server, base_url = agency_factory(mode="later", callback_url=capture["url"], bad_signature=True)
    jwks = request("GET", base_url + "/jwks").json()
    capture["jwks"] = jwks
    # then its answer does not verify against its published keys
    status, headers, raw = _post(base_url, *_message())
    assert status == 202
    with pytest.raises(signing.SignatureError):
        signing.verify(headers, raw, jwks)
    # nor does its callback, which motcua refuses (401, not retried)
    assert _wait(lambda: len(_received(base_url)["callbacks"]) == 1)
    assert _received(base_url)["callbacks"][0]["status"] == 401 and len(capture["got"]) == 1
    # when the fault is cleared, its answers verify again
    _faults(base_url, bad_signature=False, mode="now")
    status, headers, raw = _post(base_url, *_message())
    assert status == 200
    signing.verify(headers, raw, jwks)


@pytest.mark.parametrize(("scope", "answer_ok", "callback_status"), [("callbacks", True, 401), ("answers", False, 200)])
def test_bad_signature_can_spoil_only_answers_or_only_callbacks(
    agency_factory, capture, scope, answer_ok, callback_status
):
    _, base_url = agency_factory(mode="later", callback_url=capture["url"], callback_delay=0)
    capture["jwks"] = jwks = request("GET", base_url + "/jwks").json()
    assert _faults(base_url, bad_signature=scope)["bad_signature"] == scope
    status, headers, raw = _post(base_url, *_message())
    assert status == 202
    if answer_ok:
        signing.verify(headers, raw, jwks)
    else:
        with pytest.raises(signing.SignatureError):
            signing.verify(headers, raw, jwks)
    assert _wait(lambda: len(_received(base_url)["callbacks"]) == 1)
    assert _received(base_url)["callbacks"][0]["status"] == callback_status


def test_reset_clears_every_fault_and_restores_the_start_mode(agency_factory):
    _, base_url = agency_factory(mode="later")
    defaults = request("GET", base_url + "/__admin/faults").json()
    armed = _faults(
        base_url,
        fail_next=3,
        status=500,
        delay=1,
        timeout_next=2,
        timeout_seconds=2,
        callback_twice=True,
        callback_delay=1,
        callback_reject=True,
        bad_signature=True,
        mode="reject",
    )
    assert armed != defaults and armed["mode"] == "reject"
    assert _faults(base_url, reset=True) == defaults
    assert defaults == {
        "fail_next": 0,
        "status": 503,
        "delay": 0.0,
        "timeout_next": 0,
        "timeout_seconds": 30.0,
        "callback_twice": False,
        "callback_delay": 0.05,
        "callback_reject": False,
        "bad_signature": False,
        "mode": "later",
    }


def test_bad_admin_requests_are_refused_and_change_nothing(agency_factory):
    _, base_url = agency_factory()
    before = request("GET", base_url + "/__admin/faults").json()
    for bad in (
        {"fail_nxt": 1},
        {"fail_next": -1},
        {"mode": "soon"},
        {"bad_signature": "yes"},
        {"callback_twice": 1},
        {"delay": 1, "status": 200},
    ):
        answer = request("POST", base_url + "/__admin/faults", json_body=bad)
        assert answer.status == 400 and answer.json()["error_description"]
    assert request("GET", base_url + "/__admin/faults").json() == before


def test_start_profile_and_the_command_line():
    # start_profile is start_agency_server for one profile
    server, _thread, base_url = start_profile("social_assistance", motcua_jwk=signing.public_jwk(MOTCUA_KEY))
    try:
        health = request("GET", base_url + "/healthz").json()
        assert (health["profile"], health["code"]) == ("social_assistance", "tro-giup-xa-hoi")
    finally:
        server.stop()
    # the command line takes the profile and the faults
    command = [
        sys.executable, "-m", "simulators.agency", "--profile", "portal", "--port", "0", "--mode", "later",
        "--timeout-next", "2", "--timeout-seconds", "1.5", "--callback-twice", "--bad-signature",
    ]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        line = proc.stdout.readline()
        assert "Cổng Dịch vụ công quốc gia" in line and "[dvcqg]" in line
        base = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        assert request("GET", f"{base}/healthz").json()["code"] == "dvcqg"
        faults = request("GET", f"{base}/__admin/faults").json()
        assert (faults["timeout_next"], faults["timeout_seconds"], faults["mode"]) == (2, 1.5, "later")
        assert faults["callback_twice"] is True and faults["bad_signature"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_every_profile_starts_with_its_own_identity():
    for key, profile in PROFILES.items():
        server, _thread, base_url = start_profile(key)
        try:
            assert request("GET", base_url + "/healthz").json() == {
                "status": "ok",
                "profile": key,
                "code": profile.code,
                "name": profile.name,
            }
        finally:
            server.stop()
    assert [p.code for p in PROFILES.values()] == ["cong-an", "bhxh", "tro-giup-xa-hoi", "ho-tich", "dvcqg"]
