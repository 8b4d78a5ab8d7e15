"""The base of hfsynth's own pipelines (``GANSynthPipeline``, ``AudioGenPipeline``, ...).

transformers' ``pipeline()`` is the public contract; these classes are the richer, diffusers-style
way to the same folders: components declared once, loaded and saved together, ``to(device)``,
progress bars, and one result type, :class:`AudioPipelineOutput`. Each ``__call__`` reads top to
bottom: check inputs -> prepare -> ``model.generate`` (or the model's audio-to-audio call) ->
postprocess. Names are the same everywhere: ``audio_length_in_s``, ``generator`` (a
``torch.Generator``), ``num_waveforms_per_prompt``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import PreTrainedModel

from ..audio.resample import resample, to_channels
from ..audio.validation import check_waveform
from ..validation import check_sampling_rate


@dataclass
class AudioPipelineOutput:
    """What every hfsynth pipeline returns.

    audios: float32 (waveforms, [channels,] samples), each waveform's peak <= 1. The first axis
        holds one waveform per prompt and ``num_waveforms_per_prompt`` (prompt-major) for
        generators, one per input for audio-to-audio pipelines, one per stem for separation.
    sampling_rate: their rate in Hz.
    stems: separated stems by name (separation, style transfer with ``separate=True``).
    latents: what was drawn for each waveform, to play it again (GANSynth's instruments, Musika's styles).
    state: where a generation ended, to continue it (Musika).
    notes: what the pipeline changed in the input (down-mixing, resampling), empty if nothing.
    """

    audios: np.ndarray
    sampling_rate: int
    stems: dict[str, np.ndarray] | None = None
    latents: torch.Tensor | None = None
    state: Any = None
    notes: list[str] = field(default_factory=list)


def _numpy(audio: object) -> object:
    return audio.detach().cpu().float().numpy() if isinstance(audio, torch.Tensor) else audio


def conform_audio(
    audio: object, sampling_rate: int | None, target_rate: int, channels: int | None = None
) -> tuple[np.ndarray, list[str]]:
    """Input audio (samples,) or (channels, samples) at ``sampling_rate`` (``None``: already at
    ``target_rate``) -> float32 at ``target_rate`` with ``channels`` channels (``None``: as given),
    and a note for each conversion. ``ValueError`` for empty, non-finite or badly shaped audio."""
    array = check_waveform(_numpy(audio))
    rate = target_rate if sampling_rate is None else check_sampling_rate(sampling_rate)
    notes = []
    layout = 1 if array.ndim == 1 else array.shape[0]
    if channels is not None and layout != channels:
        notes.append(f"down-mixed {layout} channels to mono" if channels == 1
                     else f"converted {layout} channel(s) to the model's {channels}")
        array = to_channels(array, channels)
    if rate != target_rate:
        notes.append(f"resampled {rate} Hz to the model's {target_rate} Hz")
        array = resample(array, rate, target_rate)
    return np.ascontiguousarray(array, dtype=np.float32), notes


class HFSynthPipeline:
    """Components around one model, loaded from and saved to one folder.

    ``model`` is loaded with :attr:`model_class` from the folder itself; a subclass adds the
    folder's other components in :meth:`load_components` (a tokenizer or processor, saved beside
    the model as in transformers; another model, saved in a sub-folder named after it).
    """

    model_class: ClassVar[type[PreTrainedModel]]
    #: Components made fresh when not given: name -> factory (e.g. the byte tokenizer a folder ships).
    default_components: ClassVar[dict[str, Callable[[], Any]]] = {}

    def __init__(self, model: PreTrainedModel, **components: Any):
        for name, make in self.default_components.items():
            if components.get(name) is None:
                components[name] = make()
        self.model = model.eval()
        self.components = {"model": self.model, **components}
        for name, component in components.items():
            setattr(self, name, component)
        self._progress_bar_config: dict[str, Any] = {}

    # ------------------------------------------------------------------------ load / save / move
    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, **model_kwargs: Any) -> HFSynthPipeline:
        """Loads the folder (or Hub id) at ``path``; ``model_kwargs`` go to the model's ``from_pretrained``."""
        model = cls.model_class.from_pretrained(path, **model_kwargs)
        return cls(model, **cls.load_components(str(path), model))

    @classmethod
    def load_components(cls, path: str, model: PreTrainedModel) -> dict[str, Any]:
        """The components besides the model, read from ``path``; none by default."""
        return {}

    def save_pretrained(self, path: str | os.PathLike) -> None:
        """Writes every component into ``path``, as transformers' ``save_pretrained`` does: the model
        and its tokenizer/processor in the folder itself, other models in sub-folders named after them."""
        for name, component in self.components.items():
            if component is None:
                continue
            nested = isinstance(component, PreTrainedModel) and name != "model"
            component.save_pretrained(Path(path, name) if nested else path)

    def to(self, device: str | torch.device) -> HFSynthPipeline:
        for component in self.components.values():
            if isinstance(component, torch.nn.Module):
                component.to(device)
        return self

    @property
    def device(self) -> torch.device:
        return self.model.device

    @property
    def config(self):
        return self.model.config

    @property
    def sampling_rate(self) -> int:
        return int(self.model.config.sampling_rate)

    # ------------------------------------------------------------------------------- progress
    def set_progress_bar_config(self, **kwargs: Any) -> None:
        """Options for every progress bar of this pipeline (tqdm's: ``disable=True`` hides them)."""
        self._progress_bar_config = kwargs

    def progress_bar(self, iterable: Iterable | None = None, total: int | None = None) -> Iterable:
        """A tqdm bar over ``iterable`` (shown on a terminal unless configured otherwise); models'
        ``generate(progress_bar=pipe.progress_bar)`` draw their loops with it."""
        config = {"disable": None, "leave": False, **self._progress_bar_config}
        return tqdm(iterable, total=total, **config)

    # -------------------------------------------------------------------------------- outputs
    def output(self, audios: torch.Tensor | np.ndarray, **fields: Any) -> AudioPipelineOutput:
        """Finished audio (already float32, peak <= 1) -> :class:`AudioPipelineOutput` at the model's rate."""
        return AudioPipelineOutput(audios=np.asarray(_numpy(audios), dtype=np.float32),
                                   sampling_rate=self.sampling_rate, **fields)
