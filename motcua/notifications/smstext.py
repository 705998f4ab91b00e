"""SMS text rules, pure Python (no Django), shared by the SMS adapter and the gateway simulator.

A segment holds 160 GSM-7 characters (153 when the message is split) or, as soon as one character is outside the
GSM-7 alphabet — every Vietnamese letter with a diacritic (ă, ê, ơ, ư, đ and the tone marks) — 70 UCS-2 code
units (67 when split). "Thông báo" is UCS-2; "Thong bao" is GSM-7. Gateways bill per segment.
"""

from __future__ import annotations

import hashlib
import hmac

# GSM 03.38 basic character set, and the extension table (each costs two septets).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def segments(text: str) -> int:
    """How many SMS segments `text` costs (0 for an empty text)."""
    if not text:
        return 0
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
    return 1 if units <= single else -(-units // part)


def normalise_phone(phone: str) -> str | None:
    """A Vietnamese mobile number in international form without '+' ('0912000002' → '84912000002'), or None."""
    digits = "".join(ch for ch in str(phone or "") if ch.isdigit())  # '+84 912…', '0912.000.002'
    if digits.startswith("0") and len(digits) == 10:
        digits = "84" + digits[1:]
    if digits.startswith("84") and len(digits) == 11 and digits[2] in "35789":
        return digits
    return None


def sign_body(secret: str, body: bytes) -> str:
    """The delivery-report signature: hex HMAC-SHA256 of the exact body bytes with the account's API key."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
