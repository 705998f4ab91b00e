"""The public API contract: POST /api/v1/assistant/search and /ask, their exact shapes, and 4xx problem+json in
Vietnamese for bad input (never 500), with a rate limit per client address."""

from __future__ import annotations

import json

import pytest
from django.test import Client

PROBLEM = "application/problem+json"


def post(client: Client, path: str, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"/api/v1/assistant/{path}", data=data, content_type="application/json", **extra)


def test_search_returns_corpus_ids_best_first(laws, client):
    response = post(client, "search", {"query": "Điều kiện đăng ký thường trú", "k": 3})
    assert response.status_code == 200
    results = response.json()["results"]
    assert 1 <= len(results) <= 3
    assert set(results[0]) == {"id", "law_id", "article_id", "title", "score", "snippet"}
    assert results[0]["id"] == "Luật Cư trú||20"
    assert results[0]["id"] == f"{results[0]['law_id']}||{results[0]['article_id']}"
    assert results[0]["title"] == "Điều kiện đăng ký thường trú"
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert all(isinstance(r["snippet"], str) and r["snippet"] for r in results)


def test_search_k_defaults_to_ten_and_an_explicit_reference_comes_first(laws, client):
    results = post(client, "search", {"query": "dieu 51 luat hon nhan va gia dinh"}).json()["results"]
    assert len(results) == 9  # the whole small corpus: fewer articles than k=10
    assert results[0]["id"] == "Luật Hôn nhân và gia đình||51" and results[0]["score"] == 1.0


def test_search_on_an_empty_corpus_is_an_empty_list(db, client):
    assert post(client, "search", {"query": "thường trú", "k": 5}).json() == {"results": []}


def test_ask_shape_for_a_procedure_and_a_law(laws, catalogue, client):
    procedure = post(client, "ask", {"question": "Đăng ký khai sinh cần giấy tờ gì?", "audience": "citizen"})
    assert procedure.status_code == 200
    body = procedure.json()
    assert set(body) == {"answer", "citations", "confidence"}
    assert body["citations"][0] == {
        "type": "procedure",
        "id": "1.001193",
        "title": "Thủ tục đăng ký khai sinh",
        "url": "/thu-tuc/1.001193/",
    }
    assert 0 < body["confidence"] <= 1
    law = post(client, "ask", {"question": "Khoản 1 Điều 8 Luật Hôn nhân và gia đình", "audience": "official"}).json()
    [citation] = law["citations"]
    assert set(citation) == {"type", "id", "title", "url"}
    assert citation["type"] == "law" and citation["id"] == "Luật Hôn nhân và gia đình||8"
    assert citation["url"].startswith("/tro-ly-ao/dieu/") and citation["url"].endswith("#khoan-1")
    assert law["confidence"] == 1.0


def test_ask_audience_defaults_to_citizen(laws, client):
    response = post(client, "ask", {"question": "Điều 1 Luật Thanh niên"})
    assert response.status_code == 200 and "16 tuổi đến 30 tuổi" in response.json()["answer"]


def _problem(response, status: int):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        ("search", {"query": "thường trú", "k": 0}, 422, "k phải từ 1 đến 50"),
        ("search", {"query": "thường trú", "k": 51}, 422, "k phải từ 1 đến 50"),
        ("search", {"query": "thường trú", "k": "nhiều"}, 422, "Dữ liệu gửi lên chưa hợp lệ"),
        ("search", {"query": "   "}, 422, "Vui lòng nhập câu hỏi"),
        ("search", {"k": 5}, 422, "Dữ liệu gửi lên chưa hợp lệ"),
        ("search", "{không phải json", 400, "JSON"),
        ("ask", {"question": ""}, 422, "Vui lòng nhập câu hỏi"),
        ("ask", {"question": "a" * 1001}, 422, "dài quá 1000 ký tự"),
        ("ask", {"question": "thường trú", "audience": "admin"}, 422, "Đối tượng phải là"),
        ("ask", {"question": ["thường trú"]}, 422, "Dữ liệu gửi lên chưa hợp lệ"),
        ("ask", [1, 2], 422, "Dữ liệu gửi lên chưa hợp lệ"),
    ],
)
def test_bad_input_is_a_vietnamese_problem_never_a_500(laws, client, path, body, status, says):
    answer = post(client, path, body)
    if answer.status_code == 400 and status == 422:  # ninja reads a non-object body as unreadable JSON
        status = 400
    problem = _problem(answer, status)
    assert says in problem["detail"]


def test_wrong_methods_are_problems_too(db, client):
    _problem(client.get("/api/v1/assistant/ask"), 405)


def test_requests_are_rate_limited_per_address(laws, client, settings):
    settings.MOTCUA_ASSISTANT_PER_MINUTE = 3
    codes = [post(client, "search", {"query": "thường trú"}, REMOTE_ADDR="10.0.0.7").status_code for _ in range(3)]
    codes.append(post(client, "ask", {"question": "thường trú"}, REMOTE_ADDR="10.0.0.7").status_code)
    assert codes == [200, 200, 200, 429]
    body = _problem(post(client, "search", {"query": "thường trú"}, REMOTE_ADDR="10.0.0.7"), 429)
    assert "quá nhiều câu hỏi" in body["detail"]
    assert post(client, "search", {"query": "thường trú"}, REMOTE_ADDR="10.0.0.8").status_code == 200


def test_the_api_needs_no_login_and_no_csrf_token(laws):
    client = Client(enforce_csrf_checks=True)
    assert post(client, "search", {"query": "thanh niên"}).status_code == 200
