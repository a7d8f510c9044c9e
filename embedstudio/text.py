"""Numbers in sentences for a person: a count with its noun in the right number ("1 type", "32
dimensions"), thousands separated, and round figures for ranges ("1,200", not "1.23e+03")."""

from __future__ import annotations

import math

_SIBILANT_ENDS = ("s", "x", "z", "ch", "sh")


def plural(noun: str) -> str:
    """English plural of a noun or of a phrase's last word: type -> types, entity -> entities, class -> classes,
    match -> matches, neutral word -> neutral words."""
    if noun.endswith("y") and len(noun) > 1 and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(_SIBILANT_ENDS):
        return noun + "es"
    return noun + "s"


def count(n: int, noun: str, plural_form: str | None = None) -> str:
    """'1 type', '2 types', '11,754 words', '0 matches'; ``plural_form`` for irregular nouns."""
    return f"{n:,} {noun if n == 1 else plural_form or plural(noun)}"


def round_figures(x: float, digits: int = 2) -> float:
    """``x`` rounded to ``digits`` significant figures: 8.375 -> 8.4, 23,456 -> 23,000, 0.1234 -> 0.12."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def number_text(x: float) -> str:
    """A number as a person reads it: whole numbers with thousands separators ('12,000'), others with at
    most three significant figures ('0.25', '3.14'), never in exponent form below a billion."""
    if math.isfinite(x) and x == round(x) and abs(x) < 1e15:
        return f"{int(round(x)):,}"
    if x != 0 and math.isfinite(x) and (abs(x) >= 1e9 or abs(x) < 1e-4):
        return f"{x:.3g}"
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"
