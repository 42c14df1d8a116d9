"""The service benchmark's structure at a tiny scale (no timing assertions)."""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path

import pytest

from eval.bench_service import (
    ENDPOINTS,
    HEALTH,
    ROLES,
    build_requests,
    main,
    percentile,
    render,
    seed,
    write_upload_file,
)

STATS = ("n", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms", "ratio_p95_to_health")


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([1.0, 2.0], 50) == pytest.approx(1.5)
    assert percentile([5.0], 99) == 5.0
    assert percentile(list(map(float, range(101))), 95) == pytest.approx(95.0)


def test_upload_file_is_a_wav_of_the_size_asked(tmp_path: Path) -> None:
    path = tmp_path / "up.wav"
    size = write_upload_file(path, 0.5)

    assert size == path.stat().st_size == 44 + 512 * 1024
    head = path.read_bytes()[:44]
    assert head[:4] == b"RIFF" and head[8:12] == b"WAVE" and head[36:40] == b"data"
    assert struct.unpack("<I", head[40:44])[0] == 512 * 1024


def test_seeded_requests_cover_every_endpoint_and_role(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    seeded = seed(url, calls=60, evidence=300, deals=10, reps=6, teams=2, rng=random.Random(0))

    assert seeded.counts == {"teams": 2, "users": 9, "deals": 10, "calls": 60, "evidence": 300}
    assert sorted(seeded.managers) == sorted(seeded.teams)
    requests = build_requests(seeded, 6, random.Random(1))
    assert len(requests) == 6 * (len(ENDPOINTS) + 1)
    for endpoint in (HEALTH, *ENDPOINTS):
        roles = sorted(r.role for r in requests if r.endpoint == endpoint)
        assert roles == sorted(ROLES * 2)


def test_tiny_run_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    status = main(
        [
            "--calls", "200", "--evidence", "2000", "--deals", "20", "--reps", "6",
            "--teams", "2", "--requests", "9", "--concurrency", "2", "--upload-mb", "20",
            "--backends", "sqlite", "--json", str(out),
        ]
    )  # fmt: skip

    assert status == 0
    result = json.loads(out.read_text())
    assert result["config"]["calls"] == 200 and result["config"]["upload_mb"] == 20
    assert len(result["load_average_at_start"]) == 3
    backend = result["backends"]["sqlite"]
    assert backend["seed"]["rows"]["evidence"] == 2000
    reads = backend["reads"]
    assert reads["errors"] == 0
    assert reads["requests"] == 9 * (len(ENDPOINTS) + 1)
    assert set(reads["endpoints"]) == {HEALTH, *ENDPOINTS}
    for stats in [*reads["endpoints"].values(), reads["overall"]]:
        assert all(stats[k] > 0 for k in STATS)
        assert stats["p50_ms"] <= stats["p95_ms"] <= stats["p99_ms"] <= stats["max_ms"]
    assert reads["endpoints"][HEALTH]["ratio_p95_to_health"] == 1.0
    assert set(reads["endpoints"]["calls/{id}"]["p95_ms_by_role"]) == set(ROLES)
    upload = backend["upload"]
    assert upload["status"] == 202 and upload["media_format"] == "wav"
    assert upload["size_mb"] == pytest.approx(20, abs=0.01)
    assert upload["stored_size"] == round(upload["size_mb"] * 1024 * 1024)
    assert upload["mb_per_s"] > 0 and upload["rss_samples"] > 0
    assert upload["rss_peak_mb"] >= upload["rss_before_mb"] > 0
    assert backend["upload_warmup"]["status"] == 202
    text = capsys.readouterr().out
    assert "p95/health" in text and "RSS growth" in text
    assert render(result) in text
