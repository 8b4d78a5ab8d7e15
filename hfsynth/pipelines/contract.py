"""The output side of hfsynth's public contract, shared by every model.

Generators and transformers return float32 audio whose peak is at most 1, shaped (samples,) or
(channels, samples). transformers' pipelines neither clip nor convert, so models call
:func:`finalize_audio` before handing audio back.
"""

from __future__ import annotations

import torch

PEAK_LIMIT = 1.0


def finalize_audio(audio: torch.Tensor, peak: float = PEAK_LIMIT) -> torch.Tensor:
    """Returns float32 audio scaled down (never up) so that each item's peak is at most ``peak``.

    Scaling, rather than clipping, keeps the waveform's shape; items are scaled independently
    along every axis but the first (the batch).
    """
    audio = torch.nan_to_num(audio.detach().float(), nan=0.0, posinf=0.0, neginf=0.0)
    if audio.ndim == 0 or audio.numel() == 0:
        return audio
    flat = audio.reshape(audio.shape[0], -1) if audio.ndim > 1 else audio.reshape(1, -1)
    item_peak = flat.abs().amax(dim=1).clamp_min(1e-12)
    gain = (peak / item_peak).clamp(max=1.0)
    shape = (audio.shape[0],) + (1,) * (audio.ndim - 1) if audio.ndim > 1 else (1,)
    return audio * gain.reshape(shape)
