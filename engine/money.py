"""Money said in calls: amounts, currencies and rates, and numbers spelled out in words.

``find_money(text)`` returns every amount of money in a sentence; ``words_to_number(text)``
reads a spelled-out (or digit) number. Both are deterministic regex-and-table code, fast
enough to run on every sentence of a long transcript.

What counts as money
--------------------
- **A currency symbol or ISO code** with a number: ``$12k``, ``$1.2M``, ``€25``, ``£300``,
  ``25€``, ``USD 500``, ``12.50 EUR``, ``C$40`` (CAD), ``A$40`` (AUD), ``Rs. 500`` (INR).
- **A number followed by a currency word**: ``25 euros``, ``twenty five Euro``,
  ``1.2 million dollars``, ``fifty bucks`` (USD), ``fifteen quid`` (GBP), ``3 francs`` (CHF),
  ``1000 yen``, ``500 rupees``. A plain ``$``, ``dollars`` or ``bucks`` is USD unless a
  country is said (``canadian dollars`` CAD, ``C$``); ``francs`` are CHF.
- **Pounds** are GBP except as a weight: not when followed by ``of`` or a weight word
  (``300 pounds of steel``, ``five pounds heavier``) or preceded by ``weigh(s)``, ``lose``,
  ``gain``, ``lift`` and the like.
- **Grand** is ×1000 with no currency (``10 grand`` → 10000, currency None): British and
  American speakers both say it. **Cents** alone are 1/100 of no named currency (``16
  cents per share`` → 0.16); ``euro cents`` are EUR; **pence** are GBP.
- **A figure after a price word** (``budget``, ``price``, ``cost``, ``fee``, ``pay``,
  ``spend``, ``charge``, ``quote``, ``worth``), with at most three filler words between
  (``the budget is around 50k``, ``selling price of twenty five``): money with currency None.
  The figure must end the clause or be followed by a rate or joining word (``per``, ``a``,
  ``and``, ``for``…), so ``cost 3 times more`` or ``pay 2 people`` are not money; nor is a
  bare year (1900–2100), a percentage or a lone ``half`` (``pay half per remote``).
- **Not money**: bare numbers (``1,200``, ``page 12``, ``in 2026``, ``three people``) and
  percentages (``2.5 percent``, ``fifty per cent``).

Where money is already the topic (a turn the classifier found about budget),
``find_figures(text)`` also reads **bare figures**: a number that ends a clause or leads into
a rate or a joining word, as after a price word above (``a hundred and forty-five thousand
for the year``, ``fifty-six a truck``, ``eighty-one thousand three hundred.``), with
currency None. A range takes the high end's scale, with a comma too (``fifty, sixty
thousand a year`` → 50000 and 60000). Never a count (``forty users``), a percentage, a year,
a time or date (``at two``), a figure under 10 without a rate, nor two numbers spoken side
by side (``fourteen fifty``: 14.50 or 1,450 — not a guess). ``main_currency(texts)`` is
the currency a call names most often (the first named on a tie), for the amounts said
without one. ``in_thousands(amount, earlier)`` reads a figure said in shorthand ("a hundred
and thirty" for 130,000) by the amounts said before it in the call.

How amounts are read
--------------------
- Digits: ``1,200`` (comma thousands), ``12.50``, ``.5``; suffixes ``k`` ×10³, ``m``/``mm``/
  ``mn`` ×10⁶, ``b``/``bn`` ×10⁹ (``$12k``, ``$1.2M``); scale words ``thousand``, ``million``,
  ``billion``, ``trillion``, ``lakh``, ``crore`` (``1.2 million``). European ``1.200,50`` is
  not read.
- Words (``words_to_number``): ``a hundred and fifty thousand``, ``twelve point five``,
  ``point two`` (0.2), ``twelve and a half``, ``half a million``, ``nineteen hundred``.
- Price speech (money only): two spoken numbers that do not combine into one are euros and
  cents, ``twelve fifty euros`` = 12.50, ``nineteen ninety nine`` = 19.99 — when the second
  is 10–99 and not the first plus one. Consecutive numbers are a spoken list, so
  ``sixteen seventeen eighteen pounds`` is not 16.17 or 17.18 but the last number that
  stands on its own before the currency: 18 GBP. ``twelve euros fifty`` and ``two euros and
  thirty cents`` add the minor unit (12.50, 2.30).
- ``a``/``one``/``half a`` before a singular currency word: ``a dollar`` 1, ``half a euro``
  0.5; ``point five of a euro`` 0.5.
- **Ranges** (``$10-15k``, ``10 to 15 thousand dollars``, ``thirty five to fifty euros``,
  ``200 to $215 million``, ``thirty-five, forty grand``, ``between four and six dollars``,
  ``between a hundred and eighty and two hundred and fifty thousand euros``) give two
  Money, low then high, sharing the range's text, span, currency and rate. The low end
  takes the high end's scale when it has none and is not larger than the high end's
  figure: ``$10-15k`` → 10000 and 15000, but ``$500-2k`` → 500
  and 2000. A "range" whose low end is the larger (``2025-$300``, ``in 2019, 500
  dollars``) is only its second part.

Rates (``per``)
---------------
Read after the amount: ``per X``, ``/X``, ``a|an X`` for time and seat-like units (month,
year, week, day, hour, user, seat, license, person, head, unit), ``each``/``apiece``/``a
pop`` (→ ``unit``) and ``monthly``/``annually``/``yearly``/``weekly``/``daily``/``hourly``.
Several join with ``/`` in the order said: ``$40 per seat per month`` → ``seat/month``.
Abbreviations normalize (``mo`` → month, ``yr``/``annum`` → year, ``hr`` → hour, ``piece``
→ unit, ``licence`` → license, the plurals of the units above → singular); other words
are kept as said (``per remote`` → ``remote``). The rate is part of the Money's text and
span.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from engine.word_regex import word_alternation

__all__ = [
    "Money",
    "find_figures",
    "find_money",
    "in_currency",
    "in_thousands",
    "main_currency",
    "most_named_currency",
    "words_to_number",
]


@dataclass(frozen=True)
class Money:
    """An amount of money said in a text."""

    amount: float
    currency: str | None
    """ISO 4217 code (USD, EUR, GBP, JPY, INR, CAD, AUD, CHF…); None when none was said."""
    text: str
    """The words as said, from the amount or symbol to the currency and rate."""
    start: int
    end: int
    """Character offsets of ``text`` in the input."""
    per: str | None = None
    """The rate unit, ``unit``, ``user``, ``seat``, ``month``, ``seat/month``…; None if none."""


# --------------------------------------------------------------------------- number words

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {
    "thousand": 10**3,
    "lakh": 10**5,
    "lakhs": 10**5,
    "million": 10**6,
    "crore": 10**7,
    "crores": 10**7,
    "billion": 10**9,
    "trillion": 10**12,
}
_SUFFIX_SCALES = {"k": 10**3, "m": 10**6, "mm": 10**6, "mn": 10**6, "b": 10**9, "bn": 10**9}

_DIGITS = re.compile(
    r"(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?P<suf>k|mm|mn|m|bn|b)?", re.I
)
_TOKEN = re.compile(r"[^\s\-–]+")


def _tokens(text: str) -> list[tuple[str, int]]:
    """Lower-cased word tokens of a number phrase with their offsets; hyphens split."""
    out: list[tuple[str, int]] = []
    for m in _TOKEN.finditer(text):
        tok = m.group(0).lower().rstrip(",;:!?")
        if tok.endswith(".") and not _DIGITS.fullmatch(tok):
            tok = tok.rstrip(".")
        if tok:
            out.append((tok, m.start()))
    return out


def _digits_value(tok: str) -> tuple[Decimal, bool] | None:
    """A digit token's value, and whether it carried a scale suffix (``12k``)."""
    m = _DIGITS.fullmatch(tok)
    if m is None:
        return None
    value = Decimal(m.group("num").replace(",", ""))
    suffix = m.group("suf")
    if suffix:
        return value * _SUFFIX_SCALES[suffix.lower()], True
    return value, False


def _fraction_digits(toks: list[str], i: int) -> tuple[str, int] | None:
    """The digits spoken after ``point`` from ``toks[i]``: ``five`` → "5", ``two five`` →
    "25", ``twenty five`` → "25", ``oh five`` → "05"; and the index after them."""
    digits = ""
    j = i
    while j < len(toks) and (toks[j] in _UNITS or toks[j] == "oh"):
        digits += str(_UNITS.get(toks[j], 0))
        j += 1
    if digits:
        return digits, j
    if j < len(toks) and toks[j] in _TEENS:
        return str(_TEENS[toks[j]]), j + 1
    if j < len(toks) and toks[j] in _TENS:
        value = _TENS[toks[j]]
        j += 1
        if j < len(toks) and toks[j] in _UNITS and toks[j] != "zero":
            value += _UNITS[toks[j]]
            j += 1
        return str(value), j
    return None


def _parse_number(toks: list[str]) -> Decimal | None:
    """A cardinal number from its tokens, or None when they are not one number.

    A left-to-right reading with the usual grammar: ``units`` after ``tens``, any small
    number after ``hundred`` or a scale word, scales in falling order, ``and`` only after
    ``hundred`` or a scale (or in ``and a half``), ``point`` followed by digit words. Two
    numbers side by side (``twelve fifty``, ``sixteen seventeen``) are not one number.
    """
    if not toks:
        return None
    total = Decimal(0)
    cur = Decimal(0)
    last: str | None = None  # the class of the previous token
    last_scale: int | None = None
    has_fraction = False
    i = 0
    n = len(toks)
    while i < n:
        tok = toks[i]
        digits = _digits_value(tok)
        if digits is not None:
            if last is not None:
                return None
            cur, scaled = digits
            has_fraction = cur != cur.to_integral_value()
            last = "scale" if scaled else "digits"
            if scaled:
                last_scale = 10**3 if cur < 10**6 else 10**6
                total, cur = cur, Decimal(0)
                if i + 1 < n:
                    return None
        elif tok in ("a", "an"):
            # "a hundred", "a thousand", "a half", "half a million", "a couple", "a dozen"
            if last not in (None, "half-of"):
                return None
            nxt = toks[i + 1] if i + 1 < n else ""
            if nxt not in ("hundred", "half", "couple", "dozen") and nxt not in _SCALES:
                return None
            if last is None:
                cur = Decimal(1)
            last = "a"
        elif tok == "half":
            if last is None:
                cur = Decimal("0.5")
                last = "half-of" if i + 1 < n and toks[i + 1] in ("a", "an") else "half"
            elif last == "a" and cur == 1 and total == 0:
                cur = Decimal("0.5")
                last = "half"
            else:
                return None
        elif tok == "and":
            nxt = toks[i + 1] if i + 1 < n else ""
            if nxt in ("a", "half"):
                # "twelve and a half", "one and a half million", "twelve and half"
                j = i + 2 if nxt == "a" else i + 1
                if (
                    j >= n
                    or toks[j] != "half"
                    or last not in ("unit", "teen", "tens", "hundred", "scale", "digits")
                    or has_fraction
                ):
                    return None
                cur += Decimal("0.5")
                has_fraction = True
                last = "fraction"
                i = j + 1
                continue
            if last not in ("hundred", "scale"):
                return None
            last = "and"
        elif tok == "couple":
            if last not in (None, "a"):
                return None
            cur = Decimal(2)
            last = "couple"
        elif tok == "point":
            if has_fraction or last not in (None, "unit", "teen", "tens", "hundred", "digits"):
                return None
            read = _fraction_digits(toks, i + 1)
            if read is None:
                return None
            frac, i = read
            cur += Decimal("0." + frac)
            has_fraction = True
            last = "fraction"
            continue
        elif tok in _UNITS:
            if tok == "zero":
                if n != 1:
                    return None
            elif not (
                last in (None, "hundred", "scale", "and") or (last == "tens" and cur % 10 == 0)
            ):
                return None
            cur += _UNITS[tok]
            last = "unit"
        elif tok in _TEENS or tok in _TENS:
            if last not in (None, "hundred", "scale", "and"):
                return None
            cur += _TEENS.get(tok) or _TENS[tok]
            last = "teen" if tok in _TEENS else "tens"
        elif tok == "hundred":
            if last not in ("unit", "teen", "tens", "a", "couple", "digits") or cur >= 100:
                return None
            if has_fraction:
                return None
            cur *= 100
            last = "hundred"
        elif tok == "dozen":
            if last not in ("unit", "teen", "tens", "a", "couple") or has_fraction:
                return None
            cur *= 12
            last = "dozen"
        elif tok in _SCALES:
            scale = _SCALES[tok]
            ok_before = ("unit", "teen", "tens", "hundred", "a", "couple", "digits", "dozen")
            if last not in (*ok_before, "half", "fraction"):
                return None
            if last_scale is not None and scale >= last_scale:
                return None
            total += cur * scale
            cur = Decimal(0)
            last = "scale"
            last_scale = scale
            if has_fraction and i + 1 < n:
                return None  # "one point two million five" is not a number
        else:
            return None
        i += 1
    if last in (None, "and", "a", "half-of"):
        return None
    return total + cur


def words_to_number(text: str) -> float | None:
    """The number a phrase says, in words, digits or both; None when it says no one number.

    ``"twenty five"`` → 25, ``"a hundred and fifty thousand"`` → 150000, ``"twelve point
    five"`` → 12.5, ``"point two"`` → 0.2, ``"one and a half million"`` → 1500000,
    ``"1,200"`` → 1200, ``"1.2 million"`` → 1200000, ``"12k"`` → 12000. Not one number:
    ``"twelve fifty"`` or ``"sixteen seventeen eighteen"`` (two or three numbers spoken side
    by side), ``"a few"``, ``""``.
    """
    value = _parse_number([t for t, _ in _tokens(text)])
    return None if value is None else float(value)


def _price_speak(toks: list[str]) -> Decimal | None:
    """``twelve fifty`` → 12.50: two numbers, the first 1–99 and the second 10–99 but not
    the first plus one (``sixteen seventeen`` is a spoken list)."""
    for k in range(1, len(toks)):
        major = _parse_number(toks[:k])
        minor = _parse_number(toks[k:])
        if major is None or minor is None:
            continue
        if (
            major == major.to_integral_value()
            and 1 <= major <= 99
            and minor == minor.to_integral_value()
            and 10 <= minor <= 99
            and minor != major + 1
            and toks[k] not in ("a", "an", "point", "and")
        ):
            return major + minor / 100
    return None


_SPACED_SUFFIX = re.compile(r"(?<=\d)\s+(?=(?:k|mm|mn|m|bn|b)$)", re.I)


def _read_amount(phrase: str, *, price: bool) -> tuple[Decimal, int] | None:
    """The amount of a number phrase, and the offset in ``phrase`` where the number that was
    read begins (later than 0 when only the end of a spoken list is a number)."""
    toks = _tokens(_SPACED_SUFFIX.sub("", phrase))
    words = [t for t, _ in toks]
    value = _parse_number(words)
    if value is not None:
        return value, 0
    if price:
        value = _price_speak(words)
        if value is not None:
            return value, 0
    for k in range(1, len(words)):
        value = _parse_number(words[k:])
        if value is None and price:
            value = _price_speak(words[k:])
        if value is not None:
            return value, toks[k][1]
    return None


# --------------------------------------------------------------------------- patterns


_WORD = rf"(?:{word_alternation({**_UNITS, **_TEENS, **_TENS, **_SCALES})}|hundred|dozen)\b"
# A run of number words: "a hundred and fifty thousand", "twelve point five", "half a million".
_WRUN = (
    rf"(?:(?:an?|half|point)\s+)*(?:{_WORD}|half\b)"
    rf"(?:[\s-]+(?:(?:and|an?|point|oh)\s+)*(?:{_WORD}|half\b))*"
)
_DNUM = (
    r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s?(?:k|mm|mn|m|bn|b)\b)?"
    r"|(?<![\d.,])\.\d+"
)
_DNUM_SCALED = rf"(?:{_DNUM})(?:\s+(?:{word_alternation(_SCALES)}|hundred)\b)?"
_NUMBER = rf"(?:{_DNUM_SCALED}|\b{_WRUN})"

_CODES = {
    "USD": "USD",
    "EUR": "EUR",
    "GBP": "GBP",
    "JPY": "JPY",
    "INR": "INR",
    "CAD": "CAD",
    "AUD": "AUD",
    "CHF": "CHF",
    "CNY": "CNY",
    "RMB": "CNY",
    "NZD": "NZD",
    "SGD": "SGD",
    "HKD": "HKD",
    "SEK": "SEK",
    "NOK": "NOK",
    "DKK": "DKK",
    "MXN": "MXN",
    "BRL": "BRL",
    "ZAR": "ZAR",
    "PLN": "PLN",
}
_SYMBOLS = {
    "us$": "USD",
    "u.s.$": "USD",
    "c$": "CAD",
    "ca$": "CAD",
    "cad$": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "aud$": "AUD",
    "nz$": "NZD",
    "hk$": "HKD",
    "s$": "SGD",
    "r$": "BRL",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "rs.": "INR",
    "rs": "INR",
}
_SYMBOL = rf"(?<![a-z0-9])(?:{word_alternation(_SYMBOLS)})"
_CODE = rf"\b(?:{word_alternation(_CODES)})\b"
_COUNTRY_DOLLARS = {
    "us": "USD",
    "u.s.": "USD",
    "american": "USD",
    "canadian": "CAD",
    "australian": "AUD",
    "aussie": "AUD",
    "new zealand": "NZD",
    "singapore": "SGD",
    "hong kong": "HKD",
}
_CURRENCY_WORDS = {
    "dollar": "USD",
    "buck": "USD",
    "euro": "EUR",
    "pound": "GBP",
    "pound sterling": "GBP",
    "sterling": "GBP",
    "quid": "GBP",
    "yen": "JPY",
    "yuan": "CNY",
    "rupee": "INR",
    "franc": "CHF",
    "swiss franc": "CHF",
    "peso": "MXN",
    "pence": "GBP",
    "penny": "GBP",
    "cent": "",
    "euro cent": "EUR",
    "grand": "",
}
_CUR_WORD = (
    r"(?:(?P<country>us|u\.s\.|american|canadian|australian|aussie|new\s+zealand|singapore"
    r"|hong\s+kong)\s+)?(?P<cw>dollars?|bucks?)\b"
    r"|(?P<cw2>euro\s+cents?|euros?|pounds?(?:\s+sterling)?|sterling|quid|yen|yuan|rupees?|swiss\s+francs?"
    r"|francs?|pesos?|cents?|pence|grand)\b"
)
_SUBUNIT_SCALE = {"cent", "euro cent", "pence", "penny"}
_SINGULAR = r"(?:dollar|buck|euro|pound|quid|yen|rupee|franc|cent|penny)"

_CUES = (
    r"budget(?:ed|s)?|price[sd]?|pricing|costs?|costing|fees?|pay|paying|paid|spend|spending"
    r"|spent|charges?|charged|charging|quoted?|quoting|worth"
)
_FILLER = (
    r"(?:is|was|are|were|of|at|around|about|roughly|approximately|approx\.?|maybe|like|under"
    r"|below|over|above|up\s+to|be|will\s+be|would\s+be|should\s+be|to\s+be|target|set\s+at"
    r"|somewhere\s+around|in\s+the\s+region\s+of|just|only|less\s+than|more\s+than|max"
    r"|maximum|minimum|min|we're\s+looking\s+at|looking\s+at|you|us|them|it|me|him|her"
    r"|unit|per\s+unit|production|selling|list|total|annual|monthly|yearly|upfront)"
)
_RANGE_SEP = r"\s*(?:-|–|—|to|or)\s*"
# "between a hundred and eighty and two hundred and fifty thousand euros": the low end is
# all between "between" and the last "and" before the amount (a few words, no other
# "between": "between you and me, it's between 40 and 50 dollars").
_BETWEEN_BEFORE = re.compile(
    r"\bbetween\s+(?P<low>(?:(?!between\b)[^\s.?!;:]+\s+){0,7}?(?!between\b)[^\s.?!;:]+)"
    r"\s+and\s+$",
    re.I,
)
_BETWEEN_REACH = 120
"""How far before an amount (characters) its "between" is looked for."""

_MONEY = re.compile(
    rf"""
    (?P<p0>(?P<n0>{_DNUM_SCALED})\s*(?:-|–|—|to)\s*(?P<sym0>{_SYMBOL})\s?(?P<n0b>{_DNUM_SCALED}))
    |(?P<p1>(?P<sym>{_SYMBOL})\s?(?P<n1>{_DNUM_SCALED})
        (?:{_RANGE_SEP}(?:{_SYMBOL})?\s?(?P<n1b>{_DNUM_SCALED}))?
        (?:\s?(?P<code1>{_CODE}))?)
    |(?P<p2>(?P<code2>{_CODE})\s?(?P<n2>{_DNUM_SCALED})
        (?:{_RANGE_SEP}(?:{_CODE})?\s?(?P<n2b>{_DNUM_SCALED}))?)
    |(?P<p3>(?P<n3>{_NUMBER})(?:(?:{_RANGE_SEP}|,\s*)(?P<n3b>{_NUMBER}))?
        (?:\s+of\s+an?)?\s*
        (?:(?P<code3>{_CODE})|(?P<sym3>[€£$¥₹])|{_CUR_WORD}))
    |(?P<p4>\b(?P<art>half\s+an?|an?|one)\s+(?P<cw4>{_SINGULAR})\b)
    |(?P<p5>\b(?P<cue>{_CUES})\b(?:\s+{_FILLER}\b){{0,3}}\s+(?P<n5>{_NUMBER}))
    """,
    re.I | re.X,
)
# Speed: most sentences hold no currency sign and none of these words, and are skipped after
# one scan of their words.
_HINT_SIGNS = re.compile(r"[$€£¥₹]")
_HINT_WORDS = frozenset(
    {c.lower() for c in _CODES}
    | {"rs", "dollar", "dollars", "buck", "bucks", "euro", "euros", "pound", "pounds"}
    | {"sterling", "quid", "yen", "yuan", "rupee", "rupees", "franc", "francs", "peso"}
    | {"pesos", "cent", "cents", "pence", "penny", "grand", "budget", "budgeted", "budgets"}
    | {"price", "prices", "priced", "pricing", "cost", "costs", "costing", "fee", "fees"}
    | {"pay", "paying", "paid", "spend", "spending", "spent", "charge", "charges", "charged"}
    | {"charging", "quote", "quoted", "quoting", "worth"}
)
_WORDS = re.compile(r"[a-z]+")
# After a price word, the figure must end the clause or lead into a rate or a joining word:
# "cost 3 times more", "pay 2 people" are not amounts.
_CUE_FOLLOW = re.compile(
    r"\s*(?:$|[.,;:!?)\"”]|(?:per|a|an|each|for|and|or|but|so|then|which|that|max|maximum"
    r"|tops|total|upfront|flat|annually|monthly|yearly|weekly|daily|is|was|would|will|we|i"
    r"|you|they|if|because|plus|including|all|at|ish|right|now|range|mark|ballpark"
    r"|area|level|budget)\b)",
    re.I,
)
_PERCENT = re.compile(r"\s*(?:%|percent\b|per\s*cent\b|pc\b|percentage\b)", re.I)
_POUND_WEIGHT_AFTER = re.compile(
    r"\s*(?:of\b|in\s+weight\b|heavier\b|lighter\b|heavy\b|weight\b|per\s+square\b|lbs?\b)",
    re.I,
)
_POUND_WEIGHT_BEFORE = re.compile(
    r"\b(?:weigh|weighs|weighed|weighing|weight|lose|loses|lost|losing|gain|gains|gained"
    r"|gaining|lift|lifts|lifted|lifting|heavier|lighter|carry|carrying)\b(?:\s+\S+){0,2}\s*$",
    re.I,
)
# "twelve euros fifty", "two euros and thirty cents": the minor unit after a currency word.
_SUBUNIT_TAIL = re.compile(
    rf"(?:\s+and)?\s+(?P<minor>\d{{1,2}}\b|{_WRUN})(?P<unit>\s+(?:cents?|pence|p)\b)?"
    r"(?=\s*(?:$|[.,;:!?)]|(?:per|a|an|each|max|maximum|or|and|then|so|is|that|which|for|to"
    r"|tops|total)\b))",
    re.I,
)
_PER = re.compile(
    r"\s*(?:(?:/\s*|\bper\s+(?:per\s+)?|\bevery\s+|\beach\s+(?=(?:month|year|week|day|quarter)\b))"
    r"(?P<unit>(?!cent\b)[a-z]+)"
    r"|\ban?\s+(?P<known>months?|years?|weeks?|days?|hours?|users?|seats?|licen[cs]es?|persons?"
    r"|heads?|units?|pieces?)\b"
    r"|\b(?P<adv>monthly|annually|yearly|weekly|daily|hourly|apiece|each|a\s+pop)\b)",
    re.I,
)
_PER_ALIASES = {
    "mo": "month",
    "mth": "month",
    "months": "month",
    "yr": "year",
    "years": "year",
    "annum": "year",
    "hr": "hour",
    "hours": "hour",
    "wk": "week",
    "weeks": "week",
    "days": "day",
    "users": "user",
    "seats": "seat",
    "licence": "license",
    "licences": "license",
    "licenses": "license",
    "persons": "person",
    "heads": "head",
    "units": "unit",
    "piece": "unit",
    "pieces": "unit",
    "monthly": "month",
    "annually": "year",
    "yearly": "year",
    "weekly": "week",
    "daily": "day",
    "hourly": "hour",
    "apiece": "unit",
    "each": "unit",
    "a pop": "unit",
}
_PER_STOP = {"the", "a", "an", "that", "this", "it", "and", "or", "which", "per", "uh", "um"}
_PER_STOP |= {"er", "erm", "ah", "like", "you", "me", "us", "them"}


# --------------------------------------------------------------------------- finder


def find_money(text: str) -> list[Money]:
    """Every amount of money said in ``text``, in order (see the module's rules)."""
    if not _HINT_SIGNS.search(text) and _HINT_WORDS.isdisjoint(_WORDS.findall(text.lower())):
        return []
    found: list[Money] = []
    cursor = 0
    # Every amount starts with a sign, a digit, a number word, a code or a price word: try
    # the pattern only there, not at every character.
    for token in _TOKEN_STARTS.finditer(text):
        pos = token.start()
        if pos < cursor or not _may_start(token.group(0)):
            continue
        m = _MONEY.match(text, pos)
        if m is None:
            continue
        money = _money_from_match(text, m)
        if not money:
            # A rejected reading ("costs 25" before "euros") must not hide the amount that
            # starts inside it: try the next token.
            continue
        found.extend(money)
        # a match may have read on past its end (a minor unit, a rate): go on after that
        cursor = max(m.end(), max(x.end for x in money))
    return found


def find_figures(text: str, *, avoid: Sequence[tuple[int, int]] = ()) -> list[Money]:
    """Bare figures in a text about money (see "Where money is already the topic" above),
    in order; ``avoid``: character spans that are something else (dates and times)."""
    found: list[Money] = []
    cursor = 0
    for token in _TOKEN_STARTS.finditer(text):
        pos = token.start()
        if pos < cursor or not (
            token.group(0)[0].isdigit() or token.group(0).lower() in _NUMBER_STARTS
        ):
            continue
        m = _FIGURE.match(text, pos)
        if m is None:
            continue
        cursor = m.end()
        if any(a < m.end() and m.start() < b for a, b in avoid):
            continue
        if _PERCENT.match(text, m.end()) or not _CUE_FOLLOW.match(text, m.end()):
            continue
        if _AT_TIME_BEFORE.search(text, max(0, m.start() - 8), m.start()):
            continue
        money = _figure(text, m)
        if money and (money[0].amount >= 10 or money[0].per is not None):
            found.extend(money)
            cursor = max(cursor, money[-1].end)
    return found


def _figure(text: str, m: re.Match[str]) -> list[Money]:
    low_text, high_text = m.group("f"), m.group("fb")
    for phrase in (low_text, high_text):
        if phrase is not None and _bare_amount(phrase, price=False) is None:
            return []
    return _build(text, m, None, low_text, high_text)


def main_currency(texts: Iterable[str]) -> str | None:
    """The currency named most often in ``texts`` (the first named on a tie); None when
    none is named."""
    return most_named_currency(find_money(text) for text in texts)


def most_named_currency(found: Iterable[Sequence[Money]]) -> str | None:
    """``main_currency`` of the amounts ``find_money`` found in each text."""
    counts: dict[str, int] = {}
    for said in found:
        for money in said:
            if money.currency is not None:
                counts[money.currency] = counts.get(money.currency, 0) + 1
    return max(counts, key=lambda c: counts[c]) if counts else None


DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD"})
"""The currencies a plain "$", "dollars" or "bucks" may mean."""
CURRENCY_CODE = re.compile(r"[A-Z]{3}")
_NAMED_US = re.compile(r"(?<![a-z])(?:us|u\.s\.?|usd|american)(?![a-z])", re.IGNORECASE)


def in_currency(money: Money, currency: str | None) -> str | None:
    """The currency of ``money`` in a call whose money is ``currency`` (the deal's): an
    amount said without one takes it, and so does a plain dollar when ``currency`` is a
    dollar ("fifty dollars" in a Canadian deal is CAD; "fifty US dollars" stays USD)."""
    if money.currency is None:
        return currency
    if money.currency == "USD" and currency in DOLLARS and not _NAMED_US.search(money.text):
        return currency
    return money.currency


SHORTHAND_NEAR = 3.0
"""How near (a factor) an amount said before must be for a figure to take its thousands."""


def in_thousands(amount: float, earlier: Sequence[float]) -> float:
    """A whole figure from 10 to 999 said with no currency or scale, as in thousands when
    the call's amounts said before it (``earlier``) are: "Last year's renewal was a hundred
    and thirty" after "a hundred and forty-five thousand for the year" is 130,000. Kept as
    said when an earlier amount is as near to it as said ("fifty-two" after "thirty-two
    dollars per truck"), and when nothing said before is within a factor of
    ``SHORTHAND_NEAR`` of its thousands: with nothing to go by, no guess."""
    if not (10 <= amount < 1000 and amount == int(amount)):
        return amount
    known = [a for a in earlier if a > 0]
    if not known:
        return amount

    def distance(x: float) -> float:
        return min(abs(math.log(x / a)) for a in known)

    scaled = amount * 1000
    near = distance(scaled)
    return scaled if near < math.log(SHORTHAND_NEAR) and near < distance(amount) else amount


_FIGURE = re.compile(rf"(?P<f>{_NUMBER})(?:(?:{_RANGE_SEP}|,\s*)(?P<fb>{_NUMBER}))?", re.I)
_AT_TIME_BEFORE = re.compile(r"\b(?:at|till|until|by|from|before|after)\s+$", re.I)
_TOKEN_STARTS = re.compile(r"[$€£¥₹]|\.?[^\W_]+")
_START_WORDS = frozenset(
    {*_UNITS, *_TEENS, *_TENS, *_SCALES, "hundred", "dozen", "a", "an", "half", "point"}
    | {c.lower() for c in _CODES}
    | {"us", "u", "c", "ca", "cad", "au", "aud", "nz", "hk", "s", "r", "rs"}
    | {"budget", "budgeted", "budgets", "price", "prices", "priced", "pricing", "cost", "costs"}
    | {"costing", "fee", "fees", "pay", "paying", "paid", "spend", "spending", "spent"}
    | {"charge", "charges", "charged", "charging", "quote", "quoted", "quoting", "worth"}
)


_NUMBER_STARTS = frozenset({*_UNITS, *_TEENS, *_TENS, "a", "an"})


def _may_start(token: str) -> bool:
    first = token[0]
    if first.isdigit() or first in "$€£¥₹":
        return True
    if first == ".":
        return token[1:2].isdigit()
    return token.lower() in _START_WORDS


def _money_from_match(text: str, m: re.Match[str]) -> list[Money]:
    currency: str | None
    if m.group("p0"):  # "200 to $215 million"
        currency = _SYMBOLS[m.group("sym0").lower()]
        found = _build(text, m, currency, m.group("n0"), m.group("n0b"))
        if len(found) == 2 and found[0].amount > found[1].amount:  # not a range: "2025-$300"
            high = _read_amount(m.group("n0b"), price=False)
            return _finish(text, m.start("sym0"), m.end(), [high[0]] if high else [], currency)
        return found
    if m.group("p1"):
        currency = _SYMBOLS[m.group("sym").lower()]
        if m.group("code1"):
            currency = _CODES[m.group("code1").upper()]
        return _build(text, m, currency, m.group("n1"), m.group("n1b"))
    if m.group("p2"):
        currency = _CODES[m.group("code2").upper()]
        return _build(text, m, currency, m.group("n2"), m.group("n2b"))
    if m.group("p3"):
        return _number_then_currency(text, m)
    if m.group("p4"):
        word = m.group("cw4").lower()
        if word == "pound" and _is_weight(text, m.start(), m.end()):
            return []
        amount = Decimal("0.5") if m.group("art").lower().startswith("half") else Decimal(1)
        currency = _CURRENCY_WORDS[word] or None
        if word in _SUBUNIT_SCALE:
            amount /= 100
        return _finish(text, m.start(), m.end(), [amount], currency)
    return _after_cue(text, m)


def _number_then_currency(text: str, m: re.Match[str]) -> list[Money]:
    start, end = m.start(), m.end()
    if m.group("code3"):
        currency: str | None = _CODES[m.group("code3").upper()]
        word = ""
    elif m.group("sym3"):
        currency = _SYMBOLS[m.group("sym3")]
        word = ""
    else:
        raw = (m.group("cw") or m.group("cw2")).lower()
        word = re.sub(r"\s+", " ", raw)
        word = {"pounds sterling": "pound sterling", "swiss francs": "swiss franc"}.get(word, word)
        if word not in _CURRENCY_WORDS:
            word = word[:-1]  # plural
        currency = _CURRENCY_WORDS[word] or None
        if m.group("country"):
            country = re.sub(r"\s+", " ", m.group("country").lower())
            currency = _COUNTRY_DOLLARS[country]
        if word.startswith("pound") and _is_weight(text, start, end):
            return []
    low_text, high_text = m.group("n3"), m.group("n3b")
    high = _read_amount(high_text, price=True) if high_text else None
    low = _read_amount(low_text, price=True)
    if low is None:
        return []
    if high_text and high is None:
        return []
    number_start = m.start("n3")
    if high is not None and high_text and not _is_range(text, m, low, low_text, high, high_text):
        low, low_text, high, high_text = high, high_text, None, None
        number_start = m.start("n3b")
    if high is None and low[1] > 0:
        start = number_start + low[1]  # only the end of a spoken list is the amount
        low_text = low_text[low[1] :]
    elif high is None:
        start = number_start
    between = (
        None
        if high is not None
        else _BETWEEN_BEFORE.search(text, max(0, start - _BETWEEN_REACH), start)
    )
    if between is not None:
        bottom = _bare_amount(between.group("low"), price=True)
        if bottom is not None and bottom <= low[0]:
            high, high_text = low, low_text
            low, low_text, start = (bottom, 0), between.group("low"), between.start("low")
    amounts = [low[0]] if high is None else [low[0], high[0]]
    if (
        high_text
        and high is not None
        and _scale_of(high_text)
        and not _scale_of(low_text)
        and low[0] <= _unscaled(high_text)
    ):
        amounts[0] = low[0] * _scale_of(high_text)
    if word == "grand":
        amounts = [a * 1000 for a in amounts]
    elif word in _SUBUNIT_SCALE:
        amounts = [a / 100 for a in amounts]
    elif word and high is None:
        tail = _SUBUNIT_TAIL.match(text, end)
        if tail is not None:
            minor = _read_amount(tail.group("minor"), price=False)
            if (
                minor is not None
                and minor[1] == 0
                and 1 <= minor[0] <= 99
                and minor[0] == minor[0].to_integral_value()
            ):
                amounts = [amounts[0] + minor[0] / 100]
                end = tail.end()
    return _finish(text, start, end, amounts, currency)


def _is_range(
    text: str,
    m: re.Match[str],
    low: tuple[Decimal, int],
    low_text: str,
    high: tuple[Decimal, int],
    high_text: str,
) -> bool:
    """Whether the two numbers of an amount are a range. Not when the first is the larger
    and the second has no scale ("2025 to 300 dollars"); and a comma joins two figures of
    one range ("thirty-five, forty grand", "fifty, sixty thousand"), not a year, a label or
    a list: the first must be a whole figure of 10 or more, no year, and the second at most
    twice it ("in 2019, 500 dollars", "option 2, 300 dollars", "year one, forty thousand
    dollars" are the second figure alone)."""
    high_scale = _scale_of(high_text)
    if low[0] > high[0] and not high_scale:
        return False
    if "," not in text[m.end("n3") : m.start("n3b")]:
        return True
    bottom = low[0] * (high_scale if high_scale and not _scale_of(low_text) else 1)
    year = re.fullmatch(r"\d{4}", low_text.strip()) is not None and 1900 <= low[0] <= 2100
    return low[1] == 0 and not year and low[0] >= 10 and bottom <= high[0] <= 2 * bottom


def _after_cue(text: str, m: re.Match[str]) -> list[Money]:
    end = m.end()
    if _PERCENT.match(text, end) or not _CUE_FOLLOW.match(text, end):
        return []
    amount = _bare_amount(m.group("n5"), price=True)
    if amount is None:
        return []
    return _finish(text, m.start("n5"), end, [amount], None)


def _bare_amount(phrase: str, *, price: bool) -> Decimal | None:
    """The amount of a figure said with no currency: None for no one number (a spoken
    list), a lone ``a``/``an``/``half``, or a year."""
    read = _read_amount(phrase, price=price)
    if read is None or read[1] > 0 or phrase.strip().lower() in ("a", "an", "half"):
        return None
    if 1900 <= read[0] <= 2100 and re.fullmatch(r"\d{4}", phrase.strip()):
        return None  # a year
    return read[0]


def _build(
    text: str,
    m: re.Match[str],
    currency: str | None,
    low_text: str,
    high_text: str | None,
) -> list[Money]:
    low = _read_amount(low_text, price=False)
    if low is None:
        return []
    amounts = [low[0]]
    if high_text:
        high = _read_amount(high_text, price=False)
        if high is None:
            return []
        if _scale_of(high_text) and not _scale_of(low_text) and low[0] <= _unscaled(high_text):
            amounts[0] = low[0] * _scale_of(high_text)
        amounts.append(high[0])
    return _finish(text, m.start(), m.end(), amounts, currency)


_SCALE_AT_END = re.compile(
    rf"(?:(?<=\d)\s?(?P<suf>k|mm|mn|m|bn|b)|\s+(?P<word>{word_alternation(_SCALES)}|hundred))$",
    re.I,
)


def _scale_of(number_text: str) -> int:
    """The scale a number phrase ends with (``15k`` → 1000, ``15 million`` → 10⁶); 0 if none."""
    m = _SCALE_AT_END.search(number_text.strip())
    if m is None:
        return 0
    if m.group("suf"):
        return _SUFFIX_SCALES[m.group("suf").lower()]
    word = m.group("word").lower()
    return 100 if word == "hundred" else _SCALES[word]


def _unscaled(number_text: str) -> Decimal:
    """A scaled number phrase's figure before its scale: ``15k`` → 15."""
    stripped = _SCALE_AT_END.sub("", number_text.strip())
    read = _read_amount(stripped, price=False)
    return read[0] if read else Decimal(0)


def _is_weight(text: str, start: int, end: int) -> bool:
    return bool(_POUND_WEIGHT_AFTER.match(text, end) or _POUND_WEIGHT_BEFORE.search(text, 0, start))


def _finish(
    text: str, start: int, end: int, amounts: list[Decimal], currency: str | None
) -> list[Money]:
    per, end = _read_per(text, end)
    span = text[start:end]
    return [Money(float(a), currency, span, start, end, per) for a in amounts]


def _read_per(text: str, end: int) -> tuple[str | None, int]:
    """The rate after an amount (``per seat per month`` → ``seat/month``) and where it ends."""
    units: list[str] = []
    while len(units) < 3:
        m = _PER.match(text, end)
        if m is None:
            break
        raw = (m.group("unit") or m.group("known") or m.group("adv")).lower()
        raw = re.sub(r"\s+", " ", raw)
        if raw in _PER_STOP:
            break
        units.append(_PER_ALIASES.get(raw, raw))
        end = m.end()
    return ("/".join(units) if units else None), end
