"""``WaveNetPipeline``: WaveNet generation in one call, in the manner of a diffusers pipeline.

    pipe = WaveNetPipeline.from_pretrained("path/to/class-conditioned-wavenet")
    out = pipe(audio_length_in_s=1.0, class_label="keyboard", generator=torch.Generator().manual_seed(0))
    out.audios                        # (batch, samples) float32, peak <= 1, at out.sampling_rate

    vocoder = WaveNetPipeline.from_pretrained("path/to/wavenet-vocoder")
    vocoder(audio=recording, sampling_rate=44100)   # re-synthesised from its own mel

It loads the same folder as ``pipeline("text-to-audio" | "audio-to-audio", ...)``: a WaveNet
checkpoint and its byte tokenizer. It is a plain class rather than a ``diffusers.DiffusionPipeline``
because the latter wants one sub-folder per component and a ``model_index.json``; WaveNet has one
component, saved in the transformers layout.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ...audio.resample import resample
from ...audio.validation import check_positive_int, check_sampling_rate, check_waveform
from ...pipelines.contract import finalize_audio
from .configuration_wavenet import WaveNetConfig
from .modeling_wavenet import DEFAULT_AUDIO_LENGTH_IN_S, WaveNetModel
from .prompting_wavenet import byte_tokenizer, class_for_label

#: A class by name ("keyboard") or index (4).
Label = str | int


@dataclass
class WaveNetPipelineOutput:
    """
    audios: (batch, samples) float32 waveforms with peak <= 1.
    sampling_rate: their rate in Hz.
    """

    audios: np.ndarray
    sampling_rate: int


def save_wavenet_folder(model: WaveNetModel, path: str | os.PathLike) -> None:
    """Writes the model and the byte tokenizer: a folder that ``WaveNetPipeline.from_pretrained`` and
    transformers' ``pipeline("text-to-audio" | "audio-to-audio", model=path)`` both load."""
    model.save_pretrained(path)
    byte_tokenizer().save_pretrained(path)


class WaveNetPipeline:
    """Unconditional, class-conditioned or vocoder generation with a :class:`WaveNetModel`."""

    def __init__(self, model: WaveNetModel):
        self.model = model.eval()

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, **kwargs) -> WaveNetPipeline:
        """Loads a WaveNet folder (or Hub id); ``kwargs`` go to ``WaveNetModel.from_pretrained``."""
        return cls(WaveNetModel.from_pretrained(path, **kwargs))

    def save_pretrained(self, path: str | os.PathLike) -> None:
        save_wavenet_folder(self.model, path)

    def to(self, device: str | torch.device) -> WaveNetPipeline:
        self.model.to(device)
        return self

    @property
    def config(self) -> WaveNetConfig:
        return self.model.config

    @property
    def is_vocoder(self) -> bool:
        return self.config.local_cond_channels > 0

    def __call__(
        self,
        batch_size: int = 1,
        audio_length_in_s: float | None = None,
        class_label: Label | Sequence[Label] | None = None,
        prompt: str | Sequence[str] | None = None,
        mel: torch.Tensor | np.ndarray | None = None,
        audio: torch.Tensor | np.ndarray | None = None,
        sampling_rate: int | None = None,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        progress: bool = True,
    ) -> WaveNetPipelineOutput:
        """Generates ``batch_size`` waveforms (one per class label or prompt when several are given).

        Args:
            batch_size: waveforms per class (a vocoder makes one per mel or audio row instead).
            audio_length_in_s: length; default 1 s, or the whole mel for a vocoder. Not with ``audio``,
                whose own length is kept.
            class_label / prompt: the class of a class-conditioned model, by name or index, or read
                from a text prompt ("a soft piano note" -> "keyboard"). A list gives one waveform each.
            mel: vocoder input, (mels, frames) or (batch, mels, frames), as
                :meth:`WaveNetModel.mel_from_audio` makes them.
            audio: vocoder input, (samples,) or (batch, samples) at ``sampling_rate`` (default the
                model's): the waveform is re-synthesised from its mel, at the model's rate.
            generator: a CPU ``torch.Generator`` for reproducible noise (torch's global RNG if None).
            temperature: softmax temperature of mu-law models (< 1 is more conservative).
            progress: show a progress bar over the samples.
        """
        # 1. check inputs
        self.check_inputs(batch_size, audio_length_in_s, class_label, prompt, mel, audio)
        # 2. prepare the conditioning and the length
        class_ids = self.prepare_class_ids(class_label, prompt)                   # (1 or labels,) or None
        mel, num_samples = self.prepare_mel_and_length(mel, audio, sampling_rate, audio_length_in_s)
        if class_ids is not None:
            batch_size = max(batch_size, class_ids.numel())  # a mel, when given, sets the batch instead
        # 3. generate, one sample at a time
        waveforms = self.model.generate_waveform(
            num_samples, mel=mel, class_ids=class_ids, batch_size=batch_size, generator=generator,
            temperature=temperature, progress=progress,
        )                                                                         # (batch, num_samples)
        # 4. postprocess
        audios = finalize_audio(waveforms).cpu().numpy()
        return WaveNetPipelineOutput(audios=audios, sampling_rate=self.config.sampling_rate)

    # ----------------------------------------------------------------------------------- steps
    def check_inputs(
        self,
        batch_size: int,
        audio_length_in_s: float | None,
        class_label: Label | Sequence[Label] | None,
        prompt: str | Sequence[str] | None,
        mel: torch.Tensor | np.ndarray | None,
        audio: torch.Tensor | np.ndarray | None,
    ) -> None:
        """Refuses combinations the model cannot honour, before any work is done."""
        check_positive_int(batch_size, "batch_size")
        if class_label is not None and prompt is not None:
            raise ValueError("pass class_label or prompt, not both")
        choices = class_label if class_label is not None else prompt
        if batch_size > 1 and isinstance(choices, (list, tuple)) and len(choices) > 1:
            raise ValueError("pass several class labels or prompts, or a batch_size, not both")
        if self.config.global_cond_classes and class_label is None and prompt is None:
            names = ", ".join(self.config.class_labels or []) or f"0..{self.config.global_cond_classes - 1}"
            raise ValueError(f"this WaveNet is class-conditioned: pass class_label or prompt (classes: {names})")
        if not self.config.global_cond_classes and class_label is not None:
            raise ValueError("this WaveNet has no classes (global_cond_classes is 0); drop class_label")
        if mel is not None and audio is not None:
            raise ValueError("pass mel or audio, not both")
        if self.is_vocoder:
            if mel is None and audio is None:
                raise ValueError("this WaveNet is a vocoder: pass mel (frames) or audio (to re-synthesise)")
            if batch_size != 1:
                raise ValueError("a vocoder makes one waveform per mel or audio row; leave batch_size at 1")
        elif mel is not None or audio is not None:
            raise ValueError("this WaveNet is not a vocoder (local_cond_channels is 0): it takes no mel or audio")
        if audio is not None and audio_length_in_s is not None:
            raise ValueError("with audio, the output keeps the audio's length; drop audio_length_in_s")

    def prepare_class_ids(
        self, class_label: Label | Sequence[Label] | None, prompt: str | Sequence[str] | None
    ) -> torch.Tensor | None:
        """Class ids from names/indices or prompts; None for a model without classes."""
        if prompt is not None:
            return self.model.class_ids_for_prompts([prompt] if isinstance(prompt, str) else list(prompt))
        if class_label is None:
            return None
        labels = class_label if isinstance(class_label, (list, tuple)) else [class_label]
        ids = [class_for_label(label, self.config.class_labels, self.config.global_cond_classes) for label in labels]
        return torch.tensor(ids, device=self.model.device)

    def prepare_mel_and_length(
        self,
        mel: torch.Tensor | np.ndarray | None,
        audio: torch.Tensor | np.ndarray | None,
        sampling_rate: int | None,
        audio_length_in_s: float | None,
    ) -> tuple[torch.Tensor | None, int]:
        """The vocoder's (batch, mels, frames) conditioning (None for other models) and the samples
        to generate: the audio's own length, else the request, else the whole mel, else 1 s."""
        if audio is not None:
            waveform = self.prepare_audio(audio, sampling_rate)                   # (batch, samples)
            return self.model.mel_from_audio(waveform), waveform.shape[-1]
        mel = self.prepare_mel(mel)
        if audio_length_in_s is not None:
            return mel, self.model.num_samples_for(audio_length_in_s)
        if mel is not None:
            return mel, mel.shape[-1] * self.config.hop_length
        return None, self.model.num_samples_for(DEFAULT_AUDIO_LENGTH_IN_S)

    def prepare_audio(self, audio: torch.Tensor | np.ndarray, sampling_rate: int | None) -> torch.Tensor:
        """Vocoder input (samples,) or (batch, samples) -> (batch, samples) at the model's rate."""
        array = check_waveform(audio.detach().cpu().numpy() if isinstance(audio, torch.Tensor) else audio)
        rate = self.config.sampling_rate if sampling_rate is None else check_sampling_rate(sampling_rate)
        array = resample(array, rate, self.config.sampling_rate)
        return torch.from_numpy(np.ascontiguousarray(array)).reshape(-1, array.shape[-1]).to(self.model.device)

    def prepare_mel(self, mel: torch.Tensor | np.ndarray | None) -> torch.Tensor | None:
        """Vocoder mel (mels, frames) or (batch, mels, frames) -> a (batch, mels, frames) tensor."""
        if mel is None:
            return None
        mel = torch.as_tensor(mel, dtype=self.model.dtype, device=self.model.device)
        mel = mel.unsqueeze(0) if mel.ndim == 2 else mel
        if mel.numel() == 0 or not torch.isfinite(mel).all():
            raise ValueError(f"mel must be finite and non-empty; got shape {tuple(mel.shape)}")
        return mel
