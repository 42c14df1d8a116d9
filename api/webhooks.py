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
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from api.db import session_scope
from api.egress import BlockedAddress, post
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
    """Check a signature header as a receiver would (also used by our tests): a ``t`` within
    ``tolerance`` seconds of now and a ``v1`` that matches (any of them, in any order)."""
    timestamps: list[str] = []
    macs: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            macs.append(value)
    if len(timestamps) != 1 or not timestamps[0].isascii() or not timestamps[0].isdigit():
        return False
    timestamp = int(timestamps[0])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).rpartition("v1=")[2].encode()
    # Compare bytes: compare_digest refuses str with non-ASCII characters (a TypeError).
    return any(hmac.compare_digest(expected, mac.encode()) for mac in macs)


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


def claim_seconds(settings: Settings) -> float:
    """How long a worker holds a delivery it is sending (httpx's timeout is per phase, so a
    try can outlast it); a worker that died meanwhile leaves it due again after this."""
    return max(60.0, 10 * settings.webhook_timeout)


@dataclass(frozen=True)
class _Claimed:
    id: int
    event: str
    payload: dict[str, Any]
    url: str
    secret: str


def deliver_due(settings: Settings, limit: int = 20) -> int:
    """Try every delivery that is due; returns how many this caller tried.

    Any number of workers may call this at once: each delivery is claimed by a conditional
    UPDATE before it is sent, so one worker sends it, and no transaction stays open while a
    receiver takes its time to answer."""
    with session_scope(settings.db_url) as session:
        due = session.exec(
            select(WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)  # type: ignore[arg-type]
            .where(
                WebhookDelivery.status == "pending",
                col(WebhookDelivery.next_attempt_at) <= utcnow(),
                col(WebhookEndpoint.active).is_(True),
            )
            .order_by(col(WebhookDelivery.id))
            .limit(limit)
        ).all()
    tried = 0
    for delivery_id in due:
        if delivery_id is None:
            continue
        claimed = _claim(settings, delivery_id)
        if claimed is None:
            continue
        status, error, final = _post(settings, claimed)
        _record(settings, claimed, status, error, final)
        tried += 1
    return tried


def _claim(settings: Settings, delivery_id: int) -> _Claimed | None:
    """Take the delivery if it is still due (counting the try), or None."""
    with session_scope(settings.db_url) as session:
        now = utcnow()
        result = session.exec(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.id) == delivery_id,
                col(WebhookDelivery.status) == "pending",
                col(WebhookDelivery.next_attempt_at) <= now,
            )
            .values(
                next_attempt_at=now + timedelta(seconds=claim_seconds(settings)),
                attempts=col(WebhookDelivery.attempts) + 1,
            )
        )
        if result.rowcount != 1:
            session.rollback()
            return None
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        assert endpoint is not None
        if not endpoint.active:
            delivery.status = "cancelled"
        elif delivery.attempts > settings.webhook_max_attempts:
            # The worker of the last try died while sending it.
            delivery.status = "failed"
        if delivery.status != "pending":
            session.add(delivery)
            session.commit()
            return None
        session.commit()
        return _Claimed(
            delivery_id, delivery.event, delivery.payload, endpoint.url, endpoint.secret
        )


def _post(settings: Settings, claimed: _Claimed) -> tuple[int | None, str | None, bool]:
    """Send one try; returns the HTTP status (None if no answer), the error if any, and
    whether the error is final (an address we may not deliver to: retrying cannot help)."""
    body = json.dumps({"id": claimed.id, **claimed.payload}, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "dealproof-webhooks/1",
        "X-Dealproof-Event": claimed.event,
        "X-Dealproof-Delivery": str(claimed.id),
        "X-Dealproof-Signature": sign(claimed.secret, int(time.time()), body),
    }
    try:
        status = post(
            claimed.url,
            body,
            headers,
            timeout=settings.webhook_timeout,
            allow_private=settings.webhook_allow_private,
        )
    except BlockedAddress as exc:
        return None, f"refused: {exc}", True
    except Exception as exc:  # httpcore's errors, and also malformed URLs and the like
        return None, f"{type(exc).__name__}: {exc}", False
    if not 200 <= status < 300:
        return status, f"HTTP {status}", False
    return status, None, False


def _record(
    settings: Settings, claimed: _Claimed, status: int | None, error: str | None, final: bool
) -> None:
    with session_scope(settings.db_url) as session:
        delivery = session.get(WebhookDelivery, claimed.id)
        if delivery is None or delivery.status == "delivered":
            return
        delivery.response_status = status
        delivery.last_error = error
        if error is None:
            delivery.status = "delivered"  # even if its endpoint was deleted meanwhile
            delivery.delivered_at = utcnow()
        elif delivery.status != "pending":
            pass  # cancelled meanwhile: stays so
        elif final or delivery.attempts >= settings.webhook_max_attempts:
            delivery.status = "failed"
            log.warning("webhook %s to %s failed for good: %s", claimed.id, claimed.url, error)
        else:
            delay = backoff_seconds(settings, delivery.attempts)
            delivery.next_attempt_at = utcnow() + timedelta(seconds=delay)
        session.add(delivery)
        session.commit()
