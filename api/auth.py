"""Bearer API tokens: issued once, stored as a sha256, looked up per request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from api.tables import ApiToken, User

TOKEN_PREFIX = "dp_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user and what their role lets them see."""

    user_id: int
    org_id: int
    team_id: int | None
    role: str
    name: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, label: str = "") -> str:
    """Create a token for ``user``; the clear token is returned once and never stored."""
    assert user.id is not None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(user_id=user.id, token_hash=hash_token(token), prefix=token[:10], label=label)
    )
    return token


def principal_for(session: Session, token: str) -> Principal | None:
    """The user a token belongs to, or None for an unknown or revoked token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    # the five columns as a plain row: no ORM objects of the token and the user per request
    row: Any = (
        session.connection()
        .execute(
            select(
                col(User.id), col(User.org_id), col(User.team_id), col(User.role), col(User.name)
            )
            .join(ApiToken, col(ApiToken.user_id) == col(User.id))
            .where(
                col(ApiToken.token_hash) == hash_token(token), col(ApiToken.revoked_at).is_(None)
            )
        )
        .first()
    )
    if row is None:
        return None
    user_id, org_id, team_id, role, name = row
    return Principal(user_id, org_id, team_id, role, name)
