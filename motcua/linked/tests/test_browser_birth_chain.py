"""In a real browser, on real servers: a parent logs in with the national eID, submits the birth chain once;
the commune (inside motcua), the police (simulated, answers at once) and social insurance (simulated, answers
later by a signed callback to our inbox over HTTP) complete it; the parent sees one timeline and three results."""

from __future__ import annotations

import re
import time

import pytest

from motcua.catalog.examples import EXAMPLES
from motcua.identity.tests.conftest import population, registry_server, registry_url  # noqa: F401 - fixtures
from motcua.identity.tests.test_browser_eid import choose, eid_for_server  # noqa: F401 - fixture

from .conftest import LinkedWorld, process_internal

pytestmark = pytest.mark.browser
BICH = "022192004567"


def _wait(predicate, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.usefixtures("eid_for_server", "registry_url")
def test_parent_submits_the_birth_chain_once_and_sees_one_timeline_and_three_results(
    server, partners, browser, shots, settings, tmp_path
):
    from playwright.sync_api import expect

    from motcua.accounts.models import Role, User
    from motcua.catalog.models import Agency
    from motcua.core.demo import load_demo
    from motcua.dossiers import services as dossiers
    from motcua.dossiers.models import Dossier
    from motcua.exchange import services as exchange
    from motcua.linked.models import ChainStatus, LinkedChain

    # given the demo province, its officials, and the three agencies: the commune's civil status inside motcua,
    # the police and social insurance as external systems (social insurance calls our inbox back over HTTP)
    settings.MOTCUA_EXCHANGE_KEY_PATH = tmp_path / "exchange-key.pem"
    load_demo()
    partners("ho-tich", kind="internal")
    partners("cong-an", profile="police", mode="now")
    partners("bhxh", profile="social_insurance", mode="later", callback_url=f"{server}/api/v1/exchange/inbox")
    commune = Agency.objects.get(commune_code="06652")
    staff = {
        r: User.objects.get(roles__agency=commune, roles__role=r) for r in (Role.DESK, Role.SPECIALIST, Role.LEADER)
    }
    world = LinkedWorld(commune, staff[Role.DESK], staff[Role.SPECIALIST], staff[Role.LEADER], None, None)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # when Bích logs in with the national eID from the linked procedure's page
    page.goto(f"{server}/tai-khoan/dang-nhap/?next=/thu-tuc/2.000986/")
    page.get_by_role("link", name=re.compile("định danh điện tử quốc gia", re.I)).click()
    page.get_by_label(re.compile("Trần Thị Bích")).check()
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{server}/thu-tuc/2.000986/")

    # and opens the one declaration at her commune: her and the parents' data come from the registry
    page.locator("select[name=agency]").select_option(commune.code)
    page.get_by_role("button", name=re.compile("Nộp hồ sơ trực tuyến")).first.click()
    expect(page.locator("input[name=nyc_so_dinh_danh]")).to_have_value(BICH)
    expect(page.locator("input[name=cha_ho_ten]")).to_have_value("Nguyễn Văn An")
    # and she types only what the registry cannot know: the child, and where the child will live
    child = EXAMPLES["2.000986"]
    for name in ("ks_ho_ten", "ks_noi_sinh", "ks_dan_toc", "ks_quoc_tich", "ks_que_quan", "tt_dia_chi_so_nha_duong"):
        page.locator(f"[name={name}]").fill(child[name])
    page.locator("[name=ks_ngay_sinh]").fill(child["ks_ngay_sinh"])
    choose(page, "ks_gioi_tinh", child["ks_gioi_tinh"])
    choose(page, "nyc_quan_he", "me")
    for name in ("tt_chu_ho_ho_ten", "tt_chu_ho_so_dinh_danh", "tt_dia_chi_xa", "bhyt_noi_kcb_ban_dau"):
        field = page.locator(f"[name={name}]")
        if not field.input_value():
            field.fill(child[name])
    choose(page, "tt_quan_he_chu_ho", "con")
    choose(page, "hinh_thuc_nhan_ket_qua", "truc_tuyen")
    page.screenshot(path=str(shots / "linked-1-declaration.png"), full_page=True)
    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.locator("main")).to_contain_text("Mã hồ sơ")
    umbrella = Dossier.objects.filter(applicant__personal_id=BICH, procedure__code="2.000986").latest("id")

    # when the desk accepts it once, the commune's officials register the birth, the police answer at once and
    # social insurance answers later by its signed callback to our inbox
    dossiers.perform(world.desk, umbrella, "accept")
    exchange.deliver_due()
    process_internal(Dossier.objects.get(parent=umbrella), world)
    exchange.deliver_due()
    chain = LinkedChain.objects.get(dossier=umbrella)
    _wait(lambda: LinkedChain.objects.get(pk=chain.pk).status != ChainStatus.OPEN)

    # then the parent sees one dossier, one timeline and three results
    page.goto(f"{server}/ho-so/")
    expect(page.locator("main")).to_contain_text(umbrella.code)
    expect(page.locator("main")).not_to_contain_text(Dossier.objects.get(parent=umbrella).code)
    page.goto(f"{server}/ho-so/{umbrella.code}/")
    results = page.locator("#ket-qua [data-step]")
    expect(results).to_have_count(3)
    child_id = chain.steps.get(code="khai_sinh").result["so_dinh_danh"]
    expect(page.locator("#ket-qua")).to_contain_text(child_id)  # the card number is the child's new ID
    timeline = page.locator("#dong-thoi-gian li")
    assert timeline.count() >= 8  # submitted, accepted, sent ×3, received, results ×3, returned
    expect(page.locator("#dong-thoi-gian")).to_contain_text("Bảo hiểm xã hội")
    page.screenshot(path=str(shots / "linked-2-results.png"), full_page=True)
    assert LinkedChain.objects.get(pk=chain.pk).status == ChainStatus.COMPLETED
    assert errors == []


def test_the_death_declaration_adapts_to_the_chosen_procedures(server, linked_world, browser, shots):
    from playwright.sync_api import expect

    # given Bích logged in, on the death group's online declaration at her commune
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{server}/tai-khoan/dang-nhap/")
    page.locator("input[name=username]").fill(BICH)
    page.locator("input[name=password]").fill("mat-khau-thu-nghiem-1")
    page.locator("form button[type=submit]").first.click()
    page.goto(f"{server}/thu-tuc/LT.KHAITU/nop/?agency={linked_world.commune.code}")
    account = page.locator("fieldset[data-show-when-field=thu_tuc_chon]")
    # then: with only the residence removal chosen, no bank account is asked for
    page.locator("input[name=thu_tuc_chon][value=xoa_thuong_tru]").check()
    expect(account).to_be_hidden()
    # when she also asks for the funeral allowance, the account fields appear
    page.locator("input[name=thu_tuc_chon][value=tro_cap_mai_tang]").check()
    expect(account).to_be_visible()
    expect(page.locator("input[name=nhan_tien_so_tai_khoan]")).to_be_enabled()
    page.screenshot(path=str(shots / "linked-3-death-declaration.png"), full_page=True)
    # and when she unticks it again, they go away
    page.locator("input[name=thu_tuc_chon][value=tro_cap_mai_tang]").uncheck()
    expect(account).to_be_hidden()
