"""The Universal Music Translation network (Mor, Wolf, Polyak & Taigman, ICLR 2019).

One non-causal dilated-convolution encoder, shared by every domain, maps 8-bit mu-law audio to a
latent code (one frame per ``encoder_pool`` samples) that training keeps domain-confused (a domain
classifier on the latent is fooled); one WaveNet decoder per domain, conditioned on that latent,
writes the audio in its domain. Translating to a domain is encoding, then sampling its decoder.

The decoders are :class:`~hfsynth.models.wavenet.WaveNetModel`\\ s with the options of
:meth:`MusicTranslationConfig.decoder_config`, so translation runs hfsynth's incremental
generation, and its samplers and noise sources (recorded noise replays the original's draws).
The domain classifier is a training device only and is not part of this model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers.utils import ModelOutput

from ...audio.validation import check_audio_tensor
from ...pipelines.contract import finalize_audio
from ..generation_utils import ProgressBar
from ..modeling_utils import HFSynthPreTrainedModel
from ..wavenet import WaveNetModel
from ..wavenet.sampling_wavenet import GeneratorNoise, NoiseSource
from .configuration_music_translation import MusicTranslationConfig


@dataclass
class MusicTranslationOutput(ModelOutput):
    """
    loss: the target decoder's next-code cross entropy (nats per sample).
    logits: (batch, 256, frames * pool) its teacher-forced logits.
    latents: (batch, latent_channels, frames) the encoder's code of the input.
    """

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    latents: torch.Tensor | None = None


@dataclass
class MusicTranslationAudioOutput(ModelOutput):
    """
    audio: (batch, samples) float32 translated waveforms, peak <= 1: what the audio-to-audio pipeline reads.
    """

    audio: torch.Tensor | None = None


class DilatedResidualBlock(nn.Module):
    """``x + conv_1x1(activation(dilated_conv(x)))``: a non-causal 3-tap dilated convolution, same length."""

    def __init__(self, channels: int, dilation: int, activation: str):
        super().__init__()
        self.dilated_conv = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.conv_1x1 = nn.Conv1d(channels, channels, 1)
        self.activation = torch.relu if activation == "relu" else torch.tanh

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_1x1(self.activation(self.dilated_conv(x)))


class MusicTranslationEncoder(nn.Module):
    """Mu-law codes (B, T) -> latent (B, latent_channels, T // pool), shared by every domain."""

    def __init__(self, config: MusicTranslationConfig):
        super().__init__()
        channels = config.encoder_channels
        self.start = nn.Conv1d(1, channels, 3, padding=1)
        self.dilated_convs = nn.Sequential(*(
            DilatedResidualBlock(channels, 2**i, config.encoder_activation)
            for _ in range(config.encoder_blocks) for i in range(config.encoder_layers)
        ))
        self.conv_1x1 = nn.Conv1d(channels, config.latent_channels, 1)
        self.pool = nn.AvgPool1d(config.encoder_pool)                # a tail shorter than one frame is dropped

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        x = codes.to(self.start.weight.dtype).unsqueeze(1) / 255 - 0.5   # (B, 1, T), in [-0.5, 0.5]
        return self.pool(self.conv_1x1(self.dilated_convs(self.start(x))))


class MusicTranslationPreTrainedModel(HFSynthPreTrainedModel):
    config_class = MusicTranslationConfig
    base_model_prefix = "music_translation"
    main_input_name = "input_values"


class MusicTranslationModel(MusicTranslationPreTrainedModel):
    """The encoder and one decoder per ``config.domains``, saved and loaded as one folder."""

    def __init__(self, config: MusicTranslationConfig):
        super().__init__(config)
        self.encoder = MusicTranslationEncoder(config)
        self.decoders = nn.ModuleList(WaveNetModel(config.decoder_config) for _ in config.domains)
        self.codec = config.decoder_config.mulaw_codec
        self.post_init()

    def check_audio(self, audio: torch.Tensor) -> torch.Tensor:
        """Mono audio (batch, [1,] samples) at ``config.sampling_rate`` -> (batch, samples), at least one frame."""
        audio = check_audio_tensor(audio, "input_values")
        if audio.ndim == 3 and audio.shape[1] == 1:
            audio = audio[:, 0]
        if audio.ndim != 2:
            raise ValueError(f"input_values must be mono audio (batch, [1,] samples); got {tuple(audio.shape)}")
        if not torch.isfinite(audio).all():
            raise ValueError("input_values contains NaN or infinite samples")
        if audio.shape[-1] < self.config.encoder_pool:
            raise ValueError(f"the audio has {audio.shape[-1]} samples, fewer than one latent frame "
                             f"({self.config.encoder_pool} samples at {self.config.sampling_rate} Hz)")
        return audio.to(self.device)

    def encode(self, audio: torch.Tensor) -> torch.Tensor:
        """(batch, samples) audio in [-1, 1] -> latents (batch, latent_channels, samples // pool)."""
        return self.encoder(self.codec.encode(audio))

    def forward(self, input_values: torch.Tensor, target_domain: str | int | None = None) -> MusicTranslationOutput:
        """Teacher forcing as the original trains: the input's latents condition the target domain's
        decoder, which predicts every code from the codes before it (a 0.0 input before the first).
        Scores the first ``frames * pool`` samples (the pooling drops the rest)."""
        audio = self.check_audio(input_values)
        decoder = self.decoders[self.config.domain_index(target_domain)]
        codes = self.codec.encode(audio)
        latents = self.encoder(codes)
        codes = codes[:, : latents.shape[-1] * self.config.encoder_pool]
        shifted = F.pad(decoder.input_values(codes), (1, 0))[:, :-1]               # (B, T)
        logits = decoder.logits_from_features(decoder.scalar_features(shifted), decoder.upsampler(latents), None)
        return MusicTranslationOutput(loss=F.cross_entropy(logits, codes), logits=logits, latents=latents)

    @torch.inference_mode()
    def translate(
        self,
        audio: torch.Tensor,
        target_domain: str | int | None = None,
        generator: torch.Generator | None = None,
        progress_bar: ProgressBar = None,
        noise: NoiseSource | None = None,
    ) -> torch.Tensor:
        """(batch, samples) audio -> (batch, samples) in the target domain (raw, in [-1, 1]).

        The latent is decoded in chunks of ``config.chunk_frames`` frames, each from a fresh start
        (code 128, empty queues) as the original's Python generator does, one sample at a time;
        the samples its pooling drops (fewer than one frame at the end) come back as silence.
        """
        audio = self.check_audio(audio)
        decoder = self.decoders[self.config.domain_index(target_domain)]
        latents = self.encode(audio)                                                # (B, D, frames)
        noise = GeneratorNoise(generator) if noise is None else noise
        pieces = [decoder.sample_waveform(chunk.shape[-1] * self.config.encoder_pool, mel=chunk, noise=noise,
                                          progress_bar=progress_bar)
                  for chunk in latents.split(self.config.chunk_frames, dim=-1)]
        translated = torch.cat(pieces, dim=-1)                                      # (B, frames * pool)
        return F.pad(translated, (0, audio.shape[-1] - translated.shape[-1]))

    def audio_to_audio(
        self,
        input_values: torch.Tensor,
        target_domain: str | int | None = None,
        generator: torch.Generator | None = None,
        progress_bar: ProgressBar = None,
        noise: NoiseSource | None = None,
    ) -> MusicTranslationAudioOutput:
        """What the ``audio-to-audio`` pipeline calls: ``target_domain`` by name or index
        (default ``config.default_target_domain``)."""
        translated = self.translate(input_values, target_domain, generator, progress_bar, noise)
        return MusicTranslationAudioOutput(audio=finalize_audio(translated))
