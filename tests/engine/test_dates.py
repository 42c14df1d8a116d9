"""Date expressions: finding them in sentences and resolving them against a call's start.

Expected dates are worked out by hand from a calendar: 2 March 2026 is a Monday; New York
moves to EDT (-04:00) on Sunday 8 March 2026 and Berlin to CEST (+02:00) on 29 March 2026.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.dates import (
    DateMention,
    Granularity,
    ResolvedDate,
    find_date_expressions,
    find_event_times,
    resolve_date,
)

NY = "America/New_York"
MONDAY = datetime.fromisoformat("2026-03-02T15:00:00-05:00")
"""Monday 2 March 2026, 3 pm in New York."""

# (expression, due, granularity) said at MONDAY in New York.
ON_MONDAY: list[tuple[str, str | None, Granularity | None]] = [
    # days
    ("today", "2026-03-02", "date"),
    ("tonight", "2026-03-02", "date"),
    ("this afternoon", "2026-03-02", "date"),
    ("tomorrow", "2026-03-03", "date"),
    ("the day after tomorrow", "2026-03-04", "date"),
    # weekdays: the coming one; "next" is the one in next week
    ("Friday", "2026-03-06", "date"),
    ("this Friday", "2026-03-06", "date"),
    ("Monday", "2026-03-09", "date"),
    ("next Monday", "2026-03-09", "date"),
    ("Tuesday", "2026-03-03", "date"),
    ("next Tuesday", "2026-03-10", "date"),
    ("Tuesday this week", "2026-03-03", "date"),
    ("Tuesday next week", "2026-03-10", "date"),
    ("next week Tuesday", "2026-03-10", "date"),
    ("Friday after next", "2026-03-20", "date"),
    ("Monday morning", "2026-03-09", "date"),
    ("Friday, March 6th", "2026-03-06", "date"),
    ("Friday, March 7th", None, None),  # the 7th is a Saturday
    ("Friday, March 13th", "2026-03-13", "date"),  # a weekday checks a date, not the next one
    # a weekday with a day of the month: that date, when it falls on that weekday
    ("Tuesday the seventeenth", "2026-03-17", "date"),
    ("Wednesday, the eleventh", "2026-03-11", "date"),
    ("Thursday the twenty-sixth at two", "2026-03-26T14:00:00-04:00", "datetime"),
    ("Tuesday the twenty-fourth of March", "2026-03-24", "date"),
    ("Friday the third", "2026-04-03", "date"),  # 3 March is a Tuesday: the next Friday the 3rd
    ("Thursday the twenty-fourth", None, None),  # neither 24 March nor 24 April is a Thursday
    ("Monday the 23rd", "2026-03-23", "date"),
    # a time said before its day, and half ten (10:30)
    ("eleven on the twenty-seventh", "2026-03-27T11:00:00-04:00", "datetime"),
    ("nine thirty Monday", "2026-03-09T09:30:00-04:00", "datetime"),
    # the times Whisper writes with a dot ("Monday at 9.30")
    ("Monday at 9.30", "2026-03-09T09:30:00-04:00", "datetime"),
    ("9.30 Monday", "2026-03-09T09:30:00-04:00", "datetime"),
    ("at 10.15 on Thursday", "2026-03-05T10:15:00-05:00", "datetime"),
    ("at 9.30am tomorrow", "2026-03-03T09:30:00-05:00", "datetime"),
    ("twenty-third at ten", "2026-03-23T10:00:00-04:00", "datetime"),
    ("at half ten", "2026-03-03T10:30:00-05:00", "datetime"),
    ("half ten on the twenty-fourth", "2026-03-24T10:30:00-04:00", "datetime"),
    # deadlines
    ("by Friday", "2026-03-06", "date"),
    ("before Friday", "2026-03-06", "date"),
    ("end of the day", "2026-03-02", "date"),
    ("EOD", "2026-03-02", "date"),
    ("EOD Friday", "2026-03-06", "date"),
    ("COB tomorrow", "2026-03-03", "date"),
    ("end of the week", "2026-03-06", "date"),
    ("by end of the week", "2026-03-06", "date"),
    ("EOW", "2026-03-06", "date"),
    ("end of next week", "2026-03-13", "date"),
    ("by next week", "2026-03-13", "date"),
    ("end of the month", "2026-03-31", "date"),
    ("EOM", "2026-03-31", "date"),
    ("by March", "2026-03-31", "date"),
    ("end of April", "2026-04-30", "date"),
    ("end of the quarter", "2026-03-31", "date"),
    ("by Q3", "2026-09-30", "date"),
    ("end of Q3", "2026-09-30", "date"),
    ("by the end of the year", "2026-12-31", "date"),
    ("by 2027", "2027-12-31", "date"),
    ("the last business day of the month", "2026-03-31", "date"),
    ("within 30 days", "2026-04-01", "date"),
    ("within 5 working days", "2026-03-09", "date"),
    ("within the next week", "2026-03-09", "date"),
    # offsets
    ("in two weeks", "2026-03-16", "date"),
    ("in 2 weeks' time", "2026-03-16", "date"),
    ("in a couple of days", "2026-03-04", "date"),
    ("over the next two weeks", "2026-03-16", "date"),
    ("in 5 business days", "2026-03-09", "date"),
    ("two weeks from Friday", "2026-03-20", "date"),
    ("a month from now", "2026-04-02", "date"),
    ("thirty days", "2026-04-01", "date"),
    ("in a week and a half", None, None),
    ("in thirty minutes", "2026-03-02T15:30:00-05:00", "datetime"),
    ("in half an hour", "2026-03-02T15:30:00-05:00", "datetime"),
    ("in an hour", "2026-03-02T16:00:00-05:00", "datetime"),
    # periods: their first day (the call's date for the current one)
    ("next week", "2026-03-09", "week"),
    ("early next week", "2026-03-09", "week"),
    ("mid next week", "2026-03-11", "week"),
    ("this week", "2026-03-02", "week"),
    ("later this week", "2026-03-06", "week"),
    ("the week after next", "2026-03-16", "week"),
    ("next month", "2026-04-01", "month"),
    ("in April", "2026-04-01", "month"),
    ("mid-March", "2026-03-15", "month"),
    ("late April", "2026-04-30", "month"),
    ("in February", "2027-02-01", "month"),
    ("next quarter", "2026-04-01", "quarter"),
    ("Q3", "2026-07-01", "quarter"),
    ("Q1", "2026-03-02", "quarter"),
    ("Q1 2027", "2027-01-01", "quarter"),
    ("the third quarter", "2026-07-01", "quarter"),
    ("next year", "2027-01-01", "year"),
    ("in 2027", "2027-01-01", "year"),
    ("this weekend", "2026-03-07", "date"),
    ("next weekend", "2026-03-14", "date"),
    # calendar dates
    ("March 3rd", "2026-03-03", "date"),
    ("3rd of March", "2026-03-03", "date"),
    ("the third of April", "2026-04-03", "date"),
    ("March 1st", "2027-03-01", "date"),
    ("March 3rd, 2027", "2027-03-03", "date"),
    ("the 15th", "2026-03-15", "date"),
    ("by the 15th", "2026-03-15", "date"),
    ("the 1st", "2026-04-01", "date"),
    ("the first of next month", "2026-04-01", "date"),
    ("2026-03-04", "2026-03-04", "date"),
    ("3/15", "2026-03-15", "date"),
    ("15/03/2026", "2026-03-15", "date"),
    ("12/03", None, None),  # 3 December or 12 March: never a guess
    ("Feb 30", None, None),
    # day ordinals in words, without a month: the next such day on or after the call's date
    ("by the fifteenth", "2026-03-15", "date"),
    ("on the fifteenth", "2026-03-15", "date"),
    ("the twentieth", "2026-03-20", "date"),
    ("by the twenty first", "2026-03-21", "date"),
    ("by the first", "2026-04-01", "date"),
    # the week that holds a date: its Monday
    ("the week of the twentieth", "2026-03-16", "week"),
    ("week of the 9th", "2026-03-09", "week"),
    ("the week of March 9th", "2026-03-09", "week"),
    ("the week of the twenty first", "2026-03-16", "week"),
    ("week of May 4th", "2026-05-04", "week"),
    # the nth week of a month: days 1-7, 8-14, ...; the last week is its last seven days
    ("the first week of May", "2026-05-01", "week"),
    ("the second week of April", "2026-04-08", "week"),
    ("the third week in June", "2026-06-15", "week"),
    ("first week of next month", "2026-04-01", "week"),
    ("the first week of March", "2026-03-02", "week"),  # the current week: the call's date
    ("the last week of March", "2026-03-25", "week"),
    ("last week of next month", "2026-04-24", "week"),
    ("by the first week of April", "2026-04-05", "date"),
    # times
    ("at 5", "2026-03-02T17:00:00-05:00", "datetime"),
    ("at 5pm", "2026-03-02T17:00:00-05:00", "datetime"),
    ("by 5pm", "2026-03-02T17:00:00-05:00", "datetime"),
    ("at five", "2026-03-02T17:00:00-05:00", "datetime"),
    ("at 2", "2026-03-03T14:00:00-05:00", "datetime"),  # 2 pm has passed: tomorrow
    ("at 2:30", "2026-03-03T14:30:00-05:00", "datetime"),
    ("at noon", "2026-03-03T12:00:00-05:00", "datetime"),
    ("10 am", "2026-03-03T10:00:00-05:00", "datetime"),
    ("at 8", "2026-03-03T08:00:00-05:00", "datetime"),
    ("07:30", "2026-03-03T07:30:00-05:00", "datetime"),
    ("17:00", "2026-03-02T17:00:00-05:00", "datetime"),
    ("midnight", "2026-03-03T00:00:00-05:00", "datetime"),
    ("half past two", "2026-03-03T14:30:00-05:00", "datetime"),
    ("ten o'clock", "2026-03-03T10:00:00-05:00", "datetime"),
    ("tomorrow at 5", "2026-03-03T17:00:00-05:00", "datetime"),
    ("tomorrow morning at 9", "2026-03-03T09:00:00-05:00", "datetime"),
    ("tonight at 8", "2026-03-02T20:00:00-05:00", "datetime"),
    ("at 8 tonight", "2026-03-02T20:00:00-05:00", "datetime"),
    ("this Thursday at 2", "2026-03-05T14:00:00-05:00", "datetime"),
    ("Friday evening at 7", "2026-03-06T19:00:00-05:00", "datetime"),
    ("5pm Friday", "2026-03-06T17:00:00-05:00", "datetime"),
    ("next Tuesday at 2pm", "2026-03-10T14:00:00-04:00", "datetime"),  # after the DST change
    ("2pm Pacific tomorrow", "2026-03-03T14:00:00-08:00", "datetime"),
    # parts of day alone
    ("in the morning", "2026-03-03", "date"),
    ("first thing in the morning", "2026-03-03", "date"),
    ("first thing tomorrow", "2026-03-03", "date"),
    # not resolvable
    ("soon", None, None),
    ("later", None, None),
    ("blah", None, None),
    ("", None, None),
    ("last Tuesday", None, None),
    ("two weeks ago", None, None),
    ("Tuesday or Wednesday", None, None),
    ("in the coming weeks", None, None),
]


@pytest.mark.parametrize(("expr", "due", "granularity"), ON_MONDAY)
def test_resolve_on_a_monday(expr: str, due: str | None, granularity: Granularity | None) -> None:
    assert resolve_date(expr, MONDAY, NY) == ResolvedDate(expr, due, granularity)


def test_the_table_is_large() -> None:
    assert len(ON_MONDAY) >= 45


YEAR_END = datetime.fromisoformat("2026-12-30T10:00:00-05:00")
"""Wednesday 30 December 2026, 10 am in New York."""


@pytest.mark.parametrize(
    ("expr", "due", "granularity"),
    [
        ("next week", "2027-01-04", "week"),
        ("next month", "2027-01-01", "month"),
        ("end of the month", "2026-12-31", "date"),
        ("end of the year", "2026-12-31", "date"),
        ("next year", "2027-01-01", "year"),
        ("Q1", "2027-01-01", "quarter"),
        ("Q4", "2026-12-30", "quarter"),
        ("in 2 days", "2027-01-01", "date"),
        ("in a month", "2027-01-30", "date"),
        ("Friday", "2027-01-01", "date"),
        ("next Tuesday", "2027-01-05", "date"),
        ("by next week", "2027-01-08", "date"),
        ("January 5th", "2027-01-05", "date"),
        ("the 2nd", "2027-01-02", "date"),
        ("the 30th", "2026-12-30", "date"),
        ("tomorrow at 5", "2026-12-31T17:00:00-05:00", "datetime"),
    ],
)
def test_resolve_across_the_year_end(expr: str, due: str, granularity: Granularity) -> None:
    assert resolve_date(expr, YEAR_END, NY) == ResolvedDate(expr, due, granularity)


FRIDAY_BEFORE_DST = datetime.fromisoformat("2026-03-06T15:00:00-05:00")
"""Friday 6 March 2026, 3 pm EST; clocks go forward at 2 am on Sunday 8 March."""


@pytest.mark.parametrize(
    ("expr", "due"),
    [
        ("tomorrow at 5", "2026-03-07T17:00:00-05:00"),
        ("Monday at 10", "2026-03-09T10:00:00-04:00"),
        ("in 2 hours", "2026-03-06T17:00:00-05:00"),
        ("in 48 hours", "2026-03-08T16:00:00-04:00"),  # 48 elapsed hours, one of them skipped
        ("Sunday at 2:30am", "2026-03-08T03:30:00-04:00"),  # 2:30 does not exist that night
        ("in 3 days", "2026-03-09"),
    ],
)
def test_resolve_across_a_dst_change(expr: str, due: str) -> None:
    assert resolve_date(expr, FRIDAY_BEFORE_DST, NY).due == due


@pytest.mark.parametrize(
    ("expr", "due"),
    [
        ("by end of the week", "2026-03-13"),
        ("EOW", "2026-03-13"),
        ("by the weekend", "2026-03-13"),
        ("this weekend", "2026-03-07"),
        ("this week", "2026-03-07"),
        ("Monday", "2026-03-09"),
    ],
)
def test_week_deadlines_said_on_a_saturday(expr: str, due: str) -> None:
    saturday = datetime.fromisoformat("2026-03-07T11:00:00-05:00")
    assert resolve_date(expr, saturday, NY).due == due


LATE_UTC = datetime.fromisoformat("2026-03-02T23:30:00+00:00")
"""Monday 23:30 UTC, which is already Tuesday 00:30 in Berlin."""


@pytest.mark.parametrize(
    ("expr", "due"),
    [
        ("today", "2026-03-03"),
        ("tomorrow", "2026-03-04"),
        ("tonight", "2026-03-03"),
        ("at 5", "2026-03-03T17:00:00+01:00"),
        ("at 9 am", "2026-03-03T09:00:00+01:00"),
        ("in 2 hours", "2026-03-03T02:30:00+01:00"),
        ("Tuesday", "2026-03-10"),
        ("next Tuesday", "2026-03-10"),
        ("end of the month", "2026-03-31"),
        ("in four weeks at 10", "2026-03-31T10:00:00+02:00"),  # Berlin is on CEST by then
    ],
)
def test_resolve_in_the_calls_time_zone(expr: str, due: str) -> None:
    assert resolve_date(expr, LATE_UTC, "Europe/Berlin").due == due


def test_without_a_zone_the_call_starts_offset_is_used() -> None:
    assert resolve_date("today", LATE_UTC).due == "2026-03-02"
    assert resolve_date("at 5", LATE_UTC).due == "2026-03-03T17:00:00+00:00"


def test_a_naive_call_start_is_local_time_in_tz() -> None:
    naive = datetime(2026, 3, 2, 15, 0)
    assert resolve_date("at 5", naive, NY).due == "2026-03-02T17:00:00-05:00"
    with pytest.raises(ValueError, match="timezone-aware"):
        resolve_date("at 5", naive)


def test_an_unknown_zone_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        resolve_date("tomorrow", MONDAY, "Mars/Olympus_Mons")


@pytest.mark.parametrize("expr", ["tomorrow", "next Tuesday at 2pm", "in 30 days", "Q3"])
def test_no_call_start_means_no_due_date(expr: str) -> None:
    assert resolve_date(expr, None, NY) == ResolvedDate(expr, None, None)


# --------------------------------------------------------------------------- finding


def spans(text: str) -> list[tuple[str, int, int]]:
    found = find_date_expressions(text)
    for m in found:
        assert text[m.start : m.end] == m.text
    return [(m.text, m.start, m.end) for m in found]


def test_finds_a_demo_date_and_a_deadline() -> None:
    text = "Let's do a demo next Tuesday at 2pm, and I'll send pricing by end of the week."
    assert find_date_expressions(text) == [
        DateMention("next Tuesday at 2pm", 16, 35),
        DateMention("by end of the week", 59, 77),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'll call you tomorrow at 5 to review.", [("tomorrow at 5", 14, 27)]),
        ("Let's talk at 5.", [("at 5", 11, 15)]),
        ("Send it over by EOD Friday please.", [("by EOD Friday", 13, 26)]),
        ("Let's regroup in two weeks' time.", [("in two weeks' time", 14, 32)]),
        ("I'll get back to you within 30 days.", [("within 30 days", 21, 35)]),
        (
            "We'll sign in Q3 2026, ideally mid-March though.",
            [("in Q3 2026", 11, 21), ("mid-March", 31, 40)],
        ),
        (
            "Can you do Friday, March 6th at 10am Eastern?",
            [("Friday, March 6th at 10am Eastern", 11, 44)],
        ),
        ("How about 12/03?", [("12/03", 10, 15)]),
        ("The contract starts 2026-03-04 at 09:00.", [("2026-03-04 at 09:00", 20, 39)]),
        (
            "Let's aim for early next week, maybe Tuesday or Wednesday.",
            [("early next week", 14, 29), ("Tuesday", 37, 44), ("Wednesday", 48, 57)],
        ),
        ("Call me at 2:30 on Thursday.", [("at 2:30 on Thursday", 8, 27)]),
        ("It's $9.30 on Monday.", [("Monday", 14, 20)]),
        ("Fine. 9.30 Monday.", [("9.30 Monday", 6, 17)]),
        ("The meeting is at ten o'clock tomorrow", [("at ten o'clock tomorrow", 15, 38)]),
        ("Let's say five p.m. on Monday", [("five p.m. on Monday", 10, 29)]),
        ("See you at noon tomorrow.", [("at noon tomorrow", 8, 24)]),
        ("Talk to you first thing Monday.", [("first thing Monday", 12, 30)]),
        ("we'll reconvene in thirty minutes", [("in thirty minutes", 16, 33)]),
        ("Let's do the third of April.", [("the third of April", 9, 27)]),
        ("The 15th works for me.", [("The 15th", 0, 8)]),
        ("It's due by the end of the month.", [("by the end of the month", 9, 32)]),
        ("Can you send it by the fifteenth?", [("by the fifteenth", 16, 32)]),
        ("How about the twentieth?", [("the twentieth", 10, 23)]),
        ("The ninth works for me.", [("The ninth", 0, 9)]),
        ("Let's plan a demo the week of the twentieth.", [("the week of the twentieth", 18, 43)]),
        ("Kickoff in the first week of May.", [("the first week of May", 11, 32)]),
        ("We could do the last week of March.", [("the last week of March", 12, 34)]),
        (
            "Does Thursday the twenty-third at twelve thirty work?",
            [("Thursday the twenty-third at twelve thirty", 5, 47)],
        ),
        (
            "Can we do the Wednesday, the twenty-second, same time?",
            [("Wednesday, the twenty-second", 14, 42)],
        ),
        ("Friday the third works.", [("Friday the third", 0, 16)]),
        ("Eleven on the twenty-seventh, done.", [("Eleven on the twenty-seventh", 0, 28)]),
        ("Fine. Nine thirty Monday.", [("Nine thirty Monday", 6, 24)]),
        ("Twenty-third at ten works.", [("Twenty-third at ten", 0, 19)]),
        (
            "Could we say Tuesday the twenty-fourth, at half ten?",
            [("Tuesday the twenty-fourth, at half ten", 13, 51)],
        ),
        ("Half ten on the twenty-fourth, lovely.", [("Half ten on the twenty-fourth", 0, 29)]),
    ],
)
def test_finds_expressions_in_sentences(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Can we meet at 5 people?",
        "It's priced at 5.",
        "It grew at 5 to 10 percent.",
        "At one point we tried it.",
        "We have 3 options, the 2nd option is best.",
        "I'll be back in a minute.",
        "Support is 24/7 and about 1/2 of the team.",
        "We met last Tuesday.",
        "Two weeks ago we had a call.",
        "We have had no case since the middle of May.",
        "We may need another meeting.",
        "Clearly June was down.",
        "the first thing we need is budget",
        "The second option is better.",
        "We picked the third vendor.",
        "It was the fifth one we looked at.",
        "For the first time it worked.",
        "That was their twentieth anniversary.",
        "Let's go with the second.",
        "We met last week.",
        "We'll touch base soon.",
        "In the coming months we will grow.",
        "It's about twelve thirty people.",
        "We need two on the fifteenth floor.",
        "The twenty-third item was wrong.",
        "Half two of them left.",
        "It's priced at 9.30 per seat.",
        "Margins came in at 10.15 percent.",
        "Shares closed at 9.30 a share.",
        "The rate is at 4.25%.",
        "",
    ],
)
def test_finds_nothing_in_sentences_without_a_date(text: str) -> None:
    assert find_date_expressions(text) == []


def test_found_expressions_resolve() -> None:
    text = "Let's do a demo next Tuesday at 2pm, and I'll send pricing by end of the week."
    dues = [resolve_date(m.text, MONDAY, NY).due for m in find_date_expressions(text)]
    assert dues == ["2026-03-10T14:00:00-04:00", "2026-03-06"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Can you have the numbers by our next meeting?", ["by our next meeting"]),
        ("I'll send the deck before the next call.", ["before the next call"]),
        ("For the next meeting, bring the model.", ["For the next meeting"]),
        ("I'll email you after this call.", ["after this call"]),
        ("When this meeting's finished you get a questionnaire.", ["When this meeting's finished"]),
        ("In the meantime, have a look at the trial.", ["In the meantime"]),
        ("Between now and then, think about it.", ["Between now and then"]),
        ("Sure, I'll send it afterwards.", ["afterwards"]),
        ("Once you're back, send the slides.", ["Once you're back"]),
        ("Let's get your CFO on the next call.", []),
        ("The next meeting should cover pricing.", []),
        ("We'll touch base soon.", []),
    ],
)
def test_finds_times_set_by_an_event(text: str, found: list[str]) -> None:
    assert [m.text for m in find_event_times(text)] == found
    for m in find_event_times(text):
        assert text[m.start : m.end] == m.text
        assert resolve_date(m.text, MONDAY, NY).due is None
