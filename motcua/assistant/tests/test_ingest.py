"""Ingestion: BEIR folders, ALQAC law.json, a law as text or DOCX segmented into Chương / Mục / Điều / khoản;
idempotent; a changed law becomes a new version while answers logged before keep their article rows."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from motcua.assistant import engine, ingest, lawtext, services
from motcua.assistant.models import AssistantQuery, LegalArticle, LegalDocument
from motcua.assistant.retrieval.clauses import split_article

from .conftest import ARTICLES, LAW_TEXT, write_beir


def test_a_beir_folder_is_loaded_once(db, tmp_path):
    folder = write_beir(tmp_path / "beir")
    # when the folder is ingested
    report = ingest.ingest_beir(folder)
    # then every law is a document in force, every line an article, keyed like the corpus
    assert (report.created, report.articles) == (4, len(ARTICLES))
    assert LegalDocument.objects.filter(in_force=True).count() == 4
    article = LegalArticle.objects.select_related("document").get(document__code="Luật Cư trú", number="20")
    assert article.corpus_id == "Luật Cư trú||20"
    assert article.title == "Điều kiện đăng ký thường trú"
    assert article.text.startswith("Điều kiện đăng ký thường trú\n\n1. Công dân có chỗ ở hợp pháp")
    # and the known laws get their number and dates
    residence = article.document
    assert residence.number == "68/2020/QH14" and residence.effective_on == date(2021, 7, 1)
    assert residence.display_name == "Luật Cư trú số 68/2020/QH14"
    # when it is ingested again / then nothing changes
    again = ingest.ingest_beir(folder)
    assert (again.created, again.replaced, again.unchanged) == (0, 0, 4)
    assert LegalDocument.objects.count() == 4 and LegalArticle.objects.count() == len(ARTICLES)


def test_a_broken_beir_line_is_refused_with_its_number(db, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text('{"_id": "A||1", "law_id": "A", "article_id": "1", "text": "x"}\n{oops\n')
    with pytest.raises(Exception, match="Dòng 2"):
        ingest.ingest_beir(folder)
    assert not LegalDocument.objects.exists()


def test_an_alqac_law_json_is_loaded(db, tmp_path):
    path = tmp_path / "law.json"
    data = [{"id": "Luật Thanh niên", "articles": [{"id": "1", "text": "Thanh niên\n\nThanh niên là công dân Việt Nam "
                                                                    "từ đủ 16 tuổi đến 30 tuổi."}]}]  # fmt: skip
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = ingest.ingest_alqac_json(path)
    assert report.created == 1
    article = LegalArticle.objects.get(number="1")
    assert (article.title, article.body) == ("Thanh niên", "Thanh niên là công dân Việt Nam từ đủ 16 tuổi đến 30 tuổi.")
    assert article.document.number == "57/2020/QH14" and article.document.source == "alqac_json"


def _check_segmented(document: LegalDocument) -> None:
    assert document.code == document.title == "Luật Thử nghiệm hành chính"
    assert document.number == "99/2025/QH15" and document.kind == "law"
    assert document.issued_on == date(2025, 12, 10) and document.effective_on == date(2026, 7, 1)
    articles = list(document.articles.order_by("position"))
    assert [a.number for a in articles] == ["1", "2", "3", "4"]
    assert [a.title for a in articles] == ["Phạm vi điều chỉnh", "Giải thích từ ngữ", "Thời hạn thử nghiệm",
                                           "Hiệu lực thi hành"]  # fmt: skip
    assert articles[0].chapter == "Chương I. NHỮNG QUY ĐỊNH CHUNG" and articles[0].section == ""
    assert articles[2].chapter == "Chương II. THỦ TỤC THỬ NGHIỆM" and articles[2].section == "Mục 1. TIẾP NHẬN HỒ SƠ"
    # the closing block (who passed it, who signed) is not part of the last article
    assert articles[3].body == "Luật này có hiệu lực thi hành từ ngày 01 tháng 7 năm 2026."
    # clauses and points are read from the article text
    parts = split_article(articles[1].title, articles[1].text)
    assert [(p.clause, p.point) for p in parts] == [("1", None), ("2", None), ("2", "a"), ("2", "b")]
    assert parts[3].text.endswith("b) Trung tâm Phục vụ hành chính công.")


def test_a_law_in_plain_text_is_segmented(db, tmp_path):
    path = tmp_path / "luat-thu-nghiem.txt"
    path.write_text(LAW_TEXT, encoding="utf-8")
    report = ingest.ingest_law_file(path)
    assert (report.created, report.articles) == (1, 4)
    _check_segmented(LegalDocument.objects.get())


def test_a_law_in_docx_is_segmented_the_same_way(db, tmp_path):
    import docx

    document = docx.Document()
    for line in LAW_TEXT.splitlines():
        document.add_paragraph(line)
    path = tmp_path / "luat-thu-nghiem.docx"
    document.save(str(path))
    ingest.ingest_law_file(path)
    _check_segmented(LegalDocument.objects.get())


def test_headings_with_their_title_on_the_same_line_and_codes_with_parts():
    law = lawtext.parse_law_lines(
        ["BỘ LUẬT", "DÂN SỰ", "Số: 91/2015/QH13", "PHẦN THỨ NHẤT", "QUY ĐỊNH CHUNG", "Chương I: NHỮNG QUY ĐỊNH CHUNG",
         "Điều 1. Phạm vi điều chỉnh", "Bộ luật này quy định địa vị pháp lý.", "Điều 2", "Nội dung không có tên."]
    )  # fmt: skip
    assert (law.code, law.kind, law.number) == ("Bộ luật Dân sự", "code", "91/2015/QH13")
    assert law.articles[0].part == "Phần thứ nhất. QUY ĐỊNH CHUNG"
    assert law.articles[0].chapter == "Chương I. NHỮNG QUY ĐỊNH CHUNG"
    assert (law.articles[1].title, law.articles[1].text) == ("", "Nội dung không có tên.")


def test_a_file_without_articles_is_refused(db, tmp_path):
    path = tmp_path / "rong.txt"
    path.write_text("LUẬT\nRỖNG\nKhông có điều nào.", encoding="utf-8")
    with pytest.raises(CommandError, match="Không tìm thấy điều luật nào"):
        call_command("assistant_ingest", "--law", str(path), stdout=StringIO())
    broken = tmp_path / "hong.docx"
    broken.write_bytes(b"PK\x03\x04 not really a docx")
    with pytest.raises(CommandError, match="DOCX"):
        call_command("assistant_ingest", "--law", str(broken), stdout=StringIO())


def test_reingesting_a_changed_law_keeps_the_old_version_for_old_answers(laws, tmp_path):
    # given an answer that cited clause 2 of article 20 of the Law on Residence, version 1
    before = services.ask("khoản 2 Điều 20 Luật Cư trú", "citizen")
    old_article = LegalArticle.objects.get(document__code="Luật Cư trú", document__version=1, number="20")
    logged = AssistantQuery.objects.get(pk=before.log_id)
    assert list(logged.articles.all()) == [old_article]
    # when the law is ingested again with article 20 changed
    changed = [
        (law, number, title, body.replace("chủ hộ và chủ sở hữu", "chủ sở hữu") if number == "20" else body)
        for law, number, title, body in ARTICLES
        if law == "Luật Cư trú"
    ]
    out = StringIO()
    call_command("assistant_ingest", "--beir", str(write_beir(tmp_path / "v2", changed)), stdout=out)
    # then version 2 is in force and version 1 is kept, out of force, with all its articles
    assert "Luật Cư trú: replaced (phiên bản 2)" in out.getvalue()
    v1, v2 = LegalDocument.objects.filter(code="Luật Cư trú").order_by("version")
    assert (v1.in_force, v2.in_force) == (False, True) and v1.superseded_at is not None
    assert v1.articles.count() == v2.articles.count() == 3
    # and the logged answer still points at the version-1 article, with its old text
    logged.refresh_from_db()
    assert list(logged.articles.all()) == [old_article]
    assert "chủ hộ và chủ sở hữu" in logged.articles.get().text
    # and a new answer cites the version in force, with the new text
    after = services.ask("khoản 2 Điều 20 Luật Cư trú", "citizen")
    new_article = LegalArticle.objects.get(document=v2, number="20")
    assert AssistantQuery.objects.get(pk=after.log_id).articles.get() == new_article
    assert after.citations[0].id == before.citations[0].id == "Luật Cư trú||20"
    assert "chủ hộ và chủ sở hữu" not in after.answer and "được chủ sở hữu chỗ ở hợp pháp đó đồng ý" in after.answer
    # and ingesting version 2 again changes nothing
    out = StringIO()
    call_command("assistant_ingest", "--beir", str(tmp_path / "v2"), "--no-index", stdout=out)
    assert "không đổi 1" in out.getvalue() and LegalDocument.objects.filter(code="Luật Cư trú").count() == 2


def test_the_old_article_page_says_it_was_replaced(laws, tmp_path, client):
    changed = [(law, n, t, b + " (sửa đổi)") for law, n, t, b in ARTICLES if law == "Luật Thanh niên"]
    ingest.ingest_beir(write_beir(tmp_path / "v2", changed))
    old = LegalArticle.objects.get(document__code="Luật Thanh niên", document__version=1, number="1")
    new = LegalArticle.objects.get(document__code="Luật Thanh niên", document__version=2, number="1")
    page = client.get(f"/tro-ly-ao/dieu/{old.pk}/").content.decode()
    assert "đã được thay thế" in page and f"/tro-ly-ao/dieu/{new.pk}/" in page
    assert "(sửa đổi)" not in page
    assert "(sửa đổi)" in client.get(f"/tro-ly-ao/dieu/{new.pk}/").content.decode()


def test_the_index_is_cached_on_disk_by_corpus_fingerprint(laws, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    first = engine.get_retriever()
    fingerprint = engine.corpus_fingerprint()
    assert (tmp_path / "data" / "assistant" / fingerprint / "manifest.json").is_file()
    # another process (a fresh cache) loads it from disk instead of building it
    engine.forget()
    second = engine.get_retriever()
    assert second is not first and len(second.passages) == len(first.passages) == len(ARTICLES)
    # a new law changes the fingerprint and the index
    ingest.ingest_alqac_json(_one_law(tmp_path))
    assert engine.corpus_fingerprint() != fingerprint
    assert len(engine.get_retriever().passages) == len(ARTICLES) + 1


def _one_law(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps([{"id": "Luật Du lịch", "articles": [{"id": "1", "text": "Phạm vi\n\nDu lịch."}]}]))
    return path


def test_the_demo_loader_skips_cleanly_without_the_shared_data(db, monkeypatch, tmp_path):
    monkeypatch.setenv("MOTCUA_SHARED_DATA", str(tmp_path / "absent"))
    out = StringIO()
    result = ingest.load_demo_laws(stdout=out)
    assert result["skipped"] is True and "bỏ qua" in out.getvalue()
    assert not LegalDocument.objects.exists()
