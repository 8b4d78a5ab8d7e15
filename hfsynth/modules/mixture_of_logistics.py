"""Discretized mixture of logistics (Salimans et al. 2017, PixelCNN++), for 16-bit audio.

A model predicts, per sample, K mixture weights, means and log-scales. The likelihood of an
amplitude is the mixture's probability mass on its quantisation bin, with the two edge bins
taking the tails; this keeps the loss proper for discrete audio and avoids a 65,536-way softmax.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

#: The floor of the log-scales (PixelCNN++'s): a component never gets narrower than exp(-7).
LOG_SCALE_MIN = -7.0


def split_parameters(params: torch.Tensor, log_scale_min: float | None = LOG_SCALE_MIN
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(B, 3K, T) -> logit_weights, means, log_scales, each (B, K, T); the log-scales floored at
    ``log_scale_min`` (``None``: not floored)."""
    if params.shape[1] % 3:
        raise ValueError(f"mixture parameters need 3K channels; got {params.shape[1]}")
    logit_weights, means, log_scales = params.chunk(3, dim=1)
    return logit_weights, means, log_scales if log_scale_min is None else log_scales.clamp(min=log_scale_min)


def discretized_mix_logistic_nll(params: torch.Tensor, target: torch.Tensor, num_classes: int = 65536,
                                 log_scale_min: float = LOG_SCALE_MIN) -> torch.Tensor:
    """Mean negative log-likelihood of ``target`` (B, T) in [-1, 1] under ``params`` (B, 3K, T)."""
    logit_weights, means, log_scales = split_parameters(params, log_scale_min)
    x = target.unsqueeze(1)                               # (B, 1, T), broadcasts over K
    half_bin = 1.0 / (num_classes - 1)
    inv_scale = torch.exp(-log_scales)
    plus = inv_scale * (x - means + half_bin)
    minus = inv_scale * (x - means - half_bin)
    cdf_plus, cdf_minus = torch.sigmoid(plus), torch.sigmoid(minus)
    log_cdf_plus = plus - F.softplus(plus)                # log sigmoid(plus): the lowest bin's mass
    log_one_minus_cdf_minus = -F.softplus(minus)          # log(1 - sigmoid(minus)): the highest bin's
    mid = inv_scale * (x - means)
    log_pdf_mid = mid - log_scales - 2.0 * F.softplus(mid)  # log density at the bin centre
    bin_mass = (cdf_plus - cdf_minus).clamp(min=1e-12)
    # Where the bin mass underflows, approximate it by density x bin width.
    log_mass = torch.where(bin_mass > 1e-5, torch.log(bin_mass), log_pdf_mid + math.log(2 * half_bin))
    log_probs = torch.where(x < -0.999, log_cdf_plus, torch.where(x > 0.999, log_one_minus_cdf_minus, log_mass))
    log_likelihood = torch.logsumexp(log_probs + F.log_softmax(logit_weights, dim=1), dim=1)
    return -log_likelihood.mean()


def sample_mix_logistic(params: torch.Tensor, uniform: torch.Tensor, log_scale_min: float = LOG_SCALE_MIN
                        ) -> torch.Tensor:
    """Draws amplitudes (B, T) from ``params`` (B, 3K, T) given noise ``uniform`` (2, B, T) in (0, 1).

    The noise is passed in (rather than drawn here) so that two generation strategies fed the
    same noise produce the same samples. ``uniform[0]`` picks the component by inverse CDF of the
    mixture weights (one uniform suffices; a single Gumbel value shared by every component would
    always pick the most probable one), ``uniform[1]`` the amplitude within it.
    """
    logit_weights, means, log_scales = split_parameters(params, log_scale_min)
    eps = 1e-5
    component = sample_categorical(logit_weights, uniform[0]).unsqueeze(1)  # (B, 1, T)
    mean = means.gather(1, component).squeeze(1)
    log_scale = log_scales.gather(1, component).squeeze(1)
    u = uniform[1].clamp(eps, 1 - eps)
    return (mean + torch.exp(log_scale) * (torch.log(u) - torch.log1p(-u))).clamp(-1.0, 1.0)


def sample_categorical(logits: torch.Tensor, uniform: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Inverse-CDF sampling: ``logits`` (B, C, T), ``uniform`` (B, T) in [0, 1) -> class ids (B, T)."""
    probs = torch.softmax(logits / temperature, dim=1).transpose(1, 2)   # (B, T, C)
    cdf = probs.cumsum(dim=-1)
    index = torch.searchsorted(cdf, uniform.unsqueeze(-1).to(cdf.dtype)).squeeze(-1)
    return index.clamp(max=logits.shape[1] - 1)


def sample_mix_logistic_gumbel(params: torch.Tensor, component_uniform: torch.Tensor, logistic_uniform: torch.Tensor,
                               log_scale_min: float | None = LOG_SCALE_MIN) -> torch.Tensor:
    """PixelCNN++'s sampler, one step: ``params`` (B, 3K) -> amplitudes (B,) in [-1, 1].

    The component is the Gumbel-max ``argmax(logit_k - log(-log(u_k)))`` with one uniform per
    component (``component_uniform`` (B, K)), the amplitude ``mean + exp(log_scale) (log u -
    log(1 - u))`` with ``logistic_uniform`` (B,) (both in (0, 1), e.g. drawn in (1e-5, 1 - 1e-5)),
    clipped to [-1, 1]; the chosen log-scale is floored at ``log_scale_min`` unless it is ``None``.
    Written as r9y9's ``sample_from_discretized_mix_logistic`` computes it, so that recorded noise
    gives its samples bit for bit.
    """
    logit_weights, means, log_scales = split_parameters(params, None)
    component = (logit_weights - torch.log(-torch.log(component_uniform))).argmax(dim=1, keepdim=True)  # (B, 1)
    mean = means.gather(1, component)[:, 0]
    log_scale = log_scales.gather(1, component)[:, 0]
    if log_scale_min is not None:
        log_scale = log_scale.clamp(min=log_scale_min)
    u = logistic_uniform
    return (mean + torch.exp(log_scale) * (torch.log(u) - torch.log(1.0 - u))).clamp(-1.0, 1.0)
