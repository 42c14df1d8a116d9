"""Competitors named in a call, found by the names themselves.

A classifier on sentence embeddings hears that a sentence is about a vendor ("we're also
evaluating an alternative") but not that a word in it is one: "We're with Mitie at the
moment" and "Samsara came in at fifty-two" read like any sentence about a provider or a
price. What marks a rival is a capitalized name in a vendor's place in the sentence:

- after words of using, buying or comparing: "we run Microsoft Defender", "finance is on
  Sage", "a quote from Churchill", "a demo of Odoo", "switch from Bonusly", "versus Gong";
- before words of quoting or selling: "CrowdStrike quoted us", "Samsara came in at",
  "the Omni gave us", "our Defender renewal", "the Slalom proposal", "like SentinelOne says
  they can";
- beside a word for a provider: "the current system, Exact, handles it".

The classifier's competitor head still counts where it is sure: in a segment it takes for
talk of a rival, any name that is not a sentence's first word is put in a vendor's place
("We're also weighing Clari as an alternative").

A name introduced so is the call's rival from then on, and every later mention of it in
the call, by anyone, is a competitor mention ("Sure, Odoo is good for some cases").

What keeps people and the two parties' own names out:

- the call's speakers ("Lukas Brandt" → Lukas, Brandt), names greeted or thanked ("Hi
  Ines", "thanks, Priya"), named beside a role ("our CFO, Martin") or with "and I";
- the seller's own company, from the rep's introduction ("I'm Dana from Kontor", "here at
  Kontor", "we at Kontor") and products the rep calls "our";
- the buyer's company, where the rep greets it ("how are things at Almbach?");
- words that are capitalized for other reasons: the first word of a sentence unless it
  is a name in a vendor's place, pronouns and other stop words, weekdays, months,
  quarters, holidays, titles, departments, plan tiers, acronyms of roles, of the trade
  and of finance (CFO, SOC, ERP, EBITDA, ...);
- places, peoples and the pandemic, said whole (``places.txt``: "demand driven by China",
  "the Caribbean", "COVID"); "China Mobile" may still be a rival.

Rule-based and deterministic; measured on the team's sales development calls
(``python -m eval.behaviors_dev``), where the classifier head alone found 1 of 22
competitor turns.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.types import Role

INTRODUCED_CONFIDENCE = 0.9
"""A segment that names a rival in a vendor's place."""
MENTIONED_CONFIDENCE = 0.75
"""A later mention of a name already introduced as a rival."""

_PART = r"[A-Z][A-Za-z0-9&]*(?:[.'’-][A-Za-z0-9&]+)*"
_NAME = rf"(?<![\w'’.&-])(?P<name>{_PART}(?:\s+{_PART}){{0,2}})"
_ARTICLE = r"(?:(?i:the|a|an)\s+)?"

_BEFORE = (
    r"use|uses|used|using|run|runs|running|ran|(?:is|are|'re|’re|was|were|been|be|runs?|ran) on"
    r"|(?:are|'re|’re|were|been|'ve been|’ve been) with|went with|go with|going with"
    r"|chose|picked|(?:switch|switched|switching|move|moved|moving|migrate|migrated"
    r"|migrating) (?:to|from|off|away from)|replace|replaced|replacing|evaluated|evaluating"
    r"|evaluate|compare to|compare with|compares to|trialed|trialled|trialing|trialling"
    r"|piloted|piloting|looked at|looking at"
    r"|compared to|compared with|comparing|versus|vs\.?|instead of|cheaper than"
    r"|better than|worse than|(?:quote|quotes|quoted|proposal|proposals|bid|bids|offer"
    r"|offers|demo|demos|pitch|trial|pilot|contract|renewal|licence|license|licenses"
    r"|licences|subscription) (?:from|of|with)|signed with|partnered with"
    r"|customers? of|(?:pull|pulls|pulled|export|exports|exported) (?:\w+ ){0,3}?"
    r"(?:out of|from)"
)
_AFTER_VERB = (
    r"came in|comes in|come in|quoted|quotes|offered|offers|charges|charged|gave us"
    r"|gives us|give us|priced"
)
_AFTER_CLAIM = r"says they|said they|say they|claims|is cheaper|was cheaper|costs|cost us"
_AFTER_NOUN = (
    r"quote|offer|pricing|prices|price|proposal|proposals|bid|renewal|contract|numbers"
    r"|licen[cs]es?|subscription|rep|demo|trial|pilot"
)
_PROVIDER = (
    r"system|tool|provider|vendor|supplier|platform|software|solution|partner|agency"
    r"|firm|broker|carrier|contractor|crm|erp|stack|product|app"
)
_VENDOR_PLACE = (
    re.compile(rf"\b(?i:{_BEFORE})\s+{_ARTICLE}{_NAME}"),
    re.compile(rf"{_NAME}(?:'s|’s)?\s+(?i:{_AFTER_VERB})\b"),
    # A noun, a claim or a cost after a sentence's first word says too little: "List price
    # is ...", "Customers say they ...", "Downtime costs us ..."
    re.compile(rf"(?<=\w\s){_NAME}(?:'s|’s)?\s+(?i:{_AFTER_NOUN}|{_AFTER_CLAIM})\b"),
    re.compile(
        rf"\b(?i:current|existing|old|legacy|incumbent|previous|other)\s+(?i:{_PROVIDER})"
        rf"(?:,\s*|\s+(?i:is|was)\s+){_NAME}"
    ),
)

_ANY_NAME = re.compile(rf"(?<=\w\s){_NAME}")

_SPEAKER_WORD = re.compile(r"[A-Z][a-z]+")
_GREETED = re.compile(
    rf"\b(?i:hi|hey|hello|thanks|thank you|cheers|bye|good morning|good afternoon"
    rf"|good evening),?\s+{_NAME}"
)
_ROLES = (
    r"CFO|CEO|CTO|CIO|CISO|COO|CMO|CRO|VP|director|manager|boss|head|lead|owner|founder"
    r"|partner|colleague|controller|accountant|counsel|buyer|assistant|chair|president"
)
_BESIDE_ROLE = (
    re.compile(rf"\b(?i:{_ROLES}),?\s+{_NAME}"),
    re.compile(rf"{_NAME},\s+(?i:our|my|the|his|her|their)\s+(?i:{_ROLES})"),
    re.compile(rf"{_NAME}\s+and\s+I\b"),
    re.compile(rf"\b(?i:cc|loop in|looping in)\s+{_NAME}"),
)
_OWN = (
    re.compile(
        rf"\b(?i:I'm|I’m|I am|this is|my name is|name's)\s+[A-Z]\w+(?:\s+[A-Z]\w+)?,?\s+"
        rf"(?i:from|at|with)\s+{_ARTICLE}{_NAME}"
    ),
    re.compile(rf"\b(?i:here at|we at|us at|over at|calling from)\s+{_ARTICLE}{_NAME}"),
    re.compile(rf"\b(?i:our)\s+{_NAME}"),
)
_BUYER = re.compile(rf"\b(?i:things|everything|life|it)\s+(?:(?i:going|been)\s+)?at\s+{_NAME}")

_NOT_NAME_WORDS = """
    i i'm i'd i'll i've a an the and or but so then also just yeah yes no okay ok oh um uh
    hmm mm well right sure look listen honestly actually basically anyway sorry thanks
    we you they he she it this that these those there here what which who whom whose when
    where why how our your their his her its my me us them him everyone everybody someone
    somebody nobody anyone anybody everything something nothing anything another other
    others each both all some any none one two three most many much more less few several
    same such only own very last next first second third new old current existing
    monday tuesday wednesday thursday friday saturday sunday weekend today tomorrow
    yesterday tonight january february march april may june july august september october
    november december q1 q2 q3 q4 h1 h2 fy christmas easter thanksgiving eid diwali
    hanukkah ramadan new year's boxing day presidents memorial labor labour independence
    mr mrs ms dr sir madam god dear
    legal procurement finance security engineering marketing sales operations ops
    accounting payroll facilities compliance management leadership board it hr
    enterprise pro premium standard basic starter business team plus gold silver
    platinum essentials growth professional ultimate free trial pilot tier plan
    cfo ceo cto cio ciso coo cmo cro vp svp evp gm soc poc vat erp crm saas api roi kpi
    sla msa nda rfp rfi rfq sow po edr xdr siem mdr gdpr hipaa sso mfa usd eur gbp aud
    cad ai ml ui ux pdf csv us uk eu usa pto ooo pacific eastern central mountain gmt utc
    est pst cst ours yours theirs mine jan feb mar apr jun jul aug sep sept oct nov dec mon
    tue tues wed thu thur thurs fri sat sun eod eow eom asap emea apac latam amer
    vendors customers clients users reps people folks competitors suppliers providers
    partners agencies companies firms teams staff employees
    ebitda capex opex gaap eps yoy qoq ir fob npl npls o&m r&d m&a ipo esg
"""
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())
_PLACES = frozenset(
    line.strip().lower()
    for line in (Path(__file__).parent / "places.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)
"""Places, peoples and the pandemic (``places.txt``): never a rival, said whole."""
_FIGURE = re.compile(r"(?:fy|q|h)\d+|\d.*")


@dataclass(frozen=True)
class CompetitorMention:
    """A rival named in a segment; ``introduced`` when this segment puts it in a vendor's
    place (not merely mentions a name introduced earlier)."""

    segment: int
    names: tuple[str, ...]
    introduced: bool

    @property
    def confidence(self) -> float:
        return INTRODUCED_CONFIDENCE if self.introduced else MENTIONED_CONFIDENCE


def find_competitors(
    texts: Sequence[str],
    roles: Sequence[Role | None],
    speakers: Iterable[str] = (),
    about_rivals: Collection[int] = (),
    known: Sequence[str] = (),
    ignore: Iterable[str] = (),
) -> list[CompetitorMention]:
    """The segments (``texts`` in call order, with their speakers' ``roles``) that name a
    rival of the seller; ``speakers``: the call's speaker labels, whose words are people;
    ``about_rivals``: the segments the classifier takes for talk of a rival, where any name
    after a sentence's first word is in a vendor's place. ``known`` (the playbook's rivals)
    are rivals wherever they are said, as spelled; ``ignore`` (names the playbook says are
    none) are never found."""
    people = {w for s in speakers for w in _SPEAKER_WORD.findall(s)}
    own: set[str] = set()
    for text, role in zip(texts, roles, strict=True):
        people.update(_names(text, (_GREETED, *_BESIDE_ROLE)))
        own.update(_names(text, (_BUYER,)))
        if role == "rep":
            own.update(_names(text, _OWN))
    excluded = {_key(n) for n in people | own} - {_key(n) for n in known}
    ignored = {_key(n) for n in ignore}
    rivals: dict[str, str] = {}  # key -> the name as first said
    out: list[CompetitorMention] = []
    for i, text in enumerate(texts):
        places = (*_VENDOR_PLACE, _ANY_NAME) if i in about_rivals else _VENDOR_PLACE
        found = [n for n in _names(text, places) if _key(n) not in excluded]
        introduced = [n for n in found if not _is_ignored(n, ignored)]
        introduced += [n for n in known if _mentions(text, n)]
        for name in introduced:
            rivals.setdefault(_key(name), name)
        named = [r for r in rivals.values() if _mentions(text, r)]
        if named:
            out.append(CompetitorMention(i, tuple(named), bool(introduced)))
    return out


def _is_ignored(name: str, ignored: Collection[str]) -> bool:
    """Whether the name is an ignored one or begins with one ("Slack Connect")."""
    words = _key(name).split()
    return any(" ".join(words[:n]) in ignored for n in range(1, len(words) + 1))


def _names(text: str, patterns: Iterable[re.Pattern[str]]) -> list[str]:
    out: list[str] = []
    for pattern in patterns:
        for m in pattern.finditer(text):
            name = _trim(m.group("name"))
            if name and _key(name) not in _PLACES:
                out.append(name)
    return out


def _trim(name: str) -> str:
    """The name without a leading article or stop word, a possessive, or what follows its
    first stop word, figure or period ("Salesforce Sales Cloud" keeps "Salesforce";
    "Slalom Monday" loses "Monday"; "FY26" leaves nothing)."""
    words = re.sub(r"(?:'s|’s)$", "", name).split()
    while words and _not_name(words[0]):
        words = words[1:]
    for i, word in enumerate(words):
        if _not_name(word):
            words = words[:i]
            break
    return " ".join(words).rstrip(".")


def _not_name(word: str) -> bool:
    w = word.lower().rstrip(".")
    return w in _NOT_NAMES or _FIGURE.fullmatch(w) is not None


def _key(name: str) -> str:
    return name.lower()


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None
