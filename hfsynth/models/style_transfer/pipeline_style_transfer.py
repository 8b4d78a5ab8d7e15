"""``StyleTransferPipeline``: a song in one style -> the same song in another, in one call.

    pipe = StyleTransferPipeline.from_pretrained("pipelines/styletransfer-piano-to-strings")
    out = pipe(audio, sampling_rate=44100)                       # stereo / any rate: down-mixed, resampled
    out = pipe(audio, 16000, direction="b_to_a")                 # CycleGAN: either way
    pipe = StyleTransferPipeline.from_pretrained(path, separator="pipelines/separation-...",
                                                 vocoder="path/to/wavenet-vocoder")
    out = pipe(audio, 16000, separate=True, stems=["other"], vocoder="wavenet")
    out.audios[0], out.sampling_rate, out.stems, out.notes

Steps: conform the input (channels, rate) -> optionally separate it into stems with any model whose
``audio_to_audio`` answers ``stems`` -> transfer the chosen stems (spectrogram chunks, see the model)
-> reconstruct with Griffin-Lim, or additionally re-synthesise with a WaveNet vocoder from the
Griffin-Lim audio's own mel -> remix. The same model folder loads with
``transformers.pipeline("audio-to-audio", model=path)``; a saved pipeline keeps its vocoder and
separator in sub-folders of that name.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, PreTrainedModel

from ...audio.io import read_audio
from ...audio.resample import resample, to_channels
from ...pipelines.contract import finalize_audio
from ...pipelines.pipeline_utils import AudioPipelineOutput, HFSynthPipeline, conform_audio
from .modeling_style_transfer import StyleTransferPreTrainedModel

logger = logging.getLogger(__name__)

VOCODERS = ("griffinlim", "wavenet")


def _load(model: PreTrainedModel | str | os.PathLike | None) -> PreTrainedModel | None:
    if model is None or isinstance(model, torch.nn.Module):
        return None if model is None else model.eval()
    return AutoModel.from_pretrained(str(model)).eval()


class StyleTransferPipeline(HFSynthPipeline):
    """A :class:`StyleTransferPreTrainedModel` plus an optional separator and WaveNet vocoder."""

    model_class = AutoModel

    def __init__(
        self,
        model: StyleTransferPreTrainedModel,
        vocoder: PreTrainedModel | None = None,
        separator: PreTrainedModel | None = None,
    ):
        if not isinstance(model, StyleTransferPreTrainedModel):
            raise ValueError(f"model must be a MelGAN-VC or CycleGAN style-transfer model; got {type(model).__name__}")
        vocoder, separator = _load(vocoder), _load(separator)
        if separator is not None and not getattr(separator.config, "stem_names", None):
            raise ValueError(f"separator {type(separator).__name__} names no stems (config.stem_names)")
        if vocoder is not None and not hasattr(vocoder, "vocode"):
            raise ValueError(f"vocoder {type(vocoder).__name__} has no vocode(); pass a WaveNet vocoder")
        super().__init__(model, vocoder=vocoder, separator=separator)

    @classmethod
    def from_pretrained(
        cls,
        path: str | os.PathLike,
        vocoder: PreTrainedModel | str | os.PathLike | None = None,
        separator: PreTrainedModel | str | os.PathLike | None = None,
        **model_kwargs,
    ) -> StyleTransferPipeline:
        """Loads the style model at ``path``; ``vocoder`` / ``separator`` are folders or loaded models
        (default: the ``vocoder/`` and ``separator/`` sub-folders of a saved pipeline, when present)."""
        found = {name: Path(path, name) for name in ("vocoder", "separator") if Path(path, name, "config.json").is_file()}
        vocoder = found.get("vocoder") if vocoder is None else vocoder
        separator = found.get("separator") if separator is None else separator
        return cls(AutoModel.from_pretrained(str(path), **model_kwargs), vocoder=vocoder, separator=separator)

    def __call__(
        self,
        audio: np.ndarray | torch.Tensor | str | os.PathLike,
        sampling_rate: int | None = None,
        direction: str | None = None,
        separate: bool = False,
        stems: Sequence[str] | None = None,
        vocoder: str = "griffinlim",
        generator: torch.Generator | None = None,
    ) -> AudioPipelineOutput:
        """Transfers ``audio`` (samples,) or (channels, samples) at ``sampling_rate`` (default: the model's;
        a path is read with its own rate) -> ``audios`` (1, samples).

        ``direction``: see the model's config; ``separate``: separate first, transfer ``stems``
        (default all) and remix; ``vocoder``: "griffinlim" or "wavenet"; ``generator``: the random
        draws of Griffin-Lim and the vocoder (default: fixed ones, so a transfer is repeatable).
        """
        # 1. check and conform the input
        direction = self.model.config.resolve_direction(direction)
        if vocoder not in VOCODERS:
            raise ValueError(f"vocoder must be one of {VOCODERS}; got {vocoder!r}")
        if vocoder == "wavenet" and self.vocoder is None:
            raise ValueError("vocoder='wavenet' needs a WaveNet vocoder: StyleTransferPipeline.from_pretrained(path, vocoder=...)")
        if isinstance(audio, (str, os.PathLike)):
            audio, sampling_rate = read_audio(audio, channels=None)
        mono, notes = conform_audio(audio, sampling_rate, self.sampling_rate, channels=1)
        for note in notes:
            logger.info("style transfer: %s", note)
        if not separate:
            return self.output(self.finish(self.transfer(mono, direction, vocoder, generator)), notes=notes)
        # 2. separate, 3. transfer the chosen stems, 4. remix
        named = self.separate(mono, notes)
        for name in self.check_stems(stems, named):
            if np.abs(named[name]).max() < self.model.config.min_peak:
                notes.append(f"stem {name!r} is silent; left as separated")
                continue
            named[name] = self.transfer(named[name], direction, vocoder, generator)
        mix = np.sum(list(named.values()), axis=0)
        return self.output(self.finish(mix), stems=named, notes=notes)

    # ------------------------------------------------------------------------------------ steps
    def transfer(
        self, audio: np.ndarray, direction: str, vocoder: str, generator: torch.Generator | None
    ) -> np.ndarray:
        """(samples,) at the model's rate -> (samples,) transferred, Griffin-Lim or WaveNet reconstruction."""
        waveform = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)).to(self.device).reshape(1, 1, -1)
        out = self.model.audio_to_audio(input_values=waveform, direction=direction, generator=generator).audio[0]
        out = out.cpu().numpy()
        return out if vocoder == "griffinlim" else self.vocode(out, generator)

    def vocode(self, audio: np.ndarray, generator: torch.Generator | None) -> np.ndarray:
        """Re-synthesises Griffin-Lim audio with the WaveNet vocoder (from its own mel settings)."""
        rate = int(self.vocoder.config.sampling_rate)
        at_rate = resample(audio, self.sampling_rate, rate)
        generator = torch.Generator().manual_seed(0) if generator is None else generator
        waveform = torch.from_numpy(at_rate).to(self.vocoder.device).reshape(1, -1)
        out = self.vocoder.vocode(waveform, generator=generator, progress_bar=self.progress_bar)[0].cpu().numpy()
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
    def check_stems(stems: Sequence[str] | None, named: dict[str, np.ndarray]) -> list[str]:
        if stems is None:
            return list(named)
        stems = [stems] if isinstance(stems, str) else list(stems)
        unknown = [name for name in stems if name not in named]
        if unknown or not stems:
            raise ValueError(f"stems to transfer must be some of {list(named)}; got {stems!r}")
        return stems

    @staticmethod
    def finish(audio: np.ndarray) -> torch.Tensor:
        """(samples,) -> (1, samples) float32 with peak <= 1."""
        return finalize_audio(torch.from_numpy(np.asarray(audio, dtype=np.float32))[None])


def _fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    """Cut or zero-pad to ``length`` samples (resampling there and back can be off by a few)."""
    return np.pad(audio, (0, max(0, length - len(audio))))[:length]
