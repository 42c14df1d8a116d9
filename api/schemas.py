"""Request and response bodies of the HTTP API (pydantic); the OpenAPI document is built
from these."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, HttpUrl, field_validator

RoleName = Literal["admin", "manager", "rep"]
Verdict = Literal["confirmed", "rejected"]

MAX_ID = 2**31 - 1
"""The largest row id (ids are 32-bit integers); a larger number names no row, and SQLite
cannot even bind one past 64 bits."""
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
CurrencyCode = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v),
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code (any case), e.g. AUD"),
]
"""A currency as a client may give it: " aud" is AUD."""
NO_NUL = r"^[^\x00]*$"
"""Text the database stores holds no NUL character (PostgreSQL refuses one)."""


class In(BaseModel):
    """A request body: no string in it holds a NUL character."""

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain a NUL character")
        return value


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class TeamIn(In):
    name: str = Field(min_length=1, max_length=200)


class TeamOut(Out):
    id: int
    name: str
    created_at: datetime


class UserIn(In):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    role: RoleName
    team_id: Id | None = None


class UserOut(Out):
    id: int
    name: str
    email: str
    role: str
    team_id: int | None
    created_at: datetime


class TokenIn(In):
    label: str = Field(default="", max_length=200)


class TokenOut(BaseModel):
    token: str
    """Shown once; only its hash is stored."""
    user_id: int
    prefix: str


class DealIn(In):
    name: str = Field(min_length=1, max_length=300)
    external_id: str | None = Field(default=None, min_length=1, max_length=200)
    playbook: str | None = Field(
        default=None, description="a bundled or team playbook's name; default discovery"
    )
    currency: CurrencyCode | None = Field(
        default=None, description="the deal's money; its calls uploaded without one take it"
    )
    stage: str | None = Field(default=None, max_length=100)
    owner_id: Id | None = None


class DealPatch(In):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    playbook: str | None = None
    currency: CurrencyCode | None = Field(
        default=None, description="the deal's money; its calls uploaded without one take it"
    )
    owner_id: Id | None = None


class DealOut(Out):
    id: int
    name: str
    external_id: str | None
    stage: str | None
    playbook: str
    currency: str | None
    owner_id: int | None
    created_at: datetime


class StageChangeIn(In):
    stage: str = Field(min_length=1, max_length=100)
    reason: str = Field(default="", max_length=2000)


class StageChangeOut(Out):
    id: int
    from_stage: str | None
    to_stage: str
    changed_by: int | None
    reason: str
    at: datetime


class BehaviorLedgerOut(BaseModel):
    behavior: str
    status: Literal["verified", "detected", "missing"]
    first_call_id: int | None
    first_call_number: int | None
    calls_total: int
    first_by_rep_id: int | None
    first_role: str | None
    evidence_ids: list[int]


class StageCriteriaOut(BaseModel):
    stage: str
    met: list[str]
    missing: list[str]
    verified: list[str]
    complete: bool


class LedgerOut(BaseModel):
    deal_id: int
    playbook: str
    stage: str | None
    suggested_stage: str | None
    calls: list[int]
    """The analyzed calls the ledger is built on, in time order."""
    behaviors: list[BehaviorLedgerOut]
    stages: list[StageCriteriaOut]


class CallOut(Out):
    id: int
    deal_id: int | None
    rep_id: int
    title: str
    call_start: str | None
    started_at: datetime
    timezone: str | None
    currency: str | None
    participants: list[dict[str, Any]]
    media_kind: str
    media_format: str
    media_name: str
    media_size: int
    media_sha256: str
    status: str
    duration: float | None
    score: float | None
    error: str | None
    created_at: datetime
    analyzed_at: datetime | None


class JobOut(Out):
    id: int
    call_id: int
    kind: str
    status: str
    stage: str | None
    progress: float
    attempts: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class UploadOut(BaseModel):
    call: CallOut
    job: JobOut | None
    duplicate: bool
    """True when this exact file was uploaded before: the existing call is returned."""


class EvidenceOut(Out):
    id: int
    key: str
    call_id: int
    deal_id: int | None
    rep_id: int
    call_started_at: datetime
    behavior: str
    subtype: str | None
    speaker: str
    role: str | None
    start: float | None
    end: float | None
    utterance_ids: list[str]
    quote: str
    confidence: float
    fields: dict[str, Any]
    detector: str
    detector_version: str
    status: str


class ReviewIn(In):
    verdict: Verdict
    comment: str = Field(default="", max_length=4000)


class ReviewOut(Out):
    id: int
    evidence_id: int
    reviewer_id: int
    verdict: str
    comment: str
    created_at: datetime


class ScorecardItemOut(BaseModel):
    behavior: str
    status: Literal["done", "missed"]
    weight: float
    coaching: str | None
    evidence_ids: list[int]
    """Links to ``/evidence/{id}``: the moments that prove the item, in time order."""
    evidence_keys: list[str]
    """The same moments by the engine's stable evidence id (as in the CallAnalysis JSON)."""


class ScorecardOut(BaseModel):
    call_id: int
    playbook: str
    score: float
    items: list[ScorecardItemOut]


class AdoptionCellOut(BaseModel):
    rep_id: int
    week: date
    behavior: str
    calls: int
    calls_with: int
    rate: float


class BehaviorAdoptionOut(BaseModel):
    behavior: str
    calls: int
    calls_with: int
    rate: float


class AdoptionOut(BaseModel):
    playbook: str
    since: datetime
    until: datetime
    cells: list[AdoptionCellOut]
    overall: list[BehaviorAdoptionOut]
    bottleneck: BehaviorAdoptionOut | None
    """The least adopted behavior over the period: the one to coach."""


class WebhookIn(In):
    url: HttpUrl
    events: list[Literal["call.analyzed", "deal.criteria_changed"]] = Field(min_length=1)


class WebhookOut(Out):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str
    """Shown once: sign-check deliveries with it."""


class DeliveryOut(Out):
    id: int
    event: str
    status: str
    attempts: int
    response_status: int | None
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None


class MeOut(BaseModel):
    user: UserOut
    org_id: int
    org_name: str
