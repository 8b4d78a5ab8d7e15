"""``StyleTransferPipeline``: a song in one style -> the same song in another, in one call.

    pipe = StyleTransferPipeline.from_pretrained("pipelines/styletransfer-piano-to-strings")
    out = pipe(audio, sampling_rate=44100)                       # stereo / any rate: down-mixed, resampled
    out = pipe(audio, 16000, direction="b_to_a")                 # CycleGAN: either way
    pipe = StyleTransferPipeline.from_pretrained(path, separator="pipelines/separation-...",
                                                 vocoder="path/to/wavenet-vocoder")
    out = pipe(audio, 16000, separate=True, stems=["other"], vocoder="wavenet")
    out.audio, out.sampling_rate, out.stems, out.notes

Steps: conform the input (channels, rate) -> optionally separate it into stems with any model whose
``audio_to_audio`` answers ``stems`` -> transfer the chosen stems (spectrogram chunks, see the model)
-> reconstruct with Griffin-Lim, or additionally re-synthesise with a WaveNet vocoder from the
Griffin-Lim audio's own mel -> remix. The same model folder loads with
``transformers.pipeline("audio-to-audio", model=path)``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from transformers import AutoModel, PreTrainedModel

from ...audio.resample import resample, to_channels
from ...pipelines.audio_to_audio import parse_audio_input
from ...pipelines.contract import finalize_audio
from .modeling_style_transfer import StyleTransferPreTrainedModel

logger = logging.getLogger(__name__)

VOCODERS = ("griffinlim", "wavenet")


@dataclass
class StyleTransferPipelineOutput:
    """
    audio: (samples,) float32, peak <= 1, in the target style.
    sampling_rate: its rate (the style model's).
    stems: with ``separate=True``, every stem after transfer (untransferred stems as separated), by name.
    notes: what was done to the input (down-mixing, resampling, stems left alone).
    """

    audio: np.ndarray
    sampling_rate: int
    stems: dict[str, np.ndarray] | None = None
    notes: list[str] = field(default_factory=list)


def _load(model: PreTrainedModel | str | os.PathLike | None) -> PreTrainedModel | None:
    if model is None or isinstance(model, torch.nn.Module):
        return None if model is None else model.eval()
    return AutoModel.from_pretrained(str(model)).eval()


class StyleTransferPipeline:
    """A :class:`StyleTransferPreTrainedModel` plus an optional separator and WaveNet vocoder."""

    def __init__(
        self,
        model: StyleTransferPreTrainedModel,
        vocoder: PreTrainedModel | None = None,
        separator: PreTrainedModel | None = None,
    ):
        if not isinstance(model, StyleTransferPreTrainedModel):
            raise ValueError(f"model must be a MelGAN-VC or CycleGAN style-transfer model; got {type(model).__name__}")
        self.model = model.eval()
        self.vocoder = _load(vocoder)
        self.separator = _load(separator)
        if self.separator is not None and not getattr(self.separator.config, "stem_names", None):
            raise ValueError(f"separator {type(self.separator).__name__} names no stems (config.stem_names)")
        if self.vocoder is not None and not hasattr(self.vocoder, "vocode"):
            raise ValueError(f"vocoder {type(self.vocoder).__name__} has no vocode(); pass a WaveNet vocoder")

    @classmethod
    def from_pretrained(
        cls,
        path: str | os.PathLike,
        vocoder: PreTrainedModel | str | os.PathLike | None = None,
        separator: PreTrainedModel | str | os.PathLike | None = None,
    ) -> StyleTransferPipeline:
        """Loads the style model at ``path``; ``vocoder`` / ``separator`` are folders or loaded models."""
        return cls(AutoModel.from_pretrained(str(path)), vocoder=_load(vocoder), separator=_load(separator))

    @property
    def sampling_rate(self) -> int:
        return self.model.config.sampling_rate

    def __call__(
        self,
        audio: np.ndarray | torch.Tensor | str | os.PathLike,
        sampling_rate: int | None = None,
        direction: str | None = None,
        separate: bool = False,
        stems: Sequence[str] | None = None,
        vocoder: str = "griffinlim",
        seed: int = 0,
    ) -> StyleTransferPipelineOutput:
        """Transfers ``audio`` (samples,) or (channels, samples) at ``sampling_rate`` (default: the model's;
        a path is read with its own rate). ``direction``: see the model's config; ``separate``: separate first,
        transfer ``stems`` (default all) and remix; ``vocoder``: "griffinlim" or "wavenet"."""
        direction = self.model.config.resolve_direction(direction)
        if vocoder not in VOCODERS:
            raise ValueError(f"vocoder must be one of {VOCODERS}; got {vocoder!r}")
        if vocoder == "wavenet" and self.vocoder is None:
            raise ValueError("vocoder='wavenet' needs a WaveNet vocoder: StyleTransferPipeline.from_pretrained(path, vocoder=...)")
        notes: list[str] = []
        mono = self.conform(audio, sampling_rate, notes)
        if not separate:
            out = self.transfer(mono, direction, vocoder, seed)
            return StyleTransferPipelineOutput(self._finish(out), self.sampling_rate, notes=notes)
        named = self.separate(mono, notes)
        chosen = self._check_stems(stems, named)
        for name in chosen:
            if np.abs(named[name]).max() < self.model.config.min_peak:
                notes.append(f"stem {name!r} is silent; left as separated")
                continue
            named[name] = self.transfer(named[name], direction, vocoder, seed)
        mix = np.sum(list(named.values()), axis=0)
        return StyleTransferPipelineOutput(self._finish(mix), self.sampling_rate, stems=named, notes=notes)

    # ------------------------------------------------------------------------------------ steps
    def conform(self, audio: object, sampling_rate: int | None, notes: list[str]) -> np.ndarray:
        """Any accepted input -> (samples,) mono at the model's rate, with a note for each change."""
        if isinstance(audio, (str, os.PathLike)):
            array, rate = parse_audio_input(audio, self.sampling_rate)
        elif sampling_rate is None:
            array, rate = parse_audio_input(audio, self.sampling_rate)
        else:
            array, rate = parse_audio_input({"raw": _numpy(audio), "sampling_rate": sampling_rate}, self.sampling_rate)
        if array.ndim == 2:
            notes.append(f"down-mixed {array.shape[0]} channels to mono")
            array = to_channels(array, 1)
        if rate != self.sampling_rate:
            notes.append(f"resampled {rate} Hz to the model's {self.sampling_rate} Hz")
            array = resample(array, rate, self.sampling_rate)
        for note in notes:
            logger.info("style transfer: %s", note)
        return array

    def transfer(self, audio: np.ndarray, direction: str, vocoder: str, seed: int) -> np.ndarray:
        """(samples,) at the model's rate -> (samples,) transferred, Griffin-Lim or WaveNet reconstruction."""
        device = self.model.device
        waveform = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)).to(device).reshape(1, 1, -1)
        out = self.model.audio_to_audio(input_values=waveform, direction=direction, seed=seed).audio[0]
        out = out.cpu().numpy()
        return out if vocoder == "griffinlim" else self.vocode(out, seed)

    def vocode(self, audio: np.ndarray, seed: int) -> np.ndarray:
        """Re-synthesises Griffin-Lim audio with the WaveNet vocoder (from its own mel settings)."""
        rate = int(self.vocoder.config.sampling_rate)
        at_rate = resample(audio, self.sampling_rate, rate)
        generator = torch.Generator(device=self.vocoder.device).manual_seed(seed)
        waveform = torch.from_numpy(at_rate).to(self.vocoder.device).reshape(1, -1)
        out = self.vocoder.vocode(waveform, generator=generator)[0].cpu().numpy()
        return resample(out, rate, self.sampling_rate)[: len(audio)]

    def separate(self, audio: np.ndarray, notes: list[str]) -> dict[str, np.ndarray]:
        """(samples,) mixture -> {stem name: (samples,)} at the model's rate, through the separator."""
        if self.separator is None:
            raise ValueError("separate=True needs a separation model: StyleTransferPipeline.from_pretrained(path, separator=...)")
        config = self.separator.config
        rate, channels = int(config.sampling_rate), int(getattr(config, "audio_channels", 1))
        mixture = to_channels(resample(audio, self.sampling_rate, rate), channels).reshape(1, channels, -1)
        with torch.inference_mode():
            stems = self.separator.audio_to_audio(input_values=torch.from_numpy(mixture).to(self.separator.device))["stems"]
        stems = stems[0].float().cpu().numpy()                              # (stems, [channels,] samples)
        if stems.ndim == 3:
            stems = stems.mean(axis=1)
        notes.append(f"separated into {', '.join(config.stem_names)}")
        return {name: _fit_length(resample(stems[index], rate, self.sampling_rate), len(audio))
                for index, name in enumerate(config.stem_names)}

    @staticmethod
    def _check_stems(stems: Sequence[str] | None, named: dict[str, np.ndarray]) -> list[str]:
        if stems is None:
            return list(named)
        stems = [stems] if isinstance(stems, str) else list(stems)
        unknown = [name for name in stems if name not in named]
        if unknown or not stems:
            raise ValueError(f"stems to transfer must be some of {list(named)}; got {stems!r}")
        return stems

    @staticmethod
    def _finish(audio: np.ndarray) -> np.ndarray:
        return finalize_audio(torch.from_numpy(np.asarray(audio, dtype=np.float32))[None])[0].numpy()


def _fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    """Cut or zero-pad to ``length`` samples (resampling there and back can be off by a few)."""
    return np.pad(audio, (0, max(0, length - len(audio))))[:length]


def _numpy(audio: object) -> object:
    return audio.detach().cpu().numpy() if isinstance(audio, torch.Tensor) else audio
