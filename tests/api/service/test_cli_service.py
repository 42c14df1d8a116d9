"""The service commands as a user runs them: ``dealproof users create``, ``worker`` and
``serve``, in subprocesses with their own data directory."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.api.service.conftest import empty_tables

ROOT = Path(__file__).resolve().parents[3]


def dealproof() -> list[str]:
    script = Path(sys.executable).parent / "dealproof"
    if script.is_file():
        return [str(script)]
    found = shutil.which("dealproof")
    return [found] if found else [sys.executable, "-m", "api.cli"]


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALPROOF_")}
    env.update(DEALPROOF_DATA_DIR=str(data_dir), **extra)
    return env


def run(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*dealproof(), *args],
        env=environment(data_dir, **extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def create_user(data_dir: Path, *args: str, **env: str) -> str:
    done = run(data_dir, "users", "create", *args, **env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1].startswith("API token (shown once): dp_"), done.stdout
    return lines[-1].rsplit(" ", 1)[1]


def one_line_error(done: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dealproof: "), done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_users_create_prints_a_working_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    admin = create_user(data, "--org", "acme", "--name", "Ada", "--email", "Ada@Acme.test")
    rep = create_user(
        data, "--org", "acme", "--name", "Rae", "--email", "rae@acme.test", "--role", "rep",
        "--team", "East",
    )  # fmt: skip
    assert (data / "dealproof.db").is_file()

    settings = Settings(data_dir=data, workers=0)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {admin}"})
        assert me.status_code == 200, me.text
        assert me.json()["org_name"] == "acme"
        assert me.json()["user"]["email"] == "ada@acme.test"
        assert me.json()["user"]["role"] == "admin"
        who = client.get("/api/v1/me", headers={"Authorization": f"Bearer {rep}"}).json()
        assert who["user"]["role"] == "rep" and who["org_id"] == me.json()["org_id"]
        teams = client.get("/api/v1/teams", headers={"Authorization": f"Bearer {admin}"})
        assert [t["name"] for t in teams.json()] == ["East"]
        assert who["user"]["team_id"] == teams.json()[0]["id"]
        assert client.get("/api/v1/me", headers={"Authorization": "Bearer dp_x"}).status_code == 401

    # the same email again, in any case: one line, no token, non-zero
    again = run(data, "users", "create", "--org", "acme", "--name", "A", "--email", "ADA@acme.test")
    one_line_error(again, 2, "exists")
    assert "dp_" not in again.stdout
    one_line_error(
        run(data, "users", "create", "--org", "acme", "--name", "B", "--email", "nobody"),
        2,
        "--email",
    )
    # another organisation may have the same email
    create_user(data, "--org", "globex", "--name", "Ada", "--email", "ada@acme.test")


def test_users_create_writes_to_the_configured_database(database_url: str, tmp_path: Path) -> None:
    empty_tables(database_url)
    data = tmp_path / "data"
    token = create_user(
        data, "--org", "acme", "--name", "Ada", "--email", "ada@acme.test",
        DEALPROOF_DATABASE_URL=database_url,
    )  # fmt: skip
    assert not (data / "dealproof.db").exists()  # nothing went to the default SQLite file
    settings = Settings(data_dir=data, database_url=database_url, workers=0)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        assert me.json()["user"]["role"] == "admin"


def test_worker_needs_a_broker(tmp_path: Path) -> None:
    one_line_error(run(tmp_path / "data", "worker"), 2, "DEALPROOF_BROKER_URL")
    bad = run(tmp_path / "data", "worker", DEALPROOF_WORKERS="-1")
    one_line_error(bad, 2, "DEALPROOF_WORKERS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def get(url: str, token: str | None = None) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_serve_answers_and_stops(tmp_path: Path) -> None:
    data = tmp_path / "data"
    token = create_user(data, "--org", "acme", "--name", "Ada", "--email", "ada@acme.test")
    port = free_port()
    server = subprocess.Popen(
        [*dealproof(), "serve", "--port", str(port)],
        env=environment(data),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.communicate()[0]
            try:
                status, body = get(f"{base}/health")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail("dealproof serve did not answer within 90 s")
                time.sleep(0.3)
        assert (status, body) == (200, {"status": "ok"})
        status, body = get(f"{base}/me", token)
        assert status == 200 and body["org_name"] == "acme"
        status, body = get(f"{base}/me")
        assert status == 401 and body["status"] == 401
        assert (data / "media").is_dir()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            output = server.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            server.kill()
            output = server.communicate()[0]
            pytest.fail(f"dealproof serve did not stop on SIGTERM:\n{output}")
    # uvicorn shuts down cleanly, then re-raises the signal it got (exit status -15)
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output, output
    assert "Traceback" not in output, output


def test_serve_refuses_bad_settings(tmp_path: Path) -> None:
    done = run(tmp_path / "data", "serve", "--port", str(free_port()), DEALPROOF_UPLOAD_LIMIT="0")
    one_line_error(done, 2, "DEALPROOF_UPLOAD_LIMIT")
