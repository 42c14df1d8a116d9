"""The behaviors dealproof detects (BEHAVIORS.md), their subtypes, and which are scored."""

from __future__ import annotations

from collections.abc import Mapping

SCORED: tuple[str, ...] = (
    "agenda_set",
    "budget_discussed",
    "decision_process_confirmed",
    "next_step_dated",
    "next_step_undated",
)
"""The five behaviors whose macro F1 is the summary figure."""

FURTHER: tuple[str, ...] = (
    "pain_quantified",
    "timeline_agreed",
    "competitor_mentioned",
    "pricing_objection",
)
"""The further behaviors the team's sales calls label: scored apart, not in the macro F1."""

BUILT_IN: tuple[str, ...] = (*SCORED, *FURTHER, "rep_question")

SUBTYPES: Mapping[str, tuple[str, ...]] = {
    "budget_discussed": (
        "budget_asked",
        "price_presented",
        "discount_offered",
        "cost_concern",
        "payment_terms",
        "cost_discussion",
    ),
    "decision_process_confirmed": ("asked", "stated", "confirmed"),
    "pricing_objection": ("discount_given",),
    "rep_question": ("open", "closed"),
}

HEADS: tuple[str, ...] = (
    "agenda_set",
    "budget_discussed",
    "decision_process_confirmed",
    "next_step",
    "pain_quantified",
    "timeline_agreed",
    "competitor_mentioned",
    "pricing_objection",
)
"""Behaviors with a trained classifier head. ``next_step`` covers both next-step behaviors:
whether a date is said decides dated vs undated. ``rep_question`` is a rule."""

SUBTYPE_HEADS: tuple[str, ...] = ("budget_discussed", "decision_process_confirmed")


def head_of(behavior: str) -> str:
    """The classifier head that detects ``behavior``."""
    return "next_step" if behavior.startswith("next_step") else behavior
