"""The pieces of AudioGen's ``generate`` that need no model: its arguments, the length rule,
classifier-free guidance and the choice of the next codes.

How long the audio is (one rule for direct calls and for transformers' ``text-to-audio``
pipeline, which always adds ``max_new_tokens=256``):

1. ``audio_length_in_s`` given: it decides, whatever ``max_new_tokens`` says; it is the length of
   the returned audio, an audio prompt included (as in audiocraft's ``generate_continuation``).
2. otherwise ``max_new_tokens``: decoder steps after the prompt, counted as in MusicGen: the last
   K - 1 steps only finish the delayed streams, so n steps add n - K + 1 frames (the pipeline's
   256 steps give 253 frames: 5.06 s at 50 frames/s).
3. otherwise the config's ``audio_length_in_s`` (5 s).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from transformers import GenerationConfig

from ...validation import check_finite_number, check_int, check_positive_int, check_positive_seconds

#: audiocraft's sampling defaults for AudioGen: top-k 250 at temperature 1, guidance 3.
DEFAULT_GENERATION = dict(do_sample=True, top_k=250, guidance_scale=3.0)

#: ``GenerationConfig`` fields that AudioGen's ``generate`` reads.
SUPPORTED_ARGUMENTS = ("do_sample", "temperature", "top_k", "top_p", "guidance_scale", "max_new_tokens", "use_cache")
#: Fields the text-to-audio pipeline always passes, which change nothing here: prompts are padded
#: by the tokenizer, not by a generation pad token.
IGNORED_ARGUMENTS = ("pad_token_id",)

CodePicker = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class GenerationSettings:
    """The validated generation arguments (``None`` guidance: no classifier-free guidance)."""

    do_sample: bool
    temperature: float
    top_k: int
    top_p: float
    guidance_scale: float | None
    max_new_tokens: int | None
    use_cache: bool


def generation_settings(base: GenerationConfig, overrides: dict[str, object]) -> GenerationSettings:
    """``base`` (the model's ``generation_config``) updated with a call's keyword arguments.

    Raises ``ValueError`` for arguments AudioGen does not read (``num_beams``, a misspelt name, ...)
    and for values out of range.
    """
    unsupported = sorted(set(overrides) - set(SUPPORTED_ARGUMENTS) - set(IGNORED_ARGUMENTS))
    if unsupported:
        raise ValueError(
            f"AudioGen's generate does not take {unsupported}; it takes input_ids, attention_mask, input_values, "
            f"padding_mask, audio_length_in_s, generator, seed, progress_bar, return_dict_in_generate and "
            f"{', '.join(SUPPORTED_ARGUMENTS)}"
        )
    config = copy.deepcopy(base)
    config.update(**{key: value for key, value in overrides.items() if key in SUPPORTED_ARGUMENTS})
    temperature = 1.0 if config.temperature is None else check_finite_number(config.temperature, "temperature")
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0; got {temperature}")
    top_k = 0 if config.top_k is None else config.top_k
    check_int(top_k, "top_k", minimum=0, hint=" (0 keeps every code)")
    top_p = 1.0 if config.top_p is None else check_finite_number(config.top_p, "top_p")
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1]; got {top_p}")
    max_new_tokens = config.max_new_tokens
    if max_new_tokens is not None:
        max_new_tokens = check_positive_int(max_new_tokens, "max_new_tokens")
    return GenerationSettings(
        do_sample=bool(config.do_sample),
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        guidance_scale=_guidance(config.guidance_scale),
        max_new_tokens=max_new_tokens,
        use_cache=config.use_cache is not False,
    )


def _guidance(scale: object) -> float | None:
    """``None`` for no guidance; a scale of 1 is no guidance too, so it skips the doubled batch."""
    if scale is None:
        return None
    scale = check_finite_number(scale, "guidance_scale")
    if scale <= 0:
        raise ValueError(f"guidance_scale must be > 0 (1 turns guidance off); got {scale}")
    return None if scale == 1.0 else scale


def guided_logits(conditional: torch.Tensor, unconditional: torch.Tensor, scale: float) -> torch.Tensor:
    """Classifier-free guidance (Ho & Salimans 2022): ``uncond + scale * (cond - uncond)``.

    A scale above 1 moves the prediction further from what the model expects without the text,
    towards what the text adds: sharper adherence to the prompt, less diversity.
    """
    return unconditional + scale * (conditional - unconditional)


def code_picker(settings: GenerationSettings, generator: torch.Generator | None = None) -> CodePicker:
    """A function from one step's logits (batch, K, codebook_size) to codes (batch, K).

    Greedy without ``do_sample``; otherwise temperature, top-k, then top-p (the order of
    transformers' warpers, and the same distribution) and a draw from the softmax, with
    ``generator`` when given (on its own device, so a seeded CPU generator gives the same codes on
    every device). Top-k selects its candidates first and works on those alone: every later
    operation touches k codes, not the whole codebook (generation runs this every step).
    """
    if not settings.do_sample:
        return lambda logits: logits.argmax(dim=-1)

    def pick(logits: torch.Tensor) -> torch.Tensor:
        flat = logits.reshape(-1, logits.shape[-1]).float() / settings.temperature  # (batch * K, codebook_size)
        candidates, indices = candidate_logits(flat, settings.top_k, settings.top_p)
        probs = torch.softmax(candidates, dim=-1)
        if generator is not None:
            probs = probs.to(generator.device)
        choice = torch.multinomial(probs, 1, generator=generator).to(logits.device)
        codes = choice if indices is None else indices.gather(-1, choice)
        return codes.reshape(logits.shape[:-1])

    return pick


def candidate_logits(logits: torch.Tensor, top_k: int, top_p: float) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The logits still allowed after top-k and top-p, as (candidates, their code indices or ``None``
    when every code stays). Excluded candidates get -inf; the most probable code always stays.

    Top-p keeps the most probable codes until their mass reaches ``top_p``: a code goes when the
    codes above it already hold ``top_p`` (transformers' ``TopPLogitsWarper``).
    """
    if 0 < top_k < logits.shape[-1]:
        logits, indices = logits.topk(top_k, dim=-1)                             # sorted, most probable first
    elif top_p < 1.0:
        logits, indices = logits.sort(dim=-1, descending=True)
    else:
        return logits, None
    if top_p < 1.0:
        probs = torch.softmax(logits, dim=-1)
        mass_above = probs.cumsum(dim=-1) - probs
        logits = logits.masked_fill(mass_above >= top_p, -math.inf)
    return logits, indices


@dataclass(frozen=True)
class AudioLength:
    """What to generate: ``total_frames`` codec frames (prompt included), trimmed to ``num_samples``."""

    total_frames: int
    num_samples: int


def audio_length(
    audio_length_in_s: object,
    max_new_tokens: int | None,
    prompt_frames: int,
    num_codebooks: int,
    sampling_rate: int,
    hop_length: int,
) -> AudioLength:
    """Applies the length rule of this module's docstring (the caller puts the config's default in
    ``audio_length_in_s`` when neither it nor ``max_new_tokens`` is given)."""
    if audio_length_in_s is not None or max_new_tokens is None:
        seconds = check_positive_seconds(audio_length_in_s)
        num_samples = max(1, round(seconds * sampling_rate))
        total_frames = math.ceil(num_samples / hop_length)
        if total_frames <= prompt_frames:
            raise ValueError(
                f"audio_length_in_s={seconds} is not longer than the audio prompt "
                f"({prompt_frames * hop_length / sampling_rate:.3f} s); it counts the prompt too"
            )
        return AudioLength(total_frames, num_samples)
    new_frames = max_new_tokens - (num_codebooks - 1)
    if new_frames < 1:
        raise ValueError(
            f"max_new_tokens={max_new_tokens} decoder steps make no frame: {num_codebooks} codebooks need "
            f"{num_codebooks - 1} steps for the delay, so pass at least {num_codebooks}"
        )
    total_frames = prompt_frames + new_frames
    return AudioLength(total_frames, total_frames * hop_length)
