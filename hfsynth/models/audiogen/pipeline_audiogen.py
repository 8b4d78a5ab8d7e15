"""``AudioGenPipeline``: AudioGen in one call, in the manner of a diffusers pipeline.

    pipe = AudioGenPipeline.from_pretrained("pipelines/audiogen-tiny")
    out = pipe("a dog barks while rain falls", audio_length_in_s=5.0, generator=torch.Generator().manual_seed(0))
    out.audios                        # (waveforms, samples) float32, peak <= 1, at out.sampling_rate

It loads the same folder as ``pipeline("text-to-audio", model=...)``: the model (text encoder,
codec and decoder in one checkpoint, like MusicGen) and the processor (tokenizer and feature
extractor). The codec lives inside the model rather than in an ``audio_encoder/`` sub-folder so
that ``from_pretrained`` - and so transformers' pipeline - needs nothing but the folder.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ...pipelines.pipeline_utils import AudioPipelineOutput, HFSynthPipeline
from ...validation import check_int
from .modeling_audiogen import AudioGenForConditionalGeneration
from .processing_audiogen import AudioGenProcessor


class AudioGenPipeline(HFSynthPipeline):
    """Text-to-audio (optionally continuing an audio prompt) with an :class:`AudioGenForConditionalGeneration`."""

    model_class = AudioGenForConditionalGeneration

    def __init__(self, model: AudioGenForConditionalGeneration, processor: AudioGenProcessor):
        super().__init__(model, processor=processor)

    @classmethod
    def load_components(cls, path: str, model: AudioGenForConditionalGeneration) -> dict:
        return {"processor": AudioGenProcessor.from_pretrained(path)}

    def __call__(
        self,
        prompt: str | Sequence[str],
        audio_length_in_s: float | None = None,
        num_waveforms_per_prompt: int = 1,
        audio_prompt: np.ndarray | Sequence[np.ndarray] | None = None,
        sampling_rate: int | None = None,
        guidance_scale: float | None = None,
        generator: torch.Generator | None = None,
        **generate_kwargs,
    ) -> AudioPipelineOutput:
        """Generates ``num_waveforms_per_prompt`` waveforms per prompt (prompt-major).

        Args:
            prompt: a description, or a list (an empty list is a ``ValueError``).
            audio_length_in_s: length of each result, an audio prompt included (default the model's).
            audio_prompt / sampling_rate: audio to continue (one for all prompts, or one each) and
                its rate (default the model's; other rates are resampled).
            guidance_scale: classifier-free guidance; default the model's (3), 1 turns it off.
            generator: a CPU ``torch.Generator`` for reproducible sampling.
            generate_kwargs: ``do_sample``, ``temperature``, ``top_k``, ``top_p``, ``use_cache``.
        """
        # 1. check and prepare the inputs (the processor raises ValueError for bad ones)
        check_int(num_waveforms_per_prompt, "num_waveforms_per_prompt", minimum=1)
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        inputs = self.processor(text=[p for p in prompts for _ in range(num_waveforms_per_prompt)],
                                audio=audio_prompt, sampling_rate=sampling_rate).to(self.device)
        if guidance_scale is not None:
            generate_kwargs["guidance_scale"] = guidance_scale
        # 2. generate codes and decode them
        audios = self.model.generate(
            **inputs, audio_length_in_s=audio_length_in_s, generator=generator, progress_bar=self.progress_bar,
            **generate_kwargs,
        )
        # 3. postprocess
        return self.output(audios[:, 0])
