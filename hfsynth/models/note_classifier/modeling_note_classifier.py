"""Reference note classifier: waveform -> pitch, instrument family and velocity, plus an embedding.

A small 2-D CNN over the log-mel spectrogram. It is hfsynth's offline evaluator: pitch accuracy,
pitch entropy and Inception Score come from its probabilities, Fréchet distances from its
embedding. Frequency keeps its position through the network (the last block is flattened along
frequency rather than pooled) because absolute frequency is what pitch is.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers.utils import ModelOutput

from ...audio.mel import MelSpectrogram
from ..modeling_utils import HFSynthPreTrainedModel
from .configuration_note_classifier import HEADS, NoteClassifierConfig


@dataclass
class NoteClassifierOutput(ModelOutput):
    """
    loss: sum of the three heads' cross-entropies (when labels are given).
    logits: the ``config.pipeline_head`` logits (what ``audio-classification`` reads).
    pitch_logits / instrument_family_logits / velocity_logits: every head.
    embeddings: (batch, embedding_size) features for Fréchet distances.
    """

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    pitch_logits: torch.Tensor | None = None
    instrument_family_logits: torch.Tensor | None = None
    velocity_logits: torch.Tensor | None = None
    embeddings: torch.Tensor | None = None


class ConvBlock(nn.Module):
    """Two 3x3 convolutions with batch norm, then 2x2 max pooling: (B, C, F, T) -> (B, C', F/2, T/2)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2, ceil_mode=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class NoteClassifierPreTrainedModel(HFSynthPreTrainedModel):
    config_class = NoteClassifierConfig
    base_model_prefix = "note_classifier"
    main_input_name = "input_values"
    input_dtype = torch.float32  # the log-mel front end reads float32 audio whatever the weights' dtype

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)


class NoteClassifier(NoteClassifierPreTrainedModel):
    def __init__(self, config: NoteClassifierConfig):
        super().__init__(config)
        self.frontend = MelSpectrogram(
            config.sampling_rate, n_fft=config.n_fft, hop_length=config.hop_length, n_mels=config.n_mels,
            fmin=config.f_min, log=True,
        )
        channels = [1, *config.channels]
        self.blocks = nn.Sequential(*(ConvBlock(c_in, c_out) for c_in, c_out in zip(channels, channels[1:])))
        bands = config.n_mels
        for _ in config.channels:
            bands = -(-bands // 2)  # ceil-mode pooling
        self.project = nn.Linear(2 * config.channels[-1] * bands, config.embedding_size)
        self.dropout = nn.Dropout(config.dropout)
        self.heads = nn.ModuleDict({
            "pitch": nn.Linear(config.embedding_size, config.num_pitches),
            "instrument_family": nn.Linear(config.embedding_size, len(config.instrument_families)),
            "velocity": nn.Linear(config.embedding_size, len(config.velocity_bins)),
        })
        self.post_init()

    def embed(self, input_values: torch.Tensor) -> torch.Tensor:
        """(batch, samples) waveform -> (batch, embedding_size)."""
        if input_values.ndim == 3 and input_values.shape[1] == 1:
            input_values = input_values[:, 0]
        if input_values.ndim != 2:
            raise ValueError(f"input_values must be (batch, samples) mono audio; got shape {tuple(input_values.shape)}")
        if input_values.shape[-1] < self.config.n_fft // 2:
            raise ValueError(f"audio too short: {input_values.shape[-1]} samples; need at least {self.config.n_fft // 2}")
        mel = self.frontend(self.analysis_window(input_values.float()))  # (B, n_mels, T)
        mel = (mel - mel.mean(dim=(1, 2), keepdim=True)) / 4.0        # loudness-invariant, ~unit scale
        features = self.blocks(mel.unsqueeze(1).to(self.dtype))       # (B, C, F', T'); DSP stays float32
        pooled = torch.cat([features.mean(dim=-1), features.amax(dim=-1)], dim=1)  # (B, 2C, F')
        return F.relu(self.project(pooled.flatten(1)))                # (B, embedding_size)

    def analysis_window(self, audio: torch.Tensor) -> torch.Tensor:
        """(B, samples) -> (B, window): ``config.analysis_seconds`` from each note's onset.

        The onset is the first sample within 20 dB of the clip's peak; a window running past the
        end is moved back so that it stays inside the clip.
        """
        if self.config.analysis_seconds is None:
            return audio
        window = int(self.config.analysis_seconds * self.config.sampling_rate)
        if audio.shape[-1] <= window:
            return audio
        magnitude = audio.abs()
        loud = magnitude >= 0.1 * magnitude.amax(dim=-1, keepdim=True).clamp_min(1e-8)
        start = loud.float().argmax(dim=-1).clamp(max=audio.shape[-1] - window)   # (B,)
        index = start[:, None] + torch.arange(window, device=audio.device)        # (B, window)
        return audio.gather(-1, index)

    def forward(
        self,
        input_values: torch.Tensor,
        pitch: torch.Tensor | None = None,
        instrument_family: torch.Tensor | None = None,
        velocity: torch.Tensor | None = None,
        **kwargs,
    ) -> NoteClassifierOutput:
        """``pitch`` labels are MIDI numbers, ``velocity`` labels MIDI velocities (binned here)."""
        embeddings = self.embed(input_values)
        logits = {name: head(self.dropout(embeddings)) for name, head in self.heads.items()}
        loss = None
        if pitch is not None or instrument_family is not None or velocity is not None:
            targets = {"pitch": pitch, "instrument_family": instrument_family, "velocity": velocity}
            loss = sum(F.cross_entropy(logits[name], self.class_index(name, target))
                       for name, target in targets.items() if target is not None)
        return NoteClassifierOutput(
            loss=loss,
            logits=logits[self.config.pipeline_head],
            pitch_logits=logits["pitch"],
            instrument_family_logits=logits["instrument_family"],
            velocity_logits=logits["velocity"],
            embeddings=embeddings,
        )

    def class_index(self, head: str, labels: torch.Tensor) -> torch.Tensor:
        """Maps raw labels (MIDI pitch, family id, MIDI velocity) to the head's class indices."""
        labels = torch.as_tensor(labels, device=self.device).long()
        if head == "pitch":
            if ((labels < self.config.pitch_min) | (labels > self.config.pitch_max)).any():
                raise ValueError(f"pitch labels must lie in {self.config.pitch_min}..{self.config.pitch_max}")
            return labels - self.config.pitch_min
        if head == "velocity":
            edges = torch.tensor(self.config.velocity_bins, device=labels.device)
            return torch.bucketize(labels.clamp(0, 127), edges)
        if head == "instrument_family":
            return labels
        raise ValueError(f"unknown head {head!r}; heads: {HEADS}")
