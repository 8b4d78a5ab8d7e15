"""EnCodec's multi-scale STFT discriminator (Défossez et al. 2022), at a CPU-sized width.

Each scale looks at the complex STFT of the audio (real and imaginary parts as two channels), so
it judges phase as well as magnitude, through 2-D convolutions that dilate along time and stride
along frequency. Scales use different window sizes, so together they see both fine temporal
detail and fine frequency resolution. The paper uses 5 scales of 32 channels at 24 kHz (windows
2048 ... 128); the defaults here use 3 scales of 16 channels.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from ..audio.spectral import stft
from .activations import LeakyReLU

#: Time dilations of the middle convolutions (EnCodec's 1, 2, 4).
DILATIONS = (1, 2, 4)
KERNEL = (3, 9)  # (time, frequency)


class STFTDiscriminator(nn.Module):
    """One scale: (batch, samples) audio -> (logits (batch, 1, frames, bins'), feature maps)."""

    def __init__(self, n_fft: int, channels: int = 16):
        super().__init__()
        self.n_fft, self.hop_length = n_fft, n_fft // 4
        convs = [nn.Conv2d(2, channels, KERNEL, padding=(1, 4))]
        for dilation in DILATIONS:
            convs.append(
                nn.Conv2d(channels, channels, KERNEL, stride=(1, 2), dilation=(dilation, 1), padding=(dilation, 4))
            )
        convs.append(nn.Conv2d(channels, channels, (3, 3), padding=1))
        self.convs = nn.ModuleList(weight_norm(conv) for conv in convs)
        self.out = weight_norm(nn.Conv2d(channels, 1, (3, 3), padding=1))
        self.activation = LeakyReLU()

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        spec = stft(audio, self.n_fft, self.hop_length, pad_mode="constant")       # (batch, bins, frames)
        x = torch.stack([spec.real, spec.imag], dim=1).transpose(2, 3)              # (batch, 2, frames, bins)
        features = []
        for conv in self.convs:
            x = self.activation(conv(x))
            features.append(x)
        return self.out(x), features


class MultiScaleSTFTDiscriminator(nn.Module):
    """Several :class:`STFTDiscriminator` scales; returns one logit map and feature list per scale."""

    def __init__(self, fft_sizes: Sequence[int] = (1024, 512, 256), channels: int = 16):
        super().__init__()
        if not fft_sizes:
            raise ValueError("fft_sizes is empty; give the discriminator at least one scale")
        self.scales = nn.ModuleList(STFTDiscriminator(n_fft, channels) for n_fft in fft_sizes)

    def forward(self, audio: torch.Tensor) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
        """(batch, samples) -> (logits per scale, feature maps per scale)."""
        outputs = [scale(audio) for scale in self.scales]
        return [logits for logits, _ in outputs], [features for _, features in outputs]
