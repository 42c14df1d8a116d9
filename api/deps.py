"""FastAPI dependencies: settings, a database session, and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api.auth import Principal, principal_for
from api.db import get_engine
from api.problems import Problem
from api.settings import Settings
from api.workers import Dispatcher

_bearer = HTTPBearer(auto_error=False, description="an API token from `dealproof users create`")


# Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency in the
# thread pool, and each trip there is a hand-over of the GIL that, under concurrent requests,
# waits behind the other requests' work.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_dispatcher(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


async def get_session(
    settings: Annotated[Settings, Depends(get_settings)],
) -> AsyncIterator[Session]:
    """A session for the request. Making one does no I/O (it connects on its first query);
    closing it gives its connection back to the pool (a rollback: I/O), in the thread pool,
    after the response is sent."""
    session = Session(get_engine(settings.db_url), expire_on_commit=False)
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


SessionDep = Annotated[Session, Depends(get_session)]
DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Problem(401, "send an API token: Authorization: Bearer <token>")
    principal = principal_for(session, credentials.credentials)
    if principal is None:
        raise Problem(401, "the API token is unknown or revoked")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise Problem(403, f"this needs the role {' or '.join(roles)}")
        return principal

    return check


AdminDep = Annotated[Principal, Depends(require("admin"))]
ReviewerDep = Annotated[Principal, Depends(require("admin", "manager"))]
