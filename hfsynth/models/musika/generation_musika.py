"""Drawing audio from a :class:`MusikaGenerator`: in one go, or as a stream of chunks in constant memory.

Both draw the style first and then the coordinate anchors one by one from the same random source,
so for one seed they produce the same audio (up to float rounding): the stream generates the
latents chunk by chunk (each window with the generator's context) and decodes each chunk of audio
from the latents around it (with the decoder's context), keeping only that context in memory.

A :class:`MusikaStreamState` carries what a section hands to the next one (the anchor source, the
style, the last latents), so a piece can be continued with a new style, tempo or density.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from ...pipelines.contract import finalize_audio
from ...validation import check_finite_number, check_positive_int
from .prompting_musika import check_density, check_tempo

if TYPE_CHECKING:  # the model calls these functions; they only read its attributes
    from .modeling_musika import MusikaGenerator


class AnchorSampler:
    """Coordinate anchors drawn one at a time, on demand, from one random source; old ones are dropped."""

    def __init__(self, channels: int, truncation: float, generator: torch.Generator | None):
        self.channels, self.truncation, self.generator = channels, truncation, generator
        self.first = 0                                  # index of self.anchors[0]
        self.anchors: list[torch.Tensor] = []

    def draw(self, count: int) -> None:
        """Makes sure anchors ``0 .. count - 1`` have been drawn."""
        while self.first + len(self.anchors) < count:
            self.anchors.append(torch.randn(self.channels, generator=self.generator) * self.truncation)

    def window(self, first: int, count: int) -> torch.Tensor:
        """Anchors ``first .. count - 1`` as (1, count - first, channels); anchors before ``first`` are forgotten."""
        self.draw(count)
        if first < self.first:
            raise ValueError(f"anchor {first} was already dropped (kept from {self.first})")
        del self.anchors[: first - self.first]
        self.first = first
        return torch.stack(self.anchors[: count - first])[None]


@dataclass
class MusikaStreamState:
    """Where a generated section ended, so that the next one continues it.

    sampler: the anchor source (the coordinate path goes on through the same anchors).
    style: (1, style_channels) the style at the end of the section.
    next_frame: absolute latent frame the next section starts at.
    context: (1, latent_channels, <= decoder_context) the last latents, decoded as left context.
    """

    sampler: AnchorSampler
    style: torch.Tensor
    next_frame: int
    context: torch.Tensor | None = None
    tempo: float | None = None
    density: float | None = None
    generated_samples: int = field(default=0)


def check_truncation(truncation: float | None, model: MusikaGenerator) -> float:
    value = model.config.truncation if truncation is None else check_finite_number(truncation, "truncation")
    if value <= 0:
        raise ValueError(f"truncation (the standard deviation of anchors and style) must be > 0; got {truncation!r}")
    return value


def check_style(style: torch.Tensor, size: int) -> torch.Tensor:
    """A style vector (size,) or (1, size), finite -> (1, size)."""
    style = torch.as_tensor(style, dtype=torch.float32)
    if style.numel() != size or style.ndim > 2:
        raise ValueError(f"style must hold {size} values; got shape {tuple(style.shape)}")
    if not torch.isfinite(style).all():
        raise ValueError("style contains NaN or infinite values")
    return style.reshape(1, size)


def new_state(model: MusikaGenerator, generator: torch.Generator | None, truncation: float | None = None,
              style: torch.Tensor | None = None) -> MusikaStreamState:
    """A fresh piece: the style drawn first (unless given), then anchors on demand from the same source."""
    truncation = check_truncation(truncation, model)
    if style is None:
        style = torch.randn(1, model.config.style_channels, generator=generator) * truncation
    sampler = AnchorSampler(model.config.coordinate_channels, truncation, generator)
    return MusikaStreamState(sampler=sampler, style=check_style(style, model.config.style_channels),
                             next_frame=model.path_start)


def section_frames(model: MusikaGenerator, num_samples: int) -> int:
    """Latent frames a section of ``num_samples`` needs, rounded up to the generator's upsampling."""
    frames = math.ceil(num_samples / model.autoencoder.config.samples_per_latent)
    return math.ceil(frames / model.upsampling) * model.upsampling


@torch.inference_mode()
def stream_section(
    model: MusikaGenerator,
    num_samples: int,
    state: MusikaStreamState,
    tempo: float | None = None,
    density: float | str | None = None,
    styles: Callable[[int], torch.Tensor] | None = None,
    chunks_per_yield: int = 4,
) -> Iterator[torch.Tensor]:
    """Yields (channels, samples) pieces of ``chunks_per_yield`` chunks of ``chunk_latents`` latent
    frames (the last one shorter) until ``num_samples`` samples; ``state`` is advanced, so a later
    call continues the piece.

    ``styles(k)`` gives the style of chunk k (default: the state's). Memory holds the anchors and
    latents of one piece and its context, whatever the length. Every piece is decoded with the
    decoder's context on both sides, so larger pieces waste less work on context (4 chunks: 1.2x
    the one-shot decoder work instead of 1.7x for single chunks) at a fixed cost in memory.
    """
    check_positive_int(chunks_per_yield, "chunks_per_yield")
    tempo, density = check_tempo(tempo, model.config), check_density(density, model.config)
    autoencoder, chunk = model.autoencoder, model.config.chunk_latents
    step, context = autoencoder.config.samples_per_latent, autoencoder.decoder_context
    total = section_frames(model, num_samples)
    conditioning = model.conditioning(tempo, density, 1)
    styles = styles or (lambda _: state.style)
    base = state.next_frame
    tape = state.context if state.context is not None else torch.zeros(1, autoencoder.config.latent_channels, 0)
    tape, tape_start, generated = tape.to(model.device), -tape.shape[-1], 0
    piece = chunk * chunks_per_yield
    for start in range(0, total, piece):
        end = min(total, start + piece)
        while generated < min(total, end + context):                            # latents ahead of the chunk
            upto = min(total, generated + chunk)
            latents = section_latents(model, state, styles(generated // chunk), conditioning, base + generated,
                                       base + upto)
            tape, generated = torch.cat([tape, latents], dim=-1), upto
        first = max(tape_start, start - context)
        window = tape[..., first - tape_start : min(total, end + context) - tape_start]
        audio = autoencoder.decode_range(window, first, start * step, end * step)[0]
        yield audio[..., : max(0, num_samples - start * step)]
        keep = max(tape_start, end - context)
        tape, tape_start = tape[..., keep - tape_start :], keep
    state.context = tape[..., max(0, total - context - tape_start) : total - tape_start]
    state.next_frame, state.style = base + total, styles(max(0, (total - 1) // chunk))
    state.tempo, state.density = tempo, density
    state.generated_samples += num_samples


def section_latents(model: MusikaGenerator, state: MusikaStreamState, style: torch.Tensor,
                     conditioning: torch.Tensor, start: int, end: int) -> torch.Tensor:
    """Latent frames ``start:end`` of the piece, drawing the anchors they need from the state's source."""
    per_chunk = model.config.coordinate_frames_per_chunk
    first_anchor = max(0, (start // model.upsampling - model.generator_context) // per_chunk)
    anchors = state.sampler.window(first_anchor, model.anchors_needed(end)).to(model.device)
    shift = first_anchor * model.config.chunk_latents                           # the path repeats per chunk
    return model.latent_window(anchors, style.to(model.device), conditioning, start - shift, end - shift)


@torch.inference_mode()
def one_pass_section(
    model: MusikaGenerator,
    num_samples: int,
    generator: torch.Generator | None = None,
    tempo: float | None = None,
    density: float | str | None = None,
    truncation: float | None = None,
    style: torch.Tensor | None = None,
) -> torch.Tensor:
    """One section in one pass: (channels, samples) float32, peak <= 1. Same audio as streaming it
    (the reference the streaming is tested against), in memory that grows with the length."""
    tempo, density = check_tempo(tempo, model.config), check_density(density, model.config)
    state = new_state(model, generator, truncation, style)
    base, total = state.next_frame, section_frames(model, num_samples)
    conditioning = model.conditioning(tempo, density, 1)
    anchors = state.sampler.window(0, model.anchors_needed(base + total)).to(model.device)
    latents = model.latent_window(anchors, state.style.to(model.device), conditioning, base, base + total)
    audio = model.autoencoder.decode(latents, num_samples)[0]
    return finalize_audio(audio[None])[0]
