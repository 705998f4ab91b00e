"""What the assistant answers: procedures from the catalogue, exact article references, legal questions with their
articles cited, "I don't know" out of scope, and the same without diacritics."""

from __future__ import annotations

import pytest

from motcua.assistant import services
from motcua.assistant.models import AssistantQuery, LegalArticle

DONT_KNOW = "Tôi chưa tìm thấy căn cứ"


def test_a_birth_registration_question_is_answered_from_the_catalogue(laws, catalogue):
    # given the catalogue with birth registration and look-alikes, and some laws
    # when a citizen asks what documents it needs
    answer = services.ask("Đăng ký khai sinh cần giấy tờ gì?", "citizen")
    # then the procedure 1.001193 is cited first, with its documents, time, fee and where to submit
    assert answer.intent == "procedure"
    assert answer.citations[0].type == "procedure" and answer.citations[0].id == "1.001193"
    assert answer.citations[0].url == "/thu-tuc/1.001193/"
    assert "Giấy chứng sinh" in answer.answer
    assert "3 ngày làm việc" in answer.answer and "Miễn lệ phí" in answer.answer
    assert "UBND phường Hạ Long" in answer.answer and "UBND phường Bãi Cháy" in answer.answer
    # and a link to start the online application
    assert answer.procedure["apply_url"] == "/thu-tuc/1.001193/nop/"
    assert "/thu-tuc/1.001193/nop/" in answer.answer
    # and the look-alike is offered as such, never first
    assert [c.id for c in answer.citations][1:] == ["1.004884"]


def test_how_long_an_investment_certificate_takes_leads_with_the_time(laws, catalogue):
    answer = services.ask("Thủ tục cấp giấy chứng nhận đăng ký đầu tư mất bao lâu?", "citizen")
    assert answer.citations[0].id == "1.009664"
    first_line = answer.answer.splitlines()[0]
    assert first_line.startswith("Thời hạn giải quyết") and "12 giờ làm việc" in first_line
    assert "Ban Quản lý Khu kinh tế Quảng Ninh" in answer.answer


def test_a_procedure_question_without_diacritics(laws, catalogue):
    answer = services.ask("dang ky khai sinh can giay to gi", "citizen")
    assert answer.intent == "procedure" and answer.citations[0].id == "1.001193"


def test_officials_also_get_the_legal_basis(laws, catalogue):
    citizen = services.ask("lệ phí đăng ký khai sinh", "citizen")
    official = services.ask("lệ phí đăng ký khai sinh", "official")
    assert citizen.citations[0].id == official.citations[0].id == "1.001193"
    assert "123/2015/NĐ-CP" in official.answer and "123/2015/NĐ-CP" not in citizen.answer
    assert citizen.answer.splitlines()[0].startswith("Phí, lệ phí")


def test_an_explicit_clause_reference_is_resolved_exactly(laws, catalogue):
    # when a question names clause 2 of article 20 of the Law on Residence
    answer = services.ask("Khoản 2 Điều 20 Luật Cư trú quy định gì?", "citizen")
    # then that clause of the article in force is quoted, with full confidence
    article = LegalArticle.objects.get(document__code="Luật Cư trú", document__in_force=True, number="20")
    [citation] = answer.citations
    assert answer.intent == "reference" and answer.confidence == 1.0
    assert citation.id == "Luật Cư trú||20" and citation.type == "law"
    assert citation.title.startswith("Khoản 2 Điều 20 Luật Cư trú")
    assert citation.url == f"/tro-ly-ao/dieu/{article.pk}/#khoan-2"
    assert "chủ hộ và chủ sở hữu chỗ ở hợp pháp đó đồng ý" in answer.answer
    assert "thuộc quyền sở hữu của mình thì được đăng ký" not in answer.answer  # clause 1 is not quoted


def test_a_reference_without_diacritics_and_to_a_whole_article(laws):
    answer = services.ask("dieu 8 luat hon nhan va gia dinh", "citizen")
    assert [c.id for c in answer.citations] == ["Luật Hôn nhân và gia đình||8"]
    assert "Nam từ đủ 20 tuổi trở lên, nữ từ đủ 18 tuổi trở lên" in answer.answer


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("Thanh niên là công dân Việt Nam ở độ tuổi nào?", "Luật Thanh niên||1"),
        ("thanh nien la cong dan viet nam o do tuoi nao", "Luật Thanh niên||1"),
        ("Nữ bao nhiêu tuổi thì được kết hôn?", "Luật Hôn nhân và gia đình||8"),
        ("Khi vợ đang có thai thì chồng có được yêu cầu ly hôn không?", "Luật Hôn nhân và gia đình||51"),
    ],
)
def test_a_legal_question_cites_the_article_that_answers(laws, catalogue, question, article):
    answer = services.ask(question, "citizen")
    assert answer.intent == "legal", answer.answer
    assert answer.citations[0].id == article and answer.citations[0].type == "law"
    assert answer.answer.startswith("Theo ") and "[1]" in answer.answer
    assert answer.confidence >= 0.5


def test_the_answering_clause_is_quoted_and_cited(laws):
    answer = services.ask("Chồng có quyền yêu cầu ly hôn khi vợ đang nuôi con dưới 12 tháng tuổi không?", "official")
    top = answer.citations[0]
    assert top.id == "Luật Hôn nhân và gia đình||51" and top.clause == "2"
    assert top.title.startswith("Khoản 2 Điều 51 Luật Hôn nhân và gia đình")
    assert "Chồng không có quyền yêu cầu ly hôn" in answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "Kết quả trận bóng đá Việt Nam gặp Thái Lan tối qua thế nào?",
        "Cách nấu phở bò cho ngon?",
        "ket qua bong da ngoai hang anh",
    ],
)
def test_out_of_scope_questions_get_i_dont_know(laws, catalogue, question):
    answer = services.ask(question, "citizen")
    assert answer.intent == "unknown"
    assert answer.answer.startswith(DONT_KNOW)
    assert answer.citations == []
    assert answer.confidence < 0.5
    assert AssistantQuery.objects.get(pk=answer.log_id).intent == "unknown"


def test_no_laws_and_no_procedures_means_i_dont_know(db):
    answer = services.ask("Điều kiện đăng ký thường trú là gì?", "citizen")
    assert answer.answer.startswith(DONT_KNOW) and answer.citations == [] and answer.confidence == 0.0
