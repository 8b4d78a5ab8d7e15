"""``WaveNetPipeline``: WaveNet generation in one call, in the manner of a diffusers pipeline.

    pipe = WaveNetPipeline.from_pretrained("path/to/class-conditioned-wavenet")
    out = pipe("a soft piano note", audio_length_in_s=1.0, generator=torch.Generator().manual_seed(0))
    out.audios                        # (waveforms, samples) float32, peak <= 1, at out.sampling_rate

    vocoder = WaveNetPipeline.from_pretrained("path/to/wavenet-vocoder")
    vocoder(audio=recording, sampling_rate=44100)   # re-synthesised from its own mel

It loads the same folder as ``pipeline("text-to-audio" | "audio-to-audio", ...)``: a WaveNet
checkpoint and its byte tokenizer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ...pipelines.contract import finalize_audio
from ...pipelines.pipeline_utils import AudioPipelineOutput, HFSynthPipeline, conform_audio
from ...validation import check_int
from ..prompting import byte_tokenizer
from .modeling_wavenet import WaveNetModel
from .prompting_wavenet import class_for_label

#: A class by name ("keyboard") or index (4).
Label = str | int


class WaveNetPipeline(HFSynthPipeline):
    """Unconditional, class-conditioned or vocoder generation with a :class:`WaveNetModel`."""

    model_class = WaveNetModel
    default_components = {"tokenizer": byte_tokenizer}

    @property
    def is_vocoder(self) -> bool:
        return self.config.local_cond_channels > 0

    def __call__(
        self,
        prompt: str | Sequence[str] | None = None,
        audio_length_in_s: float | None = None,
        num_waveforms_per_prompt: int = 1,
        class_label: Label | Sequence[Label] | None = None,
        mel: torch.Tensor | np.ndarray | None = None,
        audio: torch.Tensor | np.ndarray | None = None,
        sampling_rate: int | None = None,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
    ) -> AudioPipelineOutput:
        """Generates waveforms, one sample at a time.

        Args:
            prompt: the class of a class-conditioned model, read from text ("a soft piano note" ->
                "keyboard"); a list gives one waveform each. Ignored words for an unconditional model.
            audio_length_in_s: length; default ``config.audio_length_in_s``, or the whole mel for a
                vocoder. Not with ``audio``, whose own length is kept.
            num_waveforms_per_prompt: waveforms per prompt or class (not for a vocoder).
            class_label: the class by name or index, instead of a prompt; a list gives one each.
            mel: vocoder input, (mels, frames) or (batch, mels, frames), as
                :meth:`WaveNetModel.mel_from_audio` makes them.
            audio: vocoder input, (samples,) at ``sampling_rate`` (default the model's): the waveform
                is re-synthesised from its mel, at the model's rate.
            generator: a CPU ``torch.Generator`` for reproducible noise (torch's global RNG if None).
            temperature: softmax temperature of mu-law models (< 1 is more conservative).
        """
        # 1. check inputs
        self.check_inputs(prompt, num_waveforms_per_prompt, class_label, mel, audio, audio_length_in_s)
        if audio is not None:  # re-synthesis: conform, then audio -> its mel -> audio, aligned with the input
            waveform, notes = conform_audio(audio, sampling_rate, self.sampling_rate, channels=1)
            class_ids, _ = self.prepare_class_ids(prompt, class_label, 1)   # a speaker-conditioned vocoder's speaker
            audios = self.model.vocode(torch.from_numpy(waveform).to(self.device)[None], generator=generator,
                                       temperature=temperature, progress_bar=self.progress_bar, class_ids=class_ids)
            return self.output(finalize_audio(audios), notes=notes)
        # 2. prepare the conditioning: class ids or a mel
        class_ids, batch_size = self.prepare_class_ids(prompt, class_label, num_waveforms_per_prompt)
        # 3. generate
        audios = self.model.generate(
            class_ids=class_ids, mel=mel, audio_length_in_s=audio_length_in_s, batch_size=batch_size,
            generator=generator, temperature=temperature, progress_bar=self.progress_bar,
        )
        # 4. postprocess
        return self.output(audios[:, 0])

    # ----------------------------------------------------------------------------------- steps
    def check_inputs(
        self,
        prompt: str | Sequence[str] | None,
        num_waveforms_per_prompt: int,
        class_label: Label | Sequence[Label] | None,
        mel: object,
        audio: object,
        audio_length_in_s: float | None,
    ) -> None:
        """Refuses combinations the model cannot honour, before any work is done."""
        check_int(num_waveforms_per_prompt, "num_waveforms_per_prompt", minimum=1)
        if class_label is not None and prompt is not None:
            raise ValueError("pass class_label or prompt, not both")
        if self.config.global_cond_classes and class_label is None and prompt is None:
            names = ", ".join(self.config.class_labels or []) or f"0..{self.config.global_cond_classes - 1}"
            raise ValueError(f"this WaveNet is class-conditioned: pass a prompt or class_label (classes: {names})")
        if not self.config.global_cond_classes and class_label is not None:
            raise ValueError("this WaveNet has no classes (global_cond_classes is 0); drop class_label")
        if mel is not None and audio is not None:
            raise ValueError("pass mel or audio, not both")
        if self.is_vocoder:
            if mel is None and audio is None:
                raise ValueError("this WaveNet is a vocoder: pass mel (frames) or audio (to re-synthesise)")
            if num_waveforms_per_prompt != 1:
                raise ValueError("a vocoder makes one waveform per mel or audio; leave num_waveforms_per_prompt at 1")
        elif mel is not None or audio is not None:
            raise ValueError("this WaveNet is not a vocoder (local_cond_channels is 0): it takes no mel or audio")
        if audio is not None and audio_length_in_s is not None:
            raise ValueError("with audio, the output keeps the audio's length; drop audio_length_in_s")

    def prepare_class_ids(
        self, prompt: str | Sequence[str] | None, class_label: Label | Sequence[Label] | None, count: int
    ) -> tuple[torch.Tensor | None, int | None]:
        """(waveforms,) class ids from prompts or names/indices, each ``count`` times, or for a model
        without classes ``None`` and the number of waveforms (one per prompt and count)."""
        prompts = [prompt] if isinstance(prompt, str) else None if prompt is None else list(prompt)
        labels = class_label if isinstance(class_label, (list, tuple)) else None if class_label is None else [class_label]
        if prompts == [] or labels == []:
            raise ValueError("the prompt list is empty; pass at least one prompt or class")
        if not self.config.global_cond_classes:
            return None, None if self.is_vocoder else count * (1 if prompts is None else len(prompts))
        if prompts is not None:
            ids = self.model.class_ids_for_prompts(prompts).tolist()
        else:
            ids = [class_for_label(label, self.config.class_labels, self.config.global_cond_classes) for label in labels]
        return torch.tensor([i for i in ids for _ in range(count)], device=self.device), None
