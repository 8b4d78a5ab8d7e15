"""``AudioGenPipeline``: AudioGen in one call, in the manner of a diffusers pipeline.

    pipe = AudioGenPipeline.from_pretrained("pipelines/audiogen")
    out = pipe("a dog barks while rain falls", audio_length_in_s=5.0, generator=torch.Generator().manual_seed(0))
    out.audios                        # (batch, samples) float32, peak <= 1, at out.sampling_rate

It loads the same folder as ``pipeline("text-to-audio", model=...)``: the model (text encoder,
codec and decoder in one checkpoint, like MusicGen) and the processor (tokenizer and feature
extractor). The codec lives inside the model rather than in an ``audio_encoder/`` sub-folder so
that ``from_pretrained`` - and so transformers' pipeline - needs nothing but the folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .generation_audiogen import DEFAULT_AUDIO_LENGTH_IN_S
from .modeling_audiogen import AudioGenForConditionalGeneration
from .processing_audiogen import AudioGenProcessor


@dataclass
class AudioGenPipelineOutput:
    """
    audios: (batch, samples) float32 waveforms with peak <= 1.
    sampling_rate: their rate in Hz.
    """

    audios: np.ndarray
    sampling_rate: int


def save_audiogen_folder(
    model: AudioGenForConditionalGeneration, processor: AudioGenProcessor, path: str | os.PathLike
) -> None:
    """Writes a folder that ``AudioGenPipeline.from_pretrained`` and ``pipeline("text-to-audio", model=path)`` load."""
    model.save_pretrained(path)
    processor.save_pretrained(path)


class AudioGenPipeline:
    """Text-to-audio (optionally continuing an audio prompt) with an :class:`AudioGenForConditionalGeneration`."""

    def __init__(self, model: AudioGenForConditionalGeneration, processor: AudioGenProcessor):
        self.model, self.processor = model.eval(), processor

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, **kwargs) -> AudioGenPipeline:
        """Loads an AudioGen folder (or Hub id); ``kwargs`` go to the model's ``from_pretrained``."""
        model = AudioGenForConditionalGeneration.from_pretrained(path, **kwargs)
        return cls(model, AudioGenProcessor.from_pretrained(path))

    def save_pretrained(self, path: str | os.PathLike) -> None:
        save_audiogen_folder(self.model, self.processor, path)

    def to(self, device: str | torch.device) -> AudioGenPipeline:
        self.model.to(device)
        return self

    def __call__(
        self,
        prompt: str | Sequence[str],
        audio_length_in_s: float = DEFAULT_AUDIO_LENGTH_IN_S,
        audio_prompt: np.ndarray | Sequence[np.ndarray] | None = None,
        sampling_rate: int | None = None,
        guidance_scale: float | None = None,
        generator: torch.Generator | None = None,
        **generate_kwargs,
    ) -> AudioGenPipelineOutput:
        """Generates one waveform per prompt.

        Args:
            prompt: a description, or a list (an empty list is a ``ValueError``).
            audio_length_in_s: length of each result, an audio prompt included.
            audio_prompt / sampling_rate: audio to continue (one for all prompts, or one each) and
                its rate (default the model's; other rates are resampled).
            guidance_scale: classifier-free guidance; default the model's (3), 1 turns it off.
            generator: a CPU ``torch.Generator`` for reproducible sampling.
            generate_kwargs: ``do_sample``, ``temperature``, ``top_k``, ``top_p``, ``use_cache``.
        """
        # 1. check and prepare the inputs (the processor raises ValueError for bad ones)
        inputs = self.processor(text=prompt, audio=audio_prompt, sampling_rate=sampling_rate).to(self.model.device)
        if guidance_scale is not None:
            generate_kwargs["guidance_scale"] = guidance_scale
        # 2. generate codes and decode them
        output = self.model.generate(
            **inputs, audio_length_in_s=audio_length_in_s, generator=generator, **generate_kwargs
        )
        # 3. postprocess
        return AudioGenPipelineOutput(audios=output.audio.cpu().numpy(), sampling_rate=self.model.config.sampling_rate)
