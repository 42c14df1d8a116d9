"""Date and time expressions said in calls: find them, and resolve them to ISO 8601.

``find_date_expressions(text)`` finds the expressions in a sentence (``next Tuesday at 2pm``,
``by end of the week``, ``within 30 days``, ``Q3``, ``March 3rd``, ``at 5``…) with their
character offsets. ``resolve_date(expr, call_start, tz)`` turns one expression (a mention's
text, or a spaCy DATE/TIME entity's text) into a due date. Both are deterministic regex and
calendar code; resolution never guesses: what cannot be pinned down resolves to ``None``.

Resolution
----------
Everything resolves against the call's start converted into ``tz`` (an IANA zone, via
zoneinfo, so offsets follow DST) or, without ``tz``, in the call start's own UTC offset (a
fixed offset: no DST shifts). "Today" is the call's local date. A naive ``call_start`` is
read as local time in ``tz``; naive without ``tz`` is a ValueError. ``call_start=None``
resolves everything to ``due=None``. Callers that know when in the call the words were
said may pass ``call_start + offset`` instead; relative times (``in thirty minutes``) then
count from that moment.

``due`` is an ISO date (``2026-03-06``), or a datetime with its offset
(``2026-03-06T17:00:00-05:00``) when a clock time or an offset in minutes/hours was said.
``granularity`` says what ``due`` stands for: ``datetime``, ``date``, or a whole
``week``/``month``/``quarter``/``year`` (then ``due`` is the day that period starts, see
below). Weeks run Monday to Sunday; the business week ends on Friday.

- **Days**: ``today``, ``tonight``, ``later today``, ``this afternoon`` → the call's date;
  ``tomorrow`` +1; ``the day after tomorrow`` +2.
- **Weekdays**: ``Friday``, ``this Friday``, ``coming Friday`` → the first Friday strictly
  after the call's date (said on a Friday, the Friday a week later). ``next Friday`` → the
  Friday of the next calendar week (said on Monday 2 March 2026, ``next Tuesday`` is 10 March,
  not 3 March; said on Friday 6 March, ``next Tuesday`` is also 10 March). ``Tuesday this
  week`` / ``Tuesday next week`` / ``next week Tuesday`` name the week; ``Friday after next``
  is the Friday of the week after next. Part of day (``Monday morning``) keeps a date.
- **Calendar dates**: ``March 3rd``, ``3rd of March``, ``the 15th``, ``by the fifteenth``,
  ``3/15``, ``15/03/2026``, ``2026-03-04``. Without a year, the next such date on or after
  the call's date (said on 2 March, ``March 1st`` is 1 March of next year; ``the 2nd`` is
  today). Numeric ``a/b`` reads as whichever of month/day or day/month is a valid date; when
  both are (``12/03``) and differ, ``due`` is None — never a guess. A date that does not
  exist is None.
- **A weekday with a date** checks it: ``Friday, March 13th`` is 13 March when that is a
  Friday, else None. With a day of the month alone (``Thursday the twenty-sixth``) it is
  the first of the next two such days that falls on that weekday (``Friday the third`` said
  on Monday 2 March: 3 April), else None.
- **Times**: ``at 5pm``, ``5 p.m.``, ``17:00``, ``at 2:30``, ``at noon``, ``10 am``, ``at
  five``, ``half past two``, ``half ten`` (10:30), ``ten o'clock``; with a dot as Whisper
  writes them (``at 9.30``, ``9.30am``, ``9.30 Monday``), unless a figure's word follows
  (``at 9.30 per seat``, ``9.30 percent``); with a zone said (``2pm
  Pacific``, ``3pm ET``, ``CET``, ``GMT``) in that zone and its offset. Hours without am/pm
  follow business hours: 1–7 → pm, 8–11 → am, 12 → noon; a zero-padded or 13–23 hour is a
  24-hour clock (``07:30`` is 7:30 am); ``morning`` makes it am,
  ``afternoon``/``evening``/``tonight`` pm. ``midnight`` is 00:00 at the end of the day it
  belongs to. A time with no day is today, or tomorrow when that moment is already past at
  the call's start (``at 2`` said at 3 pm is 2 pm tomorrow). A clock time that does not
  exist (a DST gap) moves forward with the clock (2:30 → 3:30 on the spring-forward day).
- **Parts of day alone**: ``in the morning`` → today if said before noon, else tomorrow;
  ``in the afternoon`` before 5 pm; ``in the evening`` before 9 pm; ``first thing in the
  morning`` like ``in the morning``; ``after lunch`` before 2 pm. A date, never a time.
- **Offsets**: ``in two weeks``, ``in a couple of days`` (2), ``in 5 business days``
  (weekends skipped), ``two weeks from Friday``, ``a month from now``, ``two weeks out`` →
  that date (months add calendar months, clamped to the month's last day). ``in thirty
  minutes``, ``in an hour``, ``in half an hour``, ``in 48 hours`` → that instant (elapsed
  time, so DST-correct), granularity datetime. ``in a minute`` is a figure of speech and is
  not found. A fractional number of days (``in a week and a half``) is None. ``a few`` /
  ``several`` are not found (no number was said). Given to ``resolve_date`` alone, a bare
  duration (a spaCy entity ``30 days``, ``two weeks``) is an offset from the call's start.
- **Periods** (``next week``, ``this month``, ``next quarter``, ``Q3``, ``in April``, ``in
  2027``, ``next year``) → the first day of the period, granularity the period; when the
  period is the current one, the call's date instead (``this week`` said on Wednesday → that
  Wednesday). ``next week`` → the Monday of next week; ``next month`` → the 1st of next
  month; ``Q3`` → 1 July; ``the week after next`` → the Monday two weeks on. ``early X`` is
  the same as ``X``; ``mid X`` the middle (Wednesday, the 15th, the 15th of the quarter's
  middle month, 1 July); ``late X``/``later this week`` the last (business) day; ``the
  beginning/start of X`` the first day (of the next X when the current one's first day is
  past). A month or quarter without a year is the next one that is not over (``in
  February`` said in March → February of next year; ``Q1`` said in March → this Q1, clamped
  to the call's date); ``next March`` skips the current month. Quarters are calendar
  quarters. ``this/next weekend`` → its Saturday (granularity date). ``the week of the
  20th`` / ``week of March 9th`` → the week holding that date (its Monday, granularity week);
  ``the first/second/third/fourth week of May`` → days 1-7, 8-14, … of the month, ``the last
  week of May`` its last seven days (granularity week; ``first week of next month`` too).
  ``coming`` with a period (``the coming week``) means the next one.
- **Deadlines** (``by X``, ``before X``, ``until X``, ``no later than X``, ``within N
  days``, ``end of X``, ``EOD``/``COB``/``EOW``/``EOM``/``EOQ``/``EOY``) → the latest date
  that meets them, granularity date (datetime with a time): ``by Friday`` → Friday;
  ``before Friday`` is read as ``by Friday``; ``end of the week``/``EOW``/``by next week``
  → Friday of that week (of next week when said on a weekend); ``end of the month``/``by
  March`` → its last day; ``end of Q3``/``by Q3`` → 30 September; ``by 2027`` → 31
  December 2027; ``end of day``/``EOD`` → the call's date (or the day said with it:
  ``EOD Friday``); ``within 30 days`` → the call's date + 30; ``the last business day of
  the month`` → its last weekday.
- **Not resolved**: past references (``yesterday``, ``last Tuesday``, ``two weeks ago``,
  ``since Monday``) → None; two dates in one expression (``Tuesday or Wednesday``) → None;
  vague words (``soon``, ``later``, ``in a few days``) → None.

Finding
-------
Mentions include the words that change the meaning (``by``, ``within``, ``in``, ``at``,
``until``, ``next``, ``end of``) but not ``on`` (except in ``on the fifteenth``, where it
makes an ordinal a date). Adjacent parts join into one mention when
only spaces, a comma, ``on`` or ``at`` separate them: ``next Tuesday at 2pm``, ``at 2pm on
Friday``, ``Friday, March 6th``, ``EOD Friday``. To keep precision on everyday speech, a
bare hour counts only after ``at`` and before a clause end or a time-like word (``at 5``,
``at 5 tomorrow``, not ``at 5 people``, ``priced at 5``); ``the 15th`` not before a noun
(``the 2nd option``); a bare ordinal (``Twenty-third at ten works``) and an hour said
before its day (``Eleven on the twenty-seventh``, ``Nine thirty Monday``) only where a clause
starts or after a word that proposes it (``say``, ``maybe``), ``half ten`` there or after
``at``; a day ordinal in words (``the fifteenth``) only after a deadline word, ``week of``, a
weekday (``Friday the third``) or a word that proposes it (``how about``, ``on``,
``around``) or before one that accepts it (``the ninth works``), and ``the
first/second/third`` only after a deadline word, ``week of`` or a weekday (``the second`` is
as often an option); a month name alone only with a
preposition or modifier (``in May``, ``mid-March``: not the verb ``may``); a year only with
one (``in 2027``); ``24/7`` and small fractions (``1/2``, ``3/4``) are not dates; past
references are not found.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.money import words_to_number
from engine.word_regex import word_alternation

__all__ = ["DateMention", "Granularity", "ResolvedDate", "find_date_expressions", "resolve_date"]

Granularity = Literal["datetime", "date", "week", "month", "quarter", "year"]


@dataclass(frozen=True)
class DateMention:
    """A date or time expression found in a text."""

    text: str
    start: int
    end: int
    """Character offsets of ``text`` in the input."""


@dataclass(frozen=True)
class ResolvedDate:
    """An expression resolved against a call's start (see the module's rules)."""

    expr: str
    due: str | None
    """ISO 8601 date, or datetime with offset; None when it cannot be resolved."""
    granularity: Granularity | None
    """What ``due`` stands for; None when ``due`` is None."""


# --------------------------------------------------------------------------- vocabulary

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_ABBR = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}
for _i, _w in enumerate(("first", "second", "third", "fourth", "fifth", "sixth", "seventh")):
    _ORDINALS[f"twenty {_w}"] = 21 + _i
_ORDINALS.update({"twenty eighth": 28, "twenty ninth": 29, "thirty first": 31})
_HOUR_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_MINUTE_WORDS = {
    "o'clock": 0,
    "oclock": 0,
    "o clock": 0,
    "oh five": 5,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
    "twenty five": 25,
    "thirty": 30,
    "thirty five": 35,
    "forty": 40,
    "forty five": 45,
    "fifty": 50,
    "fifty five": 55,
}
_ZONES = {
    "eastern": "America/New_York",
    "et": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "central": "America/Chicago",
    "ct": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "mountain": "America/Denver",
    "mt": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pacific": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "gmt": "UTC",
    "utc": "UTC",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "bst": "Europe/London",
    "uk": "Europe/London",
    "london": "Europe/London",
}


def _alt(words: Iterable[str]) -> str:
    return word_alternation(words, space=r"[\s-]+")


_WD = rf"(?:{_alt(_WEEKDAYS)})\b"
_MONTH = rf"(?:{_alt(_MONTHS)})\b"
_MONTH_ANY = rf"(?:(?:{_alt(_MONTHS)})\b|(?:{_alt(_MONTH_ABBR)})(?:\.|\b))"
_ORDW = rf"(?:{_alt(_ORDINALS)})\b"
_HOURW = rf"(?:{_alt(_HOUR_WORDS)})\b"
_MINW = rf"(?:{_alt(_MINUTE_WORDS)})\b"
_ZONE = rf"(?:{_alt(_ZONES)})(?:\s+time)?\b"
_YEAR4 = r"(?:19|20)\d\d(?![\d/-]|\.\d)"
_DAYNUM = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?![\d:])"
_DAYORD = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)\b"
_SMALLW = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-]+(?:one|two|three"
    r"|four|five|six|seven|eight|nine)\b)?|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    r"|seventeen|eighteen|nineteen|ten|one|two|three|four|five|six|seven|eight|nine)\b"
)
_QTY = (
    rf"(?:\d{{1,3}}(?:\.\d+)?(?:\s+and\s+a\s+half)?|{_SMALLW}(?:\s+and\s+a\s+half)?"
    r"|an?\s+couple(?:\s+of)?|couple\s+of|half\s+an?|an?\s+half|an?)"
)
_UNIT = (
    r"(?:(?:business|working|work|calendar)\s+)?"
    r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|quarters?|fortnights?)\b"
)
_UNIT1 = (
    r"(?:(?:business|working|work|calendar)\s+)?"
    r"(?:minute|hour|day|week|month|year|quarter|fortnight)\b(?!')"
)
"""One unit, with no number: "within the next week" (but not "in the coming weeks")."""
_AMPM = r"(?:[ap]\.?\s?m\b\.?|[ap]\.m\.)"
# What makes "at 9.30" a price, a rate or a figure rather than the time Whisper writes for
# "nine thirty" ("Monday at 9.30").
_NOT_A_TIME = (
    r"percent|per|a\s+share|million|billion|thousand|k|x|times|dollars?|euros?|pounds?"
    r"|bucks|cents?|an?\s+(?:hour|month|year|unit|seat|user)"
)
_REL_WORD = (
    r"(?:this\s+coming|the\s+coming|coming|this|next|the\s+next|the\s+following|following"
    r"|the\s+current|current)"
)
_PART_WORD = r"(?:morning|afternoon|evening|night|lunch(?:time)?)"

# Each kind of date part, as a named group of one master pattern. Alternation order
# matters (the first that matches at a position wins): longer, more specific forms first.
_KINDS: list[tuple[str, str]] = [
    (
        "end",
        r"(?:the\s+)?(?:very\s+)?(?:end|close)\s+of\s+(?:the\s+)?(?:(?:this|next|current"
        r"|coming)\s+)?(?:business\s+|work(?:ing)?\s+|calendar\s+)?"
        r"(?:day|week|month|quarter|year)\b"
        r"|(?:the\s+)?last\s+(?:business\s+|working\s+)?day\s+of\s+(?:the\s+)?(?:(?:this|next"
        r"|current)\s+)?(?:week|month|quarter|year)\b"
        r"|close\s+of\s+(?:business|play)\b|end\s+of\s+business\b"
        r"|\b(?:eod|eow|eom|eoq|eoy|cob|eob)\b",
    ),
    (
        "rel",
        rf"(?:in|within|inside(?:\s+of)?)\s+(?:the\s+(?:next|coming)\s+)?{_QTY}\s+{_UNIT}"
        rf"(?:\s+and\s+a\s+half)?(?:'s?)?(?:\s+(?:from\s+now|time))?"
        rf"|(?:over|during|in|within)\s+the\s+(?:next|coming)\s+(?:{_QTY}\s+{_UNIT}|{_UNIT1})"
        rf"|the\s+next\s+{_QTY}\s+{_UNIT}"
        rf"|\b{_QTY}\s+{_UNIT}(?:\s+and\s+a\s+half)?\s+(?:from\s+(?:now|today|tomorrow"
        rf"|(?:next\s+)?{_WD})|out\b)",
    ),
    (
        "quarter",
        r"(?:(?:the\s+)?(?:end|beginning|start|middle)\s+of\s+(?:the\s+)?"
        r"|(?:early|mid|late)[\s-]+(?:in\s+)?(?:the\s+)?|(?:in|during|for)\s+(?:the\s+)?)?"
        r"(?:the\s+)?(?:\bq[1-4]\b|(?:first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\b)"
        rf"(?:\s+(?:of\s+)?(?:{_YEAR4}|'\d\d\b|(?:this|next)\s+year\b)|\s*'\d\d\b)?",
    ),
    (
        "year",
        r"(?:(?:in|during|for|until|till|by|before|through)\s+(?:the\s+year\s+)?"
        r"|(?:the\s+)?(?:end|beginning|start|middle)\s+of\s+(?:the\s+year\s+)?"
        rf"|(?:early|mid|late)[\s-]+){_YEAR4}",
    ),
    (
        "nthweek",
        r"(?:the\s+)?(?:first|second|third|fourth|last|1st|2nd|3rd|4th)\s+(?:full\s+)?week\s+"
        rf"(?:of|in)\s+(?:(?:the\s+|this\s+|next\s+)month\b|{_MONTH_ANY}(?:,?\s+{_YEAR4})?)",
    ),
    (
        "date",
        r"(?P<weekof>(?:the\s+)?week\s+of\s+)?"
        r"(?:\b(?:19|20)\d\d-\d{1,2}-\d{1,2}\b"
        r"|(?P<dnum>(?<![\d/.$€£])\d{1,2}/\d{1,2}(?:/(?:\d{4}|\d{2}))?(?![\d/%]|\.\d))"
        r"|(?<![\d.])\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})\b"
        rf"|\b{_MONTH_ANY}\s+(?:the\s+)?(?:{_DAYNUM}|{_ORDW})(?:,?\s+{_YEAR4})?"
        rf"|(?:the\s+)?(?:{_DAYNUM}|{_ORDW})\s+(?:of\s+)?{_MONTH_ANY}(?:,?\s+{_YEAR4})?"
        rf"|(?:the\s+)?(?:{_DAYORD}|{_ORDW})\s+of\s+(?:the|this|next)\s+month\b"
        rf"|(?P<dord>the\s+{_DAYORD}|on\s+the\s+{_ORDW})"
        rf"|(?P<dordw>the\s+{_ORDW})"
        rf"|(?P<dordb>{_DAYORD}|(?!(?:first|second|third)\b){_ORDW}))",
    ),
    (
        "month",
        r"(?:(?:(?:the\s+)?(?:end|beginning|start|middle)\s+of\s+|(?:early|mid|late)[\s-]+"
        r"(?:in\s+)?|(?:in|during|for|until|till|by|before|through|from|around)\s+"
        rf"(?:early\s+|mid[\s-]|late\s+)?)(?:the\s+month\s+of\s+)?{_MONTH}(?:,?\s+{_YEAR4})?"
        rf"|(?:this|next)\s+(?!may\b){_MONTH}|{_MONTH}\s+{_YEAR4})"
        rf"(?!\s+(?:the\s+)?(?:\d|{_ORDW}))",
    ),
    (
        "wd",
        rf"(?:next|this)\s+week,?\s+(?:on\s+)?{_WD}"
        rf"|(?:{_REL_WORD}\s+)?{_WD}(?:\s+(?:of\s+)?(?:this|next)\s+week\b"
        rf"|\s+(?:week\s+)?after\s+next\b)?(?:\s+{_PART_WORD}\b)?",
    ),
    (
        "period",
        rf"(?:(?:early|mid|late|later|earlier)[\s-]+)?{_REL_WORD}\s+"
        r"(?:week(?:end)?|month|quarter|year)\b"
        r"|(?:the\s+)?(?:week|month|year)\s+after\s+next\b"
        r"|(?:(?:over|during|for)\s+)?the\s+weekend\b"
        r"|(?:early|late|later|earlier)\s+(?:in|on)\s+the\s+(?:week|month)\b"
        r"|(?:the\s+)?(?:beginning|start|middle)\s+of\s+(?:the\s+|this\s+|next\s+)?"
        r"(?:week|month|quarter|year)\b",
    ),
    (
        "day",
        r"(?:(?:the\s+)?day\s+after\s+tomorrow|later\s+today|today|tonight|tomorrow|tmrw"
        rf"|this\s+(?:morning|afternoon|evening))\b(?:\s+{_PART_WORD}\b)?",
    ),
    (
        "time",
        r"(?:(?:at|around|about|by|before|after|from|until|till)\s+)?"
        rf"(?:(?<![\d.,:$])(?:[01]?\d|2[0-3]):[0-5]\d(?:\s*{_AMPM})?"
        rf"|(?<![\d.,:$])(?:1[0-2]|0?[1-9])(?:\.[0-5]\d)?\s*{_AMPM}"
        r"|(?<![\d.,:$])(?:1[0-2]|0?[1-9])\s+o'?\s?clock\b"
        rf"|\b{_HOURW}(?:[\s-]+{_MINW})?\s*{_AMPM}"
        rf"|\b{_HOURW}\s+o'?\s?clock\b"
        r"|\b(?:noon|midday|midnight)\b"
        rf"|\b(?:half\s+(?:past|after)|quarter\s+(?:past|after|to))\s+(?:{_HOURW}|1[0-2]\b|[1-9]\b))"
        rf"(?:\s+{_ZONE})?"
        rf"|(?P<tdot>\b(?:at|around|about|by|before|after|from|until|till)\s+"
        rf"(?:1[0-2]|0?[1-9])\.[0-5]\d(?!\d|\s*(?:%|{_NOT_A_TIME}\b)))(?:\s+{_ZONE})?"
        rf"|(?P<tbare>\bat\s+(?:1[0-2]|[1-9]|{_HOURW})(?![\d:.,]\d)(?:[\s-]+{_MINW})?)"
        rf"(?:\s+{_ZONE})?"
        rf"|(?P<thalf>\b(?:(?:at|around|about|by|before|after|until|till)\s+)?half\s+"
        rf"(?:{_HOURW}|1[0-2]\b|[1-9]\b))"
        rf"|(?P<tpre>\b(?:(?!one\b){_HOURW}(?:[\s-]+{_MINW})?"
        r"|(?<![\d.,:$])(?:1[0-2]|[2-9])(?:[:.][0-5]\d)?)"
        rf"(?=,?\s+(?:on\s+)?(?:the\s+)?(?:{_DAYORD}|{_ORDW}|{_WD}|{_MONTH_ANY})))",
    ),
    (
        "part",
        r"in\s+the\s+(?:morning|afternoon|evening)\b"
        r"|first\s+thing\s+in\s+the\s+morning\b"
        rf"|first\s+thing(?=\s+(?:tomorrow|on\s+{_WD}|{_WD}|next\s+{_WD}))"
        r"|(?:at|by|around|over|after|before)\s+lunch(?:time)?\b",
    ),
]
# Only when resolving a given expression (a spaCy entity's text): "30 days", "2027",
# "the morning".
_LENIENT_KINDS: list[tuple[str, str]] = [
    ("dur", rf"\b{_QTY}\s+{_UNIT}(?:\s+and\s+a\s+half)?"),
    ("bareyear", rf"\b{_YEAR4}"),
    ("barepart", r"\b(?:the\s+|this\s+)?(?:morning|afternoon|evening)\b"),
]
_DEADLINE = (
    r"(?P<dl>\b(?:by|before|until|till|til|through|no\s+later\s+than|not\s+later\s+than"
    r"|prior\s+to|ahead\s+of)\s+)?"
)


def _master(kinds: list[tuple[str, str]]) -> re.Pattern[str]:
    body = "|".join(f"(?P<{name}>{pattern})" for name, pattern in kinds)
    return re.compile(rf"{_DEADLINE}\b(?:{body})", re.I)


_FIND = _master(_KINDS)
_LENIENT = _master(_KINDS + _LENIENT_KINDS)
_KIND_NAMES = [name for name, _ in _KINDS + _LENIENT_KINDS]

# Speed: the master pattern is costly to try at every character, so the finder tries it only
# at the starts of words that can open an expression, within the run of words that can lead
# up to a "head" word that every expression holds (a weekday, month, unit, digit…). Most
# sentences hold no head and cost one scan of their words.
_WORD = re.compile(r"[^\W_]+")
_DIGIT = re.compile(r"\d")
_HEAD_WORDS = frozenset(
    {*_WEEKDAYS, *_MONTHS, *_MONTH_ABBR, "today", "tonight", "tomorrow", "tmrw", "week", "weeks"}
    | {"weekend", "month", "months", "quarter", "quarters", "year", "years", "day", "days"}
    | {"hour", "hours", "hr", "hrs", "minute", "minutes", "min", "mins", "fortnight"}
    | {"fortnights", "eod", "eow", "eom", "eoq", "eoy", "cob", "eob", "noon", "midday"}
    | {"midnight", "morning", "afternoon", "evening", "night", "lunch", "lunchtime"}
    | {"business", "play", "q1", "q2", "q3", "q4", "am", "pm", "clock", "oclock"}
)
_ORDINAL_WORDS = frozenset(w for o in _ORDINALS for w in o.split())
# Heads only next to certain words: "at five", "five p.m.", "half past", "on the third".
_CONTEXT_HEADS = frozenset({*_HOUR_WORDS, "m", "past"} | _ORDINAL_WORDS)
_START_WORDS = frozenset(
    _HEAD_WORDS
    | set(_HOUR_WORDS)
    | _ORDINAL_WORDS
    | {"by", "before", "until", "till", "til", "through", "no", "not", "prior", "ahead", "the"}
    | {"very", "end", "close", "last", "in", "within", "inside", "over", "during", "a", "an"}
    | {"couple", "half", "early", "mid", "late", "later", "earlier", "beginning", "start"}
    | {"middle", "for", "from", "around", "about", "after", "at", "this", "next", "coming"}
    | {"following", "current", "on", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"}
    | {"eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy"}
    | {"eighty", "ninety"}
)
_LEAD_WORDS = _START_WORDS | {"of", "than", "to", "thing", "and", "work", "working", "calendar"}
_LEAD_WORDS |= {"o", "p", "oh"}  # five o'clock, five p.m., two oh five
"""Words that may come between an expression's first word and its head."""
_LOOK_BACK = 10
"""The most words an expression holds before its head (no later than the very end of…)."""


def _is_head(words: list[str], i: int) -> bool:
    word = words[i]
    if word in _HEAD_WORDS or word[0].isdigit():
        return True
    before = words[i - 1] if i > 0 else ""
    if word in _HOUR_WORDS:
        return before in ("at", "half")  # "at five", "half ten"; "five pm" has its head in "pm"
    if word == "m":
        return before in ("a", "p")  # "five p.m."
    if word == "past":
        return before == "half"
    if word not in _ORDINAL_WORDS:
        return False
    if before in ("twenty", "thirty"):
        if i == 1:
            return True  # "Twenty-third at ten works."
        before = words[i - 2]
    # "by the fifteenth", "week of the twenty first"; a clause's first word ("Ninth works.")
    return before == "the" or i == 0


def _candidate_starts(text: str) -> list[int]:
    """Where an expression may start: openers in the run of lead words before a head."""
    if (
        text.isascii()  # then lower() keeps the words as they are
        and not _DIGIT.search(text)
        and _HEAD_WORDS.isdisjoint(words := _WORD.findall(text.lower()))
        and _CONTEXT_HEADS.isdisjoint(words)
    ):
        return []
    matches = list(_WORD.finditer(text))
    words = [m.group(0).lower() for m in matches]
    starts: list[int] = []
    done = 0
    for i in range(len(words)):
        if not _is_head(words, i):
            continue
        first = i
        while first > max(done, i - _LOOK_BACK) and words[first - 1] in _LEAD_WORDS:
            first -= 1
        for j in range(first, i + 1):
            if words[j] in _START_WORDS or words[j][0].isdigit():
                starts.append(matches[j].start())
        done = i + 1
    return starts


# A bare "at N" is a time only before a clause end or a word that goes with a time, and not
# after a word that makes it a figure ("priced at 5", "we're at 5").
_BARE_FOLLOW = re.compile(
    r"\s*(?:$|[.,;:!?)\]\"'”’-]|(?:o'?\s?clock|in\s+the|tonight|tomorrow|today|this|next|on"
    r"|then|and|or|if|works?|is|should|would|could|sharp|my|your|our|their|ok|okay|please"
    r"|so|to|it|we|i|you|they|he|she|with|latest|at\s+the\s+latest|ish|for\s+(?:a|the|our"
    rf"|your)\s+(?:call|meeting|demo|chat)|{_alt(_WEEKDAYS)}|{_alt(_ZONES)})\b)",
    re.I,
)
_BARE_BEFORE = re.compile(
    r"\b(?:prices?|priced|cost(?:s|ing)?|capped|set|look|looking|looked|stands?|stood|sits?"
    r"|sitting|comes?|came|valued|rated?|starts?|starting|started|begins?|peak(?:ed|s)?"
    r"|max(?:ed)?|grow(?:ing|s)?|level|number|scored?|quoted|offer(?:ed)?|sell(?:ing|s)?"
    r"|sold|pegged|estimated?|limit(?:ed)?|tops?|topped|we're|we\s+are|i'm|down|up|out"
    r"|only|just|grew|rose|fell|dropped|increased|decreased|stay(?:ed)?|kept|keep|remain(?:s|ed)?|aim(?:ed|ing)?|target(?:ed|ing)?)\s*$",
    re.I,
)
_ORD_NOUN = re.compile(
    r"\s+(?:times?|place|option|options|step|floor|quarter|half|item|point|version|round"
    r"|grade|year|century|anniversary|percentile|ones?|thing|things|person|people|customer"
    r"|user|day|week|birthday|amendment|page|line|row|column|largest|biggest|best|most"
    r"|edition|generation|iteration|attempt|call|meeting|slide|phase|stage|time|of\s+(?:them"
    r"|those|these|us|you|all))\b",
    re.I,
)
_PAST_BEFORE = re.compile(r"\b(?:last|past|previous|since)\s+(?:the\s+)?$", re.I)
_AGO_AFTER = re.compile(r"\s+ago\b", re.I)
_PAST = re.compile(
    rf"\b(?:ago|yesterday|previous|since|last\s+(?:week(?!\s+(?:of|in)\b)|month|quarter|year|night|time"
    rf"|{_alt(_WEEKDAYS)}|{_alt(_MONTHS)}))\b|\b(?:in\s+)?the\s+past\b",
    re.I,
)
_GAP = re.compile(r"[\s,]*(?:(?:on|at|-|–)\s*)?", re.I)
_FRACTION = re.compile(r"(\d+)/(2|3|4|8)")

_ANCHORS = {"end", "rel", "quarter", "year", "date", "month", "wd", "period", "day", "nthweek"}
_ANCHORS |= {"dur", "bareyear"}
_PARTS = {"part", "barepart"}


@dataclass(frozen=True)
class _Atom:
    kind: str
    start: int
    end: int
    text: str
    deadline: bool


def _kind(m: re.Match[str]) -> str:
    return next(k for k in _KIND_NAMES if m.group(k) is not None)


def _lenient_atoms(expr: str) -> list[_Atom]:
    """All parts of a given expression, without the finder's precision guards."""
    return [
        _Atom(_kind(m), m.start(), m.end(), m.group(0), m.group("dl") is not None)
        for m in _LENIENT.finditer(expr)
    ]


_Verdict = Literal["keep", "retry", "drop"]


def _keep(text: str, m: re.Match[str], kind: str) -> _Verdict:
    """The finder's precision guards (see "Finding" in the module docstring): keep the
    match; ``retry`` a later start inside it (``at 5 people``: nothing; ``on the third
    quarter``: ``the third quarter``); or ``drop`` it whole (``since the middle of May``)."""
    start, end = m.start(), m.end()
    if _PAST_BEFORE.search(text, max(0, start - 16), start) or _AGO_AFTER.match(text, end):
        return "drop"
    if m.group("tbare") is not None and (
        not _BARE_FOLLOW.match(text, end) or _BARE_BEFORE.search(text, max(0, start - 25), start)
    ):
        return "retry"
    if m.group("dord") is not None and _ORD_NOUN.match(text, end):
        return "retry"
    if m.group("dordw") is not None and not _ordinal_word_is_a_date(text, m):
        return "retry"
    if (m.group("dordb") is not None or m.group("tpre") is not None) and not _CLAUSE_START.search(
        text, max(0, start - 16), start
    ):
        return "retry"
    if m.group("dordb") is not None and not _ORDW_AFTER.match(text, end):
        return "retry"
    if m.group("thalf") is not None and not (
        re.match(r"\w+\s", m.group(0)) or _CLAUSE_START.search(text, max(0, start - 16), start)
    ):
        return "retry"
    if m.group("thalf") is not None and not _BARE_FOLLOW.match(text, end):
        return "retry"
    if m.group("dnum") is not None:
        raw = m.group("dnum")
        frac = _FRACTION.fullmatch(raw)
        if raw == "24/7" or (frac and int(frac.group(1)) < int(frac.group(2))):
            return "drop"
        if re.match(r"\s*(?:of\b|percent\b)", text[end:], re.I):
            return "drop"
    if kind == "rel" and re.search(r"\b(?:an?|one)\s+min", m.group(0), re.I):
        return "drop"  # "in a minute" is a figure of speech
    return "keep"


# A bare ordinal ("Twenty-third at ten works") or an hour said before its day ("Eleven on the
# twenty-seventh", "Nine thirty Monday") counts only where a clause starts or a proposal
# ("say", "how about") puts it: elsewhere it is as likely a count ("two on the fifteenth").
_CLAUSE_START = re.compile(
    r"(?:^\W*|[.,;:!?]\s+|\b(?:say|about|maybe|do|try|or|and|then|um|uh)\s+)$", re.I
)
# "the fifteenth" without a month is a date after a deadline word or "week of", or with a
# word that says so before it ("how about the twentieth") or after it ("the ninth works");
# "the first/second/third" only after a deadline word or "week of" ("the second works" is as
# likely an option as a day).
_ORDW_BEFORE = re.compile(
    r"\b(?:on|for|around|from|after|say|maybe|until|till|(?:how|what)\s+about|like|or|and)\s*$",
    re.I,
)
_WEEKDAY_BEFORE = re.compile(rf"\b{_WD},?\s*$", re.I)
"""A weekday makes the ordinal after it a date: "Friday the third", "Wednesday, the 22nd"."""
_ORDW_AFTER = re.compile(
    r"\s*(?:$|[.,;:!?)]|(?:works?|would\s+work|is\s+(?:good|fine|better|best|great|ok|okay"
    r"|perfect|open|free)|suits|at|then|of\s+(?:this|next)\s+month|in\s+the\s+morning)\b)",
    re.I,
)


def _ordinal_word_is_a_date(text: str, m: re.Match[str]) -> bool:
    if _ORD_NOUN.match(text, m.end()):
        return False
    if m.group("dl") is not None or m.group("weekof") is not None:
        return True
    if _WEEKDAY_BEFORE.search(text, max(0, m.start() - 16), m.start()):
        return True
    if re.fullmatch(r"the\s+(?:first|second|third)", m.group("dordw"), re.I):
        return False
    before = _ORDW_BEFORE.search(text, max(0, m.start() - 12), m.start()) is not None
    return before or _ORDW_AFTER.match(text, m.end()) is not None


def _day_level_end(atom: _Atom) -> bool:
    return atom.kind == "end" and not re.search(
        r"week|month|quarter|year|eo[wmqy]\b", atom.text, re.I
    )


def _joins(group: list[_Atom], atom: _Atom) -> bool:
    """Whether ``atom`` belongs to the same expression as ``group`` (they are adjacent)."""
    kinds = [a.kind for a in group]
    if atom.kind == "time":
        return "time" not in kinds
    if atom.kind in _PARTS:
        return not any(k in _PARTS for k in kinds)
    anchors = [a for a in group if a.kind in _ANCHORS]
    if not anchors:
        return True
    if len(anchors) > 1:
        return False
    pair = {anchors[0].kind, atom.kind}
    if pair == {"wd", "date"}:
        return True
    other = atom if anchors[0].kind == "end" else anchors[0]
    return (_day_level_end(anchors[0]) or _day_level_end(atom)) and other.kind in (
        "wd",
        "date",
        "day",
    )


def _groups(text: str, atoms: list[_Atom]) -> list[list[_Atom]]:
    groups: list[list[_Atom]] = []
    for atom in atoms:
        if groups:
            last = groups[-1]
            if _GAP.fullmatch(text, last[-1].end, atom.start) and _joins(last, atom):
                last.append(atom)
                continue
        groups.append([atom])
    return groups


def find_date_expressions(text: str) -> list[DateMention]:
    """Every date or time expression in ``text``, in order (see "Finding" above)."""
    atoms: list[_Atom] = []
    cursor = 0
    for pos in _candidate_starts(text):
        if pos < cursor:
            continue
        m = _FIND.match(text, pos)
        if m is None:
            continue
        kind = _kind(m)
        verdict = _keep(text, m, kind)
        if verdict == "drop":
            cursor = m.end()
        if verdict != "keep":
            continue
        atoms.append(_Atom(kind, m.start(), m.end(), m.group(0), m.group("dl") is not None))
        cursor = m.end()
    groups = _groups(text, atoms)
    return [DateMention(text[g[0].start : g[-1].end], g[0].start, g[-1].end) for g in groups]


_EVENT = r"(?:call|meeting|session|demo|chat|check-?in|conversation|sync|catch-?up|workshop)"
_EVENT_TIME = re.compile(
    rf"\b(?:by|before|for|until|till|ahead of|prior to)\s+(?:the|our|your|this|that)\s+"
    rf"(?:next|following|upcoming|follow-?up)\s+{_EVENT}\b"
    rf"|\b(?:after|following|once|when)\s+(?:this|the|today's|our)\s+{_EVENT}\b"
    rf"(?:(?:'s|\s+is)\s+(?:over|finished|done))?"
    r"|\b(?:after|once|when)\s+we\s+(?:hang up|get off(?: the (?:call|phone))?|wrap up)\b"
    r"|\bin the mean ?time\b|\b(?:in ?between|between) now and then\b|\bby then\b"
    r"|\bafterwards\b|\bonce (?:you|we)(?:'re| are)? (?:get |go |are )?back\b",
    re.IGNORECASE,
)


def find_event_times(text: str) -> list[DateMention]:
    """Times set by an event of the conversation instead of the calendar, in order: ``by the
    next meeting``, ``before our next call``, ``after this call``, ``in the meantime``,
    ``between now and then``, ``afterwards``. They time a next step as firmly as a date
    does, but resolve to nothing (``resolve_date`` gives None): the event's date is not
    in the words."""
    return [DateMention(m.group(0), m.start(), m.end()) for m in _EVENT_TIME.finditer(text)]


# --------------------------------------------------------------------------- resolving


@dataclass
class _Reading:
    """What the parts of one expression say, gathered before the due date is worked out."""

    point: date | None = None
    period: tuple[str, date, date, str | None, bool] | None = None
    """(unit, start, end, fuzz, current) for a whole week/month/quarter/year/weekend."""
    instant: datetime | None = None
    deadline: bool = False
    end_of_day: bool = False
    clock: tuple[int, int, str | None, bool, bool] | None = None
    """(hour, minute, am/pm, 24-hour clock, midnight)."""
    zone: str | None = None
    part: str | None = None
    weekday: int | None = None
    """The weekday said with a date (Monday 0): it checks the date instead of fixing it."""
    failed: bool = False
    business: bool = False
    """``last business day of``: the last day moves back to a weekday."""


def resolve_date(expr: str, call_start: datetime | None, tz: str | None = None) -> ResolvedDate:
    """Resolve one date/time expression against the call's start (see the module's rules).

    ``call_start`` is the call's start, timezone-aware; ``tz`` the call's IANA zone. Raises
    ValueError for an unknown zone, or a naive ``call_start`` without ``tz``.
    """
    none = ResolvedDate(expr, None, None)
    if call_start is None:
        return none
    now = _local_now(call_start, tz)
    if _PAST.search(expr):
        return none
    groups = _groups(expr, _lenient_atoms(expr))
    if len(groups) != 1:
        return none
    reading = _Reading()
    for atom in groups[0]:
        _read_atom(atom, now, reading)
    if reading.failed:
        return none
    return _conclude(expr, reading, now)


def _local_now(call_start: datetime, tz: str | None) -> datetime:
    zone: tzinfo | None = None
    if tz:
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}") from exc
    if call_start.tzinfo is None or call_start.utcoffset() is None:
        if zone is None:
            raise ValueError("call_start must be timezone-aware when no tz is given")
        return call_start.replace(tzinfo=zone, microsecond=0)
    local = call_start.astimezone(zone) if zone is not None else call_start
    return local.replace(microsecond=0)


def _read_atom(atom: _Atom, now: datetime, r: _Reading) -> None:
    text = re.sub(r"\s+", " ", atom.text.lower())
    if not re.search(r"\d-\d", text):  # keep the hyphens of 2026-03-04
        text = text.replace("-", " ")
    if atom.deadline or re.match(
        r"(?:by|before|until|till|til|through|no later than|not later than|prior to|ahead of"
        r"|within)\b",
        text,
    ):
        r.deadline = True
    today = now.date()
    kind = atom.kind
    if kind == "end":
        _read_end(text, today, r)
    elif kind in ("rel", "dur"):
        _read_offset(text, now, r)
    elif kind == "quarter":
        _read_quarter(text, today, r)
    elif kind in ("year", "bareyear"):
        year = int(text[-4:])  # the atom ends with its four-digit year
        _set_period(r, "year", date(year, 1, 1), date(year, 12, 31), _fuzz(text), today)
        if re.search(r"\bend of\b", text):
            r.deadline = True
    elif kind == "nthweek":
        _read_nth_week(text, today, r)
    elif kind == "date":
        d = _read_date(text, today, r.weekday)
        if d is None:
            r.failed = True  # "Friday, March 7th" when the 7th is not a Friday
        elif re.match(r"(?:the )?week of\b", text):  # the week that holds the date
            start, end = _bounds("week", d, 0)
            _set_period(r, "week", start, end, None, today)
        elif r.point is not None and r.weekday is None and r.point != d:
            r.failed = True
        else:
            r.point = d
    elif kind == "month":
        _read_month(text, today, r)
    elif kind == "wd":
        d = _read_weekday(text, today)
        if r.point is not None and r.point.weekday() != d.weekday():
            r.failed = True
        elif r.point is None:
            r.point, r.weekday = d, d.weekday()
        _read_part(text, r)
    elif kind == "period":
        _read_period(text, today, r)
    elif kind == "day":
        _read_day(text, today, r)
    elif kind == "time":
        _read_time(text, r)
    else:  # part, barepart
        _read_part(text, r)


def _set_period(
    r: _Reading, unit: str, start: date, end: date, fuzz: str | None, today: date
) -> None:
    if r.period is not None or r.point is not None:
        r.failed = True
        return
    r.period = (unit, start, end, fuzz, start <= today <= end)


def _fuzz(text: str) -> str | None:
    if re.search(r"\b(?:early|earlier|beginning|start)\b", text):
        return "early"
    if re.search(r"\b(?:mid|middle)\b", text):
        return "mid"
    if re.search(r"\b(?:late|later)\b", text):
        return "late"
    return None


def _bounds(unit: str, ref: date, offset: int) -> tuple[date, date]:
    """The first and last day of the ``unit`` holding ``ref``, moved by ``offset`` units."""
    if unit in ("week", "weekend"):
        monday = ref - timedelta(days=ref.weekday()) + timedelta(weeks=offset)
        if unit == "weekend":
            return monday + timedelta(days=5), monday + timedelta(days=6)
        return monday, monday + timedelta(days=6)
    if unit == "month":
        start = _add_months(ref.replace(day=1), offset)
        return start, _add_months(start, 1) - timedelta(days=1)
    if unit == "quarter":
        first = ref.replace(month=3 * ((ref.month - 1) // 3) + 1, day=1)
        start = _add_months(first, 3 * offset)
        return start, _add_months(start, 3) - timedelta(days=1)
    start = date(ref.year + offset, 1, 1)
    return start, date(ref.year + offset, 12, 31)


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last))


def _rel_offset(text: str) -> int:
    if re.search(r"\bafter next\b", text):
        return 2
    if re.search(r"\b(?:next|following|coming)\b", text):
        return 1
    return 0


def _read_end(text: str, today: date, r: _Reading) -> None:
    r.deadline = True
    unit_m = re.search(r"\b(day|week|month|quarter|year)\b", text)
    code = re.search(r"\beo([wmqy])\b", text)
    if code:
        unit = {"w": "week", "m": "month", "q": "quarter", "y": "year"}[code.group(1)]
    elif unit_m and not re.search(r"\blast (?:business |working )?day of\b", text):
        unit = unit_m.group(1)
    elif unit_m:
        unit = re.findall(r"\b(week|month|quarter|year)\b", text)[-1]
    else:
        unit = "day"  # eod, cob, close of business
    if unit == "day":
        r.end_of_day = True
        return
    start, end = _bounds(unit, today, _rel_offset(text))
    if r.period is not None or r.point is not None:
        r.failed = True
        return
    r.period = (unit, start, end, "late", start <= today <= end)
    if re.search(r"\b(?:business|working)\b", text):
        r.business = True


def _read_period(text: str, today: date, r: _Reading) -> None:
    unit = re.findall(r"\b(weekend|week|month|quarter|year)\b", text)[-1]
    offset = _rel_offset(text)
    fuzz = _fuzz(text)
    start, end = _bounds(unit, today, offset)
    if re.search(r"\b(?:beginning|start) of\b", text) and offset == 0 and start < today:
        start, end = _bounds(unit, today, 1)
    _set_period(r, unit, start, end, fuzz, today)


def _read_month(text: str, today: date, r: _Reading) -> None:
    month = next(i + 1 for i, name in enumerate(_MONTHS) if re.search(rf"\b{name}\b", text))
    year_m = re.search(r"(?:19|20)\d\d", text)
    if year_m:
        year = int(year_m.group(0))
    elif re.search(rf"\bnext {_MONTHS[month - 1]}\b", text):
        year = today.year if month > today.month else today.year + 1
    else:
        year = today.year if month >= today.month else today.year + 1
    start = date(year, month, 1)
    end = _add_months(start, 1) - timedelta(days=1)
    _set_period(r, "month", start, end, _fuzz(text), today)
    if re.search(r"\bend of\b", text):
        r.deadline = True


def _read_nth_week(text: str, today: date, r: _Reading) -> None:
    """``the first week of May``: days 1-7 of the month (second: 8-14, ...; last: its last
    seven days), a period of granularity week."""
    if re.search(r"\b(?:this|the) month\b", text):
        first = today.replace(day=1)
    elif re.search(r"\bnext month\b", text):
        first = _add_months(today.replace(day=1), 1)
    else:
        month = _month_number(re.sub(r"^.*?\bweek (?:of|in)\b", "", text))
        if month is None:
            r.failed = True
            return
        year_m = re.search(r"(?:19|20)\d\d", text)
        year = today.year if month >= today.month else today.year + 1
        first = date(int(year_m.group(0)) if year_m else year, month, 1)
    last = _add_months(first, 1) - timedelta(days=1)
    nth = re.search(r"\b(first|second|third|fourth|last|1st|2nd|3rd|4th)\b", text)
    assert nth is not None
    n = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3}
    n["4th"] = 4
    if nth.group(1) == "last":
        start = last - timedelta(days=6)
    else:
        start = first + timedelta(days=7 * (n[nth.group(1)] - 1))
    _set_period(r, "week", start, start + timedelta(days=6), None, today)


def _read_quarter(text: str, today: date, r: _Reading) -> None:
    q_m = re.search(r"\bq([1-4])\b|\b(first|second|third|fourth|1st|2nd|3rd|4th) quarter", text)
    assert q_m is not None
    words = {"first": 1, "second": 2, "third": 3, "fourth": 4}
    quarter = int(q_m.group(1)) if q_m.group(1) else words.get(q_m.group(2), 0)
    if not quarter:
        quarter = int(q_m.group(2)[0])
    year4 = re.search(r"\b(?:19|20)\d\d\b", text)
    year2 = re.search(r"'(\d\d)\b", text)
    if year4:
        year = int(year4.group(0))
    elif year2:
        year = 2000 + int(year2.group(1))
    elif re.search(r"\bnext year\b", text):
        year = today.year + 1
    else:
        current = (today.month - 1) // 3 + 1
        year = today.year if quarter >= current or "this year" in text else today.year + 1
    start = date(year, 3 * quarter - 2, 1)
    end = _add_months(start, 3) - timedelta(days=1)
    _set_period(r, "quarter", start, end, _fuzz(text), today)
    if re.search(r"\bend of\b", text):
        r.deadline = True


def _read_weekday(text: str, today: date) -> date:
    target = next(i for i, name in enumerate(_WEEKDAYS) if name in text)
    monday = today - timedelta(days=today.weekday())
    if re.search(r"\bnext week\b", text):
        return monday + timedelta(weeks=1, days=target)
    if re.search(r"\bthis week\b", text):
        return monday + timedelta(days=target)
    if re.search(r"\bafter next\b", text):
        return monday + timedelta(weeks=2, days=target)
    if re.search(r"\b(?:next|following)\b", text):
        return monday + timedelta(weeks=1, days=target)
    ahead = (target - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def _read_day(text: str, today: date, r: _Reading) -> None:
    if "day after tomorrow" in text:
        d = today + timedelta(days=2)
    elif re.search(r"\btom+or+ow|tmrw\b", text):
        d = today + timedelta(days=1)
    else:
        d = today
    if r.point is not None and r.point != d:
        r.failed = True
        return
    r.point = d
    if "tonight" in text:
        r.part = "night"
    _read_part(text, r)


def _read_part(text: str, r: _Reading) -> None:
    m = re.search(r"\b(morning|afternoon|evening|night|lunch)", text)
    if m:
        r.part = m.group(1)
    if "first thing" in text:
        r.part = "first"


def _read_date(text: str, today: date, weekday: int | None = None) -> date | None:
    """A calendar date from a date atom's text; None if it does not exist or is ambiguous,
    or falls on another day of the week than ``weekday`` (when one was said with it). A day
    of the month said with a weekday and no month is the next such date on that weekday, of
    the next two ("Friday the third" said on Monday 2 March 2026: 3 April)."""
    d = _read_calendar_date(text, today, weekday)
    if d is None or weekday is None or d.weekday() == weekday:
        return d
    return None


def _read_calendar_date(text: str, today: date, weekday: int | None) -> date | None:
    iso = re.search(r"\b((?:19|20)\d\d)-(\d{1,2})-(\d{1,2})\b", text)
    if iso:
        return _make_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    numeric = re.search(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}|\d{2}))?", text)
    if numeric and not re.search(rf"{_MONTH_ANY}", text):
        a, b = int(numeric.group(1)), int(numeric.group(2))
        said_year = _full_year(numeric.group(3))
        readings = {(m, d) for m, d in ((a, b), (b, a)) if _valid(said_year or 2000, m, d)}
        if len(readings) != 1:
            return None
        mm, dd = readings.pop()
        if said_year is None:
            return _next_on_or_after(today, mm, dd)
        return _make_date(said_year, mm, dd)
    day = _day_number(text)
    if day is None:
        return None
    month = _month_number(text)
    year_m = re.search(r"(?:19|20)\d\d", text)
    year = int(year_m.group(0)) if year_m else None
    if month is None:
        if re.search(r"\bof (?:this|next) month\b", text):
            first = _add_months(today.replace(day=1), 1 if "next month" in text else 0)
            return _make_date(first.year, first.month, day)
        found: list[date] = []
        for ahead in range(14):  # the next two months that have this day, from this one
            first = _add_months(today.replace(day=1), ahead)
            d = _make_date(first.year, first.month, day)
            if d is not None and d >= today:
                found.append(d)
                if len(found) == 2:
                    break
        if weekday is not None:
            return next((d for d in found if d.weekday() == weekday), None)
        return found[0] if found else None
    if year is not None:
        return _make_date(year, month, day)
    return _next_on_or_after(today, month, day)


def _day_number(text: str) -> int | None:
    m = re.search(r"(?<![\d:])(3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?![\d:])", text)
    if m:
        return int(m.group(1))
    for words, value in sorted(_ORDINALS.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{words}\b", text):
            return value
    return None


def _month_number(text: str) -> int | None:
    for i, name in enumerate(_MONTHS):
        if re.search(rf"\b{name}\b", text):
            return i + 1
    for abbr, number in _MONTH_ABBR.items():
        if re.search(rf"\b{abbr}\b", text):
            return number
    return None


def _full_year(raw: str | None) -> int | None:
    if raw is None:
        return None
    return int(raw) if len(raw) == 4 else 2000 + int(raw)


def _valid(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _make_date(year: int, month: int, day: int) -> date | None:
    return date(year, month, day) if _valid(year, month, day) else None


def _next_on_or_after(today: date, month: int, day: int) -> date | None:
    for year in range(today.year, today.year + 9):  # 29 February waits for a leap year
        d = _make_date(year, month, day)
        if d is not None and d >= today:
            return d
    return None


def _quantity(text: str) -> float | None:
    """The number of units in an offset: ``two``, ``30``, ``a couple of``, ``half an``."""
    text = re.sub(r"\b(?:in|within|inside|of|the|next|coming|over|during)\b", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return 1.0
    if re.fullmatch(r"(?:an? )?couple(?: of)?", text):
        return 2.0
    if re.fullmatch(r"half an?|an? half", text):
        return 0.5
    if re.fullmatch(r"an?", text):
        return 1.0
    return words_to_number(text)


_OFFSET = re.compile(
    r"^(?P<qty>.*?)\s*\b(?P<biz>business |working |work |calendar )?"
    r"(?P<unit>minute|min|hour|hr|day|week|month|year|quarter|fortnight)s?\b"
    r"(?P<half> and a half)?(?:'s?)?(?: from (?P<base>.+?)| out| time| from now)?$"
)


def _read_offset(text: str, now: datetime, r: _Reading) -> None:
    m = _OFFSET.match(text.replace("'s", "").replace("'", "").strip())
    if m is None:
        r.failed = True
        return
    qty = _quantity(m.group("qty"))
    if qty is None:
        r.failed = True
        return
    if m.group("half"):
        qty += 0.5
    unit = m.group("unit")
    base_text = m.group("base")
    if unit in ("minute", "min", "hour", "hr"):
        if base_text not in (None, "now"):
            r.failed = True
            return
        minutes = qty * (60 if unit in ("hour", "hr") else 1)
        instant = (now.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(now.tzinfo)
        r.instant = instant
        return
    today = now.date()
    if base_text in (None, "now", "today"):
        base = today
    elif base_text == "tomorrow":
        base = today + timedelta(days=1)
    else:
        base = _read_weekday(base_text, today)
    days_per = {"day": 1, "week": 7, "fortnight": 14}
    if unit in days_per:
        days = qty * days_per[unit]
        if days != int(days):
            r.failed = True
            return
        if m.group("biz") in ("business ", "working ", "work ") and unit == "day":
            d = base
            left = int(days)
            while left > 0:
                d += timedelta(days=1)
                if d.weekday() < 5:
                    left -= 1
        else:
            d = base + timedelta(days=int(days))
    else:
        months = qty * {"month": 1, "quarter": 3, "year": 12}[unit]
        if months != int(months):
            r.failed = True
            return
        d = _add_months(base, int(months))
    if r.point is not None:
        r.failed = True
        return
    r.point = d


def _read_time(text: str, r: _Reading) -> None:
    zone_m = re.search(rf"\b({_alt(_ZONES)})(?: time)?$", text)
    if zone_m:
        r.zone = _ZONES[re.sub(r"[\s-]+", " ", zone_m.group(1))]
        text = text[: zone_m.start()].strip()
    ampm_m = re.search(r"(?:\d|\b[a-z]+)\s*([ap])\.?\s?m\b", text)
    ampm = ampm_m.group(1) if ampm_m else None
    midnight = False
    if re.search(r"\b(?:noon|midday)\b", text):
        hour, minute, ampm = 12, 0, "p"
    elif "midnight" in text:
        hour, minute, ampm, midnight = 0, 0, "a", True
    elif m := re.search(rf"\b(half|quarter) (past|after|to) ({_alt(_HOUR_WORDS)}|\d+)\b", text):
        hour = int(m.group(3)) if m.group(3).isdigit() else _HOUR_WORDS[m.group(3)]
        minute = 30 if m.group(1) == "half" else 15
        if m.group(2) == "to":
            hour, minute = (hour - 1) or 12, 60 - minute
    elif m := re.search(rf"\bhalf ({_alt(_HOUR_WORDS)}|\d+)\b", text):  # British: half ten
        hour = int(m.group(1)) if m.group(1).isdigit() else _HOUR_WORDS[m.group(1)]
        minute = 30
    elif m := re.search(r"(\d{1,2})(?:[:.](\d\d))?", text):
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if m.group(1).startswith("0") and len(m.group(1)) == 2:
            ampm = ampm or "24"
    else:
        w = re.search(rf"\b({_alt(_HOUR_WORDS)})\b(?: ({_alt(_MINUTE_WORDS)}))?", text)
        if w is None:
            r.failed = True
            return
        hour = _HOUR_WORDS[w.group(1)]
        minute = _MINUTE_WORDS[re.sub(r"[\s-]+", " ", w.group(2))] if w.group(2) else 0
    if hour > 23 or minute > 59 or (ampm in ("a", "p") and not 1 <= hour <= 12 and not midnight):
        r.failed = True
        return
    r.clock = (hour, minute, ampm, ampm == "24" or hour >= 13 or hour == 0, midnight)


def _hour24(hour: int, ampm: str | None, is24: bool, part: str | None) -> int:
    if ampm == "a":
        return 0 if hour == 12 else hour
    if ampm == "p":
        return hour if hour == 12 else hour + 12
    if is24:
        return hour
    if part in ("afternoon", "evening", "night"):
        return hour + 12 if hour < 12 else hour
    if part in ("morning", "first"):
        return hour
    return hour + 12 if 1 <= hour <= 7 else hour


def _conclude(expr: str, r: _Reading, now: datetime) -> ResolvedDate:
    today = now.date()
    if r.instant is not None:
        if r.clock is not None or r.point is not None or r.period is not None:
            return ResolvedDate(expr, None, None)
        return ResolvedDate(expr, r.instant.isoformat(), "datetime")
    if r.period is not None:
        return _conclude_period(expr, r, today)
    day = r.point
    if day is None and r.end_of_day:
        day = today
    if r.clock is not None:
        hour, minute, ampm, is24, midnight = r.clock
        zone = ZoneInfo(r.zone) if r.zone else now.tzinfo
        assert zone is not None
        h24 = _hour24(hour, ampm, is24, r.part)
        base = day or today
        moment = _at(base + timedelta(days=1 if midnight else 0), h24, minute, zone)
        if day is None and moment <= now:
            moment = _at(base + timedelta(days=1 + (1 if midnight else 0)), h24, minute, zone)
        return ResolvedDate(expr, moment.isoformat(), "datetime")
    if day is None and r.part is not None:
        cutoff = {"morning": 12, "first": 12, "lunch": 14, "afternoon": 17, "evening": 21}
        day = today if now.hour < cutoff.get(r.part, 24) else today + timedelta(days=1)
    if day is None:
        return ResolvedDate(expr, None, None)
    return ResolvedDate(expr, day.isoformat(), "date")


def _at(day: date, hour: int, minute: int, zone: tzinfo) -> datetime:
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    # Round trip through UTC so a wall time in a DST gap becomes a real one.
    return local.astimezone(UTC).astimezone(zone)


_PERIOD_GRANULARITY: dict[str, Granularity] = {
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
    "weekend": "date",
}


def _last_day(unit: str, start: date, end: date) -> date:
    """The day a deadline on this period falls on: Friday for a week (or before a weekend)."""
    if unit == "week":
        return start + timedelta(days=4)
    if unit == "weekend":
        return start - timedelta(days=1)
    return end


def _conclude_period(expr: str, r: _Reading, today: date) -> ResolvedDate:
    assert r.period is not None
    unit, start, end, fuzz, current = r.period
    if r.deadline:
        last = _last_day(unit, start, end)
        if r.business:
            while last.weekday() >= 5:
                last -= timedelta(days=1)
        if last < today and current:  # this business week is over: said on a weekend
            start, end = _bounds(unit, end + timedelta(days=1), 0)
            last = _last_day(unit, start, end)
        return ResolvedDate(expr, last.isoformat(), "date")
    if fuzz == "mid":
        middle = {
            "week": start + timedelta(days=2),
            "month": start.replace(day=15),
            "quarter": _add_months(start, 1).replace(day=15),
            "year": start.replace(month=7),
        }
        due = middle.get(unit, start)
    elif fuzz == "late":
        due = start + timedelta(days=4) if unit == "week" else end
    else:
        due = start
    if start <= today <= end:
        due = max(due, today)
    return ResolvedDate(expr, due.isoformat(), _PERIOD_GRANULARITY[unit])
