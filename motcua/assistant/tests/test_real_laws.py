"""Over the real demo content: the 17 laws of the ALQAC 2024 corpus, loaded the way `make run` loads them (skipped
when ../shared/data is absent; CI always has it)."""

from __future__ import annotations

from io import StringIO

import pytest

from motcua.assistant import ingest, services
from motcua.assistant.models import LegalArticle, LegalDocument

from .conftest import alqac_law_json_or_skip


@pytest.fixture
def demo_laws(db):
    alqac_law_json_or_skip()
    out = StringIO()
    result = ingest.load_demo_laws(stdout=out)
    assert result["skipped"] is False, out.getvalue()
    return out.getvalue()


def test_the_demo_laws_load_once_and_answer(demo_laws, client):
    # given the demo laws loaded from ../shared/data
    assert "17 văn bản (2249 điều)" in demo_laws
    assert LegalDocument.objects.filter(in_force=True).count() == 17
    assert LegalArticle.objects.count() == 2249
    residence = LegalDocument.objects.get(code="Luật Cư trú")
    assert (residence.number, residence.kind, str(residence.effective_on)) == ("68/2020/QH14", "law", "2021-07-01")
    assert LegalDocument.objects.get(code="Hiến pháp").kind == "constitution"

    # when loaded again / then nothing changes
    again = StringIO()
    ingest.load_demo_laws(stdout=again, warm=False)
    assert "mới 0, thay phiên bản mới 0, không đổi 17" in again.getvalue()

    # an explicit reference is exact
    reference = services.ask("Điều 20 Luật Cư trú", "citizen")
    assert [c.id for c in reference.citations] == ["Luật Cư trú||20"]
    assert "Điều kiện đăng ký thường trú" in reference.citations[0].title

    # a legal question from the law's own words finds its article, also without diacritics
    for question in ("Thanh niên là công dân Việt Nam từ bao nhiêu tuổi?", "thanh nien la cong dan tu bao nhieu tuoi"):
        answer = services.ask(question, "citizen")
        assert answer.intent == "legal" and answer.citations[0].id == "Luật Thanh niên||1", answer.answer

    # an everyday question the laws do not cover gets "I don't know"
    for question in ("Cách nấu phở bò cho ngon?", "Kết quả trận bóng đá Việt Nam gặp Thái Lan tối qua thế nào?"):
        answer = services.ask(question, "citizen")
        assert answer.intent == "unknown" and answer.citations == [], answer.answer

    # and the API searches the real corpus by corpus id
    results = client.post(
        "/api/v1/assistant/search",
        {"query": "Người nghiện ma túy từ đủ 18 tuổi bị đưa vào cơ sở cai nghiện bắt buộc", "k": 5},
        content_type="application/json",
    ).json()["results"]
    assert len(results) == 5 and all(r["id"] == f"{r['law_id']}||{r['article_id']}" for r in results)
    assert results[0]["law_id"] == "Luật Phòng, chống ma túy"
