"""Levels and gain normalisation that never turn silence into NaN or inf.

Two notions of loudness live here:

* RMS level in dBFS (:func:`rms_db`, :func:`normalize_loudness`): torch, batched, differentiable, cheap;
  no frequency weighting, so it is *not* LUFS - bass-heavy audio reads louder than it sounds.
* Integrated loudness in LUFS per ITU-R BS.1770-4 (:func:`integrated_loudness`, :func:`normalize_lufs`):
  K-weighting filters and the two-stage gating, for mono or stereo numpy audio; the number
  broadcast and streaming loudness targets are quoted in.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.signal
import torch

from ..validation import check_finite_number, check_sampling_rate
from .validation import check_audio_tensor, check_waveform

Dims = int | tuple[int, ...]


def _apply_gain(audio: torch.Tensor, gain: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
    """``audio * gain`` where ``active``, unchanged elsewhere (silence); ``gain`` must already be finite."""
    return audio * torch.where(active, gain, torch.ones_like(gain))


def rms_db(audio: torch.Tensor, dim: Dims = -1, floor_db: float = -120.0, keepdim: bool = False) -> torch.Tensor:
    """RMS level in dB relative to full scale (a full-scale sine reads -3.01 dB), reduced over ``dim``.

    The mean square is clamped at ``floor_db``, so silence reads ``floor_db`` instead of -inf.
    """
    audio = check_audio_tensor(audio)
    floor_db = check_finite_number(floor_db, "floor_db")
    mean_square = audio.pow(2).mean(dim=dim, keepdim=keepdim)
    return 10.0 * torch.log10(mean_square.clamp(min=10.0 ** (floor_db / 10.0)))


def normalize_peak(audio: torch.Tensor, peak: float = 0.95, dim: Dims = -1) -> torch.Tensor:
    """Scales so that max |sample| over ``dim`` equals ``peak``; all-zero signals are returned unchanged.

    Reduce over ``dim=(-2, -1)`` to scale the channels of a (..., channels, samples) signal together.
    """
    audio = check_audio_tensor(audio)
    if not 0.0 < check_finite_number(peak, "peak"):
        raise ValueError(f"peak must be > 0; got {peak}")
    current = audio.abs().amax(dim=dim, keepdim=True)
    return _apply_gain(audio, peak / current.clamp(min=1e-12), current > 0)


def normalize_loudness(
    audio: torch.Tensor, target_db: float = -20.0, dim: Dims = -1, floor_db: float = -120.0
) -> torch.Tensor:
    """Scales so that the RMS level over ``dim`` is ``target_db`` dBFS (RMS, not LUFS: no K-weighting).

    Signals at or below ``floor_db`` (silence) are returned unchanged. The result may exceed [-1, 1];
    follow with :func:`normalize_peak` if it must not clip.
    """
    audio = check_audio_tensor(audio)
    target_db = check_finite_number(target_db, "target_db")
    floor_db = check_finite_number(floor_db, "floor_db")
    level = rms_db(audio, dim, floor_db, keepdim=True)
    gain = 10.0 ** ((target_db - level) / 20.0)
    return _apply_gain(audio, gain, level > floor_db)


def k_weighting_filters(sampling_rate: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """BS.1770's two biquads ``((b, a) shelf, (b, a) high-pass)`` designed for any rate.

    Stage 1 is a +4 dB high shelf modelling the head, stage 2 the RLB high-pass; the analog prototypes
    (centre frequencies, gain and Q below) reproduce the standard's 48 kHz coefficients under the
    bilinear transform.
    """
    sampling_rate = check_sampling_rate(sampling_rate)
    shelf_hz, shelf_gain_db, shelf_q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * shelf_hz / sampling_rate)
    v_high = 10.0 ** (shelf_gain_db / 20.0)
    v_band = v_high**0.4996667741545416
    norm = 1.0 + k / shelf_q + k * k
    shelf = (
        np.array([v_high + v_band * k / shelf_q + k * k, 2.0 * (k * k - v_high), v_high - v_band * k / shelf_q + k * k])
        / norm,
        np.array([1.0, 2.0 * (k * k - 1.0) / norm, (1.0 - k / shelf_q + k * k) / norm]),
    )
    highpass_hz, highpass_q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * highpass_hz / sampling_rate)
    norm = 1.0 + k / highpass_q + k * k
    highpass = (
        np.array([1.0, -2.0, 1.0]),
        np.array([1.0, 2.0 * (k * k - 1.0) / norm, (1.0 - k / highpass_q + k * k) / norm]),
    )
    return shelf, highpass


def integrated_loudness(audio: np.ndarray, sampling_rate: int, floor_lufs: float = -120.0) -> float:
    """Integrated loudness (LUFS, ITU-R BS.1770-4) of mono (samples,) or (channels, samples) audio.

    K-weighted mean square over 400 ms blocks (75 % overlap), gated at -70 LUFS and then 10 LU below
    the ungated level; channels are summed with weight 1 (left/right/centre). Needs at least 0.4 s;
    silence, where every block is gated out, reads ``floor_lufs``.
    """
    audio = np.atleast_2d(check_waveform(audio)).astype(np.float64)
    sampling_rate = check_sampling_rate(sampling_rate)
    block, step = round(0.4 * sampling_rate), round(0.1 * sampling_rate)
    if audio.shape[-1] < block:
        raise ValueError(f"integrated loudness needs at least 0.4 s ({block} samples); got {audio.shape[-1]}")
    for b, a in k_weighting_filters(sampling_rate):
        audio = scipy.signal.lfilter(b, a, audio, axis=-1)
    starts = np.arange(0, audio.shape[-1] - block + 1, step)
    squares = np.cumsum(np.pad(audio**2, ((0, 0), (1, 0))), axis=-1)
    block_power = ((squares[:, starts + block] - squares[:, starts]) / block).sum(axis=0)  # (blocks,)
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10.0 * np.log10(block_power)
    gated = block_lufs > -70.0
    if gated.any():
        relative_gate = -0.691 + 10.0 * np.log10(block_power[gated].mean()) - 10.0
        gated &= block_lufs > relative_gate
    if not gated.any():
        return float(floor_lufs)
    return float(-0.691 + 10.0 * np.log10(block_power[gated].mean()))


def normalize_lufs(audio: np.ndarray, sampling_rate: int, target_lufs: float = -23.0) -> np.ndarray:
    """Scales numpy audio to ``target_lufs`` integrated loudness (EBU R128's -23 by default); silence unchanged."""
    target_lufs = check_finite_number(target_lufs, "target_lufs")
    audio = check_waveform(audio)
    floor = -120.0
    current = integrated_loudness(audio, sampling_rate, floor_lufs=floor)
    if current <= floor:
        return audio
    return (audio * 10.0 ** ((target_lufs - current) / 20.0)).astype(np.float32)
