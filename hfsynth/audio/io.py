"""Reading and writing audio files, with clear errors and atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from ..files import atomic_path
from .resample import resample, to_channels
from ..validation import check_sampling_rate
from .validation import check_waveform


def read_audio(
    path: str | os.PathLike, sampling_rate: int | None = None, channels: int | None = 1
) -> tuple[np.ndarray, int]:
    """Reads an audio file as float32.

    Args:
        sampling_rate: resample to this rate; ``None`` keeps the file's rate.
        channels: 1 gives shape (samples,), 2 gives (2, samples); ``None`` keeps the file's layout.

    Returns:
        ``(audio, sampling_rate)``. Raises ``ValueError`` for a missing, unreadable or empty file.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"audio file not found: {path}")
    try:
        data, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as error:
        raise ValueError(f"cannot read audio file {path}: {error}") from error
    audio = check_waveform(data.T, name=f"audio file {path}")
    if channels is not None:
        audio = to_channels(audio, channels)
    if sampling_rate is not None and sampling_rate != file_rate:
        audio = resample(audio, file_rate, sampling_rate)
        file_rate = sampling_rate
    return audio, int(file_rate)


#: File suffix -> (soundfile format, default subtype): 16-bit PCM where the format has PCM, Vorbis for OGG.
AUDIO_FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16"), ".ogg": ("OGG", "VORBIS")}


def audio_format(path: str | os.PathLike) -> tuple[str, str]:
    """(soundfile format, default subtype) of an output file by its suffix; ``ValueError`` naming the
    suffixes supported for any other (commands check this before doing the work)."""
    suffix = Path(path).suffix.lower()
    if suffix not in AUDIO_FORMATS:
        raise ValueError(f"cannot write {Path(path).name}: the file name must end in {', '.join(AUDIO_FORMATS)}")
    return AUDIO_FORMATS[suffix]


def write_audio(path: str | os.PathLike, audio: np.ndarray, sampling_rate: int, subtype: str | None = None) -> Path:
    """Writes (samples,) or (channels, samples) audio; the file appears whole or not at all.

    The format follows the file suffix (``.wav``, ``.flac``, ``.ogg``); ``subtype`` defaults to the
    format's (16-bit PCM, or Vorbis). Samples are clipped to [-1, 1] for integer subtypes. Another
    suffix is a ``ValueError`` naming the ones supported.
    """
    path = Path(path)
    file_format, default_subtype = audio_format(path)
    subtype = subtype or default_subtype
    sampling_rate = check_sampling_rate(sampling_rate)
    audio = check_waveform(audio)
    if subtype.startswith("PCM"):
        audio = np.clip(audio, -1.0, 1.0)
    with atomic_path(path) as tmp_name:
        sf.write(tmp_name, audio.T, sampling_rate, subtype=subtype, format=file_format)
    return path


def encode_wav_bytes(audio: np.ndarray, sampling_rate: int, subtype: str = "PCM_16") -> bytes:
    """Encodes audio as in-memory WAV bytes (how datasets' ``Audio`` columns store it)."""
    import io

    buffer = io.BytesIO()
    audio = check_waveform(audio)
    sf.write(buffer, np.clip(audio, -1.0, 1.0).T, check_sampling_rate(sampling_rate), subtype=subtype, format="WAV")
    return buffer.getvalue()


def decode_audio_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """Decodes in-memory audio bytes to ``(float32 (samples,) or (channels, samples), sampling_rate)``."""
    import io

    try:
        array, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as error:
        raise ValueError(f"cannot decode audio bytes: {error}") from error
    return check_waveform(array.T), int(rate)
