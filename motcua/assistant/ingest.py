"""Ingestion of legal sources: a BEIR folder, an ALQAC law.json, a law as plain text or DOCX.

Every path ends in `ingest_law`: idempotent (the same articles again change nothing), and a law whose articles
changed becomes a new version in force while the old version, with its article rows, stays for the answers that
cited it. The retriever of every process notices the new corpus fingerprint and rebuilds (motcua.assistant.engine).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from motcua.core.errors import ValidationFailed

from . import engine, lawtext
from .lawtext import ParsedArticle, ParsedLaw
from .models import LawKind, LegalArticle, LegalDocument

# Public facts from the headers of the laws in the ALQAC 2024 corpus (number, date passed, date in force), so the
# demo cites "Luật Cư trú số 68/2020/QH14" and not just the name the corpus uses.
KNOWN_LAWS: dict[str, tuple[str, str, date, date]] = {
    "Luật Phòng, chống ma túy": ("73/2021/QH14", "law", date(2021, 3, 30), date(2022, 1, 1)),
    "Luật Bảo vệ môi trường": ("72/2020/QH14", "law", date(2020, 11, 17), date(2022, 1, 1)),
    "Luật Viên chức": ("58/2010/QH12", "law", date(2010, 11, 15), date(2012, 1, 1)),
    "Luật Cư trú": ("68/2020/QH14", "law", date(2020, 11, 13), date(2021, 7, 1)),
    "Luật Tiếp cận thông tin": ("104/2016/QH13", "law", date(2016, 4, 6), date(2018, 7, 1)),
    "Luật Trồng trọt": ("31/2018/QH14", "law", date(2018, 11, 19), date(2020, 1, 1)),
    "Luật An ninh mạng": ("24/2018/QH14", "law", date(2018, 6, 12), date(2019, 1, 1)),
    "Luật Chăn nuôi": ("32/2018/QH14", "law", date(2018, 11, 19), date(2020, 1, 1)),
    "Hiến pháp": ("", "constitution", date(2013, 11, 28), date(2014, 1, 1)),
    "Luật Du lịch": ("09/2017/QH14", "law", date(2017, 6, 19), date(2018, 1, 1)),
    "Luật Tố tụng hành chính": ("93/2015/QH13", "law", date(2015, 11, 25), date(2016, 7, 1)),
    "Luật Hôn nhân và gia đình": ("52/2014/QH13", "law", date(2014, 6, 19), date(2015, 1, 1)),
    "Bộ luật dân sự": ("91/2015/QH13", "code", date(2015, 11, 24), date(2017, 1, 1)),
    "Luật Điện ảnh": ("05/2022/QH15", "law", date(2022, 6, 15), date(2023, 1, 1)),
    "Luật Trọng tài thương mại": ("54/2010/QH12", "law", date(2010, 6, 17), date(2011, 1, 1)),
    "Luật Thanh niên": ("57/2020/QH14", "law", date(2020, 6, 16), date(2021, 1, 1)),
    "Luật Giáo dục": ("43/2019/QH14", "law", date(2019, 6, 14), date(2020, 7, 1)),
}
KNOWN_TITLES = {"Hiến pháp": "Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam năm 2013"}
DEMO_FILE = ("alqac_legal_retrieval", "alqac2024_law.json")
MAX_ARTICLES = 5000  # per law; the Civil Code has 689


@dataclass
class IngestReport:
    created: int = 0
    replaced: int = 0
    unchanged: int = 0
    articles: int = 0
    laws: list[tuple[str, str, int]] = field(default_factory=list)  # (code, created|replaced|unchanged, version)

    def add(self, code: str, status: str, version: int, articles: int) -> None:
        setattr(self, status, getattr(self, status) + 1)
        self.articles += articles
        self.laws.append((code, status, version))

    def summary(self) -> str:
        return (
            f"{len(self.laws)} văn bản ({self.articles} điều): mới {self.created}, thay phiên bản mới "
            f"{self.replaced}, không đổi {self.unchanged}"
        )


def _with_known_metadata(law: ParsedLaw) -> ParsedLaw:
    known = KNOWN_LAWS.get(law.code)
    if known is not None:
        number, kind, issued, effective = known
        law.number = law.number or number
        law.kind = law.kind or kind
        law.issued_on = law.issued_on or issued
        law.effective_on = law.effective_on or effective
        if not law.title or law.title == law.code:
            law.title = KNOWN_TITLES.get(law.code, law.code)
    law.title = law.title or law.code
    law.kind = law.kind if law.kind in LawKind.values else lawtext.guess_kind(law.code, law.number)
    return law


def content_hash(law: ParsedLaw) -> str:
    """What makes a new version: the articles (number, title, text, place). Metadata is updated in place."""
    rows = [[a.number, a.title, a.text, a.part, a.chapter, a.section] for a in law.articles]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode("utf-8")).hexdigest()


def _check(law: ParsedLaw) -> None:
    code = (law.code or "").strip()
    if not code or "||" in code or len(code) > 255:
        raise ValidationFailed(f"Tên gọi văn bản không hợp lệ: «{code[:80]}».")
    if not law.articles:
        raise ValidationFailed(f"Không tìm thấy điều luật nào trong «{code}».")
    if len(law.articles) > MAX_ARTICLES:
        raise ValidationFailed(f"«{code}» có quá nhiều điều ({len(law.articles)}).")
    seen: set[str] = set()
    for a in law.articles:
        if not a.number or len(a.number) > 16 or "||" in a.number:
            raise ValidationFailed(f"Số điều không hợp lệ trong «{code}»: «{a.number[:20]}».")
        if a.number in seen:
            raise ValidationFailed(f"«{code}» có hai Điều {a.number}.")
        seen.add(a.number)


def ingest_law(law: ParsedLaw, *, source: str, source_name: str = "") -> tuple[str, LegalDocument]:
    """Store one law: 'created' (first time), 'replaced' (articles changed: a new version in force, the old one
    kept, out of force) or 'unchanged' (metadata refreshed in place)."""
    law.code = lawtext.nfc(law.code).strip()
    law = _with_known_metadata(law)
    _check(law)
    digest = content_hash(law)
    metadata = {
        "title": law.title[:500],
        "number": law.number[:64],
        "kind": law.kind,
        "issued_on": law.issued_on,
        "effective_on": law.effective_on,
    }
    with transaction.atomic():
        current = LegalDocument.objects.select_for_update().filter(code=law.code, in_force=True).first()
        if current is not None and current.content_hash == digest:
            changed = [k for k, v in metadata.items() if v and getattr(current, k) != v]
            for name in changed:
                setattr(current, name, metadata[name])
            if changed:
                current.save(update_fields=changed)
            return "unchanged", current
        status = "created"
        version = 1
        if current is not None:
            status = "replaced"
            current.in_force = False
            current.superseded_at = timezone.now()
            current.save(update_fields=["in_force", "superseded_at"])
        last = LegalDocument.objects.filter(code=law.code).order_by("-version").values_list("version", flat=True)
        version = (last.first() or 0) + 1
        document = LegalDocument.objects.create(
            code=law.code,
            version=version,
            in_force=True,
            source=source,
            source_name=source_name[:255],
            content_hash=digest,
            **{k: v for k, v in metadata.items() if v is not None},
        )
        LegalArticle.objects.bulk_create(
            [
                LegalArticle(
                    document=document,
                    position=i,
                    part=a.part[:255],
                    chapter=a.chapter[:500],
                    section=a.section[:500],
                    number=a.number,
                    title=a.title,
                    text=a.text,
                )
                for i, a in enumerate(law.articles, start=1)
            ],
            batch_size=500,
        )
    return status, document


def ingest_many(laws: Iterable[ParsedLaw], *, source: str, source_name: str = "") -> IngestReport:
    report = IngestReport()
    for law in laws:
        status, document = ingest_law(law, source=source, source_name=source_name)
        report.add(document.code, status, document.version, len(law.articles))
    if report.created or report.replaced:
        engine.forget()
    return report


# --- the formats ------------------------------------------------------------------------------------------------


def _article(number: str, text: str, title: str | None = None) -> ParsedArticle:
    text = lawtext.nfc(str(text or "")).strip()
    if title is None:
        title = lawtext.split_title(text)[0]
    return ParsedArticle(number=lawtext.nfc(str(number)).strip(), title=lawtext.nfc(title).strip(), text=text)


def read_beir(directory: Path | str) -> list[ParsedLaw]:
    """corpus.jsonl of a BEIR folder: {"_id": "<law>||<article>", "law_id", "article_id", "title", "text"}."""
    path = Path(directory) / "corpus.jsonl"
    if not path.is_file():
        raise ValidationFailed(f"Không có tệp corpus.jsonl trong {directory}.")
    laws: dict[str, ParsedLaw] = {}
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                law_id, article_id = str(row["law_id"]), str(row["article_id"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValidationFailed(f"Dòng {n} của corpus.jsonl không đúng định dạng BEIR.") from exc
            if row.get("_id") and row["_id"] != f"{law_id}||{article_id}":
                raise ValidationFailed(f"Dòng {n}: _id «{row['_id']}» không khớp law_id||article_id.")
            law = laws.setdefault(law_id, ParsedLaw(code=lawtext.nfc(law_id)))
            law.articles.append(_article(article_id, row.get("text") or "", row.get("title")))
    return list(laws.values())


def _first_line(text: str) -> str:
    """An ALQAC article's title: its first line (some laws put only one line break after it), when short."""
    first = lawtext.nfc(text).strip().split("\n", 1)[0].strip()
    return first if len(first) <= 200 else ""


def read_alqac_json(path: Path | str) -> list[ParsedLaw]:
    """ALQAC law.json: [{"id": <law>, "articles": [{"id": <article>, "text": "<title>\\n\\n<body>"}]}]; the
    title is the text's first line, as the retrieval evaluation reads these files."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationFailed(f"Không đọc được {path}: {exc}") from exc
    if not isinstance(data, list):
        raise ValidationFailed("Tệp ALQAC phải là một danh sách văn bản [{id, articles}].")
    laws = []
    for item in data:
        try:
            articles = [_article(a["id"], a["text"], _first_line(str(a["text"] or ""))) for a in item["articles"]]
            laws.append(ParsedLaw(code=lawtext.nfc(str(item["id"])), articles=articles))
        except (KeyError, TypeError) as exc:
            raise ValidationFailed("Mỗi văn bản cần «id» và «articles» [{id, text}].") from exc
    return laws


def ingest_beir(directory: Path | str) -> IngestReport:
    return ingest_many(read_beir(directory), source="beir", source_name=Path(directory).name)


def ingest_alqac_json(path: Path | str) -> IngestReport:
    return ingest_many(read_alqac_json(path), source="alqac_json", source_name=Path(path).name)


def ingest_law_file(
    path: Path | str,
    *,
    code: str = "",
    title: str = "",
    number: str = "",
    kind: str = "",
    issued_on: date | None = None,
    effective_on: date | None = None,
) -> IngestReport:
    """A law as .txt (UTF-8) or .docx, segmented here; what the header does not say can be given."""
    path = Path(path)
    if path.suffix.lower() not in (".txt", ".docx", ".md", ""):
        raise ValidationFailed("Chỉ nhận văn bản dạng .txt (UTF-8) hoặc .docx.")
    try:
        law = lawtext.parse_law_file(path, code=code)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed(f"Không đọc được {path.name}: {exc}") from exc
    except Exception as exc:  # python-docx raises its own errors on a file that is not a DOCX package
        raise ValidationFailed(f"Không đọc được {path.name}: tệp DOCX hỏng hoặc không đúng định dạng.") from exc
    law.title = title or law.title
    law.number = number or law.number
    law.kind = kind or law.kind
    law.issued_on = issued_on or law.issued_on
    law.effective_on = effective_on or law.effective_on
    if not law.code:
        raise ValidationFailed("Không xác định được tên văn bản: hãy ghi --code.")
    return ingest_many([law], source="law_file", source_name=path.name)


# --- the demo ---------------------------------------------------------------------------------------------------


def demo_source() -> Path:
    from motcua.catalog.services import default_shared_dir

    return default_shared_dir().joinpath(*DEMO_FILE)


def load_demo_laws(stdout=None, *, warm: bool = True) -> dict:
    """The 17 laws of the ALQAC 2024 corpus, read from ../shared/data (research use: not copied into the
    repository), for `make run`. Skipped with a message when the shared data is absent. Idempotent."""
    say: Callable[[str], None] = stdout.write if stdout is not None else (lambda _m: None)
    source = demo_source()
    if not source.is_file():
        say(f"Trợ lý ảo: bỏ qua nạp văn bản pháp luật mẫu (không có {source}).")
        return {"skipped": True, "source": str(source)}
    report = ingest_alqac_json(source)
    say(f"Trợ lý ảo — văn bản pháp luật: {report.summary()}")
    if warm:
        retriever = engine.get_retriever()
        say(f"Trợ lý ảo — chỉ mục tra cứu: {engine.describe(retriever)}")
    return {"skipped": False, "created": report.created, "replaced": report.replaced, "articles": report.articles}
