"""The human-readable summary ``dealproof analyze`` prints."""

from __future__ import annotations

from engine.types import CallAnalysis


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def _num(value: float | None, fmt: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{fmt}}{unit}"


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_summary(analysis: CallAnalysis, *, max_utterances: int | None = 40) -> str:
    """Call facts, speakers with roles, conversation metrics and the transcript with speakers.

    ``max_utterances`` caps the transcript lines (None prints all of them).
    """
    call, m = analysis.call, analysis.metrics
    lines = [
        f"call {call.id}  ·  {_clock(call.duration)}  ·  source {call.source}"
        + (f"  ·  language {call.language}" if call.language else ""),
    ]
    if call.models.asr or call.models.diarizer:
        lines.append(f"models: asr {call.models.asr}; diarizer {call.models.diarizer}")
    lines.append("")
    lines.append("speakers")
    for s in analysis.speakers:
        who = f"{s.id} {s.name}" if s.name else s.id
        ratio = next((x.talk_ratio for x in m.speakers if x.speaker == s.id), 0.0)
        lines.append(
            f"  {who:<24} {s.role or '?':<9} (confidence {s.role_confidence:.2f})"
            f"  talk {_clock(s.talk_seconds)}  {ratio:5.1%}"
        )
    lines.append("")
    lines.append("metrics")
    lines.append(f"  rep talk ratio      {_num(m.talk_ratio_rep, '.0%')}")
    lines.append(
        f"  longest monologue   {_num(m.longest_monologue, '.1f', ' s')}"
        + (f" ({m.longest_monologue_speaker})" if m.longest_monologue_speaker else "")
    )
    lines.append(f"  interactivity       {_num(m.interactivity, '.1f', ' switches/min')}")
    lines.append(f"  patience            {_num(m.patience, '.2f', ' s')}")
    lines.append(f"  rep question rate   {_num(m.question_rate, '.0f', ' /hour')}")
    lines.append(f"  words per minute    {_num(m.words_per_minute, '.0f')}")
    lines.append("")
    if analysis.call.models.behaviors is None and analysis.call.language not in (None, "en"):
        lines.append(
            f"behaviors: not detected (the call is in {analysis.call.language!r}; "
            "behavior detection is English only)"
        )
        lines.append("")
    elif analysis.call.models.behaviors is None and analysis.call.language is None:
        lines.append("behaviors: not detected (the transcript does not look like English)")
        lines.append("")
    if analysis.evidence:
        lines.append(f"evidence ({len(analysis.evidence)})")
        for e in analysis.evidence:
            if e.behavior == "rep_question":
                continue
            kind = f"{e.behavior}/{e.subtype}" if e.subtype else e.behavior
            facts = ", ".join(f"{k}={v}" for k, v in e.fields.items() if v not in (None, [], ""))
            lines.append(
                f"  [{_clock(e.start)}] {kind:<36} {e.role or '?':<8} {e.confidence:.2f}  "
                f'"{_short(e.quote)}"' + (f"  {{{facts}}}" if facts else "")
            )
        questions = sum(1 for e in analysis.evidence if e.behavior == "rep_question")
        lines.append(f"  rep questions: {questions}")
        lines.append("")
    if analysis.scorecard is not None:
        card = analysis.scorecard
        lines.append(f"scorecard ({card.playbook}): {card.score:.0%}")
        times = {e.id: e.start for e in analysis.evidence}
        for item in card.items:
            mark = "done  " if item.status == "done" else "MISSED"
            at = ", ".join(_clock(times.get(i)) for i in item.evidence_ids[:3])
            lines.append(f"  {mark} {item.behavior:<28} weight {item.weight:g}  {at}")
            if item.coaching:
                lines.append(f"         coaching: {item.coaching}")
        lines.append("")
    shown = analysis.utterances if max_utterances is None else analysis.utterances[:max_utterances]
    lines.append(f"transcript ({len(analysis.utterances)} utterances)")
    for u in shown:
        speaker = analysis.speaker(u.speaker) if u.speaker else None
        who = (speaker.name if speaker and speaker.name else u.speaker) + (
            f" ({u.role})" if u.role else ""
        )
        lines.append(f"  [{_clock(u.start)}] {who}: {u.text}")
    hidden = len(analysis.utterances) - len(shown)
    if hidden > 0:
        lines.append(f"  … {hidden} more (use --full or --json/--vtt for everything)")
    return "\n".join(lines)
