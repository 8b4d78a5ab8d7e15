"""Sample-rate conversion and channel layout."""

from __future__ import annotations

import librosa
import numpy as np

from ..validation import check_sampling_rate


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resamples along the last axis with a high-quality band-limited filter (soxr)."""
    orig_sr, target_sr = check_sampling_rate(orig_sr, "orig_sr"), check_sampling_rate(target_sr, "target_sr")
    if orig_sr == target_sr:
        return np.asarray(audio, dtype=np.float32)
    out = librosa.resample(np.asarray(audio, dtype=np.float32), orig_sr=orig_sr, target_sr=target_sr, res_type="soxr_hq")
    return out.astype(np.float32, copy=False)


def to_channels(audio: np.ndarray, channels: int) -> np.ndarray:
    """Down-mixes (mean) or duplicates channels: 1 gives (samples,), n > 1 gives (n, samples)."""
    if channels < 1:
        raise ValueError(f"channels must be >= 1; got {channels}")
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 2 and audio.shape[0] == 1:
        audio = audio[0]
    if channels == 1:
        return audio if audio.ndim == 1 else audio.mean(axis=0)
    if audio.ndim == 1:
        return np.repeat(audio[None], channels, axis=0)
    if audio.shape[0] == channels:
        return audio
    return np.repeat(audio.mean(axis=0, keepdims=True), channels, axis=0)
