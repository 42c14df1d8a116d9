"""``dealproof train behaviors``: fit the behavior heads from the team's data.

Training data, in this order:
1. ``models/behavior_data/examples.jsonl`` — sales sentences the team wrote by hand.
2. ``models/behavior_data/calls`` — whole sales calls the team wrote, with turn labels for
   every behavior (the format and labeling rules of the sales sets in ``eval/``; written by
   people who saw neither those sets nor the other training data). Their segments are
   labeled as a meeting's are (3.) and join the meetings in the moment-level half of the
   threshold objective below.
3. Labeled AMI meetings, never the held-out ones: the public labels of
   ``eval.labeled.AMI_TRAIN`` and the team's own labels of further meetings
   (``models/behavior_data/ami_labels``, for the heads of ``TEAM_AMI_HEADS``). Each segment
   of a labeled turn is a positive of that behavior; segments of turns that are neither
   labeled nor next to a label of a behavior are its negatives.
4. Segments of every fourth real earnings call as negatives of the four core heads (real
   business talk about costs, prices, decisions and dates that is not a sale).

Thresholds come from cross-validation on this same data, so nothing is tuned on the held-out
meetings or sales calls. The folds keep each AMI meeting whole (leave one meeting out), and
each head's threshold maximizes the mean of two out-of-fold F1 figures: the moment-level F1 on
the training meetings, scored as ``eval behaviors`` scores (BEHAVIORS.md: a detection at or
next to a labeled turn), and the example-level F1 on the other examples (written sentences,
earnings negatives). A labeled meeting is a whole conversation, with the true rate of
neutral turns, which the written sentences alone do not have. For ``next_step`` both halves
score dated and undated apart, the split ``decide`` makes; the meetings count a quarter there,
as they hold only a handful of next steps. The same objective picks each head's
regularization strength from ``REGULARIZATION_C``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from engine.behaviors.catalog import HEADS, SUBTYPE_HEADS, SUBTYPES, head_of
from engine.behaviors.decide import (
    OBJECTION,
    agrees_to_agenda,
    agrees_to_decision,
    asks_for_information,
    dates_a_step,
    is_commitment,
    is_concession,
    is_quantified,
    may_set_agenda,
)
from engine.behaviors.segments import segment_utterances
from engine.dates import find_date_expressions
from engine.types import FloatArray, Role, Utterance
from models.behavior_heads import (
    POSITION_COLUMNS,
    POSITION_FEATURES,
    ROLE_FEATURES,
    RULE_FEATURES,
    BehaviorHeads,
    segment_features,
    segment_rules,
)
from models.encoder import DIM, SentenceEncoder, load_sentence_encoder
from models.nlp import load_nlp

if TYPE_CHECKING:
    from eval.labeled import LabeledCall

IGNORE = -1
WRITTEN_CALLS = "behavior_data/calls"
WRITTEN_CALLS_SOURCE = "written call"
CORE_HEADS = ("agenda_set", "budget_discussed", "decision_process_confirmed", "next_step")
HEADS_VERSION_PREFIX = "1"
REGULARIZATION_C = (0.3, 1.0, 3.0)
"""Inverse L2 strengths tried for each head; each head keeps the one whose out-of-fold
probabilities score best on the threshold objective below (training data only, ties to the
stronger regularization). Weaker regularization fits the written sentences better but fires
on more neutral meeting turns, and the heads differ in where that balance lies."""
THRESHOLDS_BY = "moment+example"
STEP_KIND = {"next_step_dated": 1, "next_step_undated": 0}
"""``step_kinds``' value for the examples a next-step detection counts as each behavior."""
POSITION_HEADS = ("agenda_set", "next_step")
"""The heads that read where a turn is in the conversation; the others see zeros there
(and so weigh it 0). Chosen on the development figures (``eval.behaviors_dev``): on the
next-step head, leave one meeting series out 0.435 -> 0.459 (dated 0.43 -> 0.52); on the
agenda head too (centred encoding, December 2026), agenda F1 0.39 -> 0.40 on the meetings
and 0.76 -> 0.80 on the sales development calls, whose late-call proposals ("How about
Tuesday the twenty-fourth at ten? I'll do the tour and then lunch.") it stops taking for
agendas (macro: meetings 0.475 -> 0.472 through one dated step lost to the agenda, sales
0.783 -> 0.790). On every head, decisions lose (0.34 -> 0.32)."""
TEAM_AMI_HEADS = ("budget_discussed", "decision_process_confirmed", "next_step")
"""The heads the team's own AMI labels train. Chosen by leave-one-meeting-out F1 on the
public training meetings (ES2002a-d, the team's meetings always in training, best threshold
and regularization each): budget 0.833 -> 0.842, decision 0.412 -> 0.470, next step
0.386 -> 0.476, but agenda 0.644 -> 0.579, so the agenda head keeps to the public labels."""


@dataclass(frozen=True)
class Example:
    text: str
    context: str
    role: Role | None
    labels: tuple[int, ...]
    """Per head in HEADS: 1 positive, 0 negative, -1 not used for that head."""
    subtypes: tuple[tuple[str, str], ...] = ()
    source: str = ""
    behavior: str | None = None
    """The labeled behavior of a written example (dated and undated next steps apart)."""
    call_id: str = ""
    """The labeled conversation a segment comes from (empty for single sentences)."""
    turn: int = -1
    turn_labels: tuple[str, ...] = ()
    """The behaviors labeled on the segment's turn (moment-level scoring)."""
    position: float | None = None
    """Where the segment's turn is in its conversation (``Segment.position``); None for a
    single sentence."""


def written_examples() -> list[Example]:
    """The hand-written sales examples (``behavior: null`` lines are negatives of all heads)."""
    text = resources.files("models").joinpath("behavior_data/examples.jsonl").read_text("utf-8")
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        behavior = d.get("behavior")
        head = head_of(behavior) if behavior else None
        labels = tuple(IGNORE if behavior == "rep_question" else int(h == head) for h in HEADS)
        subtypes = ((behavior, d["subtype"]),) if behavior and d.get("subtype") else ()
        out.append(
            Example(
                d["text"],
                d.get("context") or "",
                d.get("role"),
                labels,
                subtypes,
                "written",
                behavior=behavior,
            )
        )
    return out


def ami_examples(meetings: Sequence[str], heads: Sequence[str] = HEADS) -> list[Example]:
    """Segments of the labeled AMI meetings named (positives and safe negatives), for
    ``heads`` only (the other heads ignore them)."""
    from eval.labeled import ami_calls

    return call_examples(ami_calls(tuple(meetings)), "ami", heads)


def written_calls() -> list[LabeledCall]:
    """The sales calls the team wrote for training, whole, with their turn labels
    (``models/behavior_data/calls``: the format of ``eval/dev``)."""
    from eval.labeled import sales_calls

    return sales_calls(Path(str(resources.files("models").joinpath(WRITTEN_CALLS))))


def call_examples(
    calls: Sequence[LabeledCall], source: str, heads: Sequence[str] = HEADS
) -> list[Example]:
    """Segments of labeled conversations: a segment of a turn labeled with a behavior is a
    positive of its head; a segment of a turn neither labeled nor next to a label of it, a
    negative; ``heads`` only (the other heads ignore them)."""
    from engine.attribution import utterances_from_transcript

    out: list[Example] = []
    for call in calls:
        utterances, _ = utterances_from_transcript(call.transcript)
        by_turn: dict[int, set[str]] = {}
        behaviors: dict[int, set[str]] = {}
        subtypes: dict[int, list[tuple[str, str]]] = {}
        for lab in call.labels:
            by_turn.setdefault(lab.turn, set()).add(head_of(lab.behavior))
            behaviors.setdefault(lab.turn, set()).add(lab.behavior)
            if lab.subtype:
                subtypes.setdefault(lab.turn, []).append((lab.behavior, lab.subtype))
        for seg in segment_utterances(utterances):
            t = seg.utterance_index
            here = by_turn.get(t, set())
            near = by_turn.get(t - 1, set()) | by_turn.get(t + 1, set())
            labels = tuple(
                IGNORE if h not in heads or (h in near and h not in here) else int(h in here)
                for h in HEADS
            )
            out.append(
                Example(
                    seg.text,
                    seg.context,
                    seg.role,
                    labels,
                    tuple(subtypes.get(t, ())),
                    source,
                    call_id=call.call_id,
                    turn=t,
                    turn_labels=tuple(sorted(behaviors.get(t, ()))),
                    position=seg.position,
                )
            )
    return out


EARNINGS_EVERY = 4
"""Every this many-th earnings call gives negatives; the others stay out of training
(``eval.false_evidence`` measures on them)."""


def earnings_examples(every_call: int = EARNINGS_EVERY, every_segment: int = 3) -> list[Example]:
    from eval.labeled import earnings_turns

    out: list[Example] = []
    labels = tuple(0 if h in CORE_HEADS else IGNORE for h in HEADS)
    for turns in earnings_turns(every_call):
        utterances = [
            Utterance(f"u{i}", f"S{i % 2}", None, None, None, text) for i, text in enumerate(turns)
        ]
        for seg in segment_utterances(utterances)[::every_segment]:
            out.append(Example(seg.text, seg.context, None, labels, (), "earnings"))
    return out


def embed(examples: Sequence[Example], encoder: SentenceEncoder) -> tuple[FloatArray, FloatArray]:
    """The MiniLM embeddings of each example's text and of its context (zeros for none)."""
    embeddings = encoder.encode([e.text for e in examples])
    contexts = sorted({e.context for e in examples if e.context})
    encoded = encoder.encode(contexts)
    index = {c: i for i, c in enumerate(contexts)}
    context = np.zeros((len(examples), DIM), dtype=np.float32)
    for i, e in enumerate(examples):
        if e.context:
            context[i] = encoded[index[e.context]]
    return embeddings, context


def features_of(
    examples: Sequence[Example], embeddings: FloatArray, context: FloatArray
) -> FloatArray:
    """The heads' features of ``examples`` from their embeddings (see ``embed``)."""
    texts = [e.text for e in examples]
    cues = list(load_nlp().cues(texts))
    rules = [segment_rules(t, c) for t, c in zip(texts, cues, strict=True)]
    return segment_features(
        embeddings, context, [e.role for e in examples], rules, [e.position for e in examples]
    )


def featurize(examples: Sequence[Example], encoder: SentenceEncoder) -> FloatArray:
    return features_of(examples, *embed(examples, encoder))


def _fit(x: FloatArray, y: npt.NDArray[np.int64], c: float) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    model.fit(x, y)
    return np.asarray(model.coef_[0], dtype=np.float64), float(model.intercept_[0])


def _stratified_folds(y: npt.NDArray[np.int64], folds: int) -> npt.NDArray[np.int64]:
    """Fold numbers dealing each class's rows round-robin, so every fold has positives."""
    out = np.zeros(len(y), dtype=np.int64)
    for value in np.unique(y):
        rows = np.flatnonzero(y == value)
        out[rows] = np.arange(len(rows)) % folds
    return out


def _group_folds(
    examples: Sequence[Example], y: npt.NDArray[np.int64], folds: int
) -> npt.NDArray[np.int64]:
    """Fold numbers: a labeled conversation's segments all fall in one fold (its index among
    the conversations, round-robin), so their out-of-fold probabilities come from heads that
    never saw that conversation; the other rows are dealt stratified by label."""
    out = np.zeros(len(y), dtype=np.int64)
    calls = sorted({e.call_id for e in examples if e.call_id})
    fold_of = {call: i % folds for i, call in enumerate(calls)}
    grouped = np.array([bool(e.call_id) for e in examples], dtype=bool)
    for i in np.flatnonzero(grouped).tolist():
        out[i] = fold_of[examples[i].call_id]
    rest = np.flatnonzero(~grouped)
    out[rest] = _stratified_folds(y[rest], folds)
    return out


NEVER = 2.0
"""The threshold of a head left unfit: above any probability."""
THRESHOLD_GRID = np.round(np.arange(0.30, 0.96, 0.01), 2)
MOMENT_WEIGHT = {
    "agenda_set": 0.5,
    "budget_discussed": 0.5,
    "decision_process_confirmed": 0.5,
    "next_step": 0.25,
    "pain_quantified": 0.5,
    "timeline_agreed": 0.5,
    "pricing_objection": 0.5,
}
"""How much the moment-level F1 on the labeled conversations (the training meetings and the
written sales calls) counts in choosing a head's threshold (the rest is the example-level F1
of the other examples). The further heads have only the written calls there, which label
them; the competitor head has none: a competitor is found by its name
(``engine.behaviors.competitors``)."""


def _f1(predicted: npt.NDArray[np.bool_], gold: npt.NDArray[np.bool_]) -> float:
    tp = float(np.sum(predicted & gold))
    fp = float(np.sum(predicted & ~gold))
    fn = float(np.sum(~predicted & gold))
    return 2 * tp / max(1.0, 2 * tp + fp + fn)


def _scored_as(head: str) -> tuple[str, ...]:
    return ("next_step_dated", "next_step_undated") if head == "next_step" else (head,)


def _example_f1(
    examples: Sequence[Example],
    rows: npt.NDArray[np.int64],
    y: npt.NDArray[np.int64],
    p: npt.NDArray[np.float64],
    kinds: npt.NDArray[np.int64],
    head: str,
    t: float,
) -> float:
    """F1 of single examples at threshold ``t``; for next steps, dated and undated apart
    (as ``decide`` splits them) wherever the examples say which they are."""
    predicted = p >= t
    gold = y == 1
    if head != "next_step" or not any(
        (examples[i].behavior or "").startswith("next_step") for i in rows.tolist()
    ):
        return _f1(predicted, gold)
    f = []
    for behavior in ("next_step_dated", "next_step_undated"):
        labeled = np.array([examples[i].behavior == behavior for i in rows.tolist()], dtype=bool)
        f.append(_f1(predicted & (kinds[rows] == STEP_KIND[behavior]), gold & labeled))
    return float(np.mean(f))


def _moment_f1(
    examples: Sequence[Example],
    rows: npt.NDArray[np.int64],
    p: npt.NDArray[np.float64],
    kinds: npt.NDArray[np.int64],
    head: str,
    t: float,
) -> float:
    """Mean moment-level F1 over the behaviors of ``head`` on the labeled conversations, as
    ``dealproof eval behaviors`` scores it: a detected turn is correct at or next to a labeled
    turn; a labeled turn is found when a detection is at or next to it. An agenda stands as
    ``decide`` rules (``may_set_agenda``; a prospect's only right after a rep's), a decision
    process as they let it stand (``agrees_to_decision``), a pain only with a number, a
    timeline only in a turn that says a date, a rep's pricing objection only in a turn
    that concedes (``is_concession``) and a prospect's in no question that only asks for
    information (``asks_for_information``), and a next step is dated by its turn or needs
    a commitment (``step_kinds``)."""
    f = []
    for behavior in _scored_as(head):
        labeled: dict[str, set[int]] = {}
        detected: dict[str, set[int]] = {}
        rep_agenda: dict[str, set[int]] = {}
        decided: dict[str, set[int]] = {}
        dated = _dated_turns(examples, rows) if head == "timeline_agreed" else set()
        conceding = _turns_where(examples, rows, is_concession) if head == OBJECTION else set()
        if head == "agenda_set":
            for i, prob in zip(rows.tolist(), p.tolist(), strict=True):
                e = examples[i]
                if prob >= t and e.role == "rep" and may_set_agenda(e.text, e.role):
                    rep_agenda.setdefault(e.call_id, set()).add(e.turn)
        if head == "decision_process_confirmed":
            # in call order, as decide() goes: a confirmation that stands may be confirmed
            for i, prob in sorted(
                zip(rows.tolist(), p.tolist(), strict=True),
                key=lambda r: (examples[r[0]].call_id, examples[r[0]].turn),
            ):
                e = examples[i]
                here = decided.setdefault(e.call_id, set())
                if prob >= t and agrees_to_decision(e.text, e.turn, here):
                    here.add(e.turn)
        for i, prob in zip(rows.tolist(), p.tolist(), strict=True):
            e = examples[i]
            if behavior in e.turn_labels:
                labeled.setdefault(e.call_id, set()).add(e.turn)
            if prob < t or (head == "next_step" and kinds[i] != STEP_KIND[behavior]):
                continue
            if head == "agenda_set" and not (
                may_set_agenda(e.text, e.role)
                and agrees_to_agenda(e.role, e.turn, rep_agenda.get(e.call_id, set()))
            ):
                continue
            if head == "decision_process_confirmed" and not agrees_to_decision(
                e.text, e.turn, decided.get(e.call_id, set())
            ):
                continue
            if head == "pain_quantified" and not is_quantified(e.text):
                continue
            if head == "timeline_agreed" and (e.call_id, e.turn) not in dated:
                continue
            if head == OBJECTION and (
                (e.call_id, e.turn) not in conceding
                if e.role == "rep"
                else asks_for_information(e.text)
            ):
                continue
            detected.setdefault(e.call_id, set()).add(e.turn)
        n_det = correct = n_lab = found = 0
        for call in set(labeled) | set(detected):
            lab, det = labeled.get(call, set()), detected.get(call, set())
            n_det += len(det)
            correct += sum(1 for turn in det if lab & {turn - 1, turn, turn + 1})
            n_lab += len(lab)
            found += sum(1 for turn in lab if det & {turn - 1, turn, turn + 1})
        precision = correct / n_det if n_det else 0.0
        recall = found / n_lab if n_lab else 0.0
        f.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return float(np.mean(f))


def _best_threshold(
    examples: Sequence[Example],
    labels: npt.NDArray[np.int64],
    oof: npt.NDArray[np.float64],
    kinds: npt.NDArray[np.int64],
    j: int,
) -> tuple[float, float, float, float | None]:
    """The objective's best score for head ``j``, its threshold, and at it the example-level
    and moment-level F1."""
    head = HEADS[j]
    in_call = np.array([bool(e.call_id) for e in examples], dtype=bool)
    single = np.flatnonzero((labels[:, j] != IGNORE) & ~in_call)
    # A conversation whose labels this head does not use (every row ignored) scores nothing.
    scored = {e.call_id for e, y in zip(examples, labels[:, j], strict=True) if y != IGNORE}
    calls = np.flatnonzero(in_call & np.array([e.call_id in scored for e in examples]))
    has_moments = calls.size > 0 and any(
        b in examples[i].turn_labels for i in calls.tolist() for b in _scored_as(head)
    )
    weight = MOMENT_WEIGHT.get(head, 0.0) if has_moments else 0.0
    if single.size == 0 and has_moments:
        weight = 1.0
    best: tuple[float, float, float, float | None] = (-1.0, 0.5, 0.0, None)
    for t in THRESHOLD_GRID:
        ex = _example_f1(examples, single, labels[single, j], oof[single], kinds, head, t)
        mo = _moment_f1(examples, calls, oof[calls], kinds, head, t) if weight else None
        score = (1 - weight) * ex + weight * (mo or 0.0)
        if score > best[0]:
            best = (score, float(t), ex, mo)
    return best


def step_dates(examples: Sequence[Example]) -> npt.NDArray[np.bool_]:
    """Whether a next step in each example would be dated, as ``decide`` dates it: by a
    date anywhere in its turn (a segment of a conversation), else in itself (a sentence)."""
    own = [dates_a_step(e.text) for e in examples]
    dated_turns = {(e.call_id, e.turn) for e, d in zip(examples, own, strict=True) if d}
    return np.array(
        [
            d or (bool(e.call_id) and (e.call_id, e.turn) in dated_turns)
            for e, d in zip(examples, own, strict=True)
        ],
        dtype=bool,
    )


def step_kinds(examples: Sequence[Example]) -> npt.NDArray[np.int64]:
    """What a next-step detection on each example would become in ``decide``: dated (1),
    undated (0), or nothing (-1: undated, with no words of a commitment)."""
    dated = step_dates(examples)
    committed = np.array([is_commitment(e.text) for e in examples], dtype=bool)
    return np.where(dated, 1, np.where(committed, 0, -1)).astype(np.int64)


def data_digest(examples: Sequence[Example]) -> str:
    """The training data, hashed: part of the heads' version and meta."""
    rows = (f"{e.source}|{e.role}|{e.text}|{e.context}|{e.labels}" for e in examples)
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _dated_turns(examples: Sequence[Example], rows: npt.NDArray[np.int64]) -> set[tuple[str, int]]:
    """The (conversation, turn) pairs of ``rows`` that say a date, as ``decide`` reads them."""
    return _turns_where(examples, rows, _says_date)


def _turns_where(
    examples: Sequence[Example], rows: npt.NDArray[np.int64], says: Callable[[str], bool]
) -> set[tuple[str, int]]:
    """The (conversation, turn) pairs of ``rows`` with a segment that ``says`` holds of."""
    return {
        (examples[i].call_id, examples[i].turn) for i in rows.tolist() if says(examples[i].text)
    }


@cache
def _says_date(text: str) -> bool:
    return bool(find_date_expressions(text))


def rules_digest(examples: Sequence[Example], kinds: npt.NDArray[np.int64] | None = None) -> str:
    """What the ``decide`` rules that the threshold objective applies say of each example
    (``step_kinds``, ``may_set_agenda``, ``agrees_to_decision``, ``is_quantified``, a date
    said, ``is_concession``, ``asks_for_information``), hashed: part of the heads'
    version, since a changed rule moves the thresholds the same weights are cut at. Hashing
    the verdicts, not the rules' source, names every rule change that matters to training
    and no edit that does not. ``kinds``: ``step_kinds(examples)``, when already at hand."""
    agenda = [may_set_agenda(e.text, e.role) for e in examples]
    decision = [agrees_to_decision(e.text, 0, set()) for e in examples]
    numbers = [is_quantified(e.text) for e in examples]
    dates = [_says_date(e.text) for e in examples]
    concessions = [is_concession(e.text) for e in examples]
    questions = [asks_for_information(e.text) for e in examples]
    kinds = step_kinds(examples) if kinds is None else kinds
    verdicts = (
        kinds.tobytes()
        + np.array(
            agenda + decision + numbers + dates + concessions + questions, dtype=bool
        ).tobytes()
    )
    return hashlib.sha256(verdicts).hexdigest()


def without_positions(x: FloatArray) -> FloatArray:
    """``x`` with the position features zeroed (for heads outside ``POSITION_HEADS``)."""
    out = x.copy()
    out[:, POSITION_COLUMNS] = 0.0
    return out


def train_heads(
    examples: Sequence[Example],
    x: FloatArray,
    *,
    c: float | Sequence[float] = 1.0,
    folds: int = 5,
    encoder: str = "all-MiniLM-L6-v2",
    only: Sequence[str] = HEADS,
) -> BehaviorHeads:
    """Fit every head (regularization and threshold from cross-validation) and the subtype
    heads. ``c``: one inverse regularization strength, or several for each head to choose
    from (see ``REGULARIZATION_C``). Heads not in ``only`` are left unfit and never fire
    (a threshold above any probability), for measurements that need just some."""
    grid = (float(c),) if isinstance(c, int | float) else tuple(float(v) for v in c)
    labels = np.array([e.labels for e in examples], dtype=np.int64)
    kinds = step_kinds(examples)
    weights = np.zeros((len(HEADS), x.shape[1]))
    bias = np.zeros(len(HEADS))
    thresholds = np.zeros(len(HEADS))
    report: dict[str, dict[str, float]] = {}
    chosen_c: dict[str, float] = {}
    unplaced = without_positions(x)
    for j, head in enumerate(HEADS):
        if head not in only:
            thresholds[j] = NEVER
            continue
        xh = x if head in POSITION_HEADS else unplaced
        used = labels[:, j] != IGNORE
        fs = _group_folds(examples, labels[:, j], folds)
        best: tuple[float, float, float, float, float | None] | None = None
        for value in grid:
            oof = np.zeros(len(examples))
            for k in range(folds):
                train = used & (fs != k)
                if not np.any(fs == k):
                    continue
                w, b = _fit(xh[train], labels[train, j], value)
                oof[fs == k] = 1 / (1 + np.exp(-(xh[fs == k] @ w + b)))
            score, t, f1, moment = _best_threshold(examples, labels, oof, kinds, j)
            if best is None or score > best[0]:
                best = (score, value, t, f1, moment)
        assert best is not None
        _, chosen_c[head], thresholds[j], f1, moment = best
        weights[j], bias[j] = _fit(xh[used], labels[used, j], chosen_c[head])
        report[head] = {
            "positives": int(labels[used, j].sum()),
            "examples": int(used.sum()),
            "cv_f1": round(f1, 3),
        }
        if moment is not None:
            report[head]["cv_moment_f1"] = round(moment, 3)
    sub_w, sub_b, sub_labels = _train_subtypes(examples, unplaced, grid[0])
    digest, rules = data_digest(examples), rules_digest(examples, kinds)
    # The version names the data, the features and every setting that changes the weights.
    setup = hashlib.sha256(
        f"{digest}|{encoder}|{list(grid)}|{folds}|{THRESHOLDS_BY}|{rules}|{POSITION_HEADS}"
        f"|{ROLE_FEATURES}|{POSITION_FEATURES}|{RULE_FEATURES}".encode()
    ).hexdigest()
    version = f"{HEADS_VERSION_PREFIX}.{setup[:8]}"
    meta = {
        "trained": date.today().isoformat(),
        "data_sha256": digest,
        "encoder": encoder,
        "regularization_c": chosen_c,
        "regularization_grid": list(grid),
        "sources": {
            s: sum(1 for e in examples if e.source == s)
            for s in sorted({e.source for e in examples})
        },
        "cross_validation": report,
        "thresholds_by": THRESHOLDS_BY,
        "decide_rules_sha256": rules,
        "position_heads": list(POSITION_HEADS),
        "thresholds": {h: float(t) for h, t in zip(HEADS, thresholds, strict=True)},
    }
    return BehaviorHeads(weights, bias, thresholds, sub_w, sub_b, sub_labels, version, meta)


def _train_subtypes(
    examples: Sequence[Example], x: FloatArray, c: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, tuple[str, ...]]]:
    from sklearn.linear_model import LogisticRegression

    weights, biases, names = {}, {}, {}
    for behavior in SUBTYPE_HEADS:
        rows, ys = [], []
        for i, e in enumerate(examples):
            for b, subtype in e.subtypes:
                if b == behavior and subtype in SUBTYPES[behavior]:
                    rows.append(i)
                    ys.append(subtype)
        present = tuple(sorted(set(ys)))
        if len(present) < 2:
            continue
        model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
        model.fit(x[rows], ys)
        classes = tuple(str(k) for k in model.classes_)
        coef = np.asarray(model.coef_, dtype=np.float64)
        intercept = np.asarray(model.intercept_, dtype=np.float64)
        if len(classes) == 2:  # sklearn keeps one row for two classes: make it explicit
            coef = np.vstack([-coef[0], coef[0]]) / 2
            intercept = np.array([-intercept[0], intercept[0]]) / 2
        weights[behavior], biases[behavior], names[behavior] = coef, intercept, classes
    return weights, biases, names


def training_examples(ami_meetings: Sequence[str] | None = None) -> list[Example]:
    """The whole training set: written sentences, written calls and labeled meetings (the
    public training meetings and the team's; or only the meetings named), earnings
    negatives."""
    from eval.labeled import AMI_TRAIN, team_ami_meetings

    examples = written_examples()
    if ami_meetings is None:
        examples += call_examples(written_calls(), WRITTEN_CALLS_SOURCE)
        examples += ami_examples(AMI_TRAIN)
        examples += ami_examples(team_ami_meetings(), TEAM_AMI_HEADS)
    else:
        examples += ami_examples(ami_meetings)
    return examples + earnings_examples()


def train_behaviors(out_dir: Path, *, ami_meetings: Sequence[str] | None = None) -> BehaviorHeads:
    """Build the training set, fit, and save the heads to ``out_dir``."""
    examples = training_examples(ami_meetings)
    encoder = load_sentence_encoder()
    x = featurize(examples, encoder)
    heads = train_heads(examples, x, c=REGULARIZATION_C, encoder=encoder.name)
    heads.save(out_dir)
    return heads


def default_heads_dir() -> Path:
    return Path(__file__).resolve().parent / "heads"
