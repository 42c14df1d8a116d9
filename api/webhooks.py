"""Outbound webhooks: events are written to an outbox in the same transaction as the change
that caused them, then delivered, signed, with retries and exponential backoff.

Each POST carries ``X-Dealproof-Event``, ``X-Dealproof-Delivery`` (the delivery id, the
same on every retry, for de-duplication) and ``X-Dealproof-Signature: t=<unix>,v1=<hex>``
where hex = HMAC-SHA256(secret, "<t>." + body). Receivers should reject old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import timedelta
from typing import Any

import httpx
from sqlmodel import Session, col, select

from api.db import session_scope
from api.settings import Settings
from api.tables import WebhookDelivery, WebhookEndpoint, utcnow

EVENTS = ("call.analyzed", "deal.criteria_changed")
log = logging.getLogger("dealproof.webhooks")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(24)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, tolerance: float = 300.0) -> bool:
    """Check a signature header as a receiver would (also used by our tests)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected, header)


def queue_event(session: Session, org_id: int, event: str, data: dict[str, Any]) -> int:
    """Add a delivery for each active endpoint of the organisation that wants ``event``."""
    assert event in EVENTS
    endpoints = session.exec(
        select(WebhookEndpoint).where(
            WebhookEndpoint.org_id == org_id, col(WebhookEndpoint.active).is_(True)
        )
    ).all()
    count = 0
    for endpoint in endpoints:
        if event not in endpoint.events:
            continue
        assert endpoint.id is not None
        payload = {"event": event, "created_at": utcnow().isoformat(), "data": data}
        session.add(WebhookDelivery(endpoint_id=endpoint.id, event=event, payload=payload))
        count += 1
    return count


def backoff_seconds(settings: Settings, attempts: int) -> float:
    return float(settings.webhook_backoff * 2 ** max(0, attempts - 1))


def deliver_due(settings: Settings, limit: int = 20) -> int:
    """Try every delivery that is due; returns how many were tried."""
    with session_scope(settings.db_url) as session:
        due = session.exec(
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)  # type: ignore[arg-type]
            .where(
                WebhookDelivery.status == "pending",
                col(WebhookDelivery.next_attempt_at) <= utcnow(),
            )
            .order_by(col(WebhookDelivery.id))
            .limit(limit)
        ).all()
        for delivery, endpoint in due:
            _attempt(settings, session, delivery, endpoint)
            session.commit()
        return len(due)


def _attempt(
    settings: Settings, session: Session, delivery: WebhookDelivery, endpoint: WebhookEndpoint
) -> None:
    body = json.dumps({"id": delivery.id, **delivery.payload}, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "dealproof-webhooks/1",
        "X-Dealproof-Event": delivery.event,
        "X-Dealproof-Delivery": str(delivery.id),
        "X-Dealproof-Signature": sign(endpoint.secret, int(time.time()), body),
    }
    delivery.attempts += 1
    error: str | None = None
    try:
        response = httpx.post(
            endpoint.url, content=body, headers=headers, timeout=settings.webhook_timeout
        )
        delivery.response_status = response.status_code
        if not 200 <= response.status_code < 300:
            error = f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    if error is None:
        delivery.status = "delivered"
        delivery.delivered_at = utcnow()
        delivery.last_error = None
    else:
        delivery.last_error = error
        if delivery.attempts >= settings.webhook_max_attempts:
            delivery.status = "failed"
            log.warning("webhook %s to %s failed for good: %s", delivery.id, endpoint.url, error)
        else:
            delay = backoff_seconds(settings, delivery.attempts)
            delivery.next_attempt_at = utcnow() + timedelta(seconds=delay)
    session.add(delivery)
