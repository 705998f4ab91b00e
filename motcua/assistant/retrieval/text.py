"""Vietnamese text for retrieval: NFC, one tone-mark placement, lower case, diacritics folding, tokens.

Every field of the index and every query go through the same functions, so 'hoà' and 'hòa', 'thuỷ' and 'thủy',
composed and decomposed input all meet on one form. `fold` (no diacritics, đ → d) feeds the diacritics-free field
that answers queries typed without accents. `segment` joins Vietnamese compound words with pyvi ('ma_túy').
"""

from __future__ import annotations

import csv
import itertools
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from motcua.core.text import strip_diacritics

DATA_DIR = Path(__file__).resolve().parent / "data"

_WORD = re.compile(r"\w+")
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng
_VOWELS = frozenset("aăâeêioôơuưy")
_MODIFIED = frozenset("ăâêôơư")
_SECOND_VOWEL_PAIRS = frozenset({"oa", "oe", "uy"})  # the pairs whose tone moved: hòa → hoà, thủy → thuỷ


def _tone_position(base: str) -> int | None:
    """Where the tone goes in a toneless lower-case syllable, by the 'new' rule (hoà, thuỷ, khoẻ)."""
    idx = [i for i, ch in enumerate(base) if ch in _VOWELS]
    if not idx:
        return None
    if len(idx) > 1 and idx[0] == 1 and base[:2] in ("qu", "gi"):  # the u of qu-, the i of gi- are consonantal
        idx = idx[1:]
    modified = [i for i in idx if base[i] in _MODIFIED]
    if modified:
        return modified[-1]  # ươ → ơ, iê → ê, uô → ô
    if len(idx) == 1:
        return idx[0]
    if idx[-1] != len(base) - 1:  # a final consonant: the last vowel (hoàng, quyết)
        return idx[-1]
    if len(idx) == 2:
        return idx[1] if base[idx[0]] + base[idx[1]] in _SECOND_VOWEL_PAIRS else idx[0]
    return idx[1]  # three vowels: the middle one (hoài, khuỷu)


@lru_cache(maxsize=200_000)
def unify_syllable(word: str) -> str:
    """One lower-case word with its tone mark on the vowel the new rule picks; words without a tone unchanged."""
    decomposed = unicodedata.normalize("NFD", word)
    tone = None
    kept = []
    for ch in decomposed:
        if ch in _TONES:
            tone = ch
        else:
            kept.append(ch)
    if tone is None:
        return unicodedata.normalize("NFC", word)
    base = unicodedata.normalize("NFC", "".join(kept))
    pos = _tone_position(base)
    if pos is None:
        return unicodedata.normalize("NFC", word)
    return unicodedata.normalize("NFC", base[: pos + 1] + tone + base[pos + 1 :])


def normalize(text: str) -> str:
    """NFC, lower case, the tone marks of every word in one place: 'Hòa giải THỦY lợi' → 'hoà giải thuỷ lợi'."""
    text = unicodedata.normalize("NFC", text).lower()
    return _WORD.sub(lambda m: unify_syllable(m.group(0)), text)


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> str:
    return strip_diacritics(word)


def fold(text: str) -> str:
    """Normalised text without diacritics (đ → d): 'Hoà giải' → 'hoa giai'."""
    return _WORD.sub(lambda m: _fold_word(m.group(0)), normalize(text))


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese letter beyond ASCII (a tone, a hat, a horn, đ)."""
    return any(ord(ch) > 127 and ch.isalpha() for ch in text)


def tokens(text: str) -> list[str]:
    """Syllable tokens of normalised text (numbers kept: '100/2019/NĐ-CP' → 100, 2019, nđ, cp)."""
    return _WORD.findall(normalize(text))


def folded_tokens(text: str) -> list[str]:
    """Syllable tokens without diacritics."""
    return [_fold_word(t) for t in tokens(text)]


def bigrams(toks: list[str]) -> list[str]:
    """Adjacent pairs 'a b' → 'a_b': a cheap stand-in for compound words that also works without diacritics."""
    return [f"{a}_{b}" for a, b in itertools.pairwise(toks)]


def trigrams(toks: list[str]) -> list[str]:
    """Runs of three syllables 'a_b_c'."""
    return [f"{a}_{b}_{c}" for a, b, c in zip(toks, toks[1:], toks[2:], strict=False)]


_SEGMENTER = None


def segment(text: str) -> list[str]:
    """Word tokens by pyvi (compound words joined by '_'), normalised; punctuation dropped."""
    global _SEGMENTER
    if _SEGMENTER is None:
        from pyvi import ViTokenizer

        _SEGMENTER = ViTokenizer
    segmented = _SEGMENTER.tokenize(unicodedata.normalize("NFC", text))
    out = []
    for word in segmented.split():
        parts = _WORD.findall(normalize(word.replace("_", " ")))
        if parts:
            out.append("_".join(parts))
    return out


# --- abbreviations and legal synonyms ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def abbreviations() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The shipped table as (single words by folded key, phrases by normalised key, phrases by folded key)."""
    words: dict[str, str] = {}
    phrases: dict[str, str] = {}
    folded_phrases: dict[str, str] = {}
    with (DATA_DIR / "abbreviations.tsv").open(encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if not row or row[0].startswith("#") or len(row) < 2:
                continue
            key, expansion = row[0].strip(), normalize(row[1].strip())
            if " " in key:
                phrases[" ".join(tokens(key))] = expansion
                folded_phrases[" ".join(folded_tokens(key))] = expansion
            else:
                words[fold(key).replace(" ", "")] = expansion
    return words, phrases, folded_phrases


def expansions(text: str) -> list[str]:
    """The expansions of the abbreviations and synonyms found in the text, in order, each once.

    'cấp CCCD cho NLĐ' → ['căn cước công dân', 'người lao động']. Abbreviations match whole words, case- and
    diacritics-insensitive ('BLLĐ', 'blld'); phrases match on the accented words, or on the folded words when the
    text has no diacritics at all ('so do' is 'sổ đỏ' only then, never 'sơ đồ').
    """
    words, phrases, folded_phrases = abbreviations()
    found: list[str] = []
    toks = tokens(text)
    for tok in toks:
        expansion = words.get(_fold_word(tok))
        if expansion and expansion not in found:
            found.append(expansion)
    table, seq = (phrases, toks) if has_diacritics(text) else (folded_phrases, [_fold_word(t) for t in toks])
    joined = f" {' '.join(seq)} "
    for key, expansion in table.items():
        if f" {key} " in joined and expansion not in found:
            found.append(expansion)
    return found


def expand_abbreviations(text: str) -> str:
    """The normalised text followed by the expansions it calls for: 'cấp CCCD' → 'cấp cccd căn cước công dân'."""
    extra = expansions(text)
    norm = normalize(text)
    return f"{norm} {' '.join(extra)}" if extra else norm
