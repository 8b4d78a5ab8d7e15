"""CycleGAN (Zhu et al. 2017) on spectrogram images: both generators in one model, so one checkpoint
transfers either way; the two PatchGAN discriminators live only in training."""

from __future__ import annotations

import torch
from torch import nn

from .configuration_style_transfer import CycleGANConfig
from .modeling_style_transfer import PatchDiscriminator, StyleTransferPreTrainedModel, UNetGenerator


class CycleGANModel(StyleTransferPreTrainedModel):
    """Generators A -> B (``generator_ab``) and B -> A (``generator_ba``)."""

    config_class = CycleGANConfig

    def __init__(self, config: CycleGANConfig):
        super().__init__(config)
        self.generator_ab = UNetGenerator(config.generator_channels)
        self.generator_ba = UNetGenerator(config.generator_channels)
        self.post_init()

    def generator_for(self, direction: str) -> nn.Module:
        return self.generator_ab if direction == "a_to_b" else self.generator_ba


class CycleGANDiscriminators(nn.Module):
    """PatchGAN critics of domain A (``a``) and domain B (``b``), least-squares loss."""

    def __init__(self, config: CycleGANConfig):
        super().__init__()
        self.a = PatchDiscriminator(config.discriminator_channels, spectral=False)
        self.b = PatchDiscriminator(config.discriminator_channels, spectral=False)

    def forward(self, spectrogram: torch.Tensor, domain: str) -> torch.Tensor:
        return self.a(spectrogram) if domain == "a" else self.b(spectrogram)
