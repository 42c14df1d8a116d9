"""Webhook endpoints of the organisation (admins only) and their deliveries."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import update
from sqlmodel import col, select

from api.deps import AdminDep, SessionDep, SettingsDep
from api.egress import BlockedAddress, check_url
from api.problems import Problem
from api.routes.common import get_visible
from api.schemas import DeliveryOut, WebhookCreated, WebhookIn, WebhookOut
from api.tables import WebhookDelivery, WebhookEndpoint
from api.webhooks import new_secret

router = APIRouter(tags=["webhooks"])


@router.post("/webhooks", response_model=WebhookCreated, status_code=201)
def create_webhook(
    body: WebhookIn, session: SessionDep, principal: AdminDep, settings: SettingsDep
) -> WebhookCreated:
    """Subscribe a URL to events; the answer holds the signing secret, shown once. A URL on
    this machine or a private network is refused unless the server allows it."""
    if not settings.webhook_allow_private:
        try:
            check_url(str(body.url))
        except BlockedAddress as exc:
            raise Problem(422, f"webhook URL refused: {exc}") from exc
    endpoint = WebhookEndpoint(
        org_id=principal.org_id,
        url=str(body.url),
        secret=new_secret(),
        events=sorted(set(body.events)),
    )
    session.add(endpoint)
    session.commit()
    return WebhookCreated.model_validate(endpoint)


@router.get("/webhooks", response_model=list[WebhookOut])
def list_webhooks(session: SessionDep, principal: AdminDep) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(col(WebhookEndpoint.org_id) == principal.org_id)
    return list(session.exec(query.order_by(col(WebhookEndpoint.id))))


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: int, session: SessionDep, principal: AdminDep) -> Response:
    """Stop deliveries to the endpoint (kept, inactive, with its delivery history); its
    pending deliveries, retries included, are cancelled."""
    endpoint = get_visible(
        session,
        WebhookEndpoint,
        webhook_id,
        col(WebhookEndpoint.org_id) == principal.org_id,
        "webhook",
    )
    endpoint.active = False
    session.add(endpoint)
    session.exec(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.endpoint_id) == endpoint.id,
            col(WebhookDelivery.status) == "pending",
        )
        .values(status="cancelled", last_error="endpoint deleted")
    )
    session.commit()
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=list[DeliveryOut])
def list_deliveries(
    webhook_id: int, session: SessionDep, principal: AdminDep
) -> list[WebhookDelivery]:
    get_visible(
        session,
        WebhookEndpoint,
        webhook_id,
        col(WebhookEndpoint.org_id) == principal.org_id,
        "webhook",
    )
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == webhook_id)
    return list(session.exec(query.order_by(col(WebhookDelivery.id).desc()).limit(200)))
