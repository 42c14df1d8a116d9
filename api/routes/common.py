"""Helpers the route modules share: paging, fetching a visible row or answering 404."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import ColumnElement, func
from sqlmodel import Session, SQLModel, col, select

from api.problems import Problem

T = TypeVar("T", bound=SQLModel)

Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")]


def get_visible(
    session: Session, model: type[T], row_id: int, scope: ColumnElement[bool], what: str
) -> T:
    """The row if it exists and the caller may see it; 404 otherwise (never 403, so that
    ids of other organisations' data leak nothing)."""
    pk = model.__table__.primary_key.columns.values()[0]  # type: ignore[attr-defined]
    row = session.exec(select(model).where(pk == row_id, scope)).first()
    if row is None:
        raise Problem(404, f"no {what} {row_id}")
    return row


def page(
    session: Session, query: Any, order: Any, limit: int, offset: int
) -> tuple[list[Any], int]:
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    orders = order if isinstance(order, tuple) else (order,)
    rows = list(session.exec(query.order_by(*orders).limit(limit).offset(offset)).all())
    return rows, int(total)


def desc_id(model: type[SQLModel]) -> Any:
    return col(model.id).desc()  # type: ignore[attr-defined]
