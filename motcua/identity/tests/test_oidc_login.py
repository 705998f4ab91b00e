"""Login through the national eID against the real OIDC simulator: the code flow end to end, and every kind of
bad ID token refused with a clear Vietnamese page, status 400 and no session."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from motcua.accounts.models import User
from motcua.audit.models import AuditRecord
from motcua.identity import oidc
from motcua.identity.models import EidAccount, Enterprise, EnterpriseRepresentative, UsedNonce

from .conftest import post_json
from .helpers import callback, eid_login, http_request, logged_in_user_id, provider_login, start_login

BICH = "022192004567"
AN = "022090001234"

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return response.content.decode()


def test_full_code_flow_logs_the_citizen_in_keyed_by_personal_id(eid):
    # given nobody has an account yet, and the citizen starts from the apply page
    client = Client()
    authorize = start_login(client, next_url="/thu-tuc/1.001193/")
    query = parse_qs(urlsplit(authorize).query)
    # then the authorize request carries state, nonce and a PKCE S256 challenge, and no secret
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0] and "client_secret" not in query
    # when she logs in at the provider and comes back
    response = callback(client, provider_login(authorize, BICH, level="2"))
    # then she is logged in, sent where she was going, as a citizen keyed by her personal ID number
    assert response.status_code == 302 and response["Location"] == "/thu-tuc/1.001193/"
    user = User.objects.get(personal_id=BICH)
    assert logged_in_user_id(client) == str(user.pk)
    assert user.username == BICH and user.full_name == "Trần Thị Bích" and not user.has_usable_password()
    account = EidAccount.objects.get(user=user)
    assert account.assurance == "loa2" and account.acr == "urn:vn:eid:loa2" and account.gender == "nu"
    assert str(account.birth_date) == "1992-08-21"
    assert client.session[oidc.ASSURANCE_KEY] == "loa2" and client.session[oidc.ID_TOKEN_KEY]
    # and the login is audited, and the nonce is spent
    assert AuditRecord.objects.filter(action="identity.eid_login", object_id=str(user.pk)).exists()
    assert UsedNonce.objects.filter(nonce=query["nonce"][0]).exists()
    # and the home page shows her name
    assert "Trần Thị Bích" in client.get("/").content.decode()


def test_an_existing_account_with_that_personal_id_is_reused_never_duplicated(eid):
    # given a citizen account created earlier (by password, another name spelling)
    existing = User.objects.create_user("022090001234", personal_id=AN, full_name="Nguyen Van An")
    client = Client()
    # when An logs in through the eID at level 1
    response = eid_login(client, AN, level="1")
    # then the same account is used, its name updated from the eID, level 1 recorded
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(existing.pk)
    assert User.objects.filter(personal_id=AN).count() == 1
    existing.refresh_from_db()
    assert existing.full_name == "Nguyễn Văn An"
    assert EidAccount.objects.get(user=existing).assurance == "loa1"


FAULT_MESSAGES = {
    "tamper": "Chữ ký của thẻ định danh (ID token) không hợp lệ",
    "wrong_aud": "không được cấp cho hệ thống này",
    "expired": "Thẻ định danh đã hết hạn",
    "unknown_key": "khoá không có trong danh sách khoá công khai",
    "no_nonce": "thiếu mã chống phát lại (nonce)",
}


@pytest.mark.parametrize("fault", sorted(FAULT_MESSAGES))
def test_each_kind_of_bad_id_token_is_refused_without_a_session(eid, fault):
    # given the provider will issue the next ID token wrong in one way
    post_json(f"{eid}/__admin/faults", {"next_id_token": fault})
    client = Client()
    # when the citizen completes the login
    response = eid_login(client, BICH)
    # then a Vietnamese error page, status 400, and nobody logged in or created
    assert response.status_code == 400
    assert FAULT_MESSAGES[fault].lower() in _text(response).lower()
    assert "Không đăng nhập được bằng định danh điện tử" in _text(response)
    assert logged_in_user_id(client) is None
    assert oidc.ASSURANCE_KEY not in client.session and oidc.ID_TOKEN_KEY not in client.session
    assert not User.objects.filter(personal_id=BICH).exists()


def test_a_replayed_nonce_is_refused(eid):
    # given a login that succeeded, and a snapshot of the browser's pending login taken before the callback
    first = Client()
    authorize = start_login(first)
    snapshot = dict(first.session[oidc.PENDING_KEY])
    assert callback(first, provider_login(authorize, BICH)).status_code == 302
    # when an attacker replays that pending login (same state, nonce, verifier) in another browser and gets a
    # fresh ID token for it from the provider
    attacker = Client()
    session = attacker.session
    session[oidc.PENDING_KEY] = snapshot
    session.save()
    response = callback(attacker, provider_login(authorize, BICH))
    # then the second token carrying the spent nonce is refused
    assert response.status_code == 400
    assert "đã được dùng để đăng nhập (phát lại)" in _text(response)
    assert logged_in_user_id(attacker) is None


def test_a_wrong_state_is_refused_and_the_code_is_not_exchanged(eid):
    client = Client()
    redirect = provider_login(start_login(client), BICH)
    # when the callback comes back with a state this browser never sent
    response = callback(client, redirect, state="state-gia-mao")
    # then refused, nobody logged in
    assert response.status_code == 400
    assert "mã state không khớp" in _text(response)
    assert logged_in_user_id(client) is None
    # and a callback with no state at all is refused the same way
    assert callback(client, redirect, state="").status_code == 400


def test_a_state_is_good_for_one_callback_only(eid):
    client = Client()
    redirect = provider_login(start_login(client), BICH)
    assert callback(client, redirect).status_code == 302
    client.logout()
    # when the same callback URL is opened again
    again = callback(client, redirect)
    # then refused (the pending login was consumed)
    assert again.status_code == 400 and logged_in_user_id(client) is None


def test_signing_key_rotation_is_accepted(eid):
    # given a first login (the platform now caches the provider's keys)
    assert eid_login(Client(), BICH).status_code == 302
    # when the provider rotates its signing key and drops the old one
    rotated = post_json(f"{eid}/__admin/rotate?drop_old=1", {})
    # then the next login, signed with a key the cache has never seen, is accepted after one JWKS refetch
    client = Client()
    response = eid_login(client, AN)
    assert response.status_code == 302 and logged_in_user_id(client)
    assert rotated["kid"] in [k.kid for k in oidc._key_set().keys]


def test_cancelling_at_the_provider_is_a_clear_refusal(eid):
    client = Client()
    authorize = start_login(client)
    page = http_request("GET", authorize)
    action = page.body.split('<form method="post" action="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorize))
    back = http_request("POST", origin + action, {"action": "cancel"})
    response = callback(client, back.location)
    assert response.status_code == 400
    assert "Người dùng huỷ đăng nhập" in _text(response)
    assert logged_in_user_id(client) is None


def test_enterprise_representative_login_records_the_enterprise(eid):
    # given An is the legal representative of Công ty TNHH Du lịch Vịnh Xanh (tax code 5701234566)
    client = Client()
    response = eid_login(client, AN, level="2", tax_code="5701234566")
    assert response.status_code == 302
    # then the enterprise and the representation are recorded, and the session knows who he acts for
    enterprise = Enterprise.objects.get(tax_code="5701234566")
    assert enterprise.name == "Công ty TNHH Du lịch Vịnh Xanh"
    assert EnterpriseRepresentative.objects.filter(enterprise=enterprise, user__personal_id=AN).exists()
    assert client.session[oidc.ENTERPRISE_KEY] == {"tax_code": "5701234566", "name": enterprise.name}


def test_logout_ends_both_sessions(eid):
    client = Client()
    eid_login(client, BICH)
    id_token = client.session[oidc.ID_TOKEN_KEY]
    # when the citizen logs out (POST)
    response = client.post("/dinh-danh/dang-xuat/")
    # then our session is gone and the browser goes to the provider's end-session endpoint
    assert logged_in_user_id(client) is None
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{eid}/logout"
    params = parse_qs(target.query)
    assert params["id_token_hint"] == [id_token] and params["post_logout_redirect_uri"] == ["http://testserver/"]
    # and the provider accepts it and sends the browser back home
    back = http_request("GET", response["Location"])
    assert back.status == 302 and back.location == "http://testserver/"
    # and GET is not a way to log out
    assert client.get("/dinh-danh/dang-xuat/").status_code == 405


def test_login_page_offers_the_real_eid_link_when_configured(eid):
    page = Client().get("/tai-khoan/dang-nhap/?next=/ho-so-cua-toi/")
    html = _text(page)
    assert 'href="/dinh-danh/dang-nhap/?next=/ho-so-cua-toi/"' in html
    assert "Đăng nhập bằng định danh điện tử quốc gia (VNeID)" in html and "sắp có" not in html


def test_eid_pages_are_off_when_no_issuer_is_configured(settings, db):
    settings.MOTCUA_OIDC_ISSUER = ""
    assert Client().get("/dinh-danh/dang-nhap/").status_code == 404
    assert Client().get("/dinh-danh/callback/?code=x&state=y").status_code == 404
    assert "sắp có" in _text(Client().get("/tai-khoan/dang-nhap/"))


def test_open_redirects_are_not_followed(eid):
    client = Client()
    response = callback(client, provider_login(start_login(client, next_url="https://evil.example/"), BICH))
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_password_login_drops_the_eid_level(eid):
    # given Bích logged in at level 2 once
    client = Client()
    eid_login(client, BICH)
    user = User.objects.get(personal_id=BICH)
    from motcua.identity.services import user_assurance

    assert user_assurance(user) == "loa2"
    # when she later logs in with a password instead of the eID
    user.set_password("mat-khau-thu-nghiem-1")
    user.save()
    response = Client().post("/tai-khoan/dang-nhap/", {"username": user.username, "password": "mat-khau-thu-nghiem-1"})
    assert response.status_code == 302
    # then her latest login has no eID level any more
    assert user_assurance(user) == "none"


def test_a_provider_whose_discovery_names_another_issuer_is_not_used(eid, settings):
    # given the platform is configured with an issuer the provider does not call itself
    settings.MOTCUA_OIDC_ISSUER = eid.replace("127.0.0.1", "localhost")
    oidc.forget_cached_metadata()
    # when a citizen tries to log in, then nothing is sent to that provider
    response = Client().get("/dinh-danh/dang-nhap/")
    assert response.status_code == 503
    assert "Cấu hình cổng định danh điện tử không khớp (issuer)" in _text(response)


def test_a_code_used_twice_is_refused_by_the_provider_and_by_us(eid):
    client = Client()
    authorize = start_login(client)
    snapshot = dict(client.session[oidc.PENDING_KEY])
    redirect = provider_login(authorize, BICH)
    assert callback(client, redirect).status_code == 302
    # when the same code is presented again with the same pending login replayed
    other = Client()
    session = other.session
    session[oidc.PENDING_KEY] = snapshot
    session.save()
    response = callback(other, redirect)
    # then the provider refuses the code and so do we
    assert response.status_code == 400
    assert "Mã cấp quyền không hợp lệ" in _text(response)
    assert logged_in_user_id(other) is None
