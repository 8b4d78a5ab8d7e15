"""Input checks shared by every entry point: bad audio fails here, with a message, not deep in torch."""

from __future__ import annotations

import math

import numpy as np


def check_sampling_rate(sampling_rate: object, name: str = "sampling_rate") -> int:
    """Returns ``sampling_rate`` as an int, or raises ``ValueError`` if it is not a positive integer."""
    if isinstance(sampling_rate, bool) or not isinstance(sampling_rate, (int, np.integer, float)):
        raise ValueError(f"{name} must be a positive integer (Hz); got {sampling_rate!r}")
    if not math.isfinite(sampling_rate) or sampling_rate <= 0 or int(sampling_rate) != sampling_rate:
        raise ValueError(f"{name} must be a positive integer (Hz); got {sampling_rate!r}")
    return int(sampling_rate)


def check_waveform(audio: object, name: str = "audio") -> np.ndarray:
    """Returns ``audio`` as float32 of shape (samples,) or (channels, samples).

    Raises ``ValueError`` for empty audio, NaN/inf samples or more than two dimensions.
    """
    try:
        array = np.asarray(audio, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of samples; got {type(audio).__name__}") from error
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim not in (1, 2):
        raise ValueError(f"{name} must have shape (samples,) or (channels, samples); got {array.shape}")
    if array.size == 0 or array.shape[-1] == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); pass at least one sample")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite samples")
    return array


def check_positive_seconds(seconds: object, name: str = "audio_length_in_s") -> float:
    """Returns ``seconds`` as a float, or raises ``ValueError`` unless it is finite and > 0."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a positive number of seconds; got {seconds!r}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{name} must be a positive, finite number of seconds; got {seconds!r}")
    return float(seconds)
