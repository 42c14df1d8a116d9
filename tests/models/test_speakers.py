"""Speaker embeddings: our mel front end against Resemblyzer's, and what the encoder separates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from engine.types import FloatArray, Span
from models.speakers import (
    FRAMES_PER_SECOND,
    SAMPLE_RATE,
    TARGET_DBFS,
    SpeakerEncoder,
    _cpu_has_bf16,
    mel_frames,
    volume_gain,
)
from pipelines.decode import decode_media
from tests.conftest import SynthCall


@pytest.fixture(scope="module")
def jfk_audio(shared_eval: Path) -> FloatArray:
    return decode_media(shared_eval / "asr" / "jfk.flac").mono()


@dataclass(frozen=True)
class TurnEmbeddings:
    mels: FloatArray
    embeddings: FloatArray
    speakers: list[str]


@pytest.fixture(scope="module")
def call_embeddings(two_voice_call: SynthCall, speaker_encoder: SpeakerEncoder) -> TurnEmbeddings:
    """Two 1.5 s windows (a turn's first and last) from every turn of the espeak call."""
    audio = decode_media(two_voice_call.wav).mono()
    regions = [Span(t.start, t.end) for t in two_voice_call.turns]
    mels = mel_frames(audio) * volume_gain(audio, regions) ** 2
    windows: list[Span] = []
    speakers: list[str] = []
    for turn in two_voice_call.turns:
        windows += [Span(turn.start, turn.start + 1.5), Span(turn.end - 1.5, turn.end)]
        speakers += [turn.speaker, turn.speaker]
    return TurnEmbeddings(mels, speaker_encoder.embed_windows(mels, windows), speakers)


def test_mel_frames_match_resemblyzer(jfk_audio: FloatArray) -> None:
    from resemblyzer.audio import wav_to_mel_spectrogram  # compiles numba code on first use

    reference = wav_to_mel_spectrogram(jfk_audio)
    ours = mel_frames(jfk_audio)
    assert ours.dtype == np.float32
    assert ours.shape == reference.shape == (len(jfk_audio) // 160 + 1, 40)
    assert np.allclose(ours, reference)
    # Chunking is invisible, and so is a length that is no multiple of the hop.
    assert np.allclose(mel_frames(jfk_audio, chunk_frames=7), reference)
    odd = jfk_audio[: 3 * SAMPLE_RATE + 123]
    assert np.allclose(mel_frames(odd), wav_to_mel_spectrogram(odd))


def test_mel_frames_of_audio_shorter_than_a_window() -> None:
    out = mel_frames(np.zeros(100, dtype=np.float32))
    assert out.shape == (1, 40)
    assert not out.any()


def test_volume_gain_brings_speech_to_minus_30_dbfs() -> None:
    rng = np.random.default_rng(0)
    audio = np.zeros(2 * SAMPLE_RATE, dtype=np.float32)
    audio[SAMPLE_RATE:] = 0.3 * rng.standard_normal(SAMPLE_RATE).astype(np.float32)
    gain = volume_gain(audio, [Span(1.0, 2.0)])
    out = audio * gain
    rms = float(np.sqrt(np.mean(np.square(out[SAMPLE_RATE:], dtype=np.float64))))
    assert 20 * np.log10(rms) == pytest.approx(TARGET_DBFS, abs=0.01)
    silence = np.zeros(SAMPLE_RATE, dtype=np.float32)
    assert volume_gain(silence, [Span(0.0, 1.0)]) == 1.0


def test_power_mel_scales_with_the_square_of_the_gain(jfk_audio: FloatArray) -> None:
    """Why the diarizer scales mel frames by gain**2 instead of copying the audio."""
    assert np.allclose(mel_frames(jfk_audio * 3.0), mel_frames(jfk_audio) * 9.0, rtol=1e-4)


def test_embeddings_are_unit_length(call_embeddings: TurnEmbeddings) -> None:
    e = call_embeddings.embeddings
    assert e.shape == (2 * 8, 256)
    assert e.dtype == np.float32
    assert np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-4)


def test_same_voice_windows_are_more_similar_than_different_voices(
    call_embeddings: TurnEmbeddings,
) -> None:
    e = call_embeddings.embeddings
    who = np.array(call_embeddings.speakers)
    similarity = e @ e.T
    same_voice = (who[:, None] == who[None, :]) & ~np.eye(len(who), dtype=bool)
    other_voice = who[:, None] != who[None, :]
    assert similarity[same_voice].min() > similarity[other_voice].max()
    assert similarity[same_voice].mean() - similarity[other_voice].mean() > 0.25


def test_windows_past_the_end_are_shifted_back_inside(
    call_embeddings: TurnEmbeddings, speaker_encoder: SpeakerEncoder
) -> None:
    mels = call_embeddings.mels
    end = mels.shape[0] / FRAMES_PER_SECOND
    inside, past = speaker_encoder.embed_windows(
        mels, [Span(end - 1.5, end), Span(end - 0.5, end + 1.0)]
    )
    assert np.allclose(inside, past, atol=1e-6)


def test_no_windows_give_no_embeddings(
    call_embeddings: TurnEmbeddings, speaker_encoder: SpeakerEncoder
) -> None:
    assert speaker_encoder.embed_windows(call_embeddings.mels, []).shape == (0, 256)


def test_batching_does_not_change_embeddings(
    call_embeddings: TurnEmbeddings, speaker_encoder: SpeakerEncoder
) -> None:
    """Exactly in float32; in bfloat16 the kernels round differently with the batch shape,
    within cosine 0.999."""
    windows = [Span(0.5 + 0.75 * i, 2.0 + 0.75 * i) for i in range(5)]
    for encoder in (SpeakerEncoder(bf16=False), speaker_encoder):
        whole = encoder.embed_windows(call_embeddings.mels, windows)
        batched = encoder.embed_windows(call_embeddings.mels, windows, batch_size=2)
        if encoder.bf16:
            assert np.min(np.sum(whole * batched, axis=1)) >= 0.999
        else:
            assert np.allclose(whole, batched, atol=1e-5)


@pytest.mark.skipif(
    not _cpu_has_bf16(),
    reason="this CPU has no AVX512-BF16: oneDNN has no bfloat16 LSTM here, and dealproof "
    "uses float32 on such CPUs",
)
def test_bfloat16_embeddings_are_the_float32_ones(call_embeddings: TurnEmbeddings) -> None:
    """The bfloat16 LSTM (the default where the CPU has AVX512-BF16) gives embeddings within
    cosine 0.99 of float32 ones (measured ≥ 0.995), unit length like them."""
    windows = [Span(0.5 + 0.75 * i, 2.0 + 0.75 * i) for i in range(12)]
    fp32 = SpeakerEncoder(bf16=False).embed_windows(call_embeddings.mels, windows)
    bf16 = SpeakerEncoder(bf16=True).embed_windows(call_embeddings.mels, windows)
    assert np.allclose(np.linalg.norm(bf16, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(fp32 * bf16, axis=1)) >= 0.99
    assert not np.array_equal(fp32, bf16)  # the two paths differ: bf16 really ran


def test_one_thread_embeds_the_same_and_torch_s_setting_is_put_back(
    call_embeddings: TurnEmbeddings,
) -> None:
    import torch

    windows = [Span(0.5 + 0.75 * i, 2.0 + 0.75 * i) for i in range(6)]
    before = torch.get_num_threads()
    one = SpeakerEncoder(bf16=False, threads=1).embed_windows(call_embeddings.mels, windows)
    assert torch.get_num_threads() == before
    own = SpeakerEncoder(bf16=False, threads=None).embed_windows(call_embeddings.mels, windows)
    assert np.allclose(one, own, atol=1e-5)
