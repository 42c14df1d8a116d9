"""Uploads: streamed to disk, judged by content, deduplicated by sha256, stored by hash; and
every bad upload answers a problem+json 4xx and leaves nothing behind (no rows, no files).

These tests run with no workers (jobs stay queued) and a small upload limit, so that no
analysis runs; both databases, like every service test.
"""

from __future__ import annotations

import hashlib
import io
import struct
import uuid
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func
from sqlmodel import Session, select

from api.app import create_app
from api.db import get_engine
from api.settings import Settings
from api.tables import Call, Job
from tests.api.service.conftest import TRANSCRIPTS, World, empty_tables, populate

LIMIT = 64 * 1024


@pytest.fixture
def quiet(database_url: str, tmp_path: Path) -> Iterator[World]:
    """Like ``world`` but with no workers and a 64 KiB upload limit."""
    empty_tables(database_url)
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, workers=0, upload_limit=LIMIT
    )
    tokens, ids = populate(database_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield World(client, settings, tokens, ids)


def wav_bytes(seconds: float, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(rate * seconds))
    return buffer.getvalue()


def multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body built by hand (names and file names sent verbatim)."""
    boundary = f"dp{uuid.uuid4().hex}"
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            body += b"Content-Type: application/octet-stream\r\n"
        body += b"\r\n" + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post_raw(world: World, who: str | None, body: bytes, content_type: str) -> Response:
    headers = {"Content-Type": content_type}
    if who is not None:
        headers.update(world.headers(who))
    return world.client.post("/api/v1/calls", content=body, headers=headers)


def upload_as(
    world: World, who: str, name: str, data: bytes, content_type: str, **fields: Any
) -> Response:
    return world.client.post(
        "/api/v1/calls",
        headers=world.headers(who),
        files={"file": (name, data, content_type)},
        data={k: str(v) for k, v in fields.items()},
    )


def rows(world: World, model: type[Call] | type[Job]) -> int:
    with Session(get_engine(world.settings.db_url)) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def stored_files(world: World) -> list[Path]:
    """Every file under the media folder, .incoming included."""
    root = world.settings.media_path
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_problem(response: Response, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"].strip()
    for word in words:
        assert word.lower() in body["detail"].lower(), body["detail"]
    return body


def assert_nothing_written(world: World) -> None:
    assert rows(world, Call) == 0
    assert rows(world, Job) == 0
    assert stored_files(world) == []


# -- accepted uploads ----------------------------------------------------------------------


def test_content_decides_not_the_name_or_content_type(quiet: World) -> None:
    data = wav_bytes(0.5)
    response = upload_as(quiet, "rep", "call.txt", data, "text/plain")
    assert response.status_code == 202, response.text
    call = response.json()["call"]
    assert (call["media_kind"], call["media_format"]) == ("media", "wav")
    assert call["media_name"] == "call.txt"
    assert call["media_size"] == len(data)
    sha = hashlib.sha256(data).hexdigest()
    assert call["media_sha256"] == sha
    stored = quiet.settings.media_path / sha[:2] / f"{sha}.wav"
    assert stored.read_bytes() == data  # the whole stream, byte for byte
    assert stored_files(quiet) == [stored]  # nothing left in .incoming

    text = b"Just some notes about the meeting\nnothing else to say here\n"
    response = upload_as(quiet, "rep", "call.mp3", text, "audio/mpeg")
    assert_problem(response, 415, "not a recording or transcript")
    assert rows(quiet, Call) == 1
    assert stored_files(quiet) == [stored]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("discovery_agenda_call.vtt", "vtt"),
        ("demo_call.srt", "srt"),
        ("pricing_call.json", "json"),
        ("followup_call.txt", "txt"),
    ],
)
def test_transcript_formats_are_sniffed(quiet: World, name: str, kind: str) -> None:
    data = (TRANSCRIPTS / name).read_bytes()
    response = upload_as(quiet, "rep", "upload.bin", data, "application/octet-stream")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["duplicate"] is False
    call = body["call"]
    assert (call["media_kind"], call["media_format"]) == ("transcript", kind)
    assert call["status"] == "queued" and call["rep_id"] == quiet.ids["rep"]
    job = body["job"]
    assert job["call_id"] == call["id"] and job["status"] == "queued"
    assert response.headers["location"] == f"/api/v1/jobs/{job['id']}"
    followed = quiet.client.get(response.headers["location"], headers=quiet.headers("rep"))
    assert followed.status_code == 200 and followed.json()["id"] == job["id"]
    sha = hashlib.sha256(data).hexdigest()
    assert stored_files(quiet) == [quiet.settings.media_path / sha[:2] / f"{sha}.{kind}"]


def test_same_file_twice_is_one_call(quiet: World) -> None:
    data = (TRANSCRIPTS / "discovery_agenda_call.vtt").read_bytes()
    first = upload_as(quiet, "rep", "a.vtt", data, "text/vtt", title="first")
    assert first.status_code == 202, first.text
    again = upload_as(quiet, "rep", "renamed.vtt", data, "text/plain", title="second")
    assert again.status_code == 200, again.text
    assert "location" not in again.headers
    body = again.json()
    assert body["duplicate"] is True
    assert body["call"]["id"] == first.json()["call"]["id"]
    assert body["call"]["title"] == "first"
    assert body["job"]["id"] == first.json()["job"]["id"]
    assert quiet.get("rep", "/calls").json()["total"] == 1
    assert rows(quiet, Call) == 1 and rows(quiet, Job) == 1
    assert len(stored_files(quiet)) == 1
    # Another organisation's identical file is its own call.
    other = upload_as(quiet, "other_admin", "a.vtt", data, "text/vtt")
    assert other.status_code == 202 and other.json()["duplicate"] is False
    assert other.json()["call"]["id"] != first.json()["call"]["id"]


@pytest.mark.parametrize(
    ("filename", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\evil.vtt", "evil.vtt"),
        ("/abs/path/x.vtt", "x.vtt"),
        ("..", ".."),
    ],
)
def test_file_names_are_display_only(quiet: World, filename: str, shown: str) -> None:
    data = (TRANSCRIPTS / "demo_call.srt").read_bytes()
    body, content_type = multipart([("file", filename, data)])
    response = post_raw(quiet, "rep", body, content_type)
    assert response.status_code == 202, response.text
    assert response.json()["call"]["media_name"] == shown
    sha = hashlib.sha256(data).hexdigest()
    root = quiet.settings.media_path
    assert stored_files(quiet) == [root / sha[:2] / f"{sha}.srt"]
    data_dir = quiet.settings.data_dir
    assert not (data_dir / "etc").exists() and not (data_dir.parent / "etc").exists()


# -- rejected uploads: a problem, and nothing written ---------------------------------------


def test_too_large_is_stopped(quiet: World) -> None:
    streamed = wav_bytes(3.0)  # ~94 KiB: past the limit while streaming
    assert LIMIT < len(streamed) < LIMIT + 1024 * 1024
    assert_problem(upload_as(quiet, "rep", "big.wav", streamed, "audio/wav"), 413, "limit")
    assert_nothing_written(quiet)
    declared = b"\x00" * (LIMIT + 3 * 1024 * 1024)  # refused on its Content-Length
    assert_problem(upload_as(quiet, "rep", "huge.bin", declared, "audio/wav"), 413, "limit")
    assert_nothing_written(quiet)
    # The limit is the file's: a file of exactly the limit passes.
    exact = (TRANSCRIPTS / "discovery_agenda_call.vtt").read_bytes()
    exact = exact + b"\n" * (LIMIT - len(exact))
    assert upload_as(quiet, "rep", "exact.vtt", exact, "text/vtt").status_code == 202


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [
        ("empty.wav", b"", 422, ("empty",)),
        ("blob.wav", b"PK\x03\x04" + bytes(range(256)) * 8, 415, ("not a recording",)),
        ("notes.mp3", b"Just some notes\nabout nothing\n", 415, ("not a recording",)),
        ("call.json", b'{"turns": [{"speaker": "A", "text": "hi"', 422, ("json",)),
        ("call.json", b'{"turns": []}', 422, ("turn",)),
        (
            "call.wav",
            b"RIFF" + struct.pack("<I", 4000) + b"WAVE" + bytes(range(256)) * 16,
            415,
            ("media",),
        ),
        ("call.wav", b"RIFF\x24\x00\x00\x00WAVE" + b"garbage " * 100, 415, ("media",)),
        ("call.vtt", b"WEBVTT\n00:01.000 --> 00:02.000\nA: hi\n", 422, ("blank line",)),
    ],
    ids=["empty", "binary", "text-as-mp3", "bad-json", "no-turns", "corrupt-wav", "riff-junk",
         "bad-vtt"],
)  # fmt: skip
def test_bad_files_are_refused(
    quiet: World, name: str, data: bytes, status: int, words: tuple[str, ...]
) -> None:
    body = assert_problem(upload_as(quiet, "rep", name, data, "audio/wav"), status, *words)
    assert "/" not in body["detail"].split(":")[0]  # no server path in the reason
    assert_nothing_written(quiet)


def test_bad_form_fields_are_refused(quiet: World) -> None:
    data = (TRANSCRIPTS / "discovery_agenda_call.vtt").read_bytes()
    foreign = quiet.post("other_admin", "/deals", json={"name": "Theirs"})
    assert foreign.status_code == 201
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"deal_id": 999_999}, 404, "deal"),
        ({"deal_id": foreign.json()["id"]}, 404, "deal"),
        ({"deal_id": "seven"}, 422, "deal_id"),
        ({"rep_id": quiet.ids["other_admin"]}, 404, "user"),
        ({"call_start": "yesterday"}, 422, "call_start"),
        ({"call_start": "2026-11-20T15:00:00"}, 422, "offset"),
        ({"timezone": "Mars/Olympus_Mons"}, 422, "timezone"),
        ({"colour": "blue"}, 422, "colour"),
        ({"participants": "[{"}, 422, "participants"),
    ]
    for fields, status, word in cases:
        response = upload_as(quiet, "rep", "call.vtt", data, "text/vtt", **fields)
        assert_problem(response, status, word)
        assert_nothing_written(quiet)
    # a rep may not upload for another rep (not visible to them)
    response = upload_as(quiet, "rep", "c.vtt", data, "text/vtt", rep_id=quiet.ids["rep2"])
    assert_problem(response, 404, "user")
    assert_nothing_written(quiet)


def test_bad_requests_are_refused(quiet: World) -> None:
    data = (TRANSCRIPTS / "discovery_agenda_call.vtt").read_bytes()
    body, content_type = multipart([("file", "call.vtt", data)])
    assert_problem(post_raw(quiet, None, body, content_type), 401, "token")
    assert (
        quiet.client.post("/api/v1/calls", content=body, headers={"Content-Type": content_type})
        .headers.get("www-authenticate", "")
        .startswith("Bearer")
    )
    bad_token = {"Content-Type": content_type, "Authorization": "Bearer dp_not-a-token"}
    response = quiet.client.post("/api/v1/calls", content=body, headers=bad_token)
    assert_problem(response, 401, "token")
    assert_nothing_written(quiet)

    assert_problem(post_raw(quiet, "rep", data, "text/vtt"), 415, "multipart")
    response = quiet.client.post("/api/v1/calls", json={"file": "x"}, headers=quiet.headers("rep"))
    assert_problem(response, 415, "multipart")
    assert_problem(post_raw(quiet, "rep", body, "multipart/form-data"), 415, "multipart")
    assert_nothing_written(quiet)

    no_file, content_type = multipart([("title", None, b"hello")])
    assert_problem(post_raw(quiet, "rep", no_file, content_type), 422, "no file")
    two, content_type = multipart([("file", "a.vtt", data), ("file", "b.vtt", data)])
    assert_problem(post_raw(quiet, "rep", two, content_type), 400, "one file")
    truncated, content_type = multipart([("file", "a.vtt", data)])
    response = post_raw(quiet, "rep", truncated[: len(truncated) // 2], content_type)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert_nothing_written(quiet)


def test_same_file_at_once_is_one_call(quiet: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two uploads of one file racing (a client retrying before the first answer): the one
    that loses answers with the winner's call, not a server error."""
    import api.routes.calls as calls_module
    from api import jobs as job_queue

    data = (TRANSCRIPTS / "followup_call.txt").read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    real_sniffed = calls_module._sniffed
    winner: dict[str, int] = {}

    def racing(path: Path) -> Any:
        sniffed = real_sniffed(path)
        with Session(get_engine(quiet.settings.db_url)) as session:
            call = Call(
                org_id=quiet.ids["acme"],
                rep_id=quiet.ids["rep"],
                media_kind=sniffed.kind,
                media_format=sniffed.format,
                media_name="first.txt",
                media_key=f"{sha[:2]}/{sha}.{sniffed.format}",
                media_size=len(data),
                media_sha256=sha,
            )
            session.add(call)
            session.flush()
            job = job_queue.enqueue(session, call)
            session.commit()
            assert call.id is not None and job.id is not None
            winner.update(call=call.id, job=job.id)
        return sniffed

    monkeypatch.setattr(calls_module, "_sniffed", racing)
    response = upload_as(quiet, "rep", "second.txt", data, "text/plain")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["duplicate"] is True
    assert (body["call"]["id"], body["job"]["id"]) == (winner["call"], winner["job"])
    assert body["call"]["media_name"] == "first.txt"
    assert rows(quiet, Call) == 1 and rows(quiet, Job) == 1
    assert stored_files(quiet) == [quiet.settings.media_path / sha[:2] / f"{sha}.txt"]
