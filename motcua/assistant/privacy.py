"""What never reaches the question log (nor an outside language model): personal ID numbers, phone numbers,
e-mail addresses. Pure Python."""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# 12-digit personal ID (CCCD / số định danh cá nhân), also written in groups: "0221 9200 4567".
PERSONAL_ID = re.compile(r"(?<![\w/])\d(?:[ .-]?\d){11}(?![\w/])")
# Vietnamese phone numbers: 0 or +84/84, then 9 or 10 digits, with optional spaces, dots or dashes.
PHONE = re.compile(r"(?<![\w/])(?:\+84|84|0)(?:[ .-]?\d){8,10}(?![\w/])")
# The old 9-digit identity card number (CMND).
OLD_ID = re.compile(r"(?<![\w/.,])\d{9}(?![\w/])")

ID_MARK = "[số định danh]"
PHONE_MARK = "[số điện thoại]"
EMAIL_MARK = "[thư điện tử]"


def scrub(text: str, *, marks: bool = True) -> str:
    """The text with e-mail addresses, personal ID numbers and phone numbers replaced by a neutral mark (or by
    nothing, marks=False: what the answering itself reads)."""
    id_mark, phone_mark, email_mark = (ID_MARK, PHONE_MARK, EMAIL_MARK) if marks else (" ", " ", " ")
    text = EMAIL.sub(email_mark, text or "")
    text = PERSONAL_ID.sub(id_mark, text)
    text = PHONE.sub(phone_mark, text)
    return OLD_ID.sub(id_mark, text)
