"""A deterministic stand-in for an OpenAI-compatible language model, for the legal assistant's tests and demo.

POST /v1/chat/completions   (header `Authorization: Bearer <key>` when the server has a key)
  JSON {"model", "messages": [{"role", "content"}], ...}; the last user message holds numbered passages
  "[1] <label>\\n<text>" … and a final line "Câu hỏi: <question>", as motcua.assistant.generation writes them.
  200 {"id", "object": "chat.completion", "created", "model", "choices": [{"index": 0, "message": {"role":
  "assistant", "content"}, "finish_reason": "stop"}], "usage": {...}}
  The answer is made from the passages only: the first sentence of the passage sharing most words with the
  question (ties: the lowest number), cited as [n], then "Xem thêm [m]" for the next best passage, if any.
  401 wrong key · 400 no passages / bad JSON · 5xx when told to fail.

Test hooks: GET/POST /__admin/faults — `cite_unknown` (the answer also cites [n+1], a passage never given, and
"Điều 999"), `no_citation` (an answer without markers), `fail_next` / `status` (the next n requests answer 5xx),
`delay_seconds` (every answer waits that long first), {"reset": true}; GET /__admin/requests (the prompts
received); GET /healthz.
"""

from __future__ import annotations

import argparse
import re
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from simulators import _faults as faults
from simulators._faults import FaultSet
from simulators._http import BaseHandler, SimulatorServer, serve, serve_until_interrupted

DEFAULT_PORT = 9120
PASSAGE = re.compile(r"^\[(\d{1,3})\]\s*(.*)$")
QUESTION = re.compile(r"^Câu hỏi:\s*(.*)$")
WORD = re.compile(r"\w+")
SENTENCE_END = re.compile(r"(?<=[.;:!?])\s")


@dataclass
class Faults(FaultSet):
    cite_unknown: bool = False
    no_citation: bool = False
    fail_next: int = 0
    status: int = 503
    delay_seconds: float = 0.0

    PARSERS = {
        "cite_unknown": faults.flag,
        "no_citation": faults.flag,
        "fail_next": faults.count,
        "status": faults.http_status(),
        "delay_seconds": faults.seconds,
    }


@dataclass
class LlmState:
    api_key: str = ""
    model: str = "motcua-sim-1"
    faults: Faults = field(default_factory=Faults)
    requests: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


class LlmServer(SimulatorServer):
    state: LlmState

    def stop(self) -> None:
        self.state.stopping.set()
        super().stop()


def parse_prompt(content: str) -> tuple[dict[int, tuple[str, str]], str]:
    """({number: (label, text)}, question) from the user message."""
    passages: dict[int, tuple[str, list[str]]] = {}
    question = ""
    current: int | None = None
    for line in content.splitlines():
        if m := QUESTION.match(line.strip()):
            question, current = m.group(1), None
            continue
        if m := PASSAGE.match(line.strip()):
            current = int(m.group(1))
            passages[current] = (m.group(2), [])
            continue
        if current is not None and line.strip():
            passages[current][1].append(line.strip())
    return {n: (label, " ".join(lines)) for n, (label, lines) in passages.items()}, question


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


def _first_sentence(text: str) -> str:
    sentence = SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip()
    return sentence if len(sentence) <= 400 else sentence[:397].rstrip() + "…"


def compose(passages: dict[int, tuple[str, str]], question: str, options: Faults) -> str:
    asked = _words(question)
    ranked = sorted(passages, key=lambda n: (-len(asked & _words(passages[n][1])), n))
    best = ranked[0]
    label, text = passages[best]
    answer = f"Theo {label}: {_first_sentence(text)}"
    if options.no_citation:
        return answer
    answer += f" [{best}]"
    if len(ranked) > 1:
        answer += f" Xem thêm {passages[ranked[1]][0]} [{ranked[1]}]."
    if options.cite_unknown:
        answer += f" Ngoài ra, Điều 999 quy định trường hợp khác [{max(passages) + 1}]."
    return answer


class LlmHandler(BaseHandler):
    server: LlmServer

    @property
    def state(self) -> LlmState:
        return self.server.state

    def handle_request(self, method: str, path: str) -> None:
        st = self.state
        if (method, path) == ("POST", "/v1/chat/completions"):
            self.complete()
        elif (method, path) == ("POST", "/__admin/faults"):
            faults.admin_update(self, st.faults)
        elif (method, path) == ("GET", "/__admin/faults"):
            with st.lock:
                self.send_json(st.faults.as_dict())
        elif (method, path) == ("GET", "/__admin/requests"):
            with st.lock:
                self.send_json({"requests": list(st.requests)})
        elif (method, path) == ("GET", "/healthz"):
            self.send_json({"status": "ok", "model": st.model})
        else:
            self.not_found()

    def error(self, status: int, message: str, kind: str) -> None:
        self.send_json({"error": {"message": message, "type": kind, "code": status}}, status)

    def complete(self) -> None:
        st = self.state
        if st.api_key and self.headers.get("Authorization", "") != f"Bearer {st.api_key}":
            self.error(401, "Sai khóa API.", "invalid_api_key")
            return
        try:
            data = self.json_body()
        except ValueError:
            data = None
        messages = data.get("messages") if isinstance(data, dict) else None
        if not isinstance(messages, list) or not messages:
            self.error(400, "Cần danh sách messages.", "invalid_request_error")
            return
        user = next((m for m in reversed(messages) if isinstance(m, dict) and m.get("role") == "user"), None)
        content = str((user or {}).get("content") or "")
        passages, question = parse_prompt(content)
        with st.lock:
            st.requests.append({"model": data.get("model"), "messages": messages})
            options = replace(st.faults)
            failing = 0
            if st.faults.fail_next > 0:
                st.faults.fail_next -= 1
                failing = st.faults.status
        if options.delay_seconds and st.stopping.wait(options.delay_seconds):
            return
        if failing:
            self.error(failing, "Mô hình tạm ngừng.", "server_error")
            return
        if not passages:
            self.error(400, "Không có đoạn trích nào được đánh số trong yêu cầu.", "invalid_request_error")
            return
        answer = compose(passages, question, options)
        self.send_json(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": st.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
                "usage": {
                    "prompt_tokens": len(content.split()),
                    "completion_tokens": len(answer.split()),
                    "total_tokens": len(content.split()) + len(answer.split()),
                },
            }
        )


def start_llm_server(
    port: int = 0, *, host: str = "127.0.0.1", api_key: str = "", model: str = "motcua-sim-1", **initial: Any
) -> tuple[LlmServer, threading.Thread, str]:
    """Start on a free port (port=0); return (server, thread, base URL without /v1). Stop with server.stop()."""
    state = LlmState(api_key=api_key, model=model, faults=Faults().updated(initial))
    server = serve(LlmHandler, state, host, port, server_class=LlmServer)
    assert isinstance(server, LlmServer) and server.thread is not None
    return server, server.thread, server.base_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mô hình ngôn ngữ mô phỏng (OpenAI-compatible, tất định).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"cổng (mặc định {DEFAULT_PORT}; 0 = bất kỳ)")
    parser.add_argument("--api-key", default="", help="khóa API (tiêu đề Authorization: Bearer …); trống = không cần")
    parser.add_argument("--model", default="motcua-sim-1")
    parser.add_argument("--cite-unknown", action="store_true", help="câu trả lời trích thêm một nguồn không có")
    parser.add_argument("--delay-seconds", type=float, default=0.0, help="chờ trước mỗi câu trả lời")
    args = parser.parse_args(argv)
    server, thread, base_url = start_llm_server(
        args.port,
        host=args.host,
        api_key=args.api_key,
        model=args.model,
        cite_unknown=args.cite_unknown,
        delay_seconds=args.delay_seconds,
    )
    print(f"Mô hình ngôn ngữ (mô phỏng) tại {base_url}/v1/chat/completions", flush=True)
    return serve_until_interrupted(server, thread)
