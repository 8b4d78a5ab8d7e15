"""What every hfsynth generator's ``generate`` shares: lengths, randomness, progress and the result.

Every generator (AudioGen, GANSynth, Musika, WaveNet) answers one call, in MusicGen's manner::

    audio = model.generate(input_ids=..., audio_length_in_s=4.0, generator=torch.Generator().manual_seed(0))
    audio.shape                                   # (batch, channels, samples) float32, peak <= 1
    out = model.generate(..., return_dict_in_generate=True)   # out.audio, plus the model's own fields

``input_ids`` are the tokenized prompts (what transformers' ``text-to-audio`` pipeline passes); each
model adds its own conditioning arguments (pitches, tempo, a mel, an audio prompt). ``forward`` is
only the training / scoring pass. :class:`AudioGenerationMixin` makes transformers' pipeline call
``generate`` (``can_generate``), turns seconds into samples with the config's default length,
turns ``seed``/``generator`` into one random source, accepts the arguments the pipeline always
adds, shows progress bars, and finalises the audio of the public contract.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import torch
from tqdm.auto import tqdm
from transformers.utils import ModelOutput

from ..pipelines.contract import finalize_audio
from ..validation import check_int, num_samples_for

T = TypeVar("T")

#: What ``generate`` takes to show progress: ``None`` shows a bar on a terminal only (tqdm's rule),
#: ``True``/``False`` always/never, or a function ``(iterable, total) -> iterable`` such as a
#: pipeline's ``progress_bar``.
ProgressBar = bool | None | Callable[[Iterable, int], Iterable]

#: What transformers' text-to-audio pipeline passes to every ``generate``: token counts and the
#: tokenizer's padding id mean nothing to models that make samples rather than tokens, and the
#: result is a dict when ``return_dict_in_generate`` asks for one.
PIPELINE_TOKEN_ARGUMENTS = ("max_new_tokens", "pad_token_id")


@dataclass
class AudioGenerationOutput(ModelOutput):
    """
    audio: (batch, channels, samples) float32 waveforms, peak <= 1, at ``config.sampling_rate``.
    """

    audio: torch.Tensor | None = None


def random_source(generator: torch.Generator | None, seed: int | None) -> torch.Generator | None:
    """``generator``, or a new CPU generator seeded with ``seed``, or ``None`` (torch's global RNG).

    ``seed`` is a shortcut for callers that cannot build a ``torch.Generator`` (a JSON request,
    transformers' ``forward_params``); a generator and a seed together are a ``ValueError``.
    """
    if seed is None:
        return generator
    if generator is not None:
        raise ValueError("pass a generator or a seed, not both")
    return torch.Generator().manual_seed(check_int(seed, "seed"))


def progress(iterable: Iterable[T], total: int, progress_bar: ProgressBar = None) -> Iterator[T]:
    """``iterable`` wrapped as ``progress_bar`` asks (see :data:`ProgressBar`)."""
    if callable(progress_bar):
        return iter(progress_bar(iterable, total))
    return iter(tqdm(iterable, total=total, disable=None if progress_bar is None else not progress_bar, leave=False))


class AudioGenerationMixin:
    """Mixed into hfsynth's generator models, beside ``PreTrainedModel``.

    A generator's config has ``sampling_rate`` and ``audio_length_in_s`` (the length ``generate``
    makes when the call names none). Each model writes its own ``generate``: check its
    conditioning -> :meth:`num_samples_for` -> its sampling loop (wrapped in :func:`progress`) ->
    :meth:`generation_output`.
    """

    @classmethod
    def can_generate(cls) -> bool:
        """True: transformers' ``text-to-audio`` pipeline then calls ``generate``, not ``forward``."""
        return True

    def num_samples_for(self, audio_length_in_s: float | None = None) -> int:
        """Seconds (``None``: the config's ``audio_length_in_s``) -> samples at the model's rate."""
        seconds = self.config.audio_length_in_s if audio_length_in_s is None else audio_length_in_s
        return num_samples_for(seconds, self.config.sampling_rate)

    @staticmethod
    def check_generate_kwargs(kwargs: dict, accepted: str) -> None:
        """Refuses what ``generate`` does not read, except :data:`PIPELINE_TOKEN_ARGUMENTS`.

        ``accepted`` lists the model's own arguments for the message.
        """
        unknown = sorted(set(kwargs) - set(PIPELINE_TOKEN_ARGUMENTS))
        if unknown:
            raise ValueError(f"generate() does not take {unknown}; it takes {accepted}")

    @staticmethod
    def generation_output(
        audio: torch.Tensor,
        return_dict_in_generate: bool = False,
        output_class: type[AudioGenerationOutput] = AudioGenerationOutput,
        **fields,
    ) -> torch.Tensor | AudioGenerationOutput:
        """(batch, samples) or (batch, channels, samples) audio -> the contract's (batch, channels,
        samples) float32 with each item's peak <= 1; with ``return_dict_in_generate`` an
        ``output_class`` holding it and the model's other ``fields``."""
        audio = finalize_audio(audio if audio.ndim == 3 else audio[:, None])
        return output_class(audio=audio, **fields) if return_dict_in_generate else audio
