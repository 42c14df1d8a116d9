"""From per-segment probabilities to detections: thresholds plus the hard rules.

How rules and the classifier combine:
1. Rule features (cue patterns, date, money, question mark) are inputs of the classifier
   heads (models/behavior_heads.py), which learn how much each is worth.
2. A head's probability at or above its threshold (chosen by cross-validation on the training
   data) is a detection of that behavior.
3. Hard rules on top, because the definitions demand them:
   - a next step is ``next_step_dated`` only when a date or time expression that can date
     a step (a time set by an event, "by our next call", "after this meeting", counts) is
     in the same turn (utterance), else ``next_step_undated``; "today" or "this
     morning" that names the call itself ("thanks for your time today", "what we covered
     today", "today's call") dates nothing. The turn, not the sentence, because the time and
     the task are often said apart ("Next meeting's in thirty minutes. Until then, you're
     working on the components.");
   - a segment is an agenda or a next step, not both: the plan of this call and what
     happens after it are told apart by the two heads, and when both pass their thresholds
     the one further above its threshold in log-odds wins (the agenda on a tie), of those
     the rules below let stand (an agenda a greeting rules out leaves the next step): in
     probabilities, a head with a high threshold has little room above it, and a
     confident next step (0.999 over 0.92) lost to a middling agenda (0.96 over 0.81);
   - likewise a segment is a decision process or a next step, not both (the decision
     process on a tie; when the step wins, an agenda and a decision process on the segment
     both lose, when it loses both may stand): committee and sign-off dates ("the partners
     sign it off on the sixth of April") and a buyer's internal steps ("I need to talk to
     my CFO") are decision process, not steps, as the sales sets' labeling rules say
     (eval/data/README.md), and the labels of the training meetings and the sales
     development calls put both on one turn once in 152 next-step turns. Judged on
     ``eval.behaviors_dev``: meetings 0.489 -> 0.490, sales development calls 0.798 -> 0.800;
   - likewise a segment is a budget or a decision process, not both (the one further above
     its threshold in log-odds wins; the budget on a tie): the decision head also takes a
     rep's money questions for one ("Is there money set aside for this, or would it be
     carved out of something else?", "And what's the cost? Roughly."), and the labels of
     the written sales calls and the sales development calls put both on one turn 5 times
     in 171 decision-process turns;
   - a ``pricing_objection`` on a rep's segment is the rep's answer to one, which
     BEHAVIORS.md subtypes ``discount_given`` (the rep concedes): the objection itself is
     the prospect's; so it stands only where the rep's turn has words of a concession
     (waive, off, credit, come down, hold the price, I can do, ...: ``is_concession``). A
     rep's price quote or value defence ("we'd propose a hundred and forty-five thousand",
     "so actually, all in, we're cheaper") sits beside objections, and the head takes it
     for one: a manager would read "discount given" on a turn that gave none. Nor is a
     prospect's question that only asks for information ("What does fixed fee look like?",
     "Per month?") one: an objection pushes back or asks for a concession
     (``asks_for_information``);
   - a decision process says something: a short pleasantry ("Bye, thanks Marcus!") is none, and a
     thin segment only confirms the decision process of the turn before ("That's right."
     after a recap of who signs): the written sales calls label recaps and their
     confirmations, and the head learned short affirmations from them;
   - ``pain_quantified`` needs a number in its segment (the behavior is a problem put in
     numbers; the head also takes unquantified complaints and questions for it), and
     ``timeline_agreed`` a date in its turn (a timeline is dated milestones);
   - ``rep_question`` is a rule: a rep's segment holding a question, open when it starts
     with an open interrogative (what, how, why, tell me, ...), else closed;
   - ``competitor_mentioned`` is not the head's to decide: a rival is found by its name in
     a vendor's place (``engine.behaviors.competitors``), which the pipeline adds; the head,
     trained on written sentences, found 1 of 22 competitor turns of the sales development
     calls and none of the held-out calls' 25;
   - a greeting or thanks that says nothing of the call's purpose, plan, structure or time
     ("Hey Chris, thanks for hopping on") is no ``agenda_set``: BEHAVIORS.md asks for the
     plan, and openings sit where agendas do, so the classifier alone takes them for one;
   - ``agenda_set`` is the rep's behavior: a prospect's segment counts only as agreement
     right after it, i.e. when the rep's utterance just before holds an agenda detection
     (BEHAVIORS.md). A prospect musing about what to cover is not the call's agenda;
   - ``next_step_undated`` needs words of a commitment or proposal (will, 'll, can, let's,
     send, schedule, call, ...: ``is_commitment``) beyond a sign-off ("Will do. Talk
     soon." is no step, as the sales sets' labeling rules say of pleasantries,
     eval/data/README.md): without a date, that is all that tells a step from a remark,
     and the classifier alone takes end-of-call chatter ("Check here.", "It might do us
     out of a job.") for one;
   - a question with no word of an agenda (``is_bare_question``) sets no agenda: rep
     discovery questions ("And when does that end?") otherwise pass for agenda moves;
   - a rep's segment with fewer than three words beyond fillers and acknowledgements
     ("Okay.", "Mm-hmm.", "Right, cool.") sets no agenda: the classifier reads the rep's
     role and the call's rhythm into it, but there is nothing a manager could check. (A
     prospect's short "Sounds good." right after the rep's agenda is agreement and stands.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.behaviors.catalog import HEADS
from engine.behaviors.segments import Segment
from engine.dates import DateMention, find_date_expressions, find_event_times
from engine.types import Role

QUESTION_CONFIDENCE = 0.9
COMPETITOR = "competitor_mentioned"
OBJECTION = "pricing_objection"
MIN_AGENDA_WORDS = 3
MIN_DECISION_WORDS = 7
_FILLER = re.compile(
    r"um|uh|er|ah|hmm|mm|mm-hmm|uh-huh|okay|ok|yeah|yep|yes|right|so|well|alright|cool|sure"
    r"|great|oh|and|but|just|then|now|good|fine|i|mean|like|you|know"
)
_WORD = re.compile(r"[a-z][a-z'-]*")
_NUMBER = re.compile(
    r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|(?:hundred|thousand|million|billion|dozen)s?|half|double(?!-)|twice"
    r"|percent|grand|k)\b",
    re.IGNORECASE,
)
_OPEN_START = re.compile(
    r"^(?:\W*(?:so|and|okay|ok|um|uh|well|right|great|now)\b[\s,]*)*"
    r"(what|how|why|where|when|which|who|tell me|walk me|describe|talk me|help me understand)\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"[^.?!]*\?")
_GREETING = re.compile(
    r"\b(?:hi|hey|hello|good (?:morning|afternoon|evening)|thanks|thank you|welcome"
    r"|(?:nice|great|good|lovely) to (?:meet|see|hear)|how's it going|how have you been"
    r"|how are you(?: doing)?(?=\W*$|\W*[?.!,])|how was your"
    r"|how (?:was|were) the (?:long )?(?:weekend|holidays?|trip|break|vacation|flight))\b",
    re.IGNORECASE,
)
_AGENDA_CONTENT = re.compile(
    r"\b(?:agenda|plans?|planned|minutes?|hours?|goals?|purpose|objective|outcome|structure"
    r"|cover|walk (?:you|through)|go (?:through|over)|start (?:with|by|off)|first|then"
    r"|discuss|talk about|focus|demo|wrap up|by the end|kick ?off|kick-off"
    r"|(?:meeting|call) is|still (?:ok|okay|good|fine|works?)|hard stop"
    r"|(?:have|got) (?:the )?time|intros?|introductions|learn (?:about|more|how)"
    r"|today,? (?:we|i)(?:'ll| will| want| would| are going| am going|'re going|'m going)"
    r"|(?:i|we)'d (?:love|like) to|hoping to|go on to|move on|moving on|around the table"
    r"|next (?:one|section|topic|item|point|slide|part)|show you|dive in|get started"
    r"|share (?:my|the) screen|save \w+(?: \w+)? for)\b",
    re.IGNORECASE,
)
_COMMITMENT = re.compile(
    r"\b(?:will|shall|gonna|going to|let's|lets|let me|can(?!'t|not)|could(?!n't)"
    r"|would(?!n't)|should(?!n't)|need(?:s)? to"
    r"|have to|has to|got to|gotta|want to|wanna|plan(?:ning)? to|please|happy to|how about"
    r"|what about|why don't|send|email|e-mail|forward|share|schedule|book|set up|follow(?:-| )up"
    r"|loop in|circle back|touch base|reach out|call|talk|speak|meet|invite|calendar"
    r"|demo|trial|proposal|quote|contract|sign|next (?:step|steps|call|meeting|time))\b"
    r"|(?:'|’)ll\b",
    re.IGNORECASE,
)

_CONCESSION = re.compile(
    r"\b(?:waiv\w*|discount\w*|(?:percent|%) off|off (?:the|your|that|this|of|list|our)"
    r"|credit\w*|free|no (?:charge|cost|extra|surcharge|increase|fee)|at no|complimentary"
    r"|on us|throw(?:ing)? in|threw in|match\w*|meet you|middle|drops?|dropping"
    r"|(?:come|comes|bring|brings|take|takes|get|gets|go|goes|knock|round|bump)"
    r"(?: \w+){0,4}? (?:down|lower|off)|lower\w*|reduc\w*|cut\w*"
    r"|hold (?:you|it|that|this|the|your)|(?:i|we)(?:'d|’d| can| could| would)(?: \w+){0,2}? do"
    r"|do (?:that|it|this) for you|get you to|possible|work with|flex\w*|extend\w*|split"
    r"|absorb|eat (?:that|it|the)|best (?:i|we) can|instead of|lock\w* (?:in|you)"
    r"|price (?:lock|hold|protection)|sweeten|honou?r|levers?)\b",
    re.IGNORECASE,
)
# A concession said with a negation before it is a refusal: "I can't come down on that",
# "there's no flexibility on list", "we don't do credits".
_REFUSED = re.compile(
    r"\b(?:no|not|never|can't|can’t|cannot|won't|won’t|don't|don’t|doesn't|doesn’t|couldn't"
    r"|couldn’t|unable|isn't|isn’t|aren't|aren’t)\b(?:\W+\w+){0,2}\W+$",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.?!]+[.?!]*")
_PUSHBACK = re.compile(
    r"\b(?:(?:could|can|would|will|won't|couldn't|can't) (?:you|we|they|ya)"
    r"|any (?:flex\w*|room|wiggle|movement|give|chance)|what if|what about|how about"
    r"|come down|(?:better|best|lower|sharper) (?:price|rate|deal|number|offer|terms)"
    r"|discount|lower|cheaper|match|waive|negotiable|budge|expensive|pricey|steep"
    r"|that much|so much|more than|higher|too|afford|justify|fair|serious|really|why)\b",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"\b(?:(?:talk|speak|chat) (?:to you )?(?:soon|later)|see you(?: soon| later| then)?"
    r"|catch you later|have a (?:good|great|nice|lovely) (?:one|day|weekend|week|evening|night"
    r"|afternoon|morning)|sounds good|thanks(?: so much)?|thank you(?: so much)?"
    r"|(?:i'll|i will|to) be honest)\b"
    # Whole clauses only: "we will do a pilot" and "we can take care of it" are commitments.
    r"|(?<![\w'])(?:will do|take care|bye|cheers)(?=\s*(?:[.!,]|$))",
    re.IGNORECASE,
)
_SMALL_TALK_BEFORE = re.compile(
    # "how's your Thursday going", not "how's Friday for you?", which offers a time.
    r"\b(?:how(?:'s| is| was| are| were)\s+(?:your|the|ur)|enjoy(?:ed)?(?:\s+(?:your|the))?"
    r"|have a (?:good|great|nice|lovely))(?:\s+long)?\s+$",
    re.IGNORECASE,
)
_TERM_BEFORE = re.compile(
    r"\b(?:ends?|ended|expires?|expired|lapses?|renews?|runs?(?: out)?|valid"
    r"|(?:said|mentioned|asked|talked|spoke) about|said|mentioned)"
    r"(?:\s+(?:on|until|through|till))?\s+$",
    re.IGNORECASE,
)
_TAKEN_BEFORE = re.compile(
    # "I'm in board prep all day Tuesday", "we're closed Monday": the day is not free.
    r"\b(?:i'm|i am|we're|we are|he's|she's|they're|they are)\s+(?:(?:in|at)\s[^.?!,]{1,30}"
    r"\ball day|out|off|away|busy|closed|booked|tied up|travel+ing"
    r"|on (?:holiday|vacation|leave))\b[^.?!,]{0,30}$",
    re.IGNORECASE,
)
_PAST_AFTER = re.compile(r"\s+(?:was|were|has been|had been|had)\b", re.IGNORECASE)
_THIS_CALL_DAY = re.compile(r"(?:today|this (?:morning|afternoon|evening))", re.IGNORECASE)
_CALL_BEFORE = re.compile(
    r"(?:\b(?:thanks?|thank you|appreciate|grateful|glad|great|good|nice|lovely|pleasure)\b"
    r"(?:\s+(?!(?:i|i'll|we'll|you'll|will|send|get|email|share|have|can|could)\b)[\w']+){0,6}"
    r"\s+|\b(?:connected|chatted|spoke|met|caught up|talked|spent)"
    r"|\b(?:summary|recap|notes|minutes|write-?up)\s+(?:of|from)\s+"
    r"|\b(?:earlier|so far|here|with (?:us|me)|joining|on (?:the|this) call|(?:hopping|jumping)"
    r" on|for|from|during|did|covered|discussed"
    r"|talked(?: about)?|went (?:over|through)|saw|seen|showed|shown|heard|learned|shared"
    r"|said|mentioned|walked (?:you |me |us )?through|looked at|reviewed|went)"
    r"(?:\s+\w+){0,3}\s+)$",
    re.IGNORECASE,
)
_NOWADAYS_BEFORE = re.compile(
    r"\b(?:do|does|doing|handle[sd]?|handling|run|runs|running|use|uses|using|currently"
    r"|manage[sd]?|managing|work|works|happens|process|processes|track|tracks|tracking"
    r"|set up|look|looks|stand|stands)\b(?:\s+[\w']+){0,3}\s+$",
    re.IGNORECASE,
)
_MONTH_ORIGIN = re.compile(r"from\s+[a-z]+", re.IGNORECASE)
_CALL_AFTER = re.compile(
    r"(?:'s|’s)\s+(?:call|meeting|chat|session|conversation|demo|discussion|walkthrough"
    r"|slides|deck|recording|notes|agenda|presentation)\b"
    r"|\s+(?:was|has been|were)\b",
    re.IGNORECASE,
)


def dates_a_step(text: str) -> bool:
    """Whether ``text`` holds a date or time that can date a next step (see
    ``step_dates``)."""
    return bool(step_dates(text))


def step_dates(text: str) -> list[DateMention]:
    """The dates and times in ``text`` that can date a next step, in order: a time set by an
    event of the conversation ("by the next meeting", "after this call"), or any expression
    the date finder finds, except "today" / "this morning" naming the call itself (thanks
    for today, what we covered today, today's call) or the present ("how payroll runs
    today"), a month something dates from ("the outage from January"), small talk ("how's
    your Thursday going?", "have a great weekend"), the end of a term or an offer's validity
    ("your contract ends February 28th", "the hold runs until Friday"), which the sales
    sets' labeling rules (eval/data/README.md) count as validity and policy dates, not
    steps, a day only mentioned ("what you said about Monday"), a date something was ("this
    year has been rough"), and a day someone is taken ("I'm in board prep all day
    Tuesday"). Calendar dates come before event times, so a step's due date is read from
    the first of them."""
    out: list[DateMention] = []
    for m in find_date_expressions(text):
        if _MONTH_ORIGIN.fullmatch(m.text):
            continue
        before = text[max(0, m.start - 60) : m.start]
        if (
            _SMALL_TALK_BEFORE.search(before)
            or _TERM_BEFORE.search(before)
            or _TAKEN_BEFORE.search(before)
        ):
            continue
        if _PAST_AFTER.match(text, m.end):
            continue
        if not _THIS_CALL_DAY.fullmatch(m.text) or (
            _CALL_BEFORE.search(before) is None
            and _NOWADAYS_BEFORE.search(before) is None
            and _CALL_AFTER.match(text, m.end) is None
        ):
            out.append(m)
    return out + find_event_times(text)


@dataclass(frozen=True)
class Detection:
    """A behavior found in one segment, before its evidence record is built."""

    segment: int
    behavior: str
    confidence: float
    subtype: str | None = None
    date_segment: int | None = None
    """For ``next_step_dated``: the segment whose date dates it (itself or another sentence
    of its turn)."""


def decide(
    segments: Sequence[Segment],
    probabilities: npt.NDArray[np.float64],
    thresholds: npt.NDArray[np.float64],
    has_date: Sequence[bool],
) -> list[Detection]:
    """Detections in segment order; ``probabilities[i][j]`` is head ``HEADS[j]`` on segment i."""
    out: list[Detection] = []
    agenda, step = HEADS.index("agenda_set"), HEADS.index("next_step")
    decision = HEADS.index("decision_process_confirmed")
    pain, timeline = HEADS.index("pain_quantified"), HEADS.index("timeline_agreed")
    objection = HEADS.index(OBJECTION)
    budget = HEADS.index("budget_discussed")
    rep_agenda: set[int] = set()  # utterances in which the rep set an agenda
    decided: set[int] = set()  # utterances holding a decision process
    dated_turns = {s.utterance_index for s, d in zip(segments, has_date, strict=True) if d}
    conceding = {s.utterance_index for s in segments if is_concession(s.text)}
    turn_date = turn_dates(
        [s.utterance_index for s in segments],
        [
            dates_a_step(s.text) if d else bool(find_event_times(s.text))
            for s, d in zip(segments, has_date, strict=True)
        ],
    )
    for seg, probs in zip(segments, probabilities, strict=True):
        margin = _logit(probs) - _logit(thresholds)
        dated_by = turn_date.get(seg.utterance_index)
        # What the rules let stand; only those compete for the segment.
        stands = {
            agenda: bool(probs[agenda] >= thresholds[agenda])
            and may_set_agenda(seg.text, seg.role)
            and agrees_to_agenda(seg.role, seg.utterance_index, rep_agenda),
            step: bool(probs[step] >= thresholds[step])
            and (dated_by is not None or is_commitment(seg.text)),
            decision: bool(probs[decision] >= thresholds[decision])
            and agrees_to_decision(seg.text, seg.utterance_index, decided),
            pain: is_quantified(seg.text),
            timeline: seg.utterance_index in dated_turns,
            objection: (
                seg.utterance_index in conceding
                if seg.role == "rep"
                else not asks_for_information(seg.text)
            ),
        }
        # The budget and the decision process settle first, and only a winner that stands
        # at the end makes a loser: a decision the step beats takes no budget with it.
        contest = bool(stands[decision] and probs[budget] >= thresholds[budget])
        budget_wins = contest and margin[budget] >= margin[decision]
        losers: set[int] = {decision} if budget_wins else set()
        rivals = [j for j in (agenda, decision) if stands[j] and j not in losers]
        if stands[step] and rivals:
            rival_wins = max(margin[j] for j in rivals) >= margin[step]
            losers |= {step} if rival_wins else set(rivals)
        if contest and not budget_wins and decision not in losers:
            losers.add(budget)
        for j, head in enumerate(HEADS):
            p = float(probs[j])
            if head == COMPETITOR or p < thresholds[j] or j in losers or not stands.get(j, True):
                continue
            if head == "agenda_set" and seg.role == "rep":
                rep_agenda.add(seg.utterance_index)
            if j == decision:
                decided.add(seg.utterance_index)
            if head == "next_step":
                behavior = "next_step_undated" if dated_by is None else "next_step_dated"
                out.append(Detection(seg.index, behavior, p, date_segment=dated_by))
                continue
            subtype = "discount_given" if head == OBJECTION and seg.role == "rep" else None
            out.append(Detection(seg.index, head, p, subtype))
        question = question_subtype(seg.text) if seg.role == "rep" else None
        if question is not None:
            out.append(Detection(seg.index, "rep_question", QUESTION_CONFIDENCE, question))
    return out


def _logit(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)), dtype=np.float64)


def turn_dates(turns: Sequence[int], dates_step: Sequence[bool]) -> dict[int, int]:
    """Per turn, the index of its first segment whose date can date a step; ``turns`` and
    ``dates_step`` (``dates_a_step`` of each segment) run over the segments in call order."""
    out: dict[int, int] = {}
    for i, (turn, dated) in enumerate(zip(turns, dates_step, strict=True)):
        if dated and turn not in out:
            out[turn] = i
    return out


def may_set_agenda(text: str, role: Role | None) -> bool:
    """Whether a segment says enough to be an agenda: no pleasantry, no bare question, and
    no rep's segment that is thin (see ``is_thin``)."""
    return not (is_pleasantry(text) or is_bare_question(text) or (role == "rep" and is_thin(text)))


def is_bare_question(text: str) -> bool:
    """A question with no word of an agenda ("And when does that end?", "That's a
    compliance issue, yes?"), beside nothing but fillers: a rep's discovery question, which
    the classifier takes for an agenda move. A time check or a move to the next part says
    so ("do you still have ten minutes?", "shall we move on to pricing?")."""
    if "?" not in text or _AGENDA_CONTENT.search(text):
        return False
    return is_thin(" ".join(_QUESTION.sub(" ", text).split()))


def is_commitment(text: str) -> bool:
    """Whether ``text`` has words of a commitment or proposal (see ``_COMMITMENT``) beyond a
    sign-off or acknowledgement ("Will do. Talk soon.", "Thanks, have a good one!")."""
    return _COMMITMENT.search(_SIGN_OFF.sub(" ", text)) is not None


def is_thin(text: str) -> bool:
    """Fewer than ``MIN_AGENDA_WORDS`` words beyond fillers and acknowledgements."""
    return _content_words(text) < MIN_AGENDA_WORDS


def _content_words(text: str) -> int:
    return sum(1 for w in _WORD.findall(text.lower()) if not _FILLER.fullmatch(w))


def agrees_to_agenda(role: str | None, turn: int, rep_agenda: set[int]) -> bool:
    """Whether an agenda at ``turn`` may stand: any but a prospect's, and a prospect's right
    after a rep's agenda (``rep_agenda``: the turns holding one)."""
    return role != "prospect" or turn - 1 in rep_agenda


def agrees_to_decision(text: str, turn: int, decided: set[int]) -> bool:
    """Whether a decision process at ``turn`` may stand: no short pleasantry ("Bye, thanks
    Marcus!"; a thanks that leads into more, "Thanks. Our CFO signs anything over fifty K",
    stands), and a thin segment ("That's right.", "Yep, correct.") only as the confirmation
    of a decision process in the turn just before (``decided``: the turns holding one)."""
    short = _content_words(text) < MIN_DECISION_WORDS
    return not (short and is_pleasantry(text)) and (not is_thin(text) or turn - 1 in decided)


def is_concession(text: str) -> bool:
    """Whether ``text`` has words of a price concession (``_CONCESSION``): "I can waive the
    install", "five percent off", "I can come down to", "we'll hold you at", "I could do
    twenty-five percent on signing" — not refused by a negation just before them ("I can't
    come down on that", "there's no flexibility on list")."""
    return any(
        _REFUSED.search(text, max(0, m.start() - 40), m.start()) is None
        for m in _CONCESSION.finditer(text)
    )


def asks_for_information(text: str) -> bool:
    """A question that asks neither for a concession nor pushes back ("What does fixed fee
    look like?", "Per month?", "And what are we paying now?"): no pricing objection,
    unlike "Is there any flex on the hours?", "Could you do something on that?" or "Why
    would we pay more for the same thing?" (``_PUSHBACK``). Every sentence of it is such a
    question or says nothing ("Hmm. And what are we paying now?"); a statement beside the
    question may be the objection ("That's way over our budget. What's the breakdown?")."""
    if "?" not in text or _PUSHBACK.search(text) is not None:
        return False
    return all("?" in s or is_thin(s) for s in _SENTENCE.findall(text) if s.strip())


def is_quantified(text: str) -> bool:
    """Whether ``text`` says a number (digits, or a number said as words)."""
    return _NUMBER.search(text) is not None


def is_pleasantry(text: str) -> bool:
    """A greeting or thanks with no word of an agenda (purpose, plan, topics, time)."""
    return _GREETING.search(text) is not None and _AGENDA_CONTENT.search(text) is None


def question_subtype(text: str) -> str | None:
    """``open`` or ``closed`` for a segment holding a question; None when it asks nothing."""
    match = _QUESTION.search(text)
    if match is None:
        return None
    return "open" if _OPEN_START.search(match.group(0).strip()) else "closed"


def best_per_utterance(
    detections: Sequence[Detection], segments: Sequence[Segment]
) -> list[Detection]:
    """One detection per behavior and utterance: the most confident segment's."""
    best: dict[tuple[int, str], Detection] = {}
    for d in detections:
        key = (segments[d.segment].utterance_index, d.behavior)
        if key not in best or d.confidence > best[key].confidence:
            best[key] = d
    return sorted(best.values(), key=lambda d: (d.segment, d.behavior))
