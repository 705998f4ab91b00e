"""Legal text, pure Python (no Django): a law given as plain text or DOCX split into Phần / Chương / Mục / Điều,
its header read for number, title and dates. Clauses (khoản) and points (điểm) stay in the article's text and are
cut out when needed by motcua.assistant.retrieval.clauses.split_article: every source gives whole articles, the
retriever indexes and cites articles, and a clause is a deterministic function of its article's text, so storing
it again would only be a second copy to keep in step.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

# --- what a law is ----------------------------------------------------------------------------------------------


@dataclass
class ParsedArticle:
    number: str  # "20", "5a"
    title: str  # "Điều kiện đăng ký thường trú" ("" when the article has none, as in the Constitution)
    text: str  # ALQAC style: "<title>\n\n<body>", paragraphs separated by a blank line
    chapter: str = ""  # "Chương II. ĐĂNG KÝ THƯỜNG TRÚ"
    section: str = ""  # "Mục 1. ..."
    part: str = ""  # "Phần thứ nhất. ..." (codes)


@dataclass
class ParsedLaw:
    code: str  # how the law is named as a source: "Luật Cư trú", "100/2019/NĐ-CP"
    title: str = ""
    number: str = ""
    kind: str = ""
    issued_on: date | None = None
    effective_on: date | None = None
    articles: list[ParsedArticle] = field(default_factory=list)


# --- kinds --------------------------------------------------------------------------------------------------------

KIND_WORDS = [  # heading word (upper case) → kind; longest first
    ("BỘ LUẬT", "code"),
    ("HIẾN PHÁP", "constitution"),
    ("PHÁP LỆNH", "ordinance"),
    ("NGHỊ QUYẾT", "resolution"),
    ("NGHỊ ĐỊNH", "decree"),
    ("QUYẾT ĐỊNH", "decision"),
    ("THÔNG TƯ", "circular"),
    ("LUẬT", "law"),
]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def guess_kind(code: str, number: str = "") -> str:
    """'Hiến pháp' → constitution, 'Bộ luật dân sự' → code, '100/2019/NĐ-CP' → decree …; 'other' when unsure."""
    name = nfc(code).strip().upper()
    ref = f"{number} {code}".upper()
    if "/VBHN-" in ref:
        return "consolidated"
    for word, kind in KIND_WORDS:
        if name.startswith(word):
            return kind
    for marker, kind in (("/NĐ-CP", "decree"), ("/TT-", "circular"), ("/NQ-", "resolution"), ("/QĐ-", "decision")):
        if marker in ref:
            return kind
    if re.search(r"/QH\d+", ref):
        return "law"
    return "other"


# --- reading a law file -------------------------------------------------------------------------------------------

_ROMAN = r"[IVXLCDM]+"
PART_RE = re.compile(r"^PHẦN\s+(THỨ\s+[^\s.:]+|" + _ROMAN + r"|\d+)\s*[.:\-–]?\s*(.*)$", re.IGNORECASE)
CHAPTER_RE = re.compile(r"^CHƯƠNG\s+(" + _ROMAN + r"|\d+)\b\s*[.:\-–]?\s*(.*)$", re.IGNORECASE)
SECTION_RE = re.compile(r"^MỤC\s+(\d+|" + _ROMAN + r")\b\s*[.:\-–]?\s*(.*)$", re.IGNORECASE)
ARTICLE_RE = re.compile(r"^Điều\s+(\d+[a-zđ]?)\s*(?:[.:]\s*(.*))?$")
NUMBER_RE = re.compile(r"(?:Luật\s+)?[Ss]ố\s*:?\s*(\d+[\w.]*/\d{4}/[\wĐđ-]+)")
DATE_RE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
SLASH_DATE_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
EFFECTIVE_RE = re.compile(
    r"có hiệu lực(?: thi hành)?(?: kể)? từ ngày\s+("
    r"\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}|\d{1,2}/\d{1,2}/\d{4})",
    re.IGNORECASE,
)
PASSED_RE = re.compile(r"thông qua ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
# The closing block after the last article: who passed it, who signs, who receives copies.
CLOSING_RE = re.compile(
    r"^(Luật này đã được Quốc hội|Luật này được Quốc hội|Bộ luật này (đã )?được Quốc hội|Hiến pháp này (đã )?được"
    r"|CHỦ TỊCH QUỐC HỘI|TM\. |KT\. |Nơi nhận\s*:)",
    re.IGNORECASE,
)
BOILERPLATE = {"QUỐC HỘI", "CHÍNH PHỦ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"}


def _date(day: str, month: str, year: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _date_text(text: str) -> date | None:
    if m := DATE_RE.search(text) or re.search(r"(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", text):
        return _date(*m.groups())
    if m := SLASH_DATE_RE.search(text):
        return _date(*m.groups())
    return None


def _sentence_case(words: str) -> str:
    """'CƯ TRÚ' → 'Cư trú' (the way laws are named: only the first word capitalised)."""
    lowered = words.strip().lower()
    return lowered[:1].upper() + lowered[1:]


def _heading(label: str, title: str) -> str:
    return f"{label}. {title}".strip() if title else label


def read_lines(path: Path | str) -> list[str]:
    """The paragraphs of a .txt (UTF-8) or .docx file, NFC, one per line (empty lines dropped)."""
    path = Path(path)
    if path.suffix.lower() == ".docx":
        import docx  # python-docx

        document = docx.Document(str(path))
        raw = "\n".join(p.text for p in document.paragraphs)
    else:
        raw = path.read_text(encoding="utf-8-sig")
    return [line.strip() for line in nfc(raw).replace("\r", "\n").split("\n") if line.strip()]


def parse_law_lines(lines: list[str], *, code: str = "") -> ParsedLaw:
    """Segment a law: the header (number, title, issue date), then Phần / Chương / Mục / Điều; the clauses stay in
    the article's text (see `split_clauses`). `code` names the law; by default its title ('Luật Cư trú')."""
    header: list[str] = []
    raw: list[dict] = []
    part = chapter = section = ""
    current: dict | None = None
    pending: str | None = None  # "part" | "chapter" | "section" whose title is on the next line
    closed = False
    seen: set[str] = set()
    for line in lines:
        if closed:
            header.append(line)  # read for the passing date, never part of an article
            continue
        if CLOSING_RE.match(line) and current is not None:
            closed = True
            header.append(line)
            continue
        if pending and not ARTICLE_RE.match(line) and not CHAPTER_RE.match(line) and not SECTION_RE.match(line):
            if pending == "part":
                part = _heading(part, line)
            elif pending == "chapter":
                chapter = _heading(chapter, line)
            else:
                section = _heading(section, line)
            pending = None
            continue
        pending = None
        if m := PART_RE.match(line):
            part = f"Phần {m.group(1).lower()}"
            part, pending = (_heading(part, m.group(2)), None) if m.group(2) else (part, "part")
            chapter = section = ""
            continue
        if m := CHAPTER_RE.match(line):
            chapter = f"Chương {m.group(1).upper()}"
            chapter, pending = (_heading(chapter, m.group(2)), None) if m.group(2) else (chapter, "chapter")
            section = ""
            continue
        if m := SECTION_RE.match(line):
            section = f"Mục {m.group(1)}"
            section, pending = (_heading(section, m.group(2)), None) if m.group(2) else (section, "section")
            continue
        if (m := ARTICLE_RE.match(line)) and m.group(1) not in seen:
            seen.add(m.group(1))
            current = {
                "number": m.group(1),
                "title": (m.group(2) or "").strip(),
                "body": [],
                "chapter": chapter,
                "section": section,
                "part": part,
            }
            raw.append(current)
            continue
        if current is None:
            header.append(line)
        else:
            current["body"].append(line)
    law = _read_header(header, code=code)
    for a in raw:
        body = "\n\n".join(a["body"])
        text = f"{a['title']}\n\n{body}".strip() if a["title"] else body
        law.articles.append(
            ParsedArticle(a["number"], a["title"], text, chapter=a["chapter"], section=a["section"], part=a["part"])
        )
    whole = "\n".join(lines)
    if m := EFFECTIVE_RE.search(whole):
        law.effective_on = _date_text(m.group(1))
    if law.issued_on is None and (m := PASSED_RE.search(whole)):
        law.issued_on = _date(*m.groups())
    return law


def _read_header(header: list[str], *, code: str) -> ParsedLaw:
    number = title = ""
    issued = None
    kind = ""
    for i, line in enumerate(header):
        if not number and (m := NUMBER_RE.search(line)):
            number = m.group(1)
        if issued is None and DATE_RE.search(line) and "," in line:  # "Hà Nội, ngày 13 tháng 11 năm 2020"
            issued = _date_text(line)
        upper = line.upper()
        if title or line != upper or upper in BOILERPLATE:
            continue
        for word, word_kind in KIND_WORDS:
            if upper == word or upper.startswith(word + " "):
                rest = line[len(word) :].strip()
                if not rest and i + 1 < len(header) and header[i + 1] == header[i + 1].upper():
                    rest = header[i + 1]
                if word_kind in ("law", "code"):
                    title = f"{word.capitalize()} {_sentence_case(rest)}".strip()
                else:
                    title = f"{word.capitalize()} {rest.lower()}".strip()
                kind = word_kind
                break
    law = ParsedLaw(code=code or title or number, title=title or code or number, number=number, issued_on=issued)
    law.kind = kind or guess_kind(law.code, number)
    return law


def parse_law_file(path: Path | str, *, code: str = "") -> ParsedLaw:
    return parse_law_lines(read_lines(path), code=code)


def split_title(text: str) -> tuple[str, str]:
    """ALQAC article text '<title>\\n\\n<body>' → (title, body); the BEIR corpus's title is the same first part."""
    text = nfc(text).strip()
    head, sep, rest = text.partition("\n\n")
    return (head.strip(), rest.strip()) if sep else (head.strip(), "")
