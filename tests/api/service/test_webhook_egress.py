"""Webhooks may not reach the server's own network unless the server allows it (SSRF): URLs
are refused when registered and addresses again when a delivery connects. On both
databases, with a real receiver on 127.0.0.1 that must hear nothing."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore
import pytest
from sqlmodel import select

from api import egress
from api.db import session_scope
from api.tables import WebhookDelivery, WebhookEndpoint
from api.webhooks import deliver_due, queue_event
from tests.api.service.conftest import World

NOT_PUBLIC = [
    "127.0.0.1",
    "127.8.9.10",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "169.254.169.254",
    "224.0.0.1",
    "::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "fe80::1%eth0",
    "fc00::1",
]
PUBLIC = ["8.8.8.8", "93.184.215.14", "2606:4700::1111", "::ffff:8.8.8.8"]


@pytest.fixture
def world_settings() -> dict[str, Any]:
    """The conftest's world with the server's default: private addresses refused."""
    return {"webhook_allow_private": False}


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_loopback_private_link_local_and_special_addresses_are_not_public(address: str) -> None:
    assert not egress.is_public(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_global_unicast_addresses_are_public(address: str) -> None:
    assert egress.is_public(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost:8000/hook",
        "http://api.localhost/hook",
        "http://LOCALHOST./hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "http://[::1]:8080/hook",
        "http://[::ffff:7f00:1]/hook",
        "https://192.168.0.10/hook",
    ],
)
def test_registering_a_url_on_this_machine_or_a_private_network_is_refused(
    world: World, url: str
) -> None:
    response = world.post("admin", "/webhooks", json={"url": url, "events": ["call.analyzed"]})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "DEALPROOF_WEBHOOK_ALLOW_PRIVATE" in response.json()["detail"]
    assert world.get("admin", "/webhooks").json() == []


def test_a_public_host_name_is_accepted(world: World) -> None:
    url = "https://hooks.example.com/dealproof"
    response = world.post("admin", "/webhooks", json={"url": url, "events": ["call.analyzed"]})
    assert response.status_code == 201, response.text


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server; yields its URL and the paths it was sent."""
    heard: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            heard.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", heard
    server.shutdown()
    thread.join(timeout=5)


def test_an_endpoint_registered_while_allowed_gets_nothing_once_disallowed(
    world: World, listener: tuple[str, list[str]]
) -> None:
    url, heard = listener
    with session_scope(world.settings.db_url) as session:
        session.add(
            WebhookEndpoint(
                org_id=world.ids["acme"], url=url + "/hook", secret="s", events=["call.analyzed"]
            )
        )
        session.commit()
        assert queue_event(session, world.ids["acme"], "call.analyzed", {"call_id": 1}) == 1
        session.commit()
    deliver_due(world.settings)
    deadline = time.monotonic() + 10
    while True:
        with session_scope(world.settings.db_url) as session:
            (delivery,) = session.exec(select(WebhookDelivery)).all()
        if delivery.status != "pending" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    # Given up at once: retrying cannot make the address public.
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.last_error is not None and delivery.last_error.startswith("refused:")
    assert heard == []


def test_the_connect_guard_checks_the_resolved_address_of_a_name() -> None:
    # "localhost" is caught before connecting too; here the guard alone must refuse it.
    with pytest.raises(egress.BlockedAddress, match=r"127\.0\.0\.1"):
        egress._PublicOnly().connect_tcp("localhost", 9, timeout=2.0)


def test_one_private_address_among_a_names_answers_is_enough_to_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # DNS answers cannot be arranged on this machine: the resolver is replaced (a fake) by
    # one answering a public and a private address, as a rebinding name might.
    def answer(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", answer)
    with pytest.raises(egress.BlockedAddress, match=r"10\.0\.0\.7"):
        egress.post("http://rebind.example/hook", b"{}", {}, timeout=1.0, allow_private=False)


def test_an_unresolvable_name_is_a_connection_error_not_a_refusal() -> None:
    with pytest.raises(httpcore.ConnectError):
        egress._PublicOnly().connect_tcp("no-such-host.invalid", 80, timeout=2.0)
