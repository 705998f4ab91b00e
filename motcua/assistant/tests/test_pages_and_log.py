"""The chat page (works without JavaScript, CSRF on), the article page, the question log without personal data,
and the officials' review pages, authorised like the rest of the back office."""

from __future__ import annotations

import pytest
from django.test import Client

from motcua.accounts.testing import signed_in_client
from motcua.assistant import privacy, services
from motcua.assistant.models import AssistantQuery, LegalArticle


def test_personal_data_is_scrubbed_before_it_is_logged(laws, catalogue):
    # when someone puts their ID number, phone and e-mail in the question
    question = (
        "Tôi là Trần Thị Bích, CCCD 022192004567, điện thoại 0912 000 002, thư bich.tran@example.vn, "
        "đăng ký khai sinh cho con cần giấy tờ gì?"
    )
    answer = services.ask(question, "citizen", role="citizen", channel="web")
    # then the answer is still right, and the log keeps none of those
    assert answer.citations[0].id == "1.001193"
    logged = AssistantQuery.objects.get(pk=answer.log_id)
    for secret in ("022192004567", "0912 000 002", "bich.tran@example.vn"):
        assert secret not in logged.question and secret not in logged.answer
    assert "[số định danh]" in logged.question and "[số điện thoại]" in logged.question
    assert "[thư điện tử]" in logged.question and "đăng ký khai sinh cho con cần giấy tờ gì?" in logged.question
    # and who asked is a role only: the log has no link to a user
    assert logged.asker_role == "citizen" and logged.channel == "web" and logged.audience == "citizen"
    assert {f.name for f in AssistantQuery._meta.get_fields() if f.is_relation} == {"articles", "reviewed_by"}
    assert logged.intent == "procedure" and logged.citations[0]["id"] == "1.001193"
    assert logged.latency_ms >= 0 and logged.confidence == answer.confidence


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("số 0221 9200 4567 nhé", "số [số định danh] nhé"),
        ("gọi +84 912 345 678 hoặc 024.3825.1234", "gọi [số điện thoại] hoặc [số điện thoại]"),
        ("CMND cũ 123456789", "CMND cũ [số định danh]"),
        ("Điều 20 Luật Cư trú số 68/2020/QH14 ngày 13/11/2020, phí 100.000 đồng", None),
    ],
)
def test_scrubbing_rules(text, scrubbed):
    assert privacy.scrub(text) == (scrubbed or text)


def _csrf_client() -> Client:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/tro-ly-ao/")
    assert page.status_code == 200
    client.token = client.cookies["csrftoken"].value
    return client


def test_the_chat_page_answers_a_plain_form_post_with_its_sources(laws, catalogue):
    client = _csrf_client()
    page = client.get("/tro-ly-ao/").content.decode()
    assert 'name="question"' in page and 'name="audience"' in page and "csrfmiddlewaretoken" in page
    # without the CSRF token the form is refused
    assert client.post("/tro-ly-ao/", {"question": "Điều 1 Luật Thanh niên", "audience": "citizen"}).status_code == 403
    # with it: the answer, and the sources panel with the cited article and its snippet
    response = client.post(
        "/tro-ly-ao/",
        {"question": "Điều 1 Luật Thanh niên", "audience": "citizen", "csrfmiddlewaretoken": client.token},
    )
    text = response.content.decode()
    article = LegalArticle.objects.get(document__code="Luật Thanh niên", number="1")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert "Nguồn trích dẫn" in text and f'href="/tro-ly-ao/dieu/{article.pk}/"' in text
    assert "Thanh niên là công dân Việt Nam từ đủ 16 tuổi đến 30 tuổi." in text
    assert 'href="#nguon-' in text  # the [1] marker links to its source
    assert AssistantQuery.objects.get().channel == "web"


def test_a_procedure_answer_on_the_page_links_to_the_online_application(laws, catalogue):
    client = _csrf_client()
    text = client.post(
        "/tro-ly-ao/",
        {"question": "dang ky khai sinh can giay to gi", "audience": "citizen", "csrfmiddlewaretoken": client.token},
    ).content.decode()
    assert 'href="/thu-tuc/1.001193/nop/"' in text and "Giấy chứng sinh" in text and "Miễn lệ phí" in text


def test_the_script_gets_only_the_new_exchange(laws):
    client = _csrf_client()
    response = client.post(
        "/tro-ly-ao/",
        {"question": "Điều 8 Luật Hôn nhân và gia đình", "audience": "official", "csrfmiddlewaretoken": client.token},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    text = response.content.decode()
    assert response.status_code == 200 and text.lstrip().startswith('<article class="exchange"')
    assert "<html" not in text and "Điều kiện kết hôn" in text


def test_page_refusals(laws, settings):
    client = _csrf_client()
    empty = client.post("/tro-ly-ao/", {"question": " ", "audience": "citizen", "csrfmiddlewaretoken": client.token})
    assert empty.status_code == 422
    settings.MOTCUA_ASSISTANT_PER_MINUTE = 2  # the refused post above counted too
    ok = {"question": "Điều 1 Luật Thanh niên", "audience": "citizen", "csrfmiddlewaretoken": client.token}
    assert client.post("/tro-ly-ao/", ok).status_code == 200
    busy = client.post("/tro-ly-ao/", ok)
    assert busy.status_code == 429 and "quá nhiều câu hỏi" in busy.content.decode()


def test_the_page_is_in_english_too(laws, catalogue):
    # given a visitor who chose English with the language switch
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/tro-ly-ao/"})
    page = client.get("/tro-ly-ao/").content.decode()
    assert '<html lang="en"' in page and "Legal virtual assistant" in page and "Ask the assistant" in page
    # when they ask / then the answer's own words are English (the procedure's data stays as published)
    answer = client.post("/tro-ly-ao/", {"question": "đăng ký khai sinh mất bao lâu", "audience": "citizen"})
    text = answer.content.decode()
    assert "Processing time of Thủ tục đăng ký khai sinh (code 1.001193): 3 " in text and "Sources" in text


def test_the_article_page_has_one_anchor_per_clause(laws, client):
    article = LegalArticle.objects.get(document__code="Luật Hôn nhân và gia đình", number="8")
    page = client.get(f"/tro-ly-ao/dieu/{article.pk}/").content.decode()
    assert 'id="khoan-1"' in page and 'id="khoan-2"' in page
    assert "Luật Hôn nhân và gia đình số 52/2014/QH13" in page and "01/01/2015" in page
    assert client.get("/tro-ly-ao/dieu/999999/").status_code == 404


# --- officials' review ------------------------------------------------------------------------------------------


@pytest.fixture
def logged(laws, catalogue):
    services.ask("Đăng ký khai sinh, điện thoại 0912000002, cần giấy tờ gì?", "citizen", role="anonymous")
    services.ask("Cách nấu phở bò cho ngon?", "citizen")
    return catalogue.world


def test_the_review_pages_are_for_officials_only(logged):
    entry = AssistantQuery.objects.filter(intent="procedure").get()
    for path in ("/tro-ly-ao/nhat-ky/", f"/tro-ly-ao/nhat-ky/{entry.pk}/"):
        anonymous = Client().get(path)
        assert anonymous.status_code == 302 and "/dang-nhap/" in anonymous["Location"]
        assert signed_in_client(logged.citizen).get(path).status_code == 403
        password_only = Client()
        password_only.force_login(logged.desk)
        assert password_only.get(path).status_code == 302  # to the second factor, not the page
        assert signed_in_client(logged.desk).get(path).status_code == 200


def test_an_official_lists_filters_and_reviews_answers(logged):
    official = signed_in_client(logged.specialist)
    listing = official.get("/tro-ly-ao/nhat-ky/").content.decode()
    assert "Đăng ký khai sinh, điện thoại [số điện thoại], cần giấy tờ gì?" in listing and "0912000002" not in listing
    assert "Cách nấu phở bò cho ngon?" in listing
    unknown_only = official.get("/tro-ly-ao/nhat-ky/?loai=unknown").content.decode()
    assert "Cách nấu phở" in unknown_only and "Đăng ký khai sinh" not in unknown_only
    entry = AssistantQuery.objects.get(intent="procedure")
    detail = official.get(f"/tro-ly-ao/nhat-ky/{entry.pk}/").content.decode()
    assert "1.001193" in detail and "Thủ tục đăng ký khai sinh" in detail
    saved = official.post(f"/tro-ly-ao/nhat-ky/{entry.pk}/", {"verdict": "correct", "note": "Đúng, gọi 0912000003"})
    assert saved.status_code == 302
    entry.refresh_from_db()
    assert (entry.verdict, entry.reviewed_by) == ("correct", logged.specialist)
    assert entry.review_note == "Đúng, gọi [số điện thoại]"
    assert official.post(f"/tro-ly-ao/nhat-ky/{entry.pk}/", {"verdict": "??"}).status_code == 422
    assert "Chưa đánh giá" in official.get("/tro-ly-ao/nhat-ky/?danh_gia=none").content.decode()
    assert official.get("/tro-ly-ao/nhat-ky/999999/").status_code == 404
