"""The assistant's own English catalogue (motcua/assistant/locale/en): complete, reviewed, placeholders kept, and
the committed .mo compiled from the .po."""

from __future__ import annotations

import gettext
from pathlib import Path

from motcua.core.tests.test_i18n import PLACEHOLDER, parse_po

CATALOGUE = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES"


def test_every_message_is_translated_with_its_placeholders():
    entries = [e for e in parse_po(CATALOGUE / "django.po") if e.msgid]
    assert len(entries) > 150
    assert [e.msgid for e in entries if not e.msgstr.strip() or "fuzzy" in e.flags] == []
    assert [e.msgid for e in entries if set(PLACEHOLDER.findall(e.msgstr)) != set(PLACEHOLDER.findall(e.msgid))] == []


def test_the_compiled_catalogue_matches_the_po():
    with (CATALOGUE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    expected = {e.msgid: e.msgstr for e in parse_po(CATALOGUE / "django.po") if e.msgid}
    assert {k: v for k, v in compiled.items() if k} == expected
