"""Optional answer writing by a language model behind an OpenAI-compatible endpoint the operator configures
(MOTCUA_ASSISTANT_LLM_URL / _MODEL / _API_KEY; off by default).

The prompt holds only the retrieved passages, numbered [1]..[n], and the (scrubbed) question. The answer must cite
them with those markers; an answer citing nothing, citing a number that was not given, or naming an article that
was not retrieved is refused, as is any failure or time-out of the endpoint: the caller then keeps its extractive
answer. Only the standard library's HTTP client is used.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from . import conf

log = logging.getLogger("motcua.assistant")

SYSTEM_PROMPT = (
    "Bạn là trợ lý pháp luật của cổng dịch vụ công. Chỉ trả lời bằng tiếng Việt, ngắn gọn, CHỈ dựa trên các đoạn "
    "trích được đánh số bên dưới. Sau mỗi ý, ghi số đoạn trích làm căn cứ trong ngoặc vuông, ví dụ [1] hoặc [2]. "
    "Không dùng kiến thức khác; nếu các đoạn trích không đủ để trả lời, hãy nói chưa tìm thấy căn cứ."
)
MARKER = re.compile(r"\[(\d{1,3})\]")
ARTICLE_MENTION = re.compile(r"\bĐiều\s+(\d+[a-zđ]?)\b", re.IGNORECASE)
MAX_ANSWER = 4000


@dataclass(frozen=True)
class Source:
    """One numbered passage of the prompt."""

    label: str  # "Luật Cư trú, Điều 20, khoản 1"
    article: str  # the article number, to check what the answer names
    text: str


@dataclass
class Generated:
    text: str | None  # None: keep the extractive answer
    note: str  # why not, or which model wrote it
    cited: list[int]  # 1-based numbers of the sources the answer cites


def enabled() -> bool:
    return bool(str(conf.get("MOTCUA_ASSISTANT_LLM_URL") or "").strip())


def build_messages(question: str, sources: list[Source]) -> list[dict[str, str]]:
    blocks = [f"[{i}] {s.label}\n{s.text.strip()}" for i, s in enumerate(sources, start=1)]
    user = "Các đoạn trích:\n\n" + "\n\n".join(blocks) + f"\n\nCâu hỏi: {question.strip()}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def check(answer: str, sources: list[Source]) -> tuple[list[int], str]:
    """([cited numbers], "") when every marker and every article the answer names is among the sources; else
    ([], the reason)."""
    if not answer.strip():
        return [], "câu trả lời trống"
    numbers = [int(n) for n in MARKER.findall(answer)]
    if not numbers:
        return [], "câu trả lời không trích dẫn đoạn nào"
    unknown = sorted({n for n in numbers if not 1 <= n <= len(sources)})
    if unknown:
        return [], f"trích dẫn nguồn không được cung cấp: {unknown}"
    # An article the answer names must be one retrieved, or one a retrieved passage itself refers to.
    known_articles = {s.article.lower() for s in sources}
    known_articles |= {m.lower() for s in sources for m in ARTICLE_MENTION.findall(f"{s.label} {s.text}")}
    named = {m.lower() for m in ARTICLE_MENTION.findall(answer)}
    if named - known_articles:
        return [], f"nêu điều luật không có trong đoạn trích: {sorted(named - known_articles)}"
    return list(dict.fromkeys(numbers)), ""


def generate(question: str, sources: list[Source]) -> Generated:
    """Ask the endpoint; any failure or a reply that cites what was not given → Generated(text=None)."""
    base = str(conf.get("MOTCUA_ASSISTANT_LLM_URL") or "").strip().rstrip("/")
    if not base or not sources:
        return Generated(None, "", [])
    url = base if base.endswith("/chat/completions") else f"{base}/chat/completions"
    body = {
        "model": str(conf.get("MOTCUA_ASSISTANT_LLM_MODEL") or "default"),
        "messages": build_messages(question, sources),
        "temperature": 0,
        "max_tokens": 600,
    }
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if key := str(conf.get("MOTCUA_ASSISTANT_LLM_API_KEY") or ""):
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(  # noqa: S310 - the operator's configured http(s) endpoint
        url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"), headers=headers, method="POST"
    )
    timeout = float(conf.get("MOTCUA_ASSISTANT_LLM_TIMEOUT_SECONDS"))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            payload = json.loads(response.read(1_000_000))
        text = str(payload["choices"][0]["message"]["content"] or "")[:MAX_ANSWER]
        model = str(payload.get("model") or body["model"])
    except urllib.error.HTTPError as exc:
        log.warning("assistant LLM endpoint answered HTTP %s", exc.code)
        return Generated(None, f"mô hình ngôn ngữ lỗi HTTP {exc.code}", [])
    except TimeoutError:
        log.warning("assistant LLM endpoint timed out after %.1f s", timeout)
        return Generated(None, "mô hình ngôn ngữ không trả lời kịp", [])
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.warning("assistant LLM endpoint failed: %s", exc)
        return Generated(None, "không gọi được mô hình ngôn ngữ", [])
    cited, problem = check(text, sources)
    if problem:
        log.warning("assistant LLM answer refused: %s", problem)
        return Generated(None, f"câu trả lời của mô hình bị loại: {problem}", [])
    return Generated(text.strip(), f"mô hình {model}"[:255], cited)
