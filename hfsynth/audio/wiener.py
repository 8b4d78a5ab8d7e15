"""The multichannel Wiener post-filter of Open-Unmix: magnitude estimates -> complex source STFTs.

A separator that predicts each source's magnitude still needs phases, and its estimates need not
add up to the mixture. Open-Unmix (Stöter et al. 2019, after Nugraha, Liutkus & Vincent 2016 and
the norbert package) first gives every estimate the mixture's phase, then refines the estimates
with a few EM iterations of a local Gaussian model: source j has a power spectral density v_j
(per bin and frame) and a spatial covariance R_j (channels x channels, per bin), and

    v_j = mean over channels of |y_j|^2,    R_j = sum_t y_j y_j^H / (eps + sum_t v_j),
    y_j = v_j R_j (sqrt(eps) I + sum_k v_k R_k)^-1 x,

which splits the mixture ``x`` between the sources (they sum to it up to the regularisation).
R_j is estimated on windows of frames (sources may move between windows), and each window is
scaled so that its largest |x| is at most ``scale_factor``, which keeps ``eps`` meaningful.

Shapes follow :mod:`hfsynth.audio.spectral`: complex (..., channels, bins, frames); sources add an
axis after the batch, (batch, sources, channels, bins, frames). Everything runs in float32 complex
(Open-Unmix's precision); one or two channels, as Open-Unmix's closed-form inverse.
"""

from __future__ import annotations

import math

import torch

#: Open-Unmix's regularisation (the power of the white noise the filter leaves out) and the largest
#: mixture magnitude a window is scaled to before EM.
EPS = 1e-10
SCALE_FACTOR = 10.0


def with_mixture_phase(magnitudes: torch.Tensor, mixture: torch.Tensor) -> torch.Tensor:
    """Initial estimates: magnitudes (batch, sources, channels or 1, bins, frames) given the phase of
    the complex mixture (batch, channels, bins, frames) -> complex (batch, sources, channels, bins, frames)."""
    return torch.polar(magnitudes.float(), mixture.angle().unsqueeze(1))      # broadcast over sources (and channels)


def invert_channel_matrices(matrices: torch.Tensor) -> torch.Tensor:
    """Inverses of complex (..., C, C) matrices, C = 1 or 2, in closed form: adjugate / determinant."""
    channels = matrices.shape[-1]
    if channels == 1:
        determinant, adjugate = matrices[..., 0, 0], torch.ones_like(matrices)
    elif channels == 2:
        a, b, c, d = matrices[..., 0, 0], matrices[..., 0, 1], matrices[..., 1, 0], matrices[..., 1, 1]
        determinant = a * d - b * c
        adjugate = torch.stack([torch.stack([d, -b], dim=-1), torch.stack([-c, a], dim=-1)], dim=-2)
    else:
        raise ValueError(f"the Wiener filter handles one or two channels; got {channels}")
    inverse_determinant = determinant.conj() / (determinant.real.square() + determinant.imag.square())
    return adjugate * inverse_determinant[..., None, None]


def expectation_maximization(
    sources: torch.Tensor, mixture: torch.Tensor, iterations: int, eps: float = EPS
) -> torch.Tensor:
    """``iterations`` EM steps: sources (batch, sources, channels, bins, frames) refined against the
    mixture (batch, channels, bins, frames), both complex; spatial covariances over all frames given."""
    channels = mixture.shape[1]
    regularization = math.sqrt(eps) * torch.eye(channels, dtype=mixture.dtype, device=mixture.device)
    for _ in range(iterations):
        power = (sources.real.square() + sources.imag.square()).mean(dim=2)            # v: (B, S, bins, frames)
        covariance = torch.einsum("bsift,bsjft->bsfij", sources, sources.conj())       # (B, S, bins, C, C)
        covariance = covariance / (eps + power.sum(dim=-1))[..., None, None]           # R_j
        weights = power.to(covariance.dtype)
        mixture_covariance = regularization + torch.einsum("bsft,bsfij->bftij", weights, covariance)
        whitened = torch.einsum("bftij,bjft->bift", invert_channel_matrices(mixture_covariance), mixture)
        sources = power.unsqueeze(2) * torch.einsum("bsfij,bjft->bsift", covariance, whitened)
    return sources


def wiener(
    sources: torch.Tensor,
    mixture: torch.Tensor,
    iterations: int = 1,
    window_frames: int | None = 300,
    eps: float = EPS,
    scale_factor: float = SCALE_FACTOR,
) -> torch.Tensor:
    """Refines complex source estimates (batch, sources, channels, bins, frames) against the complex
    mixture (batch, channels, bins, frames): ``iterations`` EM steps on each window of
    ``window_frames`` frames (``None``: the whole signal). ``iterations=0`` returns ``sources``."""
    if iterations == 0:
        return sources
    frames = mixture.shape[-1]
    window = window_frames or frames
    refined = []
    for start in range(0, frames, window):
        x, y = mixture[..., start : start + window], sources[..., start : start + window]
        peak = x.abs().flatten(1).amax(dim=1)                                          # (batch,)
        scale = (peak / scale_factor).clamp_min(1.0)[:, None, None, None]
        refined.append(expectation_maximization(y / scale.unsqueeze(1), x / scale, iterations, eps)
                       * scale.unsqueeze(1))
    return torch.cat(refined, dim=-1)
