"""Models loaded once per test session (each load costs seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.asr import Transcriber, load_transcriber
from models.speakers import SpeakerEncoder, load_speaker_encoder


@pytest.fixture(scope="session")
def tiny_en() -> Transcriber:
    """The bundled English-only Whisper tiny.en (the process-wide instance)."""
    return load_transcriber("tiny.en")


@pytest.fixture(scope="session")
def whisper_base(tmp_path_factory: pytest.TempPathFactory) -> Transcriber:
    """The bundled multilingual Whisper base, joined into a throwaway cache directory."""
    cache: Path = tmp_path_factory.mktemp("model-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEALPROOF_CACHE_DIR", str(cache))
        return Transcriber("base")


@pytest.fixture(scope="session")
def speaker_encoder() -> SpeakerEncoder:
    return load_speaker_encoder()
