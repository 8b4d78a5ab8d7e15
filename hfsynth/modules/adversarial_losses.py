"""GAN losses over multi-scale discriminators: hinge (MelGAN, HiFi-GAN, EnCodec) and feature matching.

Every function takes one entry per discriminator scale and averages over the scales, so adding
a scale does not change the loss's magnitude.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def hinge_terms(real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One discriminator's ``(mean(relu(1 - D(x))), mean(relu(1 + D(G(z)))))``: real above +1, generated below -1."""
    return F.relu(1 - real).mean(), F.relu(1 + fake).mean()


def discriminator_hinge_loss(real_logits: Sequence[torch.Tensor], fake_logits: Sequence[torch.Tensor]) -> torch.Tensor:
    """The two :func:`hinge_terms` summed, averaged over the scales."""
    return torch.stack([sum(hinge_terms(real, fake)) for real, fake in zip(real_logits, fake_logits)]).mean()


def generator_hinge_loss(fake_logits: Sequence[torch.Tensor]) -> torch.Tensor:
    """``mean(relu(1 - D(G(z))))``: the generator pushes its audio's logits up to +1 (EnCodec's form)."""
    return torch.stack([F.relu(1 - fake).mean() for fake in fake_logits]).mean()


def feature_matching_loss(
    real_features: Sequence[Sequence[torch.Tensor]], fake_features: Sequence[Sequence[torch.Tensor]]
) -> torch.Tensor:
    """Relative L1 between the discriminator's features of real and generated audio (EnCodec):
    ``mean |f(x) - f(G(z))| / mean |f(x)|`` per layer, averaged over layers and scales. The
    normalisation keeps layers of different magnitude equally weighted. Real features are
    treated as targets (no gradient)."""
    losses = [
        (real.detach() - fake).abs().mean() / real.detach().abs().mean().clamp_min(1e-8)
        for real_scale, fake_scale in zip(real_features, fake_features)
        for real, fake in zip(real_scale, fake_scale)
    ]
    return torch.stack(losses).mean()
