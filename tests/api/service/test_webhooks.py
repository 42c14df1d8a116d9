"""Outbound webhooks end to end, on both databases: a real HTTP receiver on 127.0.0.1 gets
signed events from the in-process worker, with retries, giving up, and endpoint management.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from api.db import session_scope
from api.webhooks import deliver_due, queue_event, sign, verify
from tests.api.service.conftest import TRANSCRIPTS, World

SECRET = "whsec_test"
BODY = b'{"id":1,"event":"call.analyzed","data":{}}'
MAX_ATTEMPTS = 3


# --------------------------------------------------------------------------- sign and verify


def test_sign_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, 1_700_000_000, BODY) == f"t=1700000000,v1={expected}"


def test_verify_accepts_a_fresh_signature() -> None:
    assert verify(SECRET, sign(SECRET, int(time.time()), BODY), BODY)
    assert verify(SECRET, sign(SECRET, int(time.time()) - 200, BODY), BODY)


def test_verify_rejects_a_tampered_body_or_a_wrong_secret() -> None:
    header = sign(SECRET, int(time.time()), BODY)
    assert not verify(SECRET, header, BODY.replace(b"{}", b'{"x":1}'))
    assert not verify(SECRET, header, BODY + b" ")
    assert not verify("whsec_other", header, BODY)


def test_verify_rejects_old_or_future_timestamps() -> None:
    now = int(time.time())
    assert not verify(SECRET, sign(SECRET, now - 301, BODY), BODY)
    assert not verify(SECRET, sign(SECRET, now + 301, BODY), BODY)
    assert verify(SECRET, sign(SECRET, now - 3600, BODY), BODY, tolerance=3700)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        "v1=abc",
        "t=notanumber,v1=abc",
        "t=,v1=",
        "t={now}",
        "t={now},v1=" + "0" * 64,
        "t={now},v1=é",
        "t={now},t={now},v1={good}",
        "t=+{now},v1={good}",
    ],
)
def test_verify_rejects_malformed_headers(header: str) -> None:
    now = int(time.time())
    good = sign(SECRET, now, BODY).split("v1=")[1]
    assert not verify(SECRET, header.format(now=now, good=good), BODY)


def test_verify_ignores_the_order_of_the_parts_and_other_signatures() -> None:
    now = int(time.time())
    t, v1 = sign(SECRET, now, BODY).split(",")
    assert verify(SECRET, f"{v1},{t}", BODY)
    assert verify(SECRET, f"{t}, v1={'0' * 64}, {v1}, v0=x", BODY)


# --------------------------------------------------------------------------- a receiver


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers each path with the
    statuses queued for it (200 once they are used up, or ``always`` for the path)."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)
    always: dict[str, int] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str) -> int:
        with self.lock:
            queued = self.script.get(path)
            if queued:
                return queued.pop(0)
            return self.always.get(path, 200)

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def events(self, path: str) -> list[str]:
        return [r.headers["x-dealproof-event"] for r in self.at(path)]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            with state.lock:
                state.requests.append(Received(self.path, headers, body, time.monotonic()))
            status = state.answer(self.path)
            time.sleep(state.delay.get(self.path, 0.0))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def world_settings() -> dict[str, Any]:
    """The conftest's world, giving up on a delivery after MAX_ATTEMPTS tries."""
    return {"webhook_max_attempts": MAX_ATTEMPTS}


@pytest.fixture
def hooked(world: World) -> World:
    assert world.settings.webhook_max_attempts == MAX_ATTEMPTS
    return world


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what} after {timeout} s")
        time.sleep(0.1)


def subscribe(world: World, who: str, url: str, events: list[str]) -> dict[str, Any]:
    response = world.post(who, "/webhooks", json={"url": url, "events": events})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def deliveries(world: World, webhook_id: int) -> list[dict[str, Any]]:
    response = world.get("admin", f"/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def check_signed(request: Received, secret: str) -> None:
    header = request.headers["x-dealproof-signature"]
    assert verify(secret, header, request.body)
    parts = dict(p.split("=", 1) for p in header.split(","))
    assert set(parts) == {"t", "v1"}
    assert abs(int(parts["t"]) - time.time()) < 120
    mac = hmac.new(secret.encode(), parts["t"].encode() + b"." + request.body, hashlib.sha256)
    assert hmac.compare_digest(parts["v1"], mac.hexdigest())
    assert not verify("whsec_wrong", header, request.body)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-dealproof-delivery"] == str(request.json["id"])
    assert request.headers["x-dealproof-event"] == request.json["event"]


# --------------------------------------------------------------------------- managing endpoints


def test_endpoints_are_for_admins_and_the_secret_is_shown_once(
    hooked: World, receiver: Receiver
) -> None:
    created = subscribe(
        hooked, "admin", receiver.url + "/a", ["deal.criteria_changed", "call.analyzed"]
    )
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 20
    assert created["events"] == ["call.analyzed", "deal.criteria_changed"]
    assert created["active"] is True and created["url"] == receiver.url + "/a"
    listed = hooked.get("admin", "/webhooks").json()
    assert [w["id"] for w in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert created["secret"] not in hooked.get("admin", "/webhooks").text
    other = subscribe(hooked, "admin", receiver.url + "/b", ["call.analyzed"])
    assert other["secret"] != created["secret"]

    for who in ("rep", "rep2", "manager"):
        assert hooked.get(who, "/webhooks").status_code == 403
        body = {"url": receiver.url, "events": ["call.analyzed"]}
        assert hooked.post(who, "/webhooks", json=body).status_code == 403
        path = f"/api/v1/webhooks/{created['id']}"
        assert hooked.client.delete(path, headers=hooked.headers(who)).status_code == 403
        assert hooked.get(who, f"/webhooks/{created['id']}/deliveries").status_code == 403

    # Another organisation's admin sees none of acme's endpoints.
    assert hooked.get("other_admin", "/webhooks").json() == []
    assert hooked.get("other_admin", f"/webhooks/{created['id']}/deliveries").status_code == 404
    path = f"/api/v1/webhooks/{created['id']}"
    assert hooked.client.delete(path, headers=hooked.headers("other_admin")).status_code == 404

    for bad in (
        {"url": "not a url", "events": ["call.analyzed"]},
        {"url": receiver.url, "events": []},
        {"url": receiver.url, "events": ["call.deleted"]},
        {"url": "ftp://example.test/x", "events": ["call.analyzed"]},
    ):
        assert hooked.post("admin", "/webhooks", json=bad).status_code == 422, bad

    response = hooked.client.delete(path, headers=hooked.headers("admin"))
    assert response.status_code == 204
    listed = {w["id"]: w["active"] for w in hooked.get("admin", "/webhooks").json()}
    assert listed == {created["id"]: False, other["id"]: True}
    assert (
        hooked.client.delete("/api/v1/webhooks/999999", headers=hooked.headers("admin")).status_code
        == 404
    )


# --------------------------------------------------------------------------- deliveries


def test_analysis_and_reviews_deliver_signed_events(hooked: World, receiver: Receiver) -> None:
    both = ["call.analyzed", "deal.criteria_changed"]
    main = subscribe(hooked, "admin", receiver.url + "/main", both)
    calls_only = subscribe(hooked, "admin", receiver.url + "/calls", ["call.analyzed"])
    flaky = subscribe(hooked, "admin", receiver.url + "/flaky", ["call.analyzed"])
    receiver.script["/flaky"] = [500]
    down = subscribe(hooked, "admin", receiver.url + "/down", ["call.analyzed"])
    receiver.always["/down"] = 503
    gone = subscribe(hooked, "admin", receiver.url + "/gone", both)
    response = hooked.client.delete(
        f"/api/v1/webhooks/{gone['id']}", headers=hooked.headers("admin")
    )
    assert response.status_code == 204
    subscribe(hooked, "other_admin", receiver.url + "/globex", both)

    deal = hooked.post("rep", "/deals", json={"name": "Globex", "external_id": "crm-7"}).json()
    call = hooked.analyzed(
        "rep",
        TRANSCRIPTS / "discovery_agenda_call.vtt",
        deal_id=deal["id"],
        call_start="2026-11-20T15:00:00+01:00",
        timezone="Europe/Berlin",
    )
    wait_for("call.analyzed at /main", lambda: "call.analyzed" in receiver.events("/main"))
    wait_for("criteria at /main", lambda: "deal.criteria_changed" in receiver.events("/main"))
    wait_for("/calls", lambda: len(receiver.at("/calls")) == 1)

    analyzed = next(r for r in receiver.at("/main") if r.json["event"] == "call.analyzed")
    check_signed(analyzed, main["secret"])
    assert not verify(
        calls_only["secret"], analyzed.headers["x-dealproof-signature"], analyzed.body
    )
    evidence = hooked.get("admin", "/evidence", params={"deal_id": deal["id"], "limit": 500})
    items = evidence.json()["items"]
    assert analyzed.json["data"] == {
        "call_id": call["id"],
        "deal_id": deal["id"],
        "rep_id": hooked.ids["rep"],
        "score": call["score"],
        "evidence": len(items),
        "behaviors": sorted({e["behavior"] for e in items}),
    }
    assert analyzed.headers["user-agent"].startswith("dealproof-webhooks/")

    changed = next(r for r in receiver.at("/main") if r.json["event"] == "deal.criteria_changed")
    check_signed(changed, main["secret"])
    ledger = hooked.get("admin", f"/deals/{deal['id']}/ledger").json()
    met = [f"{s['stage']}:{b}" for s in ledger["stages"] for b in s["met"]]
    assert met, ledger
    data = changed.json["data"]
    assert data["deal_id"] == deal["id"] and data["external_id"] == "crm-7"
    assert data["criteria_met"] == met and data["added"] == met and data["removed"] == []
    assert data["suggested_stage"] == ledger["suggested_stage"]

    only = receiver.at("/calls")[0]
    check_signed(only, calls_only["secret"])
    assert only.json["data"] == analyzed.json["data"]
    assert only.headers["x-dealproof-delivery"] != analyzed.headers["x-dealproof-delivery"]

    # /flaky answered 500 once, then took the retry: the same delivery, after the backoff.
    wait_for("the retry at /flaky", lambda: len(receiver.at("/flaky")) == 2)
    first, second = receiver.at("/flaky")
    assert first.body == second.body
    assert first.headers["x-dealproof-delivery"] == second.headers["x-dealproof-delivery"]
    assert second.at - first.at >= hooked.settings.webhook_backoff
    check_signed(second, flaky["secret"])
    wait_for(
        "/flaky delivered", lambda: deliveries(hooked, flaky["id"])[0]["status"] == "delivered"
    )
    (row,) = deliveries(hooked, flaky["id"])
    assert row["attempts"] == 2 and row["response_status"] == 200 and row["last_error"] is None
    assert row["id"] == int(first.headers["x-dealproof-delivery"])
    assert row["delivered_at"] is not None and row["event"] == "call.analyzed"

    # /down never answers 2xx: tried MAX_ATTEMPTS times, waiting longer each time, then failed.
    wait_for("/down failed", lambda: deliveries(hooked, down["id"])[0]["status"] == "failed")
    (row,) = deliveries(hooked, down["id"])
    assert row["attempts"] == MAX_ATTEMPTS and row["response_status"] == 503
    assert row["last_error"] == "HTTP 503" and row["delivered_at"] is None
    tries = receiver.at("/down")
    assert len(tries) == MAX_ATTEMPTS
    assert len({r.headers["x-dealproof-delivery"] for r in tries}) == 1
    gaps = [b.at - a.at for a, b in itertools.pairwise(tries)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4, gaps

    # A reviewer rejects the evidence that met a criterion: the criterion goes, and /main
    # hears of it.
    criterion = met[0]
    behavior = criterion.split(":", 1)[1]
    for e in items:
        if e["behavior"] == behavior:
            response = hooked.post(
                "admin", f"/evidence/{e['id']}/reviews", json={"verdict": "rejected"}
            )
            assert response.status_code == 201, response.text
    wait_for(
        "the second criteria change",
        lambda: receiver.events("/main").count("deal.criteria_changed") == 2,
    )
    latest = [r for r in receiver.at("/main") if r.json["event"] == "deal.criteria_changed"][-1]
    check_signed(latest, main["secret"])
    assert latest.json["data"]["removed"] == [c for c in met if c.endswith(":" + behavior)]
    assert latest.json["data"]["added"] == []
    assert latest.json["data"]["criteria_met"] == [c for c in met if not c.endswith(":" + behavior)]
    ledger = hooked.get("admin", f"/deals/{deal['id']}/ledger").json()
    now_met = [f"{s['stage']}:{b}" for s in ledger["stages"] for b in s["met"]]
    assert latest.json["data"]["criteria_met"] == now_met

    history = deliveries(hooked, main["id"])
    assert [d["event"] for d in history] == [
        "deal.criteria_changed",
        "deal.criteria_changed",
        "call.analyzed",
    ]
    assert all(d["status"] == "delivered" and d["attempts"] == 1 for d in history)
    assert [d["id"] for d in history] == sorted((d["id"] for d in history), reverse=True)

    # Nothing reached the deleted endpoint or the other organisation's.
    time.sleep(1.5)
    assert receiver.at("/gone") == [] and receiver.at("/globex") == []
    assert deliveries(hooked, gone["id"]) == []
    assert len(receiver.at("/calls")) == 1 and len(receiver.at("/main")) == 3


def queue(world: World, event: str = "call.analyzed") -> int:
    """Queue an event for acme's endpoints straight in the outbox; returns how many."""
    with session_scope(world.settings.db_url) as session:
        count = queue_event(session, world.ids["acme"], event, {"call_id": 1})
        session.commit()
    return count


def test_deleting_an_endpoint_stops_its_retries(hooked: World, receiver: Receiver) -> None:
    down = subscribe(hooked, "admin", receiver.url + "/down", ["call.analyzed"])
    receiver.always["/down"] = 500
    assert queue(hooked) == 1
    wait_for("the first try", lambda: len(receiver.at("/down")) == 1)
    response = hooked.client.delete(
        f"/api/v1/webhooks/{down['id']}", headers=hooked.headers("admin")
    )
    assert response.status_code == 204
    time.sleep(3.0)  # the retries would have been due after 0.2 s and 0.4 s
    assert len(receiver.at("/down")) == 1
    (row,) = deliveries(hooked, down["id"])
    assert row["status"] == "cancelled" and row["attempts"] == 1
    assert queue(hooked) == 0  # an inactive endpoint gets no new events


def test_each_delivery_goes_out_once_however_many_workers_deliver(
    hooked: World, receiver: Receiver
) -> None:
    slow = subscribe(hooked, "admin", receiver.url + "/slow", ["call.analyzed"])
    receiver.delay["/slow"] = 0.5
    threads = [threading.Thread(target=deliver_due, args=(hooked.settings,)) for _ in range(4)]
    assert queue(hooked) == 1
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_for("the delivery", lambda: deliveries(hooked, slow["id"])[0]["status"] == "delivered")
    time.sleep(1.5)
    assert len(receiver.at("/slow")) == 1
    (row,) = deliveries(hooked, slow["id"])
    assert row["attempts"] == 1


def test_an_unreachable_endpoint_is_retried_and_does_not_hold_up_others(
    hooked: World, receiver: Receiver
) -> None:
    # Nothing listens on port 9 of 127.0.0.1 (discard): connection refused.
    refused = subscribe(hooked, "admin", "http://127.0.0.1:9/hook", ["call.analyzed"])
    fine = subscribe(hooked, "admin", receiver.url + "/fine", ["call.analyzed"])
    assert queue(hooked) == 2
    wait_for("/fine", lambda: len(receiver.at("/fine")) == 1)
    wait_for("giving up", lambda: deliveries(hooked, refused["id"])[0]["status"] == "failed")
    (row,) = deliveries(hooked, refused["id"])
    assert row["attempts"] == MAX_ATTEMPTS and row["response_status"] is None
    assert row["last_error"].startswith("ConnectError")
    assert deliveries(hooked, fine["id"])[0]["status"] == "delivered"
