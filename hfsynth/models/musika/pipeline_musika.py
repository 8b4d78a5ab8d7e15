"""``MusikaPipeline``: music of any length from a Musika generator and its autoencoder.

    pipe = MusikaPipeline.from_pretrained("pipelines/musika-small")
    out = pipe(seconds=30, seed=0, tempo=120, density="dense")     # out.audio: (samples,) float32
    for chunk in pipe.stream(seconds=3600, seed=1):                  # ~1 s chunks, constant memory
        sink.write(chunk)
    more = pipe.continue_piece(out.state, seconds=20, seed=2, transition_s=4)   # new style, morphed in

Two components, as in a diffusers pipeline: the latent generator and the autoencoder. A folder holds
both (the generator's weights include the autoencoder's), so it loads in one call and
``pipeline("text-to-audio", model=folder)`` works on it; ``MusikaPipeline(generator, autoencoder)``
assembles one from separately trained parts.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from ...audio.validation import check_finite_number
from ...pipelines.contract import finalize_audio
from ..prompting import byte_tokenizer, random_source
from .configuration_musika import MusikaConfig
from .generation_musika import MusikaStreamState, check_style, new_state, stream_section
from .modeling_musika import MusikaAutoencoder, MusikaGenerator


@dataclass
class MusikaPipelineOutput:
    """
    audio: (samples,) or (2, samples) float32, peak <= 1.
    sampling_rate: Hz.
    state: pass to :meth:`MusikaPipeline.continue_piece` to go on from the end of this audio.
    """

    audio: np.ndarray
    sampling_rate: int
    state: MusikaStreamState


def save_musika_folder(model: MusikaGenerator, path: str | os.PathLike) -> None:
    """The generator (autoencoder included) and the byte tokenizer: a text-to-audio folder."""
    model.save_pretrained(path)
    byte_tokenizer().save_pretrained(path)


def lerp_styles(start: torch.Tensor, end: torch.Tensor, chunks: int) -> callable:
    """Style of chunk k moving in a straight line from ``start`` to ``end`` over ``chunks`` chunks, the
    path rescaled to the endpoints' mean norm so that the middle stays a typical style."""
    norm = 0.5 * (start.norm() + end.norm())

    def style(k: int) -> torch.Tensor:
        t = min(1.0, (k + 1) / max(1, chunks))
        mixed = torch.lerp(start, end, t)
        return mixed if t in (0.0, 1.0) else mixed * norm / mixed.norm().clamp_min(1e-8)

    return style


class MusikaPipeline:
    """Any length of music from a :class:`MusikaGenerator`, at once or as a stream."""

    def __init__(self, generator: MusikaGenerator, autoencoder: MusikaAutoencoder | None = None):
        if autoencoder is not None:
            if autoencoder.config.architecture() != generator.config.autoencoder:
                raise ValueError("the autoencoder's architecture differs from the one the generator was trained for")
            generator.autoencoder.load_state_dict(autoencoder.state_dict())
        self.model = generator.eval()

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, **kwargs) -> MusikaPipeline:
        return cls(MusikaGenerator.from_pretrained(path, **kwargs))

    def save_pretrained(self, path: str | os.PathLike) -> None:
        save_musika_folder(self.model, path)

    @property
    def config(self) -> MusikaConfig:
        return self.model.config

    @property
    def autoencoder(self) -> MusikaAutoencoder:
        return self.model.autoencoder

    @property
    def sampling_rate(self) -> int:
        return self.config.sampling_rate

    def __call__(
        self,
        seconds: float,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        tempo: float | None = None,
        density: float | str | None = None,
        truncation: float | None = None,
        style: torch.Tensor | None = None,
        stereo: bool | None = None,
    ) -> MusikaPipelineOutput:
        """``seconds`` of music (exactly ``round(seconds * sampling_rate)`` samples).

        Args:
            seed / generator: randomness (style and anchors); torch's global RNG if neither.
            tempo: quarter notes per minute, inside the model's range; None leaves it free.
            density: "sparse", "dense" or onsets per second; None leaves it free.
            truncation: standard deviation of style and anchors (default ``config.truncation``).
            style: (style_channels,) a style to use instead of a drawn one (e.g. ``out.state.style``).
            stereo: None gives the model's channels; False downmixes a stereo model; True needs one.
        """
        state = new_state(self.model, random_source(generator, seed), truncation, style)
        return self.finish(self.stream(seconds, state=state, tempo=tempo, density=density, stereo=stereo), state)

    def stream(
        self,
        seconds: float,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        tempo: float | None = None,
        density: float | str | None = None,
        truncation: float | None = None,
        state: MusikaStreamState | None = None,
        stereo: bool | None = None,
        chunks_per_yield: int = 4,
    ) -> Iterator[np.ndarray]:
        """Yields float32 pieces of ``chunks_per_yield`` x ``config.chunk_latents`` latent frames
        ((samples,) or (2, samples)), ``seconds`` in all, in memory that does not grow with the length.
        Pieces are clipped to [-1, 1] (a stream cannot be scaled by a peak it has not seen yet). Pass
        ``state`` to continue a piece. One chunk per piece gives the lowest latency; more are faster."""
        channels = self.output_channels(stereo)
        if state is None:
            state = new_state(self.model, random_source(generator, seed), truncation)
        elif seed is not None or generator is not None or truncation is not None:
            raise ValueError("a state already holds its random source and truncation; drop seed/generator/truncation")
        chunks = stream_section(self.model, seconds, state, tempo, density, chunks_per_yield=chunks_per_yield)
        return self._chunks(chunks, channels)

    def continue_piece(
        self,
        state: MusikaStreamState,
        seconds: float,
        seed: int | None = None,
        style: torch.Tensor | None = None,
        transition_s: float = 0.0,
        tempo: float | None = None,
        density: float | str | None = None,
        stereo: bool | None = None,
    ) -> MusikaPipelineOutput:
        """The next section of a piece: the coordinate path and the latents go on from ``state``.

        With ``seed`` (a new style drawn from it) or ``style``, the style moves from the old one to the
        new one over ``transition_s`` seconds (0: at once); without either the style stays. Tempo and
        density are the new section's (None: free).
        """
        if check_finite_number(transition_s, "transition_s") < 0:
            raise ValueError(f"transition_s must be >= 0 seconds; got {transition_s}")
        if seed is not None and style is not None:
            raise ValueError("pass a seed (a new style is drawn) or a style, not both")
        target = state.style
        if seed is not None:
            target = torch.randn(1, self.config.style_channels, generator=random_source(None, seed)) * state.sampler.truncation
        elif style is not None:
            target = check_style(style, self.model)
        chunk_s = self.config.samples_per_chunk / self.sampling_rate
        styles = lerp_styles(state.style, target, math.ceil(transition_s / chunk_s))
        chunks = stream_section(self.model, seconds, state, tempo, density, styles)
        return self.finish(self._chunks(chunks, self.output_channels(stereo)), state)

    # ----------------------------------------------------------------------------------- steps
    def output_channels(self, stereo: bool | None) -> int:
        channels = self.autoencoder.config.audio_channels
        if stereo is None:
            return channels
        if stereo and channels == 1:
            raise ValueError("this Musika model is mono; stereo=True needs a model trained with audio_channels=2")
        return 2 if stereo else 1

    @staticmethod
    def _chunks(chunks: Iterator[torch.Tensor], channels: int) -> Iterator[np.ndarray]:
        for chunk in chunks:                                                     # (model channels, samples)
            chunk = chunk.mean(dim=0, keepdim=True) if channels < chunk.shape[0] else chunk
            chunk = chunk.clamp(-1.0, 1.0).float().cpu().numpy()
            yield chunk[0] if channels == 1 else chunk

    def finish(self, chunks: Iterator[np.ndarray], state: MusikaStreamState) -> MusikaPipelineOutput:
        audio = np.concatenate(list(chunks), axis=-1)
        audio = finalize_audio(torch.from_numpy(audio)[None])[0].numpy()
        return MusikaPipelineOutput(audio=audio, sampling_rate=self.sampling_rate, state=state)
