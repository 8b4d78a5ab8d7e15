"""MelGAN-VC (Pasini 2019): one U-Net generator; the discriminator and the siamese network train it.

The generator transfers ``chunk_frames``-wide chunks; in training, ``num_splits`` consecutive chunks are
transferred separately and concatenated before the discriminator sees them, so the generator learns
outputs that join up (the paper's trick for arbitrarily long audio). The siamese network embeds each
chunk; its TraVeL loss keeps the vector between two chunks' embeddings the same after transfer.
"""

from __future__ import annotations

import torch
from torch import nn

from .configuration_style_transfer import MelGANVCConfig
from .modeling_style_transfer import EmbeddingNetwork, PatchDiscriminator, StyleTransferPreTrainedModel, UNetGenerator


class MelGANVCModel(StyleTransferPreTrainedModel):
    """The MelGAN-VC generator, from ``config.direction``'s source domain to its target."""

    config_class = MelGANVCConfig

    def __init__(self, config: MelGANVCConfig):
        super().__init__(config)
        self.generator = UNetGenerator(config.generator_channels)
        self.post_init()

    def generator_for(self, direction: str) -> nn.Module:
        return self.generator


class MelGANVCDiscriminator(nn.Module):
    """Spectral-norm patch discriminator on ``num_splits * chunk_frames`` frames (hinge loss)."""

    def __init__(self, config: MelGANVCConfig):
        super().__init__()
        self.network = PatchDiscriminator(config.discriminator_channels, spectral=True)

    def forward(self, spectrogram: torch.Tensor) -> torch.Tensor:
        return self.network(spectrogram)


class MelGANVCSiamese(nn.Module):
    """Chunk (B, 1, bins, chunk_frames) -> (B, siamese_dim) embedding."""

    def __init__(self, config: MelGANVCConfig):
        super().__init__()
        self.network = EmbeddingNetwork(config.siamese_channels, config.siamese_dim)

    def forward(self, spectrogram: torch.Tensor) -> torch.Tensor:
        return self.network(spectrogram)
