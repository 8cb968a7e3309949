"""Whole numbers from what people send: form fields, query strings, command-line options.

Python reads far more as a number than anyone types into a form. ``str.isdigit()`` is true
for "²" and "①", which ``int()`` then refuses (an uncaught ``ValueError`` is a 500), and
``int()`` itself takes " 12", "+1", "1_000" and digits of other scripts such as "١٢". Every
number the service is sent goes through :func:`whole_number` (strict: ASCII digits only, a
bounded length) or :func:`typed_number` (the same after allowing what people type into a
form: spaces around it and commas between thousands, "1,250"). Both return None for anything
else, so the caller decides what to say.
"""

from __future__ import annotations

import re

#: The default longest number (nine digits: below a billion, far above any count we take).
MAX_DIGITS = 9

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
# "1,250", "12,500,000": one to three digits, then groups of exactly three.
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+", re.ASCII)
# What may surround a typed number: ASCII spaces and tabs only (a form field has no newlines).
_AROUND = " \t"


def whole_number(
    text: str | None, *, max_digits: int = MAX_DIGITS, signed: bool = False
) -> int | None:
    """The number ``text`` spells in ASCII digits (at most ``max_digits`` of them), or None.

    Nothing else is allowed: no spaces, no "+", no underscores, no other scripts' digits, no
    exponent. With ``signed``, one leading "-" (or "+") is allowed too.
    """
    if text is None:
        return None
    sign = 1
    if signed and text[:1] in ("-", "+"):
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if not 0 < len(text) <= max_digits or not _DIGITS.fullmatch(text):
        return None
    return sign * int(text)


def typed_number(
    text: str | None, *, max_digits: int = MAX_DIGITS, signed: bool = False
) -> int | None:
    """A number as a person types it into a form: like :func:`whole_number`, but spaces and
    tabs around it are ignored and commas may group thousands ("1,250"); ``max_digits``
    counts the digits only."""
    if text is None:
        return None
    compact = text.strip(_AROUND)
    sign = ""
    if signed and compact[:1] in ("-", "+"):
        sign, compact = compact[0], compact[1:]
    if "," in compact:
        if not _GROUPED.fullmatch(compact):
            return None
        compact = compact.replace(",", "")
    return whole_number(sign + compact, max_digits=max_digits, signed=signed)
