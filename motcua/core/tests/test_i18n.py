"""The English catalogue: complete, compiled, and actually used by the portal (the API stays Vietnamese-first)."""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

CATALOGUE_DIR = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PO_PATH = CATALOGUE_DIR / "django.po"
MO_PATH = CATALOGUE_DIR / "django.mo"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        """The key GNU gettext uses in a .mo file: context and id joined by EOT."""
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    @property
    def translations(self) -> list[str]:
        return [self.msgstr_plural[i] for i in sorted(self.msgstr_plural)] if self.msgid_plural else [self.msgstr]


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader (no third-party dependency): entries with flags, context, plurals. Skips obsolete '#~'."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int | None] | None = None
    seen_id = False

    def finish() -> None:
        nonlocal current, target, seen_id
        if seen_id:
            entries.append(current)
        current, target, seen_id = Entry(), None, False

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if seen_id:
                finish()
            current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            if seen_id:
                finish()
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):  # continuation of the previous string
            assert target is not None, f"{path.name}:{number}: continuation line without a keyword"
            text = ast.literal_eval(line)
        else:
            text = ast.literal_eval(rest)
            if keyword == "msgctxt" and seen_id:
                finish()
            plural = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            target = ("msgstr_plural", int(plural.group(1))) if plural else (keyword, None)
            if keyword == "msgid":
                seen_id, current.line = True, number
        name, index = target
        if name == "msgstr_plural":
            current.msgstr_plural[index] = current.msgstr_plural.get(index, "") + text
        elif name in ("msgid", "msgid_plural", "msgctxt", "msgstr"):
            setattr(current, name, (getattr(current, name) or "") + text)
        else:
            raise AssertionError(f"{path.name}:{number}: unexpected keyword {keyword!r}")
    finish()
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    return parse_po(PO_PATH)


@pytest.fixture(autouse=True)
def _restore_active_language():
    """LocaleMiddleware activates the request's language on this thread; don't leak English into other tests."""
    previous = translation.get_language()
    yield
    if previous:
        translation.activate(previous)
    else:
        translation.deactivate()


# --- (a) the catalogue is complete ---------------------------------------------------------------------


def test_po_header_declares_english_utf8_and_two_plural_forms(po_entries):
    # given the header entry (empty msgid) of the English catalogue
    header = next(e for e in po_entries if e.msgid == "")
    # then it is a reviewed English, UTF-8 catalogue with English plural rules
    assert "fuzzy" not in header.flags
    assert "Language: en\n" in header.msgstr
    assert "charset=UTF-8" in header.msgstr
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr


def test_every_message_is_translated_and_none_is_fuzzy(po_entries):
    # given every message of the English catalogue
    messages = [e for e in po_entries if e.msgid]
    assert len(messages) > 300, "the catalogue looks truncated"
    # when we look for missing, partial or unreviewed translations
    untranslated = [e.msgid for e in messages if not all(t.strip() for t in e.translations)]
    wrong_plurals = [e.msgid for e in messages if e.msgid_plural and sorted(e.msgstr_plural) != [0, 1]]
    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    # then there are none
    assert untranslated == []
    assert wrong_plurals == []
    assert fuzzy == []


def test_translations_keep_the_placeholders_of_the_source(po_entries):
    # given messages with %(name)s placeholders
    # when the placeholders of each translation are compared with those of the Vietnamese source
    mismatched = [
        (e.msgid, t)
        for e in po_entries
        if e.msgid
        for t in e.translations
        if set(PLACEHOLDER.findall(t)) != set(PLACEHOLDER.findall(e.msgid + (e.msgid_plural or "")))
    ]
    # then every translation uses exactly the same names
    assert mismatched == []


# --- (b) the committed .mo matches the .po -------------------------------------------------------------


def test_compiled_catalogue_matches_the_po(po_entries):
    # given the committed .mo, read the way Django reads it
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog = compiled._catalog  # CPython's parsed .mo: {msgid: str, (msgid, n): str}
    # when it is compared with the .po, message by message
    expected: dict[object, str] = {}
    for e in po_entries:
        if not e.msgid:
            continue
        if e.msgid_plural:
            expected.update({(e.key, i): text for i, text in e.msgstr_plural.items()})
        else:
            expected[e.key] = e.msgstr
    actual = {k: v for k, v in catalog.items() if k != ""}
    # then it holds exactly the same messages and translations (run compilemessages if not)
    assert set(actual) == set(expected), "django.mo is stale: run `manage.py compilemessages -l en`"
    assert actual == expected, "django.mo is stale: run `manage.py compilemessages -l en`"
    assert compiled.info().get("language") == "en"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is not installed")
def test_po_passes_msgfmt_format_checks(tmp_path):
    # given GNU msgfmt, the tool compilemessages uses
    # when the .po is compiled with header and format checks
    result = subprocess.run(  # noqa: S603
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(PO_PATH)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    # then it compiles cleanly
    assert result.returncode == 0, result.stderr


# --- (c) the portal speaks English when asked ----------------------------------------------------------


def _html_lang(html: str) -> str | None:
    match = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", html)
    return match.group(1) if match else None


def test_home_page_is_vietnamese_by_default(client, db):
    # given a browser that states no language preference
    # when it opens the portal home page
    response = client.get("/")
    html = response.content.decode()
    # then the page is in Vietnamese and says so
    assert response.status_code == 200
    assert _html_lang(html) == "vi"
    assert "Thực hiện thủ tục hành chính trực tuyến" in html
    assert "Tìm thủ tục hành chính" in html


def test_browser_language_alone_does_not_switch_to_english(client, db):
    # given a phone set to English, as many Vietnamese citizens' phones are
    # when it opens the portal home page
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    html = response.content.decode()
    # then the public service stays Vietnamese until the visitor picks English with the switch
    assert response.status_code == 200
    assert _html_lang(html) == "vi"
    assert "Tìm thủ tục hành chính" in html


def test_language_switch_sets_english_for_the_next_pages(client, db):
    # given a visitor on the Vietnamese portal
    assert _html_lang(client.get("/").content.decode()) == "vi"
    # when they choose English with the footer language switch
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert switched.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    # then the following pages are English
    html = client.get("/").content.decode()
    assert _html_lang(html) == "en"
    assert "Carry out administrative procedures online" in html
    assert '<option value="en" selected>' in html
    # and switching back restores Vietnamese
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    html = client.get("/").content.decode()
    assert _html_lang(html) == "vi"
    assert "Thực hiện thủ tục hành chính trực tuyến" in html


# --- (d) the API contract stays Vietnamese-first -------------------------------------------------------


@pytest.mark.parametrize("accept_language", [None, "en"])
def test_api_problem_detail_stays_vietnamese(client, db, accept_language):
    # given an API client, with or without an English preference
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    # when it asks for a procedure that does not exist
    response = client.get("/api/v1/procedures/9.999999", **headers)
    # then the RFC 9457 problem is written in Vietnamese, as documented
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == "Không tìm thấy"
    assert body["detail"].startswith("Không tìm thấy thủ tục")
    assert "9.999999" in body["detail"]
