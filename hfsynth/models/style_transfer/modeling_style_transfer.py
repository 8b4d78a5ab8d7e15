"""Networks shared by MelGAN-VC and CycleGAN, and the base model that turns audio into transferred audio.

Blocks: a U-Net generator on spectrogram images (reflection padding, skip connections, a residual
output so an untrained generator starts near the identity, which keeps pitch content from the first
step), a strided patch discriminator (spectral norm for MelGAN-VC, instance norm for CycleGAN's
PatchGAN) and an embedding network (MelGAN-VC's siamese network).

:class:`StyleTransferPreTrainedModel` owns the audio side: validate the input, encode it as a
normalised spectrogram, transfer it chunk by chunk (``transfer_in_chunks``) and invert it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm
from transformers.utils import ModelOutput

from ...audio.validation import check_audio_tensor
from ...pipelines.contract import finalize_audio
from ...modules.activations import LeakyReLU
from ..modeling_utils import HFSynthPreTrainedModel
from .configuration_style_transfer import StyleTransferConfig
from .spectral_style_transfer import StyleSpectrogram, transfer_in_chunks

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------- blocks
class ConvBlock(nn.Sequential):
    """Two (reflection pad, 3x3 conv, LeakyReLU 0.2) layers: the unit of every U-Net level."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.ReflectionPad2d(1), nn.Conv2d(in_channels, out_channels, 3), LeakyReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(out_channels, out_channels, 3), LeakyReLU(),
        )


class UNetGenerator(nn.Module):
    """(B, 1, bins, frames) -> (B, 1, bins, frames): encoder levels halve both axes (average pooling),
    decoder levels double them back and concatenate the encoder's features (skips).

    No activation normalisation: a chunk's output depends only on its neighbourhood, not on chunk
    statistics, so overlapping chunks agree and cross-fade seamlessly. The output is ``input + delta``.
    """

    def __init__(self, channels: list[int]):
        super().__init__()
        self.encoders = nn.ModuleList(ConvBlock(c_in, c_out) for c_in, c_out in zip([1, *channels[:-1]], channels))
        self.decoders = nn.ModuleList(ConvBlock(2 * c, c) for c in reversed(channels[:-1]))
        self.ups = nn.ModuleList(
            nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c_deep, c, 3))
            for c_deep, c in zip(reversed(channels[1:]), reversed(channels[:-1]))
        )
        self.head = nn.Conv2d(channels[0], 1, 1)

    def forward(self, spectrogram: torch.Tensor) -> torch.Tensor:
        skips, x = [], spectrogram
        for level, encoder in enumerate(self.encoders):
            x = encoder(x if level == 0 else F.avg_pool2d(x, 2))                 # (B, c_l, bins / 2^l, frames / 2^l)
            skips.append(x)
        for up, decoder, skip in zip(self.ups, self.decoders, reversed(skips[:-1])):
            x = up(F.interpolate(x, scale_factor=2.0, mode="nearest"))
            x = decoder(torch.cat([x, skip], dim=1))
        return spectrogram + self.head(x)


class PatchDiscriminator(nn.Module):
    """(B, 1, bins, frames) -> (B, 1, bins / 2^L, frames / 2^L) real/fake scores, one per patch.

    ``spectral``: spectral-norm convolutions (MelGAN-VC, with the hinge loss); otherwise instance norm after
    the first layer (CycleGAN's PatchGAN, with the least-squares loss).
    """

    def __init__(self, channels: list[int], spectral: bool):
        super().__init__()
        wrap = spectral_norm if spectral else (lambda layer: layer)
        layers: list[nn.Module] = []
        for index, (c_in, c_out) in enumerate(zip([1, *channels[:-1]], channels)):
            layers.append(wrap(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1)))
            if not spectral and index > 0:
                layers.append(nn.InstanceNorm2d(c_out, affine=True))
            layers.append(LeakyReLU())
        layers.append(wrap(nn.Conv2d(channels[-1], 1, 3, padding=1)))
        self.layers = nn.Sequential(*layers)

    def forward(self, spectrogram: torch.Tensor) -> torch.Tensor:
        return self.layers(spectrogram)


class EmbeddingNetwork(nn.Module):
    """MelGAN-VC's siamese network: (B, 1, bins, frames) -> (B, dim) embedding of a chunk."""

    def __init__(self, channels: list[int], dim: int):
        super().__init__()
        layers: list[nn.Module] = []
        for c_in, c_out in zip([1, *channels[:-1]], channels):
            layers += [nn.Conv2d(c_in, c_out, 4, stride=2, padding=1), LeakyReLU()]
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d((4, 2)), nn.Flatten())
        self.project = nn.Linear(channels[-1] * 8, dim)

    def forward(self, spectrogram: torch.Tensor) -> torch.Tensor:
        return self.project(self.features(spectrogram))


# ------------------------------------------------------------------------------------------ outputs
@dataclass
class StyleTransferOutput(ModelOutput):
    """
    audio: (batch, samples) transferred audio, float32, peak <= 1, at ``config.sampling_rate``.
    spectrogram: (batch, 1, bins, frames) the transferred normalised spectrogram it was inverted from.
    """

    audio: torch.FloatTensor | None = None
    spectrogram: torch.FloatTensor | None = None


@dataclass
class StyleTransferSpectrogramOutput(ModelOutput):
    """spectrogram: (batch, 1, bins, frames) transferred normalised spectrogram chunks."""

    spectrogram: torch.FloatTensor | None = None


# ------------------------------------------------------------------------------------------- models
class StyleTransferPreTrainedModel(HFSynthPreTrainedModel):
    """Audio in, audio in the other style out; subclasses provide :meth:`generator_for`."""

    config_class = StyleTransferConfig
    main_input_name = "input_values"

    def __init__(self, config: StyleTransferConfig):
        super().__init__(config)
        self.spectrogram = StyleSpectrogram(config)

    def generator_for(self, direction: str) -> nn.Module:
        """The generator of a resolved direction ("a_to_b" or "b_to_a")."""
        raise NotImplementedError

    def forward(self, spectrogram: torch.Tensor, direction: str | None = None) -> StyleTransferSpectrogramOutput:
        """Transfers spectrogram chunks (B, 1, bins, frames) as they are (no chunking): the training path."""
        generator = self.generator_for(self.config.resolve_direction(direction))
        return StyleTransferSpectrogramOutput(spectrogram=generator(spectrogram))

    @torch.inference_mode()
    def transfer_spectrogram(self, spectrogram: torch.Tensor, direction: str | None = None) -> torch.Tensor:
        """A normalised spectrogram (B, 1, bins, frames) of any length, transferred chunk by chunk."""
        generator = self.generator_for(self.config.resolve_direction(direction))
        return transfer_in_chunks(spectrogram, generator, self.config.chunk_frames)

    def check_input(self, input_values: torch.Tensor) -> torch.Tensor:
        """(B, C, samples) or (B, samples) -> (B, samples) mono; ValueError for too-short or silent audio."""
        audio = check_audio_tensor(input_values, "input_values").to(self.dtype)
        if audio.ndim == 3:
            if audio.shape[1] > 1:
                logger.warning("style transfer: down-mixing %d channels to mono", audio.shape[1])
            audio = audio.mean(dim=1)
        if audio.ndim != 2:
            raise ValueError(f"input_values must be (batch, [channels,] samples); got {tuple(audio.shape)}")
        rate, needed = self.config.sampling_rate, self.config.min_num_samples
        if audio.shape[-1] < needed:
            raise ValueError(
                f"audio is {audio.shape[-1] / rate:.3f} s long ({audio.shape[-1]} samples at {rate} Hz); style "
                f"transfer needs at least {needed / rate:.3f} s ({self.config.chunk_frames} frames of hop "
                f"{self.config.hop_length})"
            )
        peaks = audio.abs().amax(dim=-1)
        if bool((peaks < self.config.min_peak).any()):
            raise ValueError(
                f"audio is silent (peak {float(peaks.min()):.2e} < {self.config.min_peak:g}); there is no style to transfer"
            )
        return audio

    @torch.inference_mode()
    def audio_to_audio(
        self, input_values: torch.Tensor, direction: str | None = None, generator: torch.Generator | None = None
    ) -> StyleTransferOutput:
        """(batch, [channels,] samples) audio at ``config.sampling_rate`` -> :class:`StyleTransferOutput` of the
        same length in the target style. ``direction``: "a_to_b", "b_to_a" or "<a>_to_<b>" by domain name
        (default ``config.direction``); ``generator`` draws Griffin-Lim's initial phase (default: a
        fixed one, so the same input always gives the same audio)."""
        direction = self.config.resolve_direction(direction)
        audio = self.check_input(input_values)
        spectrogram = self.transfer_spectrogram(self.spectrogram.encode(audio.float()).to(self.dtype), direction)
        if generator is None:
            generator = torch.Generator(device=audio.device).manual_seed(0)
        waveform = self.spectrogram.decode(spectrogram.float(), audio.shape[-1], generator=generator).to(audio.device)
        return StyleTransferOutput(audio=finalize_audio(waveform), spectrogram=spectrogram)
