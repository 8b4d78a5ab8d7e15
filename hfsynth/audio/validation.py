"""Checks of audio inputs and DSP settings: bad audio fails here, with a message, not deep in torch.

Generic argument checks (integers, numbers, seconds, sample rates) are in :mod:`hfsynth.validation`.
"""

from __future__ import annotations

import numpy as np
import torch

from ..validation import check_finite_number, check_positive_int, check_sampling_rate


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


def check_frequency_range(sampling_rate: object, fmin: object, fmax: object) -> tuple[int, float, float]:
    """Returns ``(sampling_rate, fmin, fmax)``, ``fmax=None`` meaning Nyquist; needs 0 <= fmin < fmax <= Nyquist."""
    sampling_rate = check_sampling_rate(sampling_rate)
    nyquist = sampling_rate / 2
    fmin = check_finite_number(fmin, "fmin")
    fmax = nyquist if fmax is None else check_finite_number(fmax, "fmax")
    if not 0.0 <= fmin < fmax <= nyquist:
        raise ValueError(f"need 0 <= fmin < fmax <= sampling_rate / 2 = {nyquist}; got fmin={fmin}, fmax={fmax}")
    return sampling_rate, fmin, fmax
