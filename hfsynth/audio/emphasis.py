"""Pre-emphasis and its inverse: the first-order filter pair of speech coders and LPCNet/WaveRNN vocoders.

A sample-by-sample model with an 8-bit output makes roughly white noise (quantisation and sampling
error) in whatever domain it predicts. Music has most of its energy at low frequencies, so white
noise is loudest, relative to the signal, in the high bands. Predicting the pre-emphasised signal
``y[t] = x[t] - a x[t-1]`` and then de-emphasising ``x[t] = y[t] + a x[t-1]`` shapes that noise
like the signal: the de-emphasis filter lowers it by ``20 log10(1 + a)`` dB at Nyquist and raises it
at low frequencies, where the music masks it (Valin & Skoglund 2019, LPCNet, use a = 0.85).
"""

from __future__ import annotations

import scipy.signal
import torch

from ..validation import check_finite_number
from .validation import check_audio_tensor


def check_emphasis(coefficient: object) -> float:
    """The filter coefficient as a float in [0, 1); 0 leaves audio unchanged."""
    coefficient = check_finite_number(coefficient, "pre_emphasis")
    if not 0.0 <= coefficient < 1.0:
        raise ValueError(f"pre_emphasis must be in [0, 1) (0 turns it off; LPCNet uses 0.85); got {coefficient}")
    return coefficient


def pre_emphasis(audio: torch.Tensor, coefficient: float) -> torch.Tensor:
    """``y[t] = x[t] - a x[t-1]`` along the last axis, with silence before the first sample."""
    audio = check_audio_tensor(audio)
    coefficient = check_emphasis(coefficient)
    if coefficient == 0.0:
        return audio
    return audio - coefficient * torch.nn.functional.pad(audio[..., :-1], (1, 0))


def de_emphasis(audio: torch.Tensor, coefficient: float) -> torch.Tensor:
    """Inverse of :func:`pre_emphasis`: the one-pole filter ``x[t] = y[t] + a x[t-1]`` along the last axis."""
    audio = check_audio_tensor(audio)
    coefficient = check_emphasis(coefficient)
    if coefficient == 0.0:
        return audio
    # The recursion is sequential; scipy runs it in C (float64), which torch's CPU ops cannot.
    filtered = scipy.signal.lfilter([1.0], [1.0, -coefficient], audio.detach().cpu().double().numpy(), axis=-1)
    return torch.from_numpy(filtered).to(device=audio.device, dtype=audio.dtype)
