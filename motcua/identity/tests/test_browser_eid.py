"""In a real browser, on real servers: a citizen logs in through the (simulated) national eID with the real
redirect flow, opens birth registration, finds the parents' data pre-filled from the population registry,
submits and sees the dossier."""

from __future__ import annotations

import re

import pytest

from motcua.catalog.examples import EXAMPLES

from .conftest import CLIENT_ID, CLIENT_SECRET

pytestmark = pytest.mark.browser

BICH = "022192004567"


def choose(page, name: str, value: str) -> None:
    """A choice field, whether the form renders it as radio buttons or as a drop-down."""
    radios = page.locator(f"input[type=radio][name={name}]")
    if radios.count():
        radios.and_(page.locator(f"[value={value}]")).check()
    else:
        page.locator(f"select[name={name}]").select_option(value)


@pytest.fixture
def eid_for_server(server, population, settings):
    """An eID provider whose registered redirect URI is this test's live server."""
    from motcua.identity import oidc
    from simulators.eid import start_eid_server

    provider, _thread, base_url = start_eid_server(
        0,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=f"{server}/dinh-danh/callback/",
        population=population,
    )
    settings.MOTCUA_OIDC_ISSUER = base_url
    settings.MOTCUA_OIDC_CLIENT_ID = CLIENT_ID
    settings.MOTCUA_OIDC_CLIENT_SECRET = CLIENT_SECRET
    oidc.forget_cached_metadata()
    try:
        yield base_url
    finally:
        provider.stop()
        oidc.forget_cached_metadata()


def test_citizen_logs_in_with_the_eid_and_submits_a_prefilled_birth_declaration(
    server, eid_for_server, registry_url, browser, shots
):
    from playwright.sync_api import expect

    from motcua.core.demo import load_demo
    from motcua.dossiers.models import Dossier, IdentityStatus

    # given the demo province and catalogue, an eID provider and the population registry
    load_demo()
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # when Bích chooses "log in with the national eID" on the login page
    page.goto(f"{server}/tai-khoan/dang-nhap/?next=/thu-tuc/1.001193/")
    page.get_by_role("link", name=re.compile("định danh điện tử quốc gia", re.I)).click()
    # then the browser is on the provider, which shows its own login page
    expect(page).to_have_url(re.compile(re.escape(eid_for_server) + r"/authorize\?"))
    assert "code_challenge_method=S256" in page.url and "nonce=" in page.url and "state=" in page.url
    page.get_by_label(re.compile("Trần Thị Bích")).check()
    page.get_by_role("button", name="Đăng nhập").click()

    # and she comes back to the procedure page, logged in as herself
    expect(page).to_have_url(f"{server}/thu-tuc/1.001193/")
    expect(page.locator("header")).to_contain_text("Trần Thị Bích")

    # when she opens the online declaration at her commune (Phường Hà Tu, 06652)
    from motcua.catalog.models import Agency

    home_commune = Agency.objects.get(commune_code="06652")
    page.locator("select[name=agency]").select_option(home_commune.code)
    page.get_by_role("button", name=re.compile("Nộp hồ sơ trực tuyến")).first.click()
    # then her own data and the parents' data come from the registry, hers read-only
    expect(page.locator("input[name=nyc_ho_ten]")).to_have_value("Trần Thị Bích")
    expect(page.locator("input[name=nyc_ho_ten]")).to_have_attribute("readonly", re.compile(".*"))
    expect(page.locator("input[name=nyc_so_dinh_danh]")).to_have_value(BICH)
    expect(page.locator("input[name=me_ho_ten]")).to_have_value("Trần Thị Bích")
    expect(page.locator("input[name=cha_ho_ten]")).to_have_value("Nguyễn Văn An")
    expect(page.locator("main")).to_contain_text("Từ CSDL quốc gia về dân cư")
    page.screenshot(path=str(shots / "eid-1-prefilled.png"), full_page=True)

    # when she completes what only she knows: the child
    child = EXAMPLES["1.001193"]
    for name in ("ks_ho_ten", "ks_noi_sinh", "ks_dan_toc", "ks_quoc_tich", "ks_que_quan"):
        page.locator(f"[name={name}]").fill(child[name])
    page.locator("[name=ks_ngay_sinh]").fill(child["ks_ngay_sinh"])
    choose(page, "ks_gioi_tinh", child["ks_gioi_tinh"])
    choose(page, "nyc_quan_he", "me")
    choose(page, "hinh_thuc_nhan_ket_qua", child["hinh_thuc_nhan_ket_qua"])
    page.get_by_role("button", name="Nộp hồ sơ").click()

    # then the dossier is received, with its code, and checked against the registry
    expect(page.locator("main")).to_contain_text("Mã hồ sơ")
    dossier = Dossier.objects.filter(applicant__personal_id=BICH, procedure__code="1.001193").latest("id")
    expect(page.locator("main")).to_contain_text(dossier.code)
    assert dossier.identity_status == IdentityStatus.VERIFIED
    assert dossier.data["cha_ho_ten"] == "Nguyễn Văn An"
    assert dossier.data_sources.get("nyc_ho_ten", {}).get("source")

    # and "my dossiers" lists it
    page.goto(f"{server}/ho-so/")
    expect(page.locator("main")).to_contain_text(dossier.code)
    page.screenshot(path=str(shots / "eid-2-my-dossiers.png"), full_page=True)
    assert errors == []
