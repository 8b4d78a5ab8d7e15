"""``SeparationPipeline``: a mixture in, named stems out, in one call.

    pipe = SeparationPipeline.from_pretrained("pipelines/separation-small")
    out = pipe(recording, sampling_rate=44100)
    out.stems["bass"]        # float32 (samples,) at out.sampling_rate; out.notes says what was converted

It loads the same folder as ``pipeline("audio-to-audio", model=...)`` and conforms the input the same
way (down-mix to the model's channels, resample to its rate), but says what it changed in
``notes`` instead of only logging it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import torch

from ...audio.resample import resample, to_channels
from ...audio.validation import check_sampling_rate, check_waveform
from ...pipelines.contract import finalize_audio
from .configuration_separation import SeparationConfig
from .modeling_separation import SeparationModel


@dataclass
class SeparationPipelineOutput:
    """
    stems: stem name -> float32 (samples,) (mono model) or (channels, samples), peak <= 1 over all stems.
    sampling_rate: their rate in Hz (the model's).
    notes: conversions applied to the input (down-mixing, resampling), empty when none were needed.
    """

    stems: dict[str, np.ndarray]
    sampling_rate: int
    notes: list[str] = field(default_factory=list)


class SeparationPipeline:
    """Source separation with a :class:`SeparationModel`."""

    def __init__(self, model: SeparationModel):
        self.model = model.eval()

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, **kwargs) -> SeparationPipeline:
        """Loads a separation folder (or Hub id); ``kwargs`` go to ``SeparationModel.from_pretrained``."""
        return cls(SeparationModel.from_pretrained(path, **kwargs))

    def save_pretrained(self, path: str | os.PathLike) -> None:
        self.model.save_pretrained(path)

    def to(self, device: str | torch.device) -> SeparationPipeline:
        self.model.to(device)
        return self

    @property
    def config(self) -> SeparationConfig:
        return self.model.config

    def __call__(self, audio: np.ndarray | torch.Tensor, sampling_rate: int | None = None) -> SeparationPipelineOutput:
        """Separates ``audio`` (samples,) or (channels, samples) at ``sampling_rate`` (default the model's)."""
        # 1. check and conform the input
        waveform, notes = self.prepare_audio(audio, sampling_rate)                 # (1, channels, samples)
        # 2. separate (validates length and silence, chunks long inputs)
        stems = self.model.audio_to_audio(waveform).stems                          # (1, stems, [C,] samples)
        # 3. postprocess: one gain for all stems keeps their balance (and their sum)
        stems = finalize_audio(stems)[0].cpu().numpy()
        named = {name: stems[index] for index, name in enumerate(self.config.stem_names)}
        return SeparationPipelineOutput(stems=named, sampling_rate=self.config.sampling_rate, notes=notes)

    def prepare_audio(
        self, audio: np.ndarray | torch.Tensor, sampling_rate: int | None
    ) -> tuple[torch.Tensor, list[str]]:
        """Input -> (1, model channels, samples) at the model's rate, and notes on what was converted."""
        array = check_waveform(audio.detach().cpu().numpy() if isinstance(audio, torch.Tensor) else audio)
        rate = self.config.sampling_rate if sampling_rate is None else check_sampling_rate(sampling_rate)
        channels, notes = self.config.audio_channels, []
        layout = 1 if array.ndim == 1 else array.shape[0]
        if layout != channels:
            notes.append(f"converted {layout} channel(s) to the model's {channels}")
            array = to_channels(array, channels)
        if rate != self.config.sampling_rate:
            notes.append(f"resampled {rate} Hz to the model's {self.config.sampling_rate} Hz")
            array = resample(array, rate, self.config.sampling_rate)
        waveform = torch.from_numpy(np.ascontiguousarray(array)).reshape(1, channels, -1)
        return waveform.to(self.model.device), notes
