"""Vietnamese text helpers: Unicode normalisation and diacritics folding for accent-insensitive search."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Compose characters (NFC): the portal mixes composed and decomposed Vietnamese."""
    return unicodedata.normalize("NFC", text)


def strip_diacritics(text: str) -> str:
    """'Hồ sơ Đã tiếp nhận' → 'Ho so Da tiep nhan' (case kept), for SMS gateways and payment gateways."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped)


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d) and collapse spaces: 'Đăng ký khai sinh' → 'dang ky khai sinh'."""
    return _SPACES.sub(" ", strip_diacritics(text.lower())).strip()
