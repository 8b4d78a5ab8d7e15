"""From conditioning frames (a mel, a latent) to one conditioning vector per sample.

Every upsampler maps (batch, channels, frames) to (batch, channels, frames * hop), hop being the
product of ``config.upsample_scales``; ``config.upsample_net`` picks one:

* ``"stretch"`` (:class:`ConditionUpsampler`, hfsynth's): a 3-tap conv over frames, then per scale
  nearest-neighbour stretching and a smoothing 2-D convolution;
* ``"conv_in"`` (:class:`ConvInUpsampler`, r9y9's ``ConvInUpsampleNetwork``): an unpadded conv
  reading ``upsample_context`` frames each side (the mel is edge-padded by that much), then the
  same stretch-and-smooth steps without their 3-tap conv;
* ``"transposed"`` (:class:`TransposedConvUpsampler`, r9y9 0.1.1's): per scale a transposed 2-D
  convolution with bias, then a ReLU;
* ``"repeat"`` (:class:`RepeatUpsampler`, the Universal Music Translation network's): each frame
  repeated hop times, no weights.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .configuration_wavenet import WaveNetConfig


class SmoothingConv(nn.Conv2d):
    """A (freq_kernel, 2s+1) convolution over (band, time), initialised to a moving average."""

    def __init__(self, scale: int, freq_kernel: int = 1):
        super().__init__(1, 1, (freq_kernel, 2 * scale + 1), padding=((freq_kernel - 1) // 2, scale), bias=False)

    def reset_to_moving_average(self) -> None:
        nn.init.constant_(self.weight, 1.0 / self.weight[0, 0].numel())


def stretch_and_smooth(c: torch.Tensor, scales: list[int], smoothers: nn.ModuleList) -> torch.Tensor:
    """(B, C, F) -> (B, C, F * prod(scales)): per scale, repeat every frame ``s`` times and smooth."""
    c = c.unsqueeze(1)                                                       # (B, 1, C, F)
    for scale, smoother in zip(scales, smoothers):
        c = smoother(F.interpolate(c, scale_factor=(1, scale), mode="nearest"))
    return c.squeeze(1)                                                      # (B, C, F * hop)


class ConditionUpsampler(nn.Module):
    """hfsynth's: a 3-tap conv, then stretch-and-smooth per scale (smoothers start as moving averages,
    so training starts from linear-interpolation-like features)."""

    def __init__(self, channels: int, scales: list[int], freq_kernel: int = 1):
        super().__init__()
        self.prenet = nn.Conv1d(channels, channels, 3, padding=1)
        self.scales = list(scales)
        self.smoothers = nn.ModuleList(SmoothingConv(s, freq_kernel) for s in self.scales)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return stretch_and_smooth(self.prenet(mel), self.scales, self.smoothers)


class ConvInUpsampler(nn.Module):
    """r9y9's ``ConvInUpsampleNetwork``: ``conv_in`` over 2 ``context`` + 1 frames (no bias, no
    padding; the mel is edge-padded by ``context`` frames first, as r9y9's synthesis pads it), then
    stretch-and-smooth per scale."""

    def __init__(self, channels: int, scales: list[int], freq_kernel: int, context: int):
        super().__init__()
        self.context = context
        self.conv_in = nn.Conv1d(channels, channels, 2 * context + 1, bias=False)
        self.scales = list(scales)
        self.smoothers = nn.ModuleList(SmoothingConv(s, freq_kernel) for s in self.scales)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        padded = F.pad(mel, (self.context, self.context), mode="replicate") if self.context else mel
        return stretch_and_smooth(self.conv_in(padded), self.scales, self.smoothers)


class TransposedConvUpsampler(nn.Module):
    """r9y9 0.1.1's: per scale ``s`` a ConvTranspose2d with a (freq_kernel, s) kernel and stride
    (1, s), with bias, then a ReLU (its features live in [0, 1])."""

    def __init__(self, scales: list[int], freq_kernel: int):
        super().__init__()
        self.layers = nn.Sequential(*(
            module for s in scales
            for module in (nn.ConvTranspose2d(1, 1, (freq_kernel, s), stride=(1, s),
                                              padding=((freq_kernel - 1) // 2, 0)), nn.ReLU())
        ))

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.layers(mel.unsqueeze(1)).squeeze(1)                     # (B, 1, C, F) -> (B, C, F * hop)


class RepeatUpsampler(nn.Module):
    """Each frame repeated hop times (frame ``t // hop`` conditions sample ``t``)."""

    def __init__(self, scales: list[int]):
        super().__init__()
        self.hop = math.prod(scales)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return frames.repeat_interleave(self.hop, dim=-1)


def build_upsampler(config: WaveNetConfig) -> nn.Module:
    """The upsampler ``config.upsample_net`` names, for ``config.local_cond_channels`` channels."""
    channels, scales, freq_kernel = config.local_cond_channels, config.upsample_scales, config.upsample_freq_kernel_size
    if config.upsample_net == "conv_in":
        return ConvInUpsampler(channels, scales, freq_kernel, config.upsample_context)
    if config.upsample_net == "transposed":
        return TransposedConvUpsampler(scales, freq_kernel)
    if config.upsample_net == "repeat":
        return RepeatUpsampler(scales)
    return ConditionUpsampler(channels, scales, freq_kernel)
