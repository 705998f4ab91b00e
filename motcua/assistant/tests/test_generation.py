"""Optional answer writing through an OpenAI-compatible endpoint, against the deterministic stand-in
(simulators/llm): the prompt holds only the retrieved passages, the answer cites only them, and anything else
(an unknown source, no citation, an error, a time-out) falls back to the extractive answer."""

from __future__ import annotations

import re

from motcua.assistant import generation, services
from motcua.assistant.models import AssistantQuery
from simulators.llm import parse_prompt
from simulators.tests.conftest import request

QUESTION = "Điều 20 Luật Cư trú và Điều 8 Luật Hôn nhân và gia đình quy định gì?"


def _prompts(llm) -> list[dict]:
    return request("GET", llm.base + "/__admin/requests").json()["requests"]


def _faults(llm, **values) -> None:
    assert request("POST", llm.base + "/__admin/faults", json_body=values).status == 200


def test_the_generated_answer_cites_only_retrieved_passages(laws, llm):
    # when a question is asked with the language model switched on
    answer = services.ask(QUESTION, "citizen")
    # then the model wrote the answer, citing [n] markers that are all among the citations
    assert answer.generated is True and answer.note == "mô hình motcua-sim-1"
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers and markers <= set(range(1, len(answer.citations) + 1))
    assert answer.answer.startswith("Theo ")
    # and the prompt held exactly the retrieved passages, numbered as the citations
    [sent] = _prompts(llm)
    assert sent["model"] == "motcua-sim-1" and sent["messages"][0]["role"] == "system"
    passages, question = parse_prompt(sent["messages"][-1]["content"])
    assert question == QUESTION
    assert [label for _n, (label, _t) in sorted(passages.items())] == [c.title for c in answer.citations]
    assert [c.id for c in answer.citations] == ["Luật Cư trú||20", "Luật Hôn nhân và gia đình||8"]
    assert "Nam từ đủ 20 tuổi trở lên" in passages[2][1]
    assert "Thanh niên là công dân" not in sent["messages"][-1]["content"]  # nothing that was not retrieved
    logged = AssistantQuery.objects.get(pk=answer.log_id)
    assert logged.generated is True and logged.answer == answer.answer


def test_an_answer_citing_an_unknown_source_is_replaced_by_the_extractive_one(laws, llm):
    _faults(llm, cite_unknown=True)
    answer = services.ask(QUESTION, "citizen")
    assert answer.generated is False
    assert "không được cung cấp" in answer.note
    assert "Điều 999" not in answer.answer and "[3]" not in answer.answer
    assert answer.answer.startswith("Điều 20 Luật Cư trú (Luật Cư trú số 68/2020/QH14) quy định:")
    logged = AssistantQuery.objects.get(pk=answer.log_id)
    assert logged.generated is False and "không được cung cấp" in logged.generation_note
    assert len(_prompts(llm)) == 1  # the model was asked; its answer was refused


def test_an_answer_without_citations_errors_and_time_outs_fall_back(laws, llm, settings):
    _faults(llm, no_citation=True)
    assert (
        services.ask(QUESTION, "citizen").note
        == "câu trả lời của mô hình bị loại: câu trả lời không trích dẫn đoạn nào"
    )
    _faults(llm, reset=True, fail_next=1, status=503)
    failed = services.ask(QUESTION, "citizen")
    assert (failed.generated, failed.note) == (False, "mô hình ngôn ngữ lỗi HTTP 503")
    settings.MOTCUA_ASSISTANT_LLM_TIMEOUT_SECONDS = 0.3
    _faults(llm, reset=True, delay_seconds=2)
    slow = services.ask(QUESTION, "citizen")
    assert slow.generated is False and slow.citations[0].id == "Luật Cư trú||20"
    assert slow.note in ("mô hình ngôn ngữ không trả lời kịp", "không gọi được mô hình ngôn ngữ")
    settings.MOTCUA_ASSISTANT_LLM_API_KEY = "sai"
    _faults(llm, reset=True)
    assert services.ask(QUESTION, "citizen").note == "mô hình ngôn ngữ lỗi HTTP 401"


def test_the_model_never_sees_personal_data_nor_procedure_answers(laws, catalogue, llm):
    services.ask(f"Tôi số điện thoại 0912345678, hỏi {QUESTION}", "citizen")
    [sent] = _prompts(llm)
    assert "0912345678" not in sent["messages"][-1]["content"] and "[số điện thoại]" in sent["messages"][-1]["content"]
    # a procedure answer comes from the catalogue as it is: nothing to rewrite
    answer = services.ask("Đăng ký khai sinh cần giấy tờ gì?", "citizen")
    assert answer.intent == "procedure" and answer.generated is False
    assert len(_prompts(llm)) == 1


def test_the_guard_itself():
    sources = [generation.Source("Điều 20 Luật Cư trú", "20", "… theo Điều 21 của Luật này …")]
    assert generation.check("Theo Điều 20 [1]; xem Điều 21 [1].", sources) == ([1], "")
    assert generation.check("Theo Điều 22 [1].", sources)[1].startswith("nêu điều luật không có")
    assert generation.check("Theo [2].", sources)[1] == "trích dẫn nguồn không được cung cấp: [2]"
    assert generation.check("   ", sources)[1] == "câu trả lời trống"


def test_the_stand_in_refuses_bad_requests(llm):
    url = llm.base + "/v1/chat/completions"
    assert request("POST", url, json_body={"messages": []}).status == 401
    auth = {"Authorization": "Bearer khoa-thu-nghiem"}
    assert request("POST", url, json_body={"messages": []}, headers=auth).status == 400
    no_passages = {"messages": [{"role": "user", "content": "Câu hỏi: xin chào"}]}
    assert request("POST", url, json_body=no_passages, headers=auth).status == 400
    good = {"messages": [{"role": "user", "content": "[1] Điều 1 Luật A\nNội dung một. Câu hai.\n\nCâu hỏi: nội dung"}]}
    first = request("POST", url, json_body=good, headers=auth).json()
    second = request("POST", url, json_body=good, headers=auth).json()
    assert first["choices"][0]["message"]["content"] == "Theo Điều 1 Luật A: Nội dung một. [1]"
    assert first["choices"][0]["message"] == second["choices"][0]["message"]  # deterministic
    assert request("POST", llm.base + "/__admin/faults", json_body={"nonsense": 1}).status == 400
    assert request("GET", llm.base + "/healthz").json() == {"status": "ok", "model": "motcua-sim-1"}
