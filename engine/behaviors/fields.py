"""The structured facts of a detection (BEHAVIORS.md "Fields"), from the segment's text,
its named entities, and the call's start time and zone."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.behaviors.decide import step_dates
from engine.dates import find_date_expressions, resolve_date
from engine.money import (
    Money,
    find_figures,
    find_money,
    in_currency,
    in_thousands,
    words_to_number,
)
from engine.types import Role


@dataclass(frozen=True)
class EntityRef:
    """A named entity of the segment (label as spaCy names it)."""

    label: str
    text: str


@dataclass(frozen=True)
class CallClock:
    """What relative dates resolve against; ``start`` None means they resolve to null."""

    start: datetime | None
    timezone: str | None


_NUMBER_WORD = (
    r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|thousand|half|couple)"
)
_NUMBER = rf"(\d[\d,.]*|{_NUMBER_WORD}(?:[ -](?:and[ -])?{_NUMBER_WORD})*)"
_MINUTES = re.compile(rf"\b{_NUMBER}\s+(minutes?|mins?|hours?|hrs?)\b", re.IGNORECASE)
_TOPICS = re.compile(
    r"\b(?:talk about|go over|go through|cover|discuss|understand|look at|walk through|"
    r"show you|review|focus on)\s+(.+?)(?:[.?!]|$)",
    re.IGNORECASE,
)
_TOPIC_SPLIT = re.compile(r",\s*(?:and\s+|then\s+)?|\s+(?:and then|then|and)\s+", re.IGNORECASE)
_DECIDER_ROLES = re.compile(
    r"\b(ceo|cfo|cto|coo|cio|vp(?: of [a-z]+)?|vice president|director|head of [a-z]+|"
    r"manager|boss|owner|founder|partner|board|committee|procurement|purchasing|legal|"
    r"finance|security team|wife|husband|spouse|parents?|dad|mom|mum|family|"
    r"employer|sponsor|principal|dean|superintendent|council)\b",
    re.IGNORECASE,
)
_IT_TEAM = re.compile(r"\bIT\b")  # the department, never the pronoun "it"
_ACTIONS = re.compile(
    r"\b(send(?:ing)?|email|schedul\w*|book\w*|set up|demo|call|meet\w*|review|sign\w*|pay\w*|"
    r"trial|repl\w*|follow(?:[ -]up)?|circle back|touch base|share|introduc\w*|"
    r"loop in|get back|check in|quote|proposal|contract|invoice|onboard\w*|install\w*|"
    r"visit|present\w*)\b",
    re.IGNORECASE,
)
_BOTH = re.compile(r"\b(let's|let us|we'll|we will|we can|we should|shall we)\b", re.IGNORECASE)
_SELF = re.compile(r"\b(i'll|i will|i'm going to|i am going to|i can|i'd|let me)\b", re.IGNORECASE)
_OTHER = re.compile(r"\b(you'll|you will|you can|you could|can you|could you|would you)\b", re.I)
_QUANTITY = re.compile(
    rf"\b{_NUMBER}\s*(%|percent\b|(?:hours?|days?|weeks?|people|staff|employees|reps|"
    r"tickets|errors|orders|calls|shipments|customers|users|leads|deals)\b)",
    re.IGNORECASE,
)


def extract_fields(
    behavior: str,
    text: str,
    role: Role | None,
    entities: Sequence[EntityRef],
    clock: CallClock,
    *,
    date_text: str | None = None,
    currency: str | None = None,
    turn_text: str | None = None,
    rivals: Sequence[str] = (),
    earlier_amounts: Sequence[float] = (),
    call_currency: str | None = None,
) -> dict[str, Any] | None:
    """The fields of ``behavior`` found in ``text``; None when the behavior cannot stand
    without a field that is missing (a competitor with no name: ``rivals``, the names
    ``engine.behaviors.competitors`` found in the segment). A dated next step takes
    its date from ``date_text`` when given (the sentence that dates it, see decide.py). An
    amount said without a currency takes ``currency``, the one the call names most often
    (``engine.money.main_currency``); in a budget turn a bare figure is an amount ("a
    hundred and forty-five thousand for the year", ``engine.money.find_figures``), and
    when the segment says none, the first of its turn (``turn_text``): "Plus the migration
    fee. That's two thousand nine hundred." is one turn about one price. A budget's figure
    said with no currency or rate may be shorthand for thousands, read by the amounts said
    before it in the call (``earlier_amounts``, ``engine.money.in_thousands``). With
    ``call_currency`` (the deal's, set by the user), amounts said without a currency and
    plain dollars take it instead (``engine.money.in_currency``)."""
    if behavior == "agenda_set":
        return _agenda(text)
    if behavior == "budget_discussed":
        fields: dict[str, Any] = {"raised_by": role}
        for said in (text, turn_text) if turn_text else (text,):
            first = _first_money(said, bare=True)
            if first is not None:
                fields.update(_money_fields(first, currency, call_currency))
                if first.currency is None and first.per is None:
                    fields["amount"] = in_thousands(first.amount, earlier_amounts)
                break
        return fields
    if behavior == "decision_process_confirmed":
        makers = [e.text for e in entities if e.label == "PERSON"]
        makers += [m.group(0).lower() for m in _DECIDER_ROLES.finditer(text)]
        makers += ["IT"] if _IT_TEAM.search(text) else []
        return {
            "decision_makers": _unique(makers),
            "decision_date": _first_due(text, clock),
        }
    if behavior in ("next_step_dated", "next_step_undated"):
        fields = {"action": _action(text), "owner": _owner(text, role)}
        if behavior == "next_step_dated":
            said = text if date_text is None else date_text
            mentions = step_dates(said)
            expr = mentions[0].text if mentions else None
            fields["date_expr"] = expr
            fields["due"] = _resolve(expr, clock)
        return fields
    if behavior == "pain_quantified":
        first = _first_money(text)
        if first is not None:
            return _money_fields(first, currency, call_currency)
        m = _QUANTITY.search(text)
        if m:
            return {"amount": _number(m.group(1)), "unit": m.group(2).lower()}
        return {}
    if behavior == "competitor_mentioned":
        names = list(rivals)
        return {"name": names[0], "names": names} if names else None
    if behavior == "timeline_agreed":
        return {"dates": [m.text for m in find_date_expressions(text)]}
    return {}


def _agenda(text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    m = _MINUTES.search(text)
    if m:
        amount = _number(m.group(1))
        if amount is not None:
            minutes = amount * 60 if m.group(2).lower().startswith(("hour", "hr")) else amount
            fields["time_budget_minutes"] = minutes
    topics = _TOPICS.search(text)
    if topics:
        parts = [p.strip(" ,") for p in _TOPIC_SPLIT.split(topics.group(1)) if p.strip(" ,")]
        fields["topics"] = [p for p in parts if 1 <= len(p.split()) <= 8][:6]
    return fields


def _first_money(text: str, *, bare: bool = False) -> Money | None:
    """The first amount in ``text``; with ``bare``, a bare figure that is no date or time
    when no amount is said with a currency or price word."""
    found = find_money(text)
    if not found and bare:
        dates = [(m.start, m.end) for m in find_date_expressions(text)]
        found = find_figures(text, avoid=dates)
    return found[0] if found else None


def _money_fields(money: Money, currency: str | None, call_currency: str | None) -> dict[str, Any]:
    said = in_currency(money, call_currency) if call_currency else money.currency
    out: dict[str, Any] = {"amount": money.amount, "currency": said or currency}
    if money.per:
        out["per"] = money.per
    return out


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        pass
    words = text.lower().replace("-", " ").split()
    if words and words[0] in ("a", "an"):
        words = ["one", *words[1:]]
    if words in (["one", "couple"], ["couple"]):
        return 2.0
    if words in (["half"], ["one", "half"]):
        return 0.5
    return words_to_number(" ".join(words))


def _resolve(expr: str | None, clock: CallClock) -> str | None:
    if expr is None:
        return None
    return resolve_date(expr, clock.start, clock.timezone).due


def _first_due(text: str, clock: CallClock) -> str | None:
    for mention in find_date_expressions(text):
        due = _resolve(mention.text, clock)
        if due is not None:
            return due
    return None


def _action(text: str) -> str | None:
    m = _ACTIONS.search(text)
    return m.group(0).lower() if m else None


def _owner(text: str, role: Role | None) -> str | None:
    if _BOTH.search(text):
        return "both"
    if _OTHER.search(text) and not _SELF.search(text):
        return {"rep": "prospect", "prospect": "rep"}.get(role or "")
    return role


def _unique(items: Sequence[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        key = item.strip().lower()
        if key and key not in seen:
            seen[key] = item.strip()
    return list(seen.values())
