"""Tiny hfsynth-style models that exercise the public contract's plumbing in tests.

They are real PreTrainedModels registered like hfsynth's own, small enough to build in a test:
a text-to-audio "sine" generator that plays the pitch a prompt names, an audio-to-audio gain,
and a two-stem "separator".
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import ByT5Tokenizer, PretrainedConfig, PreTrainedModel
from transformers.utils import ModelOutput

from hfsynth.audio.pitch import find_pitch, midi_to_hz
from hfsynth.validation import check_positive_seconds
from hfsynth.models import register_model
from hfsynth.pipelines import finalize_audio


class ToySineConfig(PretrainedConfig):
    model_type = "hfsynth_toy_sine"

    def __init__(self, sampling_rate: int = 8000, **kwargs):
        self.sampling_rate = sampling_rate
        super().__init__(**kwargs)


@dataclass
class ToyAudioOutput(ModelOutput):
    audio: torch.Tensor | None = None
    stems: torch.Tensor | None = None


class ToySineModel(PreTrainedModel):
    config_class = ToySineConfig
    main_input_name = "input_ids"

    def __init__(self, config: ToySineConfig):
        super().__init__(config)
        self.gain = torch.nn.Parameter(torch.tensor(2.0))  # > 1 on purpose: the contract must scale it down
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, audio_length_in_s: float = 1.0, **kwargs):
        seconds = check_positive_seconds(audio_length_in_s)
        texts = [bytes(max(int(i) - 3, 0) for i in row if int(i) > 2).decode(errors="ignore") for row in input_ids]
        pitches = [find_pitch(text) or 69 for text in texts]
        t = torch.arange(int(seconds * self.config.sampling_rate)) / self.config.sampling_rate
        hz = torch.tensor([float(midi_to_hz(p)) for p in pitches])[:, None]
        return ToyAudioOutput(audio=finalize_audio(self.gain * torch.sin(2 * torch.pi * hz * t)))


class ToyGainConfig(PretrainedConfig):
    model_type = "hfsynth_toy_gain"

    def __init__(self, sampling_rate: int = 8000, gain: float = 0.5, stem_names=None, **kwargs):
        self.sampling_rate = sampling_rate
        self.gain = gain
        self.stem_names = list(stem_names) if stem_names else None
        super().__init__(**kwargs)


class ToyGainModel(PreTrainedModel):
    """Scales audio; with ``stem_names`` it "separates" into the input and its negative."""

    config_class = ToyGainConfig
    main_input_name = "input_values"

    def __init__(self, config: ToyGainConfig):
        super().__init__(config)
        self.dummy = torch.nn.Parameter(torch.zeros(1))
        self.post_init()

    def audio_to_audio(self, input_values: torch.Tensor) -> ToyAudioOutput:
        scaled = self.config.gain * input_values[:, 0]
        if self.config.stem_names:
            return ToyAudioOutput(stems=torch.stack([scaled, -scaled], dim=1))
        return ToyAudioOutput(audio=scaled)


register_model(ToySineConfig, ToySineModel, generator=True)
register_model(ToyGainConfig, ToyGainModel)


def save_toy_sine(folder) -> str:
    ToySineModel(ToySineConfig()).save_pretrained(folder)
    ByT5Tokenizer().save_pretrained(folder)
    return str(folder)


def save_toy_gain(folder, **config_kwargs) -> str:
    ToyGainModel(ToyGainConfig(**config_kwargs)).save_pretrained(folder)
    return str(folder)
