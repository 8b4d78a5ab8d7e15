"""``MusikaPipeline``: music of any length from a Musika generator and its autoencoder.

    pipe = MusikaPipeline.from_pretrained("pipelines/musika-small")
    out = pipe("120 bpm, dense", audio_length_in_s=30, generator=torch.Generator().manual_seed(0))
    out.audios                                                    # (1, samples) float32
    for chunk in pipe.stream(audio_length_in_s=3600, generator=g):    # ~1 s chunks, constant memory
        sink.write(chunk)
    more = pipe.continue_piece(out.state[0], audio_length_in_s=20, style=new_style, transition_s=4)

Two components, as in a diffusers pipeline: the latent generator and the autoencoder. A folder holds
both (the generator's weights include the autoencoder's), so it loads in one call and
``pipeline("text-to-audio", model=folder)`` works on it; ``MusikaPipeline(generator, autoencoder)``
assembles one from separately trained parts.

The published Musika (a folder written by ``hfsynth convert musika``) gets a
:class:`MusikaReleasePipeline`: the same calls, streaming and continuation, without tempo and
density (the released generators are unconditional). ``MusikaPipeline.from_pretrained`` and
``MusikaPipeline(model)`` pick it for such a model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from transformers import AutoConfig

from ...pipelines.contract import finalize_audio
from ...pipelines.pipeline_utils import AudioPipelineOutput, HFSynthPipeline
from ...validation import check_int, check_non_negative_number
from ..prompting import byte_tokenizer
from .configuration_musika_release import MusikaReleaseConfig
from .generation_musika import MusikaStreamState, check_style, new_state, stream_section
from .generation_musika_release import (
    MusikaReleaseStreamState,
    new_release_state,
    stream_release_section,
    truncated_normal,
)
from .modeling_musika import MusikaAutoencoder, MusikaGenerator
from .modeling_musika_release import MusikaReleaseGenerator, check_unconditional, check_unconditional_prompt
from .prompting_musika import conditioning_from_prompt


def lerp_styles(start: torch.Tensor, end: torch.Tensor, chunks: int) -> Callable[[int], torch.Tensor]:
    """Style of chunk k moving in a straight line from ``start`` to ``end`` over ``chunks`` chunks, the
    path rescaled to the endpoints' mean norm so that the middle stays a typical style."""
    norm = 0.5 * (start.norm() + end.norm())

    def style(k: int) -> torch.Tensor:
        t = min(1.0, (k + 1) / max(1, chunks))
        mixed = torch.lerp(start, end, t)
        return mixed if t in (0.0, 1.0) else mixed * norm / mixed.norm().clamp_min(1e-8)

    return style


class MusikaPipeline(HFSynthPipeline):
    """Any length of music from a :class:`MusikaGenerator`, at once or as a stream."""

    model_class = MusikaGenerator
    default_components = {"tokenizer": byte_tokenizer}

    def __new__(cls, model=None, *args, **kwargs):
        """``MusikaPipeline(model)`` of a published Musika model is a :class:`MusikaReleasePipeline`."""
        if cls is MusikaPipeline and isinstance(model, MusikaReleaseGenerator):
            cls = MusikaReleasePipeline
        return super().__new__(cls)

    @classmethod
    def from_pretrained(cls, path, **model_kwargs) -> MusikaPipeline:
        """Loads a Musika folder; a converted release (``hfsynth convert musika``) gives a :class:`MusikaReleasePipeline`."""
        if cls is MusikaPipeline and AutoConfig.from_pretrained(path).model_type == MusikaReleaseConfig.model_type:
            return MusikaReleasePipeline.from_pretrained(path, **model_kwargs)
        return super().from_pretrained(path, **model_kwargs)

    def __init__(self, model: MusikaGenerator, autoencoder: MusikaAutoencoder | None = None, tokenizer=None):
        if autoencoder is not None:
            if autoencoder.config.architecture() != model.config.autoencoder:
                raise ValueError("the autoencoder's architecture differs from the one the generator was trained for")
            model.autoencoder.load_state_dict(autoencoder.state_dict())
        super().__init__(model, tokenizer=tokenizer)

    @property
    def autoencoder(self) -> MusikaAutoencoder:
        return self.model.autoencoder

    def __call__(
        self,
        prompt: str | Sequence[str] = "",
        audio_length_in_s: float | None = None,
        num_waveforms_per_prompt: int = 1,
        generator: torch.Generator | None = None,
        tempo: float | None = None,
        density: float | str | None = None,
        truncation: float | None = None,
        style: torch.Tensor | None = None,
        stereo: bool | None = None,
    ) -> AudioPipelineOutput:
        """Pieces of exactly ``audio_length_in_s`` seconds (default ``config.audio_length_in_s``).

        Args:
            prompt: a prompt or a list; a prompt may set the tempo ("120 bpm") and the density
                ("sparse", "dense"); "" leaves both free.
            num_waveforms_per_prompt: pieces per prompt, each with its own style.
            generator: randomness (style and anchors); torch's global RNG if None.
            tempo / density: override what the prompts say (bpm; "sparse", "dense" or onsets per second).
            truncation: standard deviation of style and anchors (default ``config.truncation``).
            style: (style_channels,) a style to use instead of drawn ones (e.g. ``out.latents[0]``).
            stereo: None gives the model's channels; False downmixes a stereo model; True needs one.

        Returns ``audios`` (pieces, [2,] samples), their styles as ``latents`` and, per piece, the
        ``state`` to continue it with :meth:`continue_piece`.
        """
        # 1. check inputs: each prompt's tempo and density
        conditions = self.check_conditions(prompt, num_waveforms_per_prompt, tempo, density)
        channels = self.output_channels(stereo)
        # 2./3. generate each piece (streamed inside generate: flat memory, a progress bar)
        outputs = [
            self.model.generate(
                tempo=tempo_i, density=density_i, audio_length_in_s=audio_length_in_s, generator=generator,
                truncation=truncation, style=style, progress_bar=self.progress_bar, return_dict_in_generate=True,
            )
            for tempo_i, density_i in conditions
        ]
        # 4. postprocess
        audios = torch.cat([out.audio for out in outputs])                     # (pieces, channels, samples)
        audios = audios.mean(dim=1, keepdim=True) if channels < audios.shape[1] else audios   # a downmix stays <= 1
        return self.output(audios[:, 0] if channels == 1 else audios,
                           latents=torch.cat([out.styles for out in outputs]),
                           state=[state for out in outputs for state in out.states])

    def stream(
        self,
        audio_length_in_s: float,
        prompt: str = "",
        generator: torch.Generator | None = None,
        tempo: float | None = None,
        density: float | str | None = None,
        truncation: float | None = None,
        state: MusikaStreamState | None = None,
        stereo: bool | None = None,
        chunks_per_yield: int = 4,
    ) -> Iterator[np.ndarray]:
        """Yields float32 pieces of ``chunks_per_yield`` x ``config.chunk_latents`` latent frames
        ((samples,) or (2, samples)), ``audio_length_in_s`` in all, in memory that does not grow with
        the length. Pieces are clipped to [-1, 1] (a stream cannot be scaled by a peak it has not seen
        yet). Pass ``state`` to continue a piece. One chunk per piece gives the lowest latency; more are faster."""
        channels = self.output_channels(stereo)
        ((tempo, density),) = self.check_conditions(prompt, 1, tempo, density)
        if state is None:
            state = new_state(self.model, generator, truncation)
        elif generator is not None or truncation is not None:
            raise ValueError("a state already holds its random source and truncation; drop generator/truncation")
        chunks = stream_section(self.model, self.model.num_samples_for(audio_length_in_s), state, tempo, density,
                                chunks_per_yield=chunks_per_yield)
        return self._chunks(chunks, channels)

    def continue_piece(
        self,
        state: MusikaStreamState,
        audio_length_in_s: float,
        generator: torch.Generator | None = None,
        style: torch.Tensor | None = None,
        transition_s: float = 0.0,
        tempo: float | None = None,
        density: float | str | None = None,
        stereo: bool | None = None,
    ) -> AudioPipelineOutput:
        """The next section of a piece: the coordinate path and the latents go on from ``state``.

        With ``generator`` (a new style drawn from it) or ``style``, the style moves from the old one
        to the new one over ``transition_s`` seconds (0: at once); without either the style stays.
        Tempo and density are the new section's (None: free).
        """
        transition_s = check_non_negative_number(transition_s, "transition_s")
        if generator is not None and style is not None:
            raise ValueError("pass a generator (a new style is drawn) or a style, not both")
        target = state.style
        if generator is not None:
            target = self.draw_style(state, generator)
        elif style is not None:
            target = check_style(style, state.style.shape[-1])
        step_s = self.style_step_samples / self.sampling_rate
        styles = lerp_styles(state.style, target, math.ceil(transition_s / step_s))
        chunks = self.sections(state, self.model.num_samples_for(audio_length_in_s), tempo, density, styles)
        audio = np.concatenate(list(self._chunks(chunks, self.output_channels(stereo))), axis=-1)
        return self.output(finalize_audio(torch.from_numpy(audio)[None]), latents=target.cpu(), state=[state])

    # ------------------------------------------------- what a Musika variant does its own way
    def draw_style(self, state: MusikaStreamState, generator: torch.Generator) -> torch.Tensor:
        """A new style (1, style_channels) for :meth:`continue_piece`, at the piece's truncation."""
        return torch.randn(1, self.config.style_channels, generator=generator) * state.sampler.truncation

    @property
    def style_step_samples(self) -> int:
        """Samples between style changes in a transition: one chunk."""
        return self.config.samples_per_chunk

    def sections(self, state: MusikaStreamState, num_samples: int, tempo: float | None, density: float | str | None,
                 styles: Callable[[int], torch.Tensor]) -> Iterator[torch.Tensor]:
        """The next ``num_samples`` of the piece, styled by ``styles``, as (channels, samples) pieces."""
        return stream_section(self.model, num_samples, state, tempo, density, styles)

    # ----------------------------------------------------------------------------------- steps
    def check_conditions(
        self, prompt: str | Sequence[str], count: int, tempo: float | None, density: float | str | None
    ) -> list[tuple[float | None, float | str | None]]:
        """(tempo, density) of every piece: each prompt's, overridden by the arguments, ``count`` times."""
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        if not prompts:
            raise ValueError("the prompt list is empty; pass at least one prompt ('' leaves tempo and density free)")
        check_int(count, "num_waveforms_per_prompt", minimum=1)
        conditions = []
        for text in prompts:
            said_tempo, said_density = conditioning_from_prompt(text, self.config)
            conditions += [(said_tempo if tempo is None else tempo, said_density if density is None else density)] * count
        return conditions

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


class MusikaReleasePipeline(MusikaPipeline):
    """The published Musika (:class:`MusikaReleaseGenerator`): stereo music of any length, at once or
    streamed a segment (11.9 s at 44.1 kHz) at a time, continued with a new style if asked.

        pipe = MusikaPipeline.from_pretrained("musika-techno")      # written by hfsynth convert musika
        out = pipe(audio_length_in_s=60, generator=torch.Generator().manual_seed(0))
        for piece in pipe.stream(3600, generator=g):                 # (2, samples) float32 pieces
            sink.write(piece.T)

    ``truncation`` is the authors' (the bound of the truncated normal, default 2.0; 0.885 for the
    22 kHz release, whose anchors are drawn at a bound of at least 1.75). Tempo and
    density, by argument or in the prompt, are refused: the released generators are unconditional.
    """

    model_class = MusikaReleaseGenerator

    def __init__(self, model: MusikaReleaseGenerator, tokenizer=None):
        HFSynthPipeline.__init__(self, model, tokenizer=tokenizer)

    def check_conditions(self, prompt: str | Sequence[str], count: int, tempo: object, density: object
                         ) -> list[tuple[None, None]]:
        """One unconditional piece per prompt and count; prompts and arguments asking for more are refused."""
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        if not prompts:
            raise ValueError("the prompt list is empty; pass at least one prompt ('' is fine)")
        check_int(count, "num_waveforms_per_prompt", minimum=1)
        check_unconditional(tempo, density)
        for text in prompts:
            check_unconditional_prompt(text)
        return [(None, None)] * (len(prompts) * count)

    def stream(
        self,
        audio_length_in_s: float,
        prompt: str = "",
        generator: torch.Generator | None = None,
        truncation: float | None = None,
        state: MusikaReleaseStreamState | None = None,
        stereo: bool | None = None,
    ) -> Iterator[np.ndarray]:
        """Yields float32 pieces ((2, samples), or (samples,) with ``stereo=False``), one generator
        segment each, ``audio_length_in_s`` in all, in memory that does not grow with the length.
        Pass ``state`` (``out.state[0]`` or a stream's) to continue a piece."""
        channels = self.output_channels(stereo)
        self.check_conditions(prompt, 1, None, None)
        if state is None:
            state = new_release_state(self.model, generator, truncation)
        elif generator is not None or truncation is not None:
            raise ValueError("a state already holds its random source and truncation; drop generator/truncation")
        return self._chunks(self.sections(state, self.model.num_samples_for(audio_length_in_s), None, None), channels)

    def draw_style(self, state: MusikaReleaseStreamState, generator: torch.Generator) -> torch.Tensor:
        return truncated_normal((1, self.config.coordinate_channels), state.path.truncation, generator)

    @property
    def style_step_samples(self) -> int:
        """A style per coordinate frame (one latent frame, 4096 samples); a new style starts with the
        first segment not made yet (audio already made is handed out first)."""
        return self.config.samples_per_latent

    def sections(self, state: MusikaReleaseStreamState, num_samples: int, tempo: None, density: None,
                 styles: Callable[[int], torch.Tensor] | None = None) -> Iterator[torch.Tensor]:
        check_unconditional(tempo, density)
        return stream_release_section(self.model, num_samples, state, styles)
