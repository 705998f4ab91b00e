"""In a real browser against the real server: the chat page asks without reloading (fetch), shows each answer
with its sources panel, links a citation marker to its source and a source to the article's clause; and the same
page works with JavaScript switched off (a plain form POST)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_the_chat_page_with_its_sources_panel(server, browser, shots, laws, catalogue):
    from playwright.sync_api import expect

    from motcua.assistant import engine

    engine.get_retriever()  # the server thread shares this process's index: built before the clock runs
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="vi-VN")
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(f"{m.text} {m.location}") if m.type == "error" else None)

    # given the chat page
    page.goto(f"{server}/tro-ly-ao/")
    expect(page.get_by_role("heading", name="Trợ lý ảo pháp luật", level=1)).to_be_visible()
    page.evaluate("window.__sameDocument = true")

    # when a citizen asks which documents a birth registration needs
    page.get_by_label("Câu hỏi của bạn").fill("Đăng ký khai sinh cần giấy tờ gì?")
    page.get_by_label("Người dân, doanh nghiệp").check()
    page.get_by_role("button", name="Hỏi trợ lý").click()
    # then the answer appears in the same page, with the procedure, its documents and the online application
    first = page.locator(".exchange").nth(0)
    expect(first.locator(".question")).to_contain_text("Đăng ký khai sinh cần giấy tờ gì?")
    expect(first.locator(".answer")).to_contain_text("Giấy chứng sinh")
    expect(first.get_by_role("link", name="Nộp hồ sơ trực tuyến")).to_have_attribute("href", "/thu-tuc/1.001193/nop/")
    sources = first.locator(".sources")
    expect(sources.get_by_role("heading", name="Nguồn trích dẫn")).to_be_visible()
    expect(sources.locator("li").nth(0)).to_contain_text("Thủ tục đăng ký khai sinh")
    assert page.evaluate("window.__sameDocument") is True  # no reload
    expect(page.get_by_label("Câu hỏi của bạn")).to_have_value("")
    page.screenshot(path=str(shots / "assistant-1-procedure.png"), full_page=True)

    # when an official asks about a clause of a law, without diacritics
    page.get_by_label("Câu hỏi của bạn").fill("khoan 2 dieu 20 luat cu tru")
    page.get_by_label("Cán bộ, công chức").check()
    page.get_by_role("button", name="Hỏi trợ lý").click()
    # then a second exchange is appended, its sources panel quoting the clause
    second = page.locator(".exchange").nth(1)
    expect(second.locator(".answer")).to_contain_text("chủ hộ và chủ sở hữu chỗ ở hợp pháp đó đồng ý")
    source = second.locator(".sources li").nth(0)
    expect(source).to_contain_text("Khoản 2 Điều 20 Luật Cư trú — Điều kiện đăng ký thường trú")
    expect(source.locator(".snippet")).to_contain_text("Vợ về ở với chồng")
    expect(page.locator(".exchange")).to_have_count(2)
    page.screenshot(path=str(shots / "assistant-2-clause.png"), full_page=True)

    # when the [1] marker is followed / then it points at that source
    second.locator("a.cite").first.click()
    expect(page).to_have_url(re.compile(r"#nguon-\d+-1$"))
    # when the source is opened / then the article page shows clause 2 as the target
    source.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/tro-ly-ao/dieu/\d+/#khoan-2$"))
    expect(page.locator("#khoan-2")).to_contain_text("Công dân được đăng ký thường trú tại chỗ ở hợp pháp không thuộc")
    expect(page.locator("dl.facts")).to_contain_text("Luật Cư trú số 68/2020/QH14")
    page.screenshot(path=str(shots / "assistant-3-article.png"), full_page=True)
    assert errors == []


def test_the_chat_page_works_without_javascript(server, browser, shots, laws):
    from playwright.sync_api import expect

    from motcua.assistant import engine

    engine.get_retriever()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{server}/tro-ly-ao/")
    page.get_by_label("Câu hỏi của bạn").fill("Cách nấu phở bò cho ngon?")
    page.get_by_role("button", name="Hỏi trợ lý").click()
    # the form posted to the page itself, which answers honestly that it does not know
    expect(page).to_have_url(f"{server}/tro-ly-ao/")
    expect(page.locator(".answer")).to_contain_text("Tôi chưa tìm thấy căn cứ")
    expect(page.locator(".sources")).to_contain_text("Không có nguồn nào đủ tin cậy")
    # and asking about an article gives its text and source
    page.get_by_label("Câu hỏi của bạn").fill("Điều 1 Luật Thanh niên")
    page.get_by_role("button", name="Hỏi trợ lý").click()
    expect(page.locator(".sources li")).to_contain_text("Điều 1 Luật Thanh niên")
    expect(page.locator(".answer")).to_contain_text("từ đủ 16 tuổi đến 30 tuổi")
    page.screenshot(path=str(shots / "assistant-4-no-js.png"), full_page=True)
    context.close()
