"""Decoding media to 16 kHz float audio: real files, every container we promise, bad inputs."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from collections.abc import Mapping
from pathlib import Path

import av
import numpy as np
import pytest
from scipy.signal import correlate

from engine.errors import InputError
from engine.types import Audio, FloatArray
from eval.synth import write_wav
from pipelines.decode import SAMPLE_RATE, check_input_file, decode_media

ROOT = Path(__file__).resolve().parents[2]
STEREO = Path("audio/faster_whisper/stereo_diarization.wav")


# --------------------------------------------------------------------------- helpers


def _encode(
    path: Path,
    source: Audio,
    *,
    container: str,
    codec: str | None,
    rate: int = 48_000,
    video: bool = False,
) -> Path:
    """Write ``source`` (stereo) with PyAV: ``codec`` audio (None: no audio), maybe a video
    stream first (so the audio is not stream 0)."""
    with av.open(str(path), "w", format=container) as out:
        picture = None
        if video:
            picture = out.add_stream("mpeg4", rate=10)
            picture.width, picture.height, picture.pix_fmt = 64, 48, "yuv420p"
        if codec is not None:
            sound = out.add_stream(codec, rate=rate)
            assert isinstance(sound, av.AudioStream)
            sound.layout = "stereo"
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(source.samples), format="fltp", layout="stereo"
            )
            frame.sample_rate = source.sample_rate
            resampler = av.AudioResampler(
                format=sound.codec_context.format, layout="stereo", rate=rate
            )
            for chunk in resampler.resample(frame):
                for packet in sound.encode(chunk):
                    out.mux(packet)
            for packet in sound.encode(None):
                out.mux(packet)
        if picture is not None:
            for i in range(10):
                image = np.full((48, 64, 3), 20 * i, dtype=np.uint8)
                for packet in picture.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                    out.mux(packet)
            for packet in picture.encode(None):
                out.mux(packet)
    return path


def _png() -> bytes:
    """A valid 1x1 RGB PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _best_match(x: FloatArray, y: FloatArray, max_lag: int) -> tuple[int, float]:
    """The lag (samples of ``x`` after ``y``) and normalized correlation where they match best."""
    c = correlate(x, y, mode="full", method="fft")
    lags = np.arange(-(len(y) - 1), len(x))
    window = np.abs(lags) <= max_lag
    i = int(np.argmax(c[window]))
    norm = float(np.sqrt(np.sum(x.astype(np.float64) ** 2) * np.sum(y.astype(np.float64) ** 2)))
    return int(lags[window][i]), float(c[window][i]) / norm


def _assert_one_line_input_error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        decode_media(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return message


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize(
    ("relative", "channels", "seconds"),
    [
        ("asr/jfk.flac", 2, 11.0),  # FLAC, 44.1 kHz stereo
        ("audio/pyannote_sample/sample.wav", 1, 30.0),  # PCM WAV, 16 kHz mono
        (str(STEREO), 2, 5.0),  # PCM WAV, 16 kHz, one voice per channel
        ("audio/faster_whisper/multilingual.mp3", 1, 59.9),  # MP3, 24 kHz mono
        ("audio/faster_whisper/hotwords.mp3", 2, 4.0),  # MP3, 44.1 kHz stereo
    ],
)
def test_real_files_decode_to_16khz_with_their_channels(
    shared_eval: Path, relative: str, channels: int, seconds: float
) -> None:
    audio = decode_media(shared_eval / relative)
    assert audio.sample_rate == SAMPLE_RATE
    assert audio.samples.dtype == np.float32
    assert audio.samples.flags.c_contiguous
    assert audio.channels == channels
    assert audio.duration == pytest.approx(seconds, abs=0.03)
    peak = float(np.abs(audio.samples).max())
    assert 0.05 < peak <= 1.0
    rms = np.sqrt(np.mean(np.square(audio.samples), axis=1))
    assert (rms > 0.005).all()


def _decode_by_concatenation(path: Path) -> FloatArray:
    """The straightforward decode (every frame collected, then concatenated) that
    ``decode_media``'s preallocated buffer must reproduce sample for sample."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        channels = stream.codec_context.channels
        layout = stream.codec_context.layout.name if channels > 1 else "mono"
        resampler = av.AudioResampler(format="flt", layout=layout, rate=SAMPLE_RATE)
        chunks = [
            out.to_ndarray().reshape(-1, channels).T
            for frame in [*container.decode(stream), None]
            for out in resampler.resample(frame)
        ]
    return np.concatenate(chunks, axis=1)


@pytest.mark.parametrize(
    "relative",
    ["asr/jfk.flac", "audio/faster_whisper/multilingual.mp3", str(STEREO)],
)
@pytest.mark.parametrize("estimate", ["header", "unknown", "short"])
def test_preallocated_decode_equals_concatenated_frames(
    shared_eval: Path, relative: str, estimate: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether the container's duration is right, missing, or too short (the buffer grows),
    the samples are exactly those of all frames concatenated, in a tight C-ordered array."""
    import pipelines.decode as decode

    real = decode._expected_samples
    if estimate == "unknown":
        monkeypatch.setattr(decode, "_expected_samples", lambda *_: 0)
    elif estimate == "short":
        monkeypatch.setattr(decode, "_expected_samples", lambda *a: real(*a) // 3)
    path = shared_eval / relative
    audio = decode_media(path)
    expected = _decode_by_concatenation(path)
    assert audio.samples.shape == expected.shape
    assert audio.samples.flags.c_contiguous and audio.samples.flags.owndata
    np.testing.assert_array_equal(audio.samples, expected)


def test_expected_samples_come_from_the_header(shared_eval: Path) -> None:
    """The buffer is sized from the header: a little over the decoded length, not under."""
    import pipelines.decode as decode

    path = shared_eval / "audio" / "faster_whisper" / "multilingual.mp3"
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        expected = decode._expected_samples(container, stream, SAMPLE_RATE)
    decoded = decode_media(path).samples.shape[1]
    assert decoded <= expected <= decoded * 1.02 + 2 * SAMPLE_RATE


def test_resampling_keeps_pitch_and_length(tmp_path: Path) -> None:
    rate, seconds = 44_100, 2.0
    t = np.arange(int(rate * seconds)) / rate
    path = tmp_path / "tone.wav"
    write_wav(path, [(0.5 * np.sin(2 * np.pi * 1000.0 * t)).astype(np.float32)], rate)
    audio = decode_media(path)
    assert audio.samples.shape == (1, int(SAMPLE_RATE * seconds))
    spectrum = np.abs(np.fft.rfft(audio.samples[0]))
    frequencies = np.fft.rfftfreq(audio.samples.shape[1], 1 / SAMPLE_RATE)
    assert frequencies[int(np.argmax(spectrum))] == pytest.approx(1000.0, abs=1.0)
    assert float(np.sqrt(np.mean(audio.samples[0, 1000:-1000] ** 2))) == pytest.approx(
        0.5 / np.sqrt(2), rel=0.02
    )


# --------------------------------------------------------------------------- containers

FORMATS: Mapping[str, tuple[str, str, int, bool]] = {
    # file name: (container, audio codec, codec rate, with a video stream before the audio)
    "call.m4a": ("ipod", "aac", 44_100, False),
    "call.mp4": ("mp4", "aac", 44_100, False),
    "call.ogg": ("ogg", "libopus", 48_000, False),
    "call.webm": ("webm", "libopus", 48_000, False),
    "call.mov": ("mov", "aac", 48_000, True),
}


@pytest.fixture(scope="session")
def stereo_source(shared_eval: Path) -> Audio:
    """The real stereo clip (one voice per channel), at 48 kHz for the encoders."""
    return decode_media(shared_eval / STEREO, sample_rate=48_000)


@pytest.fixture(scope="session")
def encoded(stereo_source: Audio, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The real stereo clip re-encoded into every container in FORMATS, plus a video-only MP4."""
    folder = tmp_path_factory.mktemp("encoded")
    files = {
        name: _encode(folder / name, stereo_source, container=c, codec=codec, rate=r, video=v)
        for name, (c, codec, r, v) in FORMATS.items()
    }
    files["video_only.mp4"] = _encode(
        folder / "video_only.mp4", stereo_source, container="mp4", codec=None, video=True
    )
    return files


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_containers_decode_to_the_same_stereo_audio(
    name: str, encoded: dict[str, Path], shared_eval: Path
) -> None:
    original = decode_media(shared_eval / STEREO)
    audio = decode_media(encoded[name])
    assert audio.sample_rate == SAMPLE_RATE
    assert audio.channels == 2
    assert audio.duration == pytest.approx(original.duration, abs=0.06)
    n = min(audio.samples.shape[1], original.samples.shape[1])
    for channel in (0, 1):
        # AAC's encoder delay shifts the audio by up to ~25 ms; opus's is trimmed.
        lag, match = _best_match(audio.samples[channel, :n], original.samples[channel, :n], 800)
        assert abs(lag) <= 800
        assert match > 0.95, f"channel {channel}: correlation {match:.3f}"
    # Left stays left: each decoded channel resembles its own source channel most.
    _, crossed = _best_match(audio.samples[0, :n], original.samples[1, :n], 800)
    assert crossed < 0.5


def test_a_file_without_an_audio_stream_is_an_input_error(encoded: dict[str, Path]) -> None:
    path = encoded["video_only.mp4"]
    with av.open(str(path)) as container:  # the file itself is a valid video
        assert container.streams.video and not container.streams.audio
    assert "no audio stream" in _assert_one_line_input_error(path)


def test_eight_channels_decode_without_crashing(tmp_path: Path) -> None:
    """Eight channels are within MAX_CHANNELS and must be kept. Decoded in a child process:
    PyAV's planar frames of eight channels have crashed the interpreter (SIGSEGV)."""
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    channels = [(0.05 * (i + 1) * np.sin(2 * np.pi * 200 * (i + 1) * t)) for i in range(8)]
    path = tmp_path / "eight.wav"
    write_wav(path, [c.astype(np.float32) for c in channels], SAMPLE_RATE)
    code = (
        "import sys, numpy as np\n"
        "from pathlib import Path\n"
        "from pipelines.decode import decode_media\n"
        "a = decode_media(Path(sys.argv[1]))\n"
        "rms = np.sqrt(np.mean(a.samples ** 2, axis=1))\n"
        "print(*a.samples.shape)\n"
        "print(*(f'{r:.5f}' for r in rms))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-500:]}"
    shape, rms = done.stdout.splitlines()
    assert shape == f"8 {SAMPLE_RATE}"
    expected = [0.05 * (i + 1) / np.sqrt(2) for i in range(8)]
    assert [float(r) for r in rms.split()] == pytest.approx(expected, rel=0.02)


# --------------------------------------------------------------------------- bad inputs


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in _assert_one_line_input_error(tmp_path / "nope.wav")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.touch()
    assert "empty" in _assert_one_line_input_error(path)


def test_directory(tmp_path: Path) -> None:
    assert "not a file" in _assert_one_line_input_error(tmp_path)
    with pytest.raises(InputError):
        check_input_file(tmp_path)


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    _assert_one_line_input_error(path)


def test_png_image(tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(_png())
    _assert_one_line_input_error(path)


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("These are meeting notes, not audio.\n")
    _assert_one_line_input_error(path)


def test_wav_header_without_samples(tmp_path: Path, shared_eval: Path) -> None:
    path = tmp_path / "header.wav"
    path.write_bytes((shared_eval / "audio/pyannote_sample/sample.wav").read_bytes()[:44])
    _assert_one_line_input_error(path)


def test_audio_shorter_than_a_tenth_of_a_second(tmp_path: Path) -> None:
    path = tmp_path / "blip.wav"
    write_wav(path, [np.full(800, 0.1, dtype=np.float32)], SAMPLE_RATE)
    assert "shorter than 0.1 s" in _assert_one_line_input_error(path)


def test_truncated_mp3_keeps_what_decodes(tmp_path: Path, shared_eval: Path) -> None:
    data = (shared_eval / "audio/faster_whisper/multilingual.mp3").read_bytes()
    half = tmp_path / "half.mp3"
    half.write_bytes(data[: len(data) // 2 + 7])  # cut mid-frame
    audio = decode_media(half)
    assert audio.channels == 1
    assert audio.duration == pytest.approx(59.9 / 2, abs=1.0)
    stub = tmp_path / "stub.mp3"
    stub.write_bytes(data[:300])
    _assert_one_line_input_error(stub)


def test_truncated_m4a_is_an_input_error(tmp_path: Path, encoded: dict[str, Path]) -> None:
    data = encoded["call.m4a"].read_bytes()
    path = tmp_path / "cut.m4a"
    path.write_bytes(data[: len(data) // 2])
    _assert_one_line_input_error(path)


def test_freed_memory_is_handed_back(shared_eval: Path) -> None:
    """After a decode, what numpy freed is returned to the system (glibc's malloc_trim);
    the call is safe to repeat and a no-op where the C library lacks it."""
    import pipelines.decode as decode

    decode_media(shared_eval / "asr" / "jfk.flac")
    assert decode._malloc_trim is not None  # looked up once, by the decode
    decode.release_freed_memory()
    decode.release_freed_memory()
