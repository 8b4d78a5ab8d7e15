"""Multi-scale STFT reconstruction loss: the distance hfsynth's evaluation reports, as a training loss.

At each FFT size: spectral convergence plus log-magnitude L1 (Arik et al. 2018; Yamamoto et al.
2020, Parallel WaveGAN), averaged over sizes, as :func:`hfsynth.evaluation.spectral.mr_stft_kernel`
reports it, with one difference: the spectral convergence is taken over the whole batch
(``||S - S_hat||_F / ||S||_F`` of the stacked spectrograms, Parallel WaveGAN's form), not per clip.
A silent training crop (a note's tail, a rest) has ``||S|| = 0``: per clip its ratio would divide
the estimate's whole magnitude by the metric's epsilon and swamp the batch (the first AudioGen codec
run logged spectral losses of 6e11). Pooled, a silent crop counts by its share of the batch's error.

``dynamic_range_db`` floors the log magnitudes of each clip that far below its own loudest bin,
instead of at the metric's absolute 1e-7. Rendered notes are digitally silent between and above
their partials, so with the absolute floor much of the log term goes to bins 60 dB and more below
anything audible; a floor relative to each clip spends it on what can be heard.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..evaluation._spectra import Spectra
from ..evaluation.spectral import LOG_FLOOR

#: Windows from 2.0 ms to 64 ms at 16 kHz (EnCodec's reconstruction loss spans 2^5 .. 2^11).
FFT_SIZES = (32, 64, 128, 256, 512, 1024)


def multi_scale_stft_loss(
    target: torch.Tensor,
    estimate: torch.Tensor,
    fft_sizes: Sequence[int] = FFT_SIZES,
    hop_ratio: float = 0.25,
    dynamic_range_db: float | None = None,
) -> torch.Tensor:
    """MR-STFT loss of (batch, samples) ``estimate`` against ``target``: a scalar, finite for silent crops.

    ``dynamic_range_db``: None floors the log magnitudes at the metric's 1e-7; a number floors each
    clip's at its target's peak magnitude (per FFT size) minus that many dB.
    """
    if target.shape != estimate.shape or target.ndim != 2:
        raise ValueError(
            f"target {tuple(target.shape)} and estimate {tuple(estimate.shape)} must be equal (batch, samples)"
        )
    if dynamic_range_db is not None and not dynamic_range_db > 0:
        raise ValueError(f"dynamic_range_db must be > 0 dB (or None for the absolute floor); got {dynamic_range_db!r}")
    reference, estimated = Spectra(target), Spectra(estimate)
    losses = []
    for n_fft in fft_sizes:
        hop_length = max(1, int(n_fft * hop_ratio))
        ref, est = reference.magnitude(n_fft, hop_length), estimated.magnitude(n_fft, hop_length)
        convergence = torch.linalg.vector_norm(ref - est) / torch.linalg.vector_norm(ref).clamp_min(LOG_FLOOR)
        floor = LOG_FLOOR if dynamic_range_db is None else relative_floor(ref, dynamic_range_db)
        log_l1 = (torch.clamp(ref, min=floor) / torch.clamp(est, min=floor)).log().abs().mean()
        losses.append(convergence + log_l1)
    return torch.stack(losses).mean()


def relative_floor(magnitude: torch.Tensor, dynamic_range_db: float) -> torch.Tensor:
    """(batch, 1, 1): each clip's peak of (batch, bins, frames) ``magnitude``, ``dynamic_range_db`` lower
    (never below the absolute floor, so a silent clip still has one)."""
    peak = magnitude.detach().amax(dim=(1, 2), keepdim=True)
    return (peak * 10.0 ** (-dynamic_range_db / 20.0)).clamp_min(LOG_FLOOR)
