"""The database tables (SQLModel). Alembic migrations in api/migrations create them.

Times are aware UTC datetimes (SQLModel's UTCDateTime stores them on SQLite and PostgreSQL).
Columns the list endpoints filter on are denormalised onto ``evidence`` and indexed, so a
filtered read touches one table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, update
from sqlmodel import Field, Session, SQLModel, col, select

ROLES = ("admin", "manager", "rep")
JOB_STATES = ("queued", "running", "done", "failed")
CALL_STATES = ("queued", "running", "done", "failed")
REVIEW_STATES = ("detected", "confirmed", "rejected")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Organisation(SQLModel, table=True):
    __tablename__ = "organisations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Team(SQLModel, table=True):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisations.id", index=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("org_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisations.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="teams.id", index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    role: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(unique=True, max_length=64)
    """sha256 of the token; the token itself is shown once and never stored."""
    prefix: str = Field(max_length=12)
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class Deal(SQLModel, table=True):
    __tablename__ = "deals"
    __table_args__ = (UniqueConstraint("org_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisations.id", index=True)
    external_id: str | None = Field(default=None, max_length=200)
    """The deal's id in the CRM."""
    name: str = Field(max_length=300)
    stage: str | None = Field(default=None, max_length=100)
    playbook: str = Field(max_length=300)
    currency: str | None = Field(default=None, max_length=3)
    """ISO 4217 code of the deal's money: its calls uploaded without one take it."""
    owner_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    criteria_met: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """Exit criteria met at the last ledger update; a change fires deal.criteria_changed."""
    created_at: datetime = Field(default_factory=utcnow)


class StageChange(SQLModel, table=True):
    __tablename__ = "stage_changes"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deals.id", index=True)
    from_stage: str | None = Field(default=None, max_length=100)
    to_stage: str = Field(max_length=100)
    changed_by: int | None = Field(default=None, foreign_key="users.id")
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    at: datetime = Field(default_factory=utcnow)


class Call(SQLModel, table=True):
    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("org_id", "media_sha256"),
        Index("ix_calls_org_started", "org_id", "started_at"),
        # the filter and the order in one index: SQLite without ANALYZE statistics (the app
        # never runs it) otherwise walks ix_calls_org_started for the order. status and
        # behaviors make it cover adoption's count of the reps' calls: read from the index
        # alone, not ~1,000 rows of the table (PostgreSQL otherwise scans the whole table)
        Index("ix_calls_org_rep_started", "org_id", "rep_id", "started_at", "status", "behaviors"),
        Index("ix_calls_org_deal_started", "org_id", "deal_id", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisations.id", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deals.id", index=True)
    rep_id: int = Field(foreign_key="users.id", index=True)
    title: str = Field(default="", max_length=300)
    call_start: str | None = Field(default=None, max_length=64)
    """As given (ISO 8601 with offset): relative dates in the call resolve against it."""
    started_at: datetime = Field(default_factory=utcnow)
    """call_start in UTC, or the upload time when none was given: orders and filters calls."""
    timezone: str | None = Field(default=None, max_length=64)
    currency: str | None = Field(default=None, max_length=3)
    """ISO 4217 code of the call's money, as given (else its deal's): amounts said without
    a currency (and plain dollars, when it is a dollar) take it."""
    participants: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    rep_name: str | None = Field(default=None, max_length=200)
    """The rep's speaker name in a named transcript (tells the rep from the prospect)."""
    media_kind: str = Field(max_length=16)
    """``media`` or ``transcript``."""
    media_format: str = Field(max_length=16)
    media_name: str = Field(max_length=255)
    media_key: str = Field(max_length=300)
    media_size: int
    media_sha256: str = Field(max_length=64)
    status: str = Field(default="queued", max_length=16)
    duration: float | None = None
    score: float | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
    analyzed_at: datetime | None = None
    behaviors: str = Field(
        default="", sa_column=Column(Text, nullable=False, default="", server_default="")
    )
    """The behaviors the call has evidence of that no reviewer rejected, as
    ``|agenda_set|next_step_dated|`` (sorted; empty without any): adoption counts calls from
    this alone instead of probing their evidence. Derived from ``evidence``: whatever changes a
    call's evidence or its status calls :func:`refresh_call_behaviors` in the same
    transaction."""


class Transcript(SQLModel, table=True):
    """The whole CallAnalysis JSON of a call (utterances, speakers, metrics)."""

    __tablename__ = "transcripts"

    call_id: int = Field(foreign_key="calls.id", primary_key=True)
    analysis: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Scorecard(SQLModel, table=True):
    __tablename__ = "scorecards"

    call_id: int = Field(foreign_key="calls.id", primary_key=True)
    playbook: str = Field(max_length=300)
    score: float
    items: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Evidence(SQLModel, table=True):
    __tablename__ = "evidence"
    __table_args__ = (
        UniqueConstraint("call_id", "key"),
        # each with the other filter column last: a manager's or rep's scope, or a behavior,
        # is checked in the index, not in the table
        Index(
            "ix_evidence_org_behavior_started",
            "org_id",
            "behavior",
            "call_started_at",
            "rep_id",
        ),
        Index("ix_evidence_org_rep_started", "org_id", "rep_id", "call_started_at", "behavior"),
        Index("ix_evidence_org_started", "org_id", "call_started_at", "rep_id"),
        Index("ix_evidence_org_deal", "org_id", "deal_id", "call_started_at"),
        # covers adoption's behaviors-per-call read
        Index("ix_evidence_call_behavior", "call_id", "behavior", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=32)
    """The engine's stable evidence id (a hash of call, behavior and utterances)."""
    call_id: int = Field(foreign_key="calls.id", index=True)
    org_id: int = Field(foreign_key="organisations.id")
    deal_id: int | None = Field(default=None, foreign_key="deals.id")
    rep_id: int = Field(foreign_key="users.id")
    call_started_at: datetime
    behavior: str = Field(max_length=100)
    subtype: str | None = Field(default=None, max_length=100)
    speaker: str = Field(max_length=100)
    role: str | None = Field(default=None, max_length=16)
    start: float | None = None
    end: float | None = None
    utterance_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    quote: str = Field(sa_column=Column(Text, nullable=False))
    confidence: float
    fields: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    detector: str = Field(max_length=100)
    detector_version: str = Field(max_length=64)
    status: str = Field(default="detected", max_length=16)
    """``detected`` until a reviewer confirms or rejects it."""


class Review(SQLModel, table=True):
    """A reviewer's verdict on a detection; every verdict is kept (training data)."""

    __tablename__ = "reviews"

    id: int | None = Field(default=None, primary_key=True)
    evidence_id: int = Field(foreign_key="evidence.id", index=True)
    org_id: int = Field(foreign_key="organisations.id", index=True)
    reviewer_id: int = Field(foreign_key="users.id")
    verdict: str = Field(max_length=16)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_lease", "status", "lease_until"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisations.id", index=True)
    call_id: int = Field(foreign_key="calls.id", index=True)
    kind: str = Field(default="analyze", max_length=32)
    status: str = Field(default="queued", max_length=16)
    stage: str | None = Field(default=None, max_length=32)
    progress: float = 0.0
    attempts: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    worker: str | None = Field(default=None, max_length=200)
    lease_until: datetime | None = None
    """A running job's worker renews this; once it passes, another worker may take the job."""
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisations.id", index=True)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=200)
    """Signs each delivery (HMAC-SHA256); needed in clear to sign, so not hashed."""
    events: list[str] = Field(sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_deliveries_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoints.id", index=True)
    event: str = Field(max_length=64)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    response_status: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None


BEHAVIOR_SEPARATOR = "|"
"""Behavior names are identifiers (``[a-z][a-z0-9_]*``), so never contain it."""


def behaviors_summary(behaviors: Iterable[str]) -> str:
    """``Call.behaviors`` for these behaviors: each once, sorted, each between separators."""
    names = sorted(set(behaviors))
    return f"|{'|'.join(names)}|" if names else ""


def refresh_call_behaviors(session: Session, call_id: int) -> str:
    """Recompute ``Call.behaviors`` of call ``call_id`` from its evidence, in the session's
    transaction; returns it. Call it after any change to the call's evidence or its status.

    Locks the call row first (PostgreSQL; SQLite writes one at a time anyway) and only then
    reads the evidence, so of two transactions changing one call's evidence the second waits
    for the first to commit and reads its change too: the last to write has seen both.
    Recomputed, not incremented, so that it is right whatever ran before."""
    session.flush()  # this transaction's own evidence changes, for the read below
    session.exec(select(col(Call.id)).where(col(Call.id) == call_id).with_for_update()).all()
    found = session.exec(
        select(col(Evidence.behavior))
        .where(col(Evidence.call_id) == call_id, col(Evidence.status) != "rejected")
        .distinct()
    ).all()
    summary = behaviors_summary(found)
    session.exec(update(Call).where(col(Call.id) == call_id).values(behaviors=summary))
    return summary
