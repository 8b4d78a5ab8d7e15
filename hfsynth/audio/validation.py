"""Input checks shared by every entry point: bad audio fails here, with a message, not deep in torch."""

from __future__ import annotations

import math

import numpy as np
import torch


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


def check_positive_int(value: object, name: str) -> int:
    """Returns ``value`` as an int, or raises ``ValueError`` unless it is an integer > 0 (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def check_audio_tensor(audio: object, name: str = "audio", min_dim: int = 1) -> torch.Tensor:
    """Returns ``audio`` as a floating tensor of shape (..., samples) with at least ``min_dim`` dims.

    Numpy arrays and lists are converted (float32); tensors keep their device and floating dtype, so
    gradients flow through. Samples are not scanned for NaN here: on CUDA that would stall the stream.
    """
    if not isinstance(audio, torch.Tensor):
        try:
            audio = torch.as_tensor(np.asarray(audio, dtype=np.float32))
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name} must be a tensor or array of samples; got {type(audio).__name__}") from error
    if audio.is_complex():
        raise ValueError(f"{name} must be real-valued; got complex dtype {audio.dtype}")
    if not audio.is_floating_point():
        audio = audio.float()
    if audio.ndim < min_dim:
        raise ValueError(f"{name} must have at least {min_dim} dimension(s); got shape {tuple(audio.shape)}")
    if audio.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(audio.shape)}); pass at least one sample")
    return audio


def check_stft_sizes(n_fft: object, hop_length: object, win_length: object = None) -> tuple[int, int, int]:
    """Checks STFT frame sizes; returns ``(n_fft, hop_length, win_length)`` with ``win_length`` defaulting to ``n_fft``.

    A hop longer than the window leaves samples no frame covers (and no inverse), so
    ``hop_length <= win_length <= n_fft`` is required.
    """
    n_fft = check_positive_int(n_fft, "n_fft")
    hop_length = check_positive_int(hop_length, "hop_length")
    win_length = n_fft if win_length is None else check_positive_int(win_length, "win_length")
    if hop_length > n_fft:
        raise ValueError(
            f"hop_length ({hop_length}) must not exceed n_fft ({n_fft}): samples between frames would be lost"
        )
    if win_length > n_fft:
        raise ValueError(f"win_length ({win_length}) must not exceed n_fft ({n_fft})")
    if hop_length > win_length:
        raise ValueError(
            f"hop_length ({hop_length}) must not exceed win_length ({win_length}): the windows would leave gaps"
        )
    return n_fft, hop_length, win_length


def check_finite_number(value: object, name: str) -> float:
    """Returns ``value`` as a float, or raises ``ValueError`` unless it is a finite real number (bools refused)."""
    is_number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    return float(value)


def check_frequency_range(sampling_rate: object, fmin: object, fmax: object) -> tuple[int, float, float]:
    """Returns ``(sampling_rate, fmin, fmax)``, ``fmax=None`` meaning Nyquist; needs 0 <= fmin < fmax <= Nyquist."""
    sampling_rate = check_sampling_rate(sampling_rate)
    nyquist = sampling_rate / 2
    fmin = check_finite_number(fmin, "fmin")
    fmax = nyquist if fmax is None else check_finite_number(fmax, "fmax")
    if not 0.0 <= fmin < fmax <= nyquist:
        raise ValueError(f"need 0 <= fmin < fmax <= sampling_rate / 2 = {nyquist}; got fmin={fmin}, fmax={fmax}")
    return sampling_rate, fmin, fmax
