"""Helpers the route modules share: paging, fetching a visible row or answering 404."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query, Response
from pydantic import AfterValidator, TypeAdapter
from sqlalchemy import ColumnElement, Row, func
from sqlmodel import Session, SQLModel, col, select

from api.problems import Problem
from api.schemas import MAX_ID, NO_NUL

T = TypeVar("T", bound=SQLModel)

Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
"""A filter on a row id: a number no id can be is refused (422), not sent to the database."""
TextFilter = Annotated[str | None, Query(max_length=300, pattern=NO_NUL)]
"""A filter on a text column: no NUL character (PostgreSQL refuses one)."""

EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def utc_moment(moment: datetime) -> datetime:
    """``moment`` in UTC (naive: taken as UTC), between the years 2 and 9999 so that a week or
    a quarter either side of it is still a datetime; ValueError otherwise."""
    try:
        utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError as exc:
        raise ValueError("out of range") from exc
    if not EARLIEST <= utc < LATEST:
        raise ValueError(f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return utc


Moment = Annotated[datetime, AfterValidator(utc_moment)]
"""A datetime a request gives: in UTC, in range (see utc_moment), or refused (422)."""


def get_visible(
    session: Session, model: type[T], row_id: int, scope: ColumnElement[bool], what: str
) -> T:
    """The row if it exists and the caller may see it; 404 otherwise (never 403, so that
    ids of other organisations' data leak nothing). An id no row can have is not looked up:
    SQLite cannot bind an integer past 64 bits."""
    if not 0 < row_id <= MAX_ID:
        raise Problem(404, f"no {what} {row_id}")
    pk = model.__table__.primary_key.columns.values()[0]  # type: ignore[attr-defined]
    row = session.exec(select(model).where(pk == row_id, scope)).first()
    if row is None:
        raise Problem(404, f"no {what} {row_id}")
    return row


def get_visible_row(
    session: Session, model: type[SQLModel], row_id: int, scope: ColumnElement[bool], what: str
) -> Row[Any]:
    """As get_visible, but the row's columns as a plain row, not an ORM object: for a read that
    only answers it (the row validates into the response model from its attributes)."""
    if not 0 < row_id <= MAX_ID:
        raise Problem(404, f"no {what} {row_id}")
    table = model.__table__  # type: ignore[attr-defined]
    pk = table.primary_key.columns.values()[0]
    row = session.connection().execute(select(*table.columns).where(pk == row_id, scope)).first()
    if row is None:
        raise Problem(404, f"no {what} {row_id}")
    return row


def page(
    session: Session, query: Any, order: Any, limit: int, offset: int
) -> tuple[list[Any], int]:
    """A page of ``query`` in ``order`` and the number of rows in all pages. Rows of a select
    of columns come back as plain rows (no ORM objects are built: they cost more than the
    query on a page of evidence)."""
    connection = session.connection()
    total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    orders = order if isinstance(order, tuple) else (order,)
    rows = list(connection.execute(query.order_by(*orders).limit(limit).offset(offset)).all())
    return rows, int(total)


def columns(model: type[SQLModel]) -> Any:
    """A select of all of ``model``'s columns, giving plain rows rather than ORM objects."""
    return select(*model.__table__.columns)  # type: ignore[attr-defined]


class JSONBody(Response):
    media_type = "application/json"


def json_response(adapter: TypeAdapter[Any], value: Any, status_code: int = 200) -> Response:
    """``value`` (plain rows, objects or dicts) as the JSON of the response model ``adapter``
    describes, validated once and encoded in pydantic's core.

    A route that returns a Response skips FastAPI's own response handling, which would
    validate the returned model a second time (in another trip to the thread pool for a sync
    route) before encoding it; the route's ``response_model`` still documents the body."""
    body = adapter.dump_json(adapter.validate_python(value, from_attributes=True))
    return JSONBody(body, status_code=status_code)


def desc_id(model: type[SQLModel]) -> Any:
    return col(model.id).desc()  # type: ignore[attr-defined]
