"""Streaming the published Musika's generation (the authors' ``Utils_functions.generate``) for any length.

The authors draw a style (``noiseg``) and ``fac + 2`` anchors, join the anchors by straight lines
``coordlen`` (384) frames apart, centre the path (the mean of neighbouring frames), drop its first
``latlen / 4`` (64) frames and cut it into windows whose halves the generator turns into latents
on their own. Every frame of that path depends only on the two anchors around it, so
:class:`CoordinatePath` computes any run of frames, drawing anchors when first needed and
forgetting them once passed (the 22 kHz release's path is simpler: anchors ``latlen`` frames
apart, no centring, no dropped frames, the anchors' bound at least 1.75); the generator's halves (*segments*), the decoders' blocks and the
inverse STFT's overlap (:class:`~.spectral_musika_release.OverlapAdd`) then stream one segment at a
time: memory stays flat for any length and the audio equals one long generation.

Randomness comes from one ``torch.Generator`` (or torch's global RNG), in a fixed order: the style,
then per segment the anchors it newly needs, the generator's AddNoise draws and the decoders'. The
authors' TensorFlow draws (``tf.random`` and ``stateless_parameterized_truncated_normal``) cannot
be reproduced by torch; given the same draws (:class:`CoordinatePath` takes anchors,
:class:`~.layers_musika_release.RecordedNoise` takes noise) the output is theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from .configuration_musika_release import ANCHOR_RANDOM_CHANNELS, MusikaReleaseConfig
from .generation_musika import check_style, check_truncation
from .layers_musika_release import GaussianNoise
from .spectral_musika_release import OverlapAdd

if TYPE_CHECKING:  # the model calls these functions; they only read its attributes
    from .modeling_musika_release import MusikaReleaseGenerator

#: ``styles(k)``: the style (1, coordinate_channels) of coordinate frame k of a section (k = 0 is its first frame).
StyleSchedule = Callable[[int], torch.Tensor]


def truncated_normal(shape: tuple[int, ...], bound: float, generator: torch.Generator | None) -> torch.Tensor:
    """N(0, 1) truncated to [-bound, bound] (the authors' ``truncated_normal``), on the CPU."""
    return torch.nn.init.trunc_normal_(torch.empty(shape), 0.0, 1.0, -bound, bound, generator=generator)


class CoordinatePath:
    """The random half of the authors' coordinate path, frame by frame.

    Anchor k sits at frame ``k * coordlen`` of the uncentred path ``r``; between anchors ``r`` goes in
    a straight line (``tf.linspace``: ``a + i * ((b - a) / coordlen)``). Frame t of the path the
    generator reads is ``(r[t + latlen / 4] + r[t + latlen / 4 + 1]) / 2`` at 44.1 kHz, ``r[t]`` at 22 kHz.
    ``truncation`` is the piece's (the style's) bound; the anchors' is the same at 44.1 kHz and at
    least 1.75 at 22 kHz (:attr:`anchor_bound`).
    """

    def __init__(self, config: MusikaReleaseConfig, truncation: float, generator: torch.Generator | None = None,
                 anchors: torch.Tensor | None = None):
        self.spacing, self.offset, self.centred = config.coordinate_length, config.path_offset, config.release.centred_path
        self.truncation, self.generator = truncation, generator
        self.anchor_bound = max(truncation, config.release.anchor_truncation_floor)
        self.first = 0                                                          # index of self.anchors[0]
        self.anchors: list[torch.Tensor] = [] if anchors is None else list(anchors.float())

    def frames(self, start: int, end: int) -> torch.Tensor:
        """Frames ``start:end`` (end - start, 64), drawing the anchors they need."""
        positions = torch.arange(start + self.offset, end + self.offset + self.centred)  # one more to centre
        index = torch.div(positions, self.spacing, rounding_mode="floor")
        last = int(index[-1]) + 1
        while self.first + len(self.anchors) <= last:
            self.anchors.append(truncated_normal((ANCHOR_RANDOM_CHANNELS,), self.anchor_bound, self.generator))
        if int(index[0]) < self.first:
            raise ValueError(f"coordinate frame {start} needs anchor {int(index[0])}, already dropped")
        anchors = torch.stack(self.anchors)
        a, b = anchors[index - self.first], anchors[index + 1 - self.first]
        step = (positions - index * self.spacing).float()[:, None]
        path = a + step * ((b - a) / self.spacing)                              # (end - start [+ 1], 64)
        return (path[:-1] + path[1:]) / 2 if self.centred else path

    def forget_before(self, frame: int) -> None:
        """Drops the anchors no frame from ``frame`` on needs."""
        keep = (frame + self.offset) // self.spacing
        del self.anchors[: max(0, keep - self.first)]
        self.first = max(self.first, keep)


@dataclass
class MusikaReleaseStreamState:
    """Where a piece stands, so that a later section continues it exactly.

    path: the anchors (and their random source). style: (1, coordinate_channels), the style of the
    last frame made. generator: the source of every draw. next_segment: the segment to make next.
    overlap: the inverse STFT's pending samples. pending: (2, n) audio made but not handed out yet.
    """

    path: CoordinatePath
    style: torch.Tensor
    generator: torch.Generator | None
    next_segment: int = 0
    overlap: OverlapAdd | None = None
    pending: torch.Tensor | None = None
    generated_samples: int = 0


def new_release_state(model: MusikaReleaseGenerator, generator: torch.Generator | None,
                      truncation: float | None = None, style: torch.Tensor | None = None) -> MusikaReleaseStreamState:
    """A fresh piece: the style is drawn first (unless given), anchors when first needed."""
    truncation = check_truncation(truncation, model)
    if style is None:
        style = truncated_normal((1, model.config.coordinate_channels), truncation, generator)
    return MusikaReleaseStreamState(path=CoordinatePath(model.config, truncation, generator),
                                    style=check_style(style, model.config.coordinate_channels),
                                    generator=generator)


def render_segment(model: MusikaReleaseGenerator, state: MusikaReleaseStreamState, styles: StyleSchedule | None,
                   section_start: int) -> torch.Tensor:
    """The next segment of the piece -> the (2, samples_per_segment) samples it completes, in [-1, 1]."""
    frames = model.config.segment_frames
    start = state.next_segment * frames
    random = state.path.frames(start, start + frames)                          # (S, 64)
    if styles is None:
        style = state.style.expand(frames, -1)
    else:
        style = torch.cat([styles(frame - section_start) for frame in range(start, start + frames)])
        state.style = style[-1:]
    coordinates = torch.cat([random, style], dim=1)[None].to(model.device, model.dtype)  # (1, S, 2 L)
    noise = GaussianNoise(state.generator)
    latents = model.generator(coordinates, noise)                              # (1, S, 2 L)
    spectrum = model.autoencoder.decode_frames(latents, noise)                # (1, 2, 16 S, bins)
    if state.overlap is None:
        state.overlap = OverlapAdd(model.autoencoder.spectrogram)
    state.next_segment += 1
    state.path.forget_before(start + frames)
    return state.overlap.push(spectrum)[0].clamp(-1.0, 1.0)


@torch.inference_mode()
def stream_release_section(model: MusikaReleaseGenerator, num_samples: int, state: MusikaReleaseStreamState,
                           styles: StyleSchedule | None = None) -> Iterator[torch.Tensor]:
    """Yields (2, samples) float32 pieces, ``num_samples`` in all: what is left of the segment made
    last, then a segment at a time. ``state`` advances, so a later call continues the piece;
    ``styles`` (default: the state's style throughout) gives each new coordinate frame its style."""
    section_start = state.next_segment * model.config.segment_frames
    remaining = num_samples
    while remaining > 0:
        if state.pending is None or state.pending.shape[-1] == 0:
            state.pending = render_segment(model, state, styles, section_start)
        piece, state.pending = state.pending[..., :remaining], state.pending[..., remaining:]
        remaining -= piece.shape[-1]
        state.generated_samples += piece.shape[-1]
        yield piece.float()
