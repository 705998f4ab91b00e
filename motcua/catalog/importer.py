"""Parsers that turn the scraped national catalogue into one normalised record per procedure.

The portal's tables reach us flattened without separators ("Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp5 Ngày
làm việcLệ phí : 50.000 Đồng…"), so every parser here is a pure function over strings, tested on real samples.
They are deliberately forgiving: a cell we cannot read is kept as text, never dropped. Coverage figures for the real
data are in docs/catalog.md.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from motcua.core.text import fold, nfc

SOURCE_DICHVUCONG = "dichvucong"  # ../shared/data/tthc_dichvucong_6_agencies
SOURCE_BQP = "bqp"  # ../shared/data/tthc_bqp_structured

NO_INFO = "Không có thông tin"

# Every lowercase letter Vietnamese uses: a document number ends where the next (capitalised) title begins.
_LOWER = "".join(
    sorted({c for c in map(chr, range(0x61, 0x1EFA)) if c.islower() and fold(c) in "abcdefghijklmnopqrstuvwxyz"})
)
_LOWER_CLASS = "[" + re.escape(_LOWER) + "]"

# --- text ----------------------------------------------------------------------------------------------------

_PORTAL_UI = re.compile(r"Chọn cơ quan thực hiện\s*Tỉnh/ Thành phố.*$", re.S)
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def clean(text: str | None) -> str:
    """NFC, drop invisible marks and the portal's trailing 'Chọn cơ quan thực hiện…Nộp hồ sơ' widget text."""
    if not text:
        return ""
    text = _INVISIBLE.sub("", nfc(str(text)))
    text = _PORTAL_UI.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n", text)
    text = "\n".join(line.strip() for line in text.split("\n")).strip()
    return "" if text in (NO_INFO, "Không", "Không có", "--") else text


# --- money ---------------------------------------------------------------------------------------------------

_AMOUNT = r"\d{1,3}(?:[.,]\d{3})+(?![\d])|\d+"
_MONEY = re.compile(rf"({_AMOUNT})\s*(?:Việt Nam Đồng|VNĐ|VND|Đồng|đồng)", re.I)
_FREE_WORDS = ("mien phi", "khong thu", "khong phai nop", "khong dong", "0 dong")


def parse_money(text: str | None) -> int | None:
    """Vietnamese money → integer VND: '50.000 Đồng' and '50,000 Việt Nam Đồng' → 50000, 'Miễn phí' → 0.

    None when the text states no VND amount (unknown, a rule in words, or a foreign currency).
    """
    if not text:
        return None
    text = nfc(text)
    folded = fold(text)
    if folded.startswith("mien phi") or folded.startswith("khong thu"):
        return 0
    match = _MONEY.search(text)
    if match:
        return int(re.sub(r"[.,]", "", match.group(1)))
    if any(word in folded for word in _FREE_WORDS) and "usd" not in folded:
        return 0
    return None


# --- time ----------------------------------------------------------------------------------------------------

_UNITS = {
    "ngày làm việc": "working_days",
    "ngày": "days",
    "giờ làm việc": "working_hours",
    "giờ": "working_hours",
    "tháng": "months",
}
_TIME = re.compile(
    r"(?P<value>\d+(?:[.,]\d+)?)(?:\s*-\s*(?P<upper>\d+(?:[.,]\d+)?))?\s*"
    r"(?P<unit>Ngày làm việc|ngày làm việc|Ngày|ngày|Giờ làm việc|giờ làm việc|Giờ|giờ|Tháng|tháng)?"
)


def _number(text: str) -> int | float:
    value = float(text.replace(",", "."))
    return int(value) if value.is_integer() else value


def parse_time(text: str | None) -> tuple[int | float | None, str]:
    """'5 Ngày làm việc' → (5, 'working_days'); '15 Ngày' → (15, 'days'); '01 Giờ' → (1, 'working_hours').

    A bare number (the portal shows '1' for civil-status procedures) is read as working days; a range '10-25'
    keeps its upper bound (the statutory maximum); anything else ('Không quy định') → (None, 'none').
    """
    if not text:
        return None, "none"
    match = _TIME.match(nfc(text).strip())
    if not match:
        return None, "none"
    value = _number(match.group("upper") or match.group("value"))
    unit = _UNITS.get((match.group("unit") or "ngày làm việc").lower(), "working_days")
    return value, unit


# --- submission channels ---------------------------------------------------------------------------------------

CHANNELS = {"Trực tiếp": "in_person", "Trực tuyến": "online", "Dịch vụ bưu chính": "post"}
_CHANNEL_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
_CHANNEL_SPLIT = re.compile(r"(Trực tiếp|Trực tuyến|Dịch vụ bưu chính)(?=\s*(?:\d|Không có thông tin|Không quy định))")
_FEE_CELL = re.compile(
    rf"(?:Miễn phí|Không có thông tin|(?:{_AMOUNT})\s*(?:Việt Nam Đồng|VNĐ|VND|Đồng|USD)|VNĐ|Việt Nam Đồng)"
)
_MONEY_MENTION = re.compile(
    rf"\d{{1,3}}(?:[.,]\d{{3}})+\s*(?:/|đồng|VNĐ|VND)|\d+\s*(?:đồng|VNĐ|VND)|\d{{4,}}/(?={_LOWER_CLASS})", re.I
)


def _balanced(text: str) -> int:
    """Length of the parenthesised group text starts with (unbalanced: up to the end)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def _split_channel_body(body: str) -> tuple[int | float | None, str, str, str]:
    """One flattened channel cell group → (time value, unit, fee text, note)."""
    body = body.strip()
    value: int | float | None = None
    unit = "none"
    rest = body
    if body.startswith(NO_INFO) or body.startswith("Không quy định"):
        rest = body[len(NO_INFO) :] if body.startswith(NO_INFO) else body[len("Không quy định") :]
    else:
        match = _TIME.match(body)
        if match:
            rest = body[match.end() :]
            if match.group("unit") is None and re.match(r"[.,]\d{3}", rest):
                # '310,000 Việt Nam Đồng' after a bare number: the time and the amount ran together.
                digits = match.group("value")
                keep = max(1, len(digits) - 3)
                rest = digits[keep:] + rest
                match = _TIME.match(digits[:keep])
            value, unit = parse_time(match.group(0)) if match else (None, "none")
    fee_match = _FEE_CELL.match(rest)
    fee = fee_match.group(0) if fee_match else ""
    rest = rest[fee_match.end() :] if fee_match else rest
    if rest.startswith("("):
        end = _balanced(rest)
        fee = f"{fee} {rest[:end]}".strip()
        rest = rest[end:]
    return value, unit, fee.strip(), rest.strip()


def parse_channels(text: str | None) -> list[dict[str, Any]]:
    """The flattened 'Cách thức thực hiện' table → one dict per channel."""
    text = clean(text)
    if text.startswith(_CHANNEL_HEADER):
        text = text[len(_CHANNEL_HEADER) :]
    parts = _CHANNEL_SPLIT.split(text)
    channels = []
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        value, unit, fee, note = _split_channel_body(body)
        channels.append(_channel(CHANNELS[name], value, unit, fee, note))
    return channels


def _channel(channel: str, value: int | float | None, unit: str, fee: str, note: str) -> dict[str, Any]:
    fee = "" if fee == NO_INFO else fee
    main_fee = fee.split("(", 1)[0]
    return {
        "channel": channel,
        "time_value": value,
        "time_unit": unit if value is not None else "none",
        "fee_text": fee,
        "fee_vnd": parse_money(main_fee) if main_fee.strip() else None,
        "note": note,
    }


_PRIORITY = ("online", "in_person", "post")


def statutory_time(channels: list[dict[str, Any]]) -> tuple[int | float | None, str]:
    """The procedure's time: the online channel's, else in-person's, else by post."""
    by_channel = {c["channel"]: c for c in channels}
    for name in _PRIORITY:
        ch = by_channel.get(name)
        if ch and ch["time_value"] is not None:
            return ch["time_value"], ch["time_unit"]
    return None, "none"


def fee_rule(channels: list[dict[str, Any]]) -> dict[str, Any]:
    """free / fixed (integer VND, per channel when they differ) / text (a rule we cannot compute)."""
    by_channel = {c["channel"]: c for c in channels}
    main = next((by_channel[n] for n in _PRIORITY if n in by_channel and by_channel[n]["fee_text"]), None)
    if main is None:
        return {"kind": "text", "amount": 0, "text": ""}
    amount = main["fee_vnd"]
    text = main["fee_text"]
    paren = text.split("(", 1)[1] if "(" in text else ""
    if amount == 0 and not _MONEY_MENTION.search(paren):
        return {"kind": "free", "amount": 0, "text": text}
    if amount:
        rule: dict[str, Any] = {"kind": "fixed", "amount": amount, "text": text}
        amounts = {c["channel"]: c["fee_vnd"] for c in channels if c["fee_vnd"] is not None}
        if len(set(amounts.values())) > 1:
            rule["by_channel"] = dict(sorted(amounts.items()))
        return rule
    return {"kind": "text", "amount": 0, "text": text}


# --- required documents ------------------------------------------------------------------------------------------

_DOC_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
_QTY = re.compile(rf"(\d+) bản (chính|sao)(?:,\s*(\d+) bản (chính|sao))?(?!\s*{_LOWER_CLASS})")
_FORM_EXT = re.compile(r"\.(?i:docx?|xlsx?|pdf|odt|ods|rtf|rar|zip)(?![a-z])")
_FORM_START = re.compile(
    r"[Mm]ẫu|MẪU|[Mm]au|Mus?(?=[A-Z\d])|MU\d|Phụ [Ll]ục|PHỤ LỤC|Phu [Ll][uụ]c|PL\s?[IVX\d]|Biểu mẫu|BM\s?\d|"
    r"Tờ khai|TK\s?\d|Form|Đơn\b|Don\b|Giay\b|[Vv]ăn bản đề nghị(?=\.)"
)
_CAMEL = re.compile(rf"(?<=[{_LOWER}\d;:.,)])(?=[A-ZĐ])")
_FORM_WINDOW = 80


def split_form(row: str) -> tuple[str, str]:
    """'…theo Mẫu số 01…NĐ-CPMẫu số 01.docx' → (document name, template file name(s), '; '-separated).

    The template cell was glued to the name: it starts at the last template-like word ('Mẫu', 'Phụ lục', 'PL',
    'Form'…) glued to the text before it, else at one just before the extension, else at a lowercase→capital seam.
    """
    row = row.strip()
    exts = list(_FORM_EXT.finditer(row))
    if not exts or row[exts[-1].end() :].strip():
        return row, ""
    first = len(exts) - 1  # several files glued together: walk back while they are close
    while first > 0 and exts[first].start() - exts[first - 1].end() <= _FORM_WINDOW:
        first -= 1
    head = row[: exts[first].start()]
    floor = max(0, len(head) - _FORM_WINDOW)
    starts = [m.start() for m in _FORM_START.finditer(head, floor)]
    glued = [i for i in starts if i == 0 or not head[i - 1].isspace()]
    near = [i for i in starts if len(head) - i <= 40]
    seams = [m.start() for m in _CAMEL.finditer(head, max(0, len(head) - 60))]
    if glued:
        start = glued[-1]
    elif near:
        start = near[-1]
    elif seams:
        start = seams[-1]
    else:
        return row, ""
    lead = re.search(r"(?:\d+[.\-]\s*)+$", head[:start])
    if lead and start - lead.start() <= 12:
        start = lead.start()
    name, form = row[:start].strip(), row[start:].strip()
    if not name:
        return row, ""
    form = _FORM_EXT.sub(lambda m: m.group(0) + "; ", form).strip("; ")
    return name, re.sub(r";\s*;", ";", re.sub(r"; \s+", "; ", form))


def _case_title(text: str) -> str:
    text = text.strip().strip("-").strip()
    text = re.sub(r"^\*\s*", "", text)
    return text.rstrip(":").strip()


def parse_documents(text: str | None) -> tuple[list[dict[str, Any]], list[str]]:
    """The flattened 'Thành phần hồ sơ' → (documents, notes).

    Each section is '<case title>Tên giấy tờMẫu đơn, tờ khaiSố lượng<rows>'; a row ends in '<n> bản chính' /
    '<n> bản sao' (or both). Rows asking for 0 copies are the portal's way of writing notes: they go to `notes`.
    """
    text = clean(text)
    if _DOC_HEADER not in text:
        return [], []
    sections = text.split(_DOC_HEADER)
    case = _case_title(sections[0])
    documents: list[dict[str, Any]] = []
    notes: list[str] = []
    for section in sections[1:]:
        pos = 0
        for match in _QTY.finditer(section):
            row = section[pos : match.start()]
            pos = match.end()
            counts = {match.group(2): int(match.group(1))}
            if match.group(3):
                counts[match.group(4)] = counts.get(match.group(4), 0) + int(match.group(3))
            for kind, n in counts.items():
                if n > 20:  # 'Phụ lục 1' + '1 bản chính' ran together
                    row += str(n)[:-1]
                    counts[kind] = int(str(n)[-1])
            originals, copies = counts.get("chính", 0), counts.get("sao", 0)
            name, form = split_form(row)
            name = re.sub(r"^[-+•*]\s*", "", name).strip()
            if not name:
                continue
            if originals == 0 and copies == 0:
                notes.append(name)
                continue
            documents.append(
                {
                    "code": f"TP{len(documents) + 1}",
                    "name": name,
                    "form": form,
                    "quantity": originals or copies,
                    "original": originals > 0,
                    "case": case,
                }
            )
        case = _case_title(section[pos:])
    return documents, notes


# --- legal basis -------------------------------------------------------------------------------------------------

_LEGAL_HEADER = "Tên văn bản pháp lýMã văn bản"
# A symbol segment: 'TTg', 'QH13' (the legislature's number), 'C06', or capitals. Capitals are greedy: when the
# next title is glued on ('NĐ-CPNghị định…') `_iter_numbers` gives back its first letter.
_SEG = r"(?:TTg|[A-ZĐ]*QH\d{2}|[A-ZĐ]+(?:\d{1,2}(?![\d/]))?)"
_SUFFIX = rf"{_SEG}(?:[-/]{_SEG})*"
_DOC_NUMBER = re.compile(
    rf"(\d{{1,8}})(?:\.\d+)?/(?:(?:19|20)\d\d/{_SUFFIX}|{_SUFFIX}|(?:19|20)\d\d(?![\d/]))|[A-ZĐ]{{2,}}/\d+-[A-ZĐ]+"
)
_TYPES = r"(?:Luật|Bộ luật|Nghị định|Nghị quyết|Thông tư liên tịch|Thông tư|Quyết định)"
# The next cell's 'Nghị định số' glued to a title: '…Bộ Tư phápThông tư số', '…Luật Trồng trọt Luật số', '…vậtsố'.
_TRAILING_TYPE = re.compile(rf"(?:(?<=\S){_TYPES}(?: số)?|\s{_TYPES} số|(?<=\S)số)\s*$")
# Words that continue a title after a number mentioned inside it ('…/TT-BCA ngày 01/7/2025 của…').
_IN_TITLE = re.compile(r"\s*(?:ngày|của|năm|và|tại|được|đã)\b")


def _starts_word(capital: str, following: str) -> bool:
    """Could `capital` + `following` begin a Vietnamese word ('Ng', 'Th', 'Qu', 'Về')? Then it starts a title."""
    nxt = fold(following[:1])
    return bool(nxt) and (
        nxt in "aeiouy"
        or (capital in "CGKNPT" and nxt == "h")
        or (capital == "N" and nxt == "g")
        or (capital == "T" and nxt == "r")
    )


def _iter_numbers(text: str) -> Iterator[tuple[int, int, str, bool]]:
    """Document numbers in text as (start, end, number, glued_title) where glued_title says a title starts right after.

    Fixes a year glued in front ('Luật Cư trú 202068/2020/QH14' → '68/2020/QH14') and a title's capital glued
    behind ('…/NĐ-CPNghị định' → '…/NĐ-CP').
    """
    pos = 0
    last_end = -1
    while match := _DOC_NUMBER.search(text, pos):
        start, end = match.start(), match.end()
        pos = end
        digits = match.group(1) or ""
        if len(digits) >= 4 and re.match(r"(?:19|20)\d\d", digits) and match.group(0)[4] in "0123456789.":
            # a date's year ran into the number: '…năm 2001.22/2025/TT-BXD', '…29/6/202443/2024/QH15'
            start += 4
            while start < end and not text[start].isdigit():
                start += 1
        elif len(digits) > 4 or (start > 0 and text[start - 1] in "0123456789/" and start != last_end):
            continue  # a mention inside a longer number or a date ('15/11/2015')
        glued = False
        after = text[end : end + 1]
        if after and after.islower() and not _IN_TITLE.match(text, end):
            glued = True
            if text[end - 1].isupper() and _starts_word(text[end - 1], after) and end - 1 > start:
                end -= 1
        last_end = end
        pos = end
        yield start, end, text[start:end], glued


def parse_legal_basis(text: str | None) -> list[dict[str, str]]:
    """'Tên văn bản pháp lýMã văn bản<title><number><title><number>…' → [{'number', 'title'}].

    A number is a cell (not a mention inside a title) when the next title starts right after it (a capital, a
    lowercase word glued on, or the end of text) and it is not immediately repeated
    ('Thông tư 55/2021/TT-BCA55/2021/TT-BCA').
    """
    text = clean(text)
    if text.startswith(_LEGAL_HEADER):
        text = text[len(_LEGAL_HEADER) :]
    if not text:
        return []
    found: list[dict[str, str]] = []
    title_start = 0
    for start, end, number, glued in _iter_numbers(text):
        after = text[end:].lstrip(" .;,")
        if after and not glued and not (after[0].isupper() or after[0] in '(“"'):
            if not after[0].isdigit():
                continue
            repeated = _DOC_NUMBER.match(after)
            if repeated and (number.startswith(repeated.group(0)) or repeated.group(0).startswith(number)):
                continue
        title = text[title_start:start].strip(" ;,.")
        title = _TRAILING_TYPE.sub("", title).strip(" ;,.")
        found.append({"number": number, "title": title or number})
        title_start = end
    tail = text[title_start:].strip(" ;,.")
    if tail:
        found.append({"number": "", "title": tail})
    return found


def _find_number(text: str) -> str:
    for _start, _end, number, _glued in _iter_numbers(nfc(text or "")):
        return number
    return ""


# --- result --------------------------------------------------------------------------------------------------------


def parse_result(text: str | None) -> str:
    """'Giấy khai sinhMã: KQ.G15.000031Từ khóa…Mô tả…' → 'Giấy khai sinh (Mã: KQ.G15.000031)', one line per result."""
    text = clean(text)
    description = ""
    match = re.search(r"Từ khóa(.*?)Mô tả(.*)$", text, re.S)
    if match:
        text, description = text[: match.start()], match.group(2).strip()
        description = "" if description == NO_INFO else description
    text = re.sub(r"\s*Mã:\s*([A-Z0-9][\w.\-]*\d)", r" (Mã: \1)\n", text).strip()
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if description:
        lines.append(description)
    return "\n".join(lines)


# --- records ---------------------------------------------------------------------------------------------------------


def _record(**fields: Any) -> dict[str, Any]:
    channels = fields["channels"]
    time_value, time_unit = statutory_time(channels)
    fields["time_value"], fields["time_unit"] = time_value, time_unit
    fields["fee_rule"] = fee_rule(channels)
    order = (
        "code", "name", "level", "field", "kind", "decision", "applicants", "implementing_agency",
        "competent_agency", "steps_text", "conditions_text", "result_text", "legal_basis", "channels", "documents",
        "document_notes", "fee_rule", "time_value", "time_unit", "source", "source_url",
    )  # fmt: skip
    return {key: fields.get(key, "") for key in order}


def normalise_dichvucong(raw: dict[str, Any]) -> dict[str, Any]:
    """One line of tthc_dichvucong_6_agencies/procedures.jsonl → a normalised record."""
    documents, notes = parse_documents(raw.get("thanh_phan_ho_so"))
    return _record(
        code=clean(raw["ma_thu_tuc"]),
        name=clean(raw.get("ten_thu_tuc")),
        level=clean(raw.get("cap_thuc_hien")),
        field=clean(raw.get("linh_vuc")),
        kind=clean(raw.get("loai_thu_tuc")),
        decision=clean(raw.get("so_quyet_dinh")),
        applicants=clean(raw.get("doi_tuong_thuc_hien")),
        implementing_agency=clean(raw.get("co_quan_thuc_hien")),
        competent_agency=clean(raw.get("co_quan_co_tham_quyen")),
        steps_text=clean(raw.get("trinh_tu_thuc_hien")),
        conditions_text=clean(raw.get("yeu_cau_dieu_kien")),
        result_text=parse_result(raw.get("ket_qua_xu_ly")),
        legal_basis=parse_legal_basis(raw.get("can_cu_phap_ly")),
        channels=parse_channels(raw.get("cach_thuc_thuc_hien")),
        documents=documents,
        document_notes=notes,
        source=SOURCE_DICHVUCONG,
        source_url=clean(raw.get("detail_url")),
    )


_COUNT = re.compile(r"Bản (chính|sao)\s*:\s*(\d+)", re.I)


def _bqp_documents(rows: Iterable[dict[str, str]]) -> list[dict[str, Any]]:
    documents = []
    for row in rows:
        counts = {kind.lower(): int(n) for kind, n in _COUNT.findall(row.get("ghi_chu") or "")}
        originals, copies = counts.get("chính", 0), counts.get("sao", 0)
        name = clean(row.get("ten_giay_to"))
        if not name:
            continue
        forms = [clean(f) for f in (row.get("so_luong") or "").split("\n") if clean(f)]
        documents.append(
            {
                "code": f"TP{len(documents) + 1}",
                "name": name,
                "form": "; ".join(forms),
                "quantity": originals or copies or 1,
                "original": originals > 0 or not copies,
                "case": "",
            }
        )
    return documents


def _bqp_fee(text: str) -> tuple[str, int | None]:
    text = clean(text)
    amount_text = re.sub(r"^(?:Lệ phí|Phí)\s*:\s*", "", text)
    return text, parse_money(amount_text.split("(", 1)[0]) if amount_text else None


def normalise_bqp(raw: dict[str, Any]) -> dict[str, Any]:
    """One line of tthc_bqp_structured/procedures.jsonl (tables already split) → a normalised record."""
    meta, content, tables = raw.get("metadata", {}), raw.get("content", {}), raw.get("tables", {})
    channels = []
    for row in tables.get("hinh_thuc_nop", []):
        name = clean(row.get("hinh_thuc"))
        if name not in CHANNELS:
            continue
        value, unit = parse_time(clean(row.get("thoi_han_giai_quyet")))
        fee_text, fee_vnd = _bqp_fee(row.get("phi_le_phi") or "")
        time_text = clean(row.get("thoi_han_giai_quyet"))
        note = clean(row.get("mo_ta"))
        if value is None and time_text and time_text != "Không quy định":
            note = f"{time_text}. {note}".strip(" .") if note else time_text
        channels.append(
            {
                "channel": CHANNELS[name],
                "time_value": value,
                "time_unit": unit,
                "fee_text": fee_text,
                "fee_vnd": fee_vnd,
                "note": note,
            }
        )
    legal = []
    for row in tables.get("can_cu_phap_ly", []):
        title = clean(row.get("trich_yeu"))
        number_text = clean(row.get("so_ky_hieu"))
        number = _find_number(number_text) or _find_number(title) or number_text
        legal.append({"number": number, "title": title or number})
    code = clean(meta.get("mã_thủ_tục") or raw.get("thu_tuc_id"))
    decision = re.sub(r"^Quyết định số\s*", "", clean(meta.get("số_quyết_định")))
    return _record(
        code=code,
        name=clean(meta.get("tên_thủ_tục")),
        level=clean(meta.get("cấp_thực_hiện")),
        field=clean(meta.get("lĩnh_vực")),
        kind=clean(meta.get("loại_thủ_tục")),
        decision=re.sub(r"\s+/", "/", decision),
        applicants=clean(content.get("đối_tượng_thực_hiện")),
        implementing_agency=clean(content.get("cơ_quan_thực_hiện")),
        competent_agency=clean(content.get("cơ_quan_có_thẩm_quyền")),
        steps_text=clean(content.get("trình_tự_thực_hiện")),
        conditions_text=clean(content.get("yêu_cầu_điều_kiện_thực_hiện")),
        result_text=clean(content.get("kết_quả_thực_hiện")),
        legal_basis=legal,
        channels=channels,
        documents=_bqp_documents(tables.get("thanh_phan_ho_so", [])),
        document_notes=[],
        source=SOURCE_BQP,
        source_url="",
    )


# --- whole sources -----------------------------------------------------------------------------------------------

DICHVUCONG_FILE = Path("tthc_dichvucong_6_agencies") / "procedures.jsonl"
BQP_FILE = Path("tthc_bqp_structured") / "procedures.jsonl"


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def read_sources(source_dir: Path) -> list[dict[str, Any]]:
    """Every procedure of both shared sources, normalised and sorted by code (the first source wins a clash)."""
    records: dict[str, dict[str, Any]] = {}
    for path, normalise in ((DICHVUCONG_FILE, normalise_dichvucong), (BQP_FILE, normalise_bqp)):
        full = Path(source_dir) / path
        if not full.exists():
            raise FileNotFoundError(f"Không tìm thấy dữ liệu nguồn {full}")
        for raw in _jsonl(full):
            record = normalise(raw)
            records.setdefault(record["code"], record)
    return [records[code] for code in sorted(records)]


def coverage(records: list[dict[str, Any]]) -> dict[str, int]:
    """How much the parsers recovered: the figures quoted in docs/catalog.md."""
    return {
        "procedures": len(records),
        "with_documents": sum(1 for r in records if r["documents"]),
        "with_time": sum(1 for r in records if r["time_value"] is not None),
        "with_fee_known": sum(1 for r in records if r["fee_rule"]["kind"] in ("free", "fixed")),
        "fee_free": sum(1 for r in records if r["fee_rule"]["kind"] == "free"),
        "fee_fixed": sum(1 for r in records if r["fee_rule"]["kind"] == "fixed"),
        "with_channels": sum(1 for r in records if r["channels"]),
        "with_legal_basis": sum(1 for r in records if r["legal_basis"]),
        "documents": sum(len(r["documents"]) for r in records),
        "documents_with_form": sum(1 for r in records for d in r["documents"] if d["form"]),
        "legal_references": sum(len(r["legal_basis"]) for r in records),
    }


if __name__ == "__main__":  # pragma: no cover - a quick look while tuning the parsers
    print(json.dumps(coverage(read_sources(Path(sys.argv[1]))), indent=2))
