"""``GANSynthPipeline``: notes, timbre interpolations and whole MIDI pieces from one GANSynth.

    pipe = GANSynthPipeline.from_pretrained("pipelines/gansynth-small")
    out = pipe(["C3", "E3", "G3"], num_waveforms_per_prompt=2, generator=torch.Generator().manual_seed(0))
    out.audios                  # (3 pitches x 2 instruments, samples) float32; out.latents: (2, latent_size)
    morph = pipe("C4", latents=pipe.interpolate(out.latents[0], out.latents[1], steps=5))
    piece = pipe.render_midi("song.mid", latents=out.latents[0])            # piece.audios: (1, samples)

In GANSynth the latent is the instrument (timbre) and the pitch is the condition, so every latent
plays every pitch: ``audios[p * n + i]`` is pitch ``p`` played by latent ``i`` of ``n``, the same
instrument at every pitch. It loads the same folder as ``pipeline("text-to-audio", ...)``: the
generator and its byte tokenizer. ``generator`` is a ``torch.Generator`` (diffusers' name for it);
the GAN's generator network is ``pipe.model``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import pretty_midi
import torch

from ...data.render import MidiLike, load_midi
from ...pipelines.contract import finalize_audio
from ...pipelines.pipeline_utils import AudioPipelineOutput, HFSynthPipeline
from ...validation import check_int, check_non_negative_number
from ..prompting import byte_tokenizer
from .modeling_gansynth import GANSynthGenerator, release_envelope
from .prompting_gansynth import pitch_range_text, resolve_pitch

#: Release of every MIDI note: a half-cosine fade after the note's end.
DEFAULT_RELEASE_IN_S = 0.1

Pitch = int | str


def slerp(start: torch.Tensor, end: torch.Tensor, steps: int) -> torch.Tensor:
    """``steps`` points on the great circle from ``start`` to ``end`` (both (latent_size,)), endpoints included.

    -> (steps, latent_size). The generator sees latents projected onto a sphere, so walking along
    the sphere (rather than the straight line, whose middle has a smaller norm) keeps every step a
    typical latent. The norm is interpolated linearly; nearly parallel vectors fall back to a line.
    """
    t = torch.linspace(0.0, 1.0, steps, dtype=torch.float64)[:, None]
    a, b = start.double(), end.double()
    norm_a, norm_b = a.norm(), b.norm()
    cosine = torch.dot(a / norm_a, b / norm_b).clamp(-1.0, 1.0)
    omega = torch.arccos(cosine)
    if omega.abs() < 1e-6:
        path = torch.lerp(a, b, t)
    else:
        direction = (torch.sin((1 - t) * omega) * a / norm_a + torch.sin(t * omega) * b / norm_b) / torch.sin(omega)
        path = direction * torch.lerp(norm_a, norm_b, t)
    path[0], path[-1] = a, b  # exact endpoints, whatever the rounding
    return path.to(start.dtype)


class GANSynthPipeline(HFSynthPipeline):
    """Notes from a :class:`GANSynthGenerator`: by pitch and latent, along latent paths, or for a MIDI file."""

    model_class = GANSynthGenerator
    default_components = {"tokenizer": byte_tokenizer}

    def __call__(
        self,
        prompt: Pitch | Sequence[Pitch],
        num_waveforms_per_prompt: int | None = None,
        latents: torch.Tensor | None = None,
        audio_length_in_s: float | None = None,
        generator: torch.Generator | None = None,
    ) -> AudioPipelineOutput:
        """Every latent plays every pitch.

        Args:
            prompt: a pitch or a list: MIDI numbers (60) or names ("C4", "note 60"), inside the range.
            num_waveforms_per_prompt: latents (instruments) to draw (default 1); not with ``latents``.
            latents: (latent_size,) or (n, latent_size) instruments to play instead of drawn ones.
            audio_length_in_s: note length; default the model's. Longer pads with silence, shorter
                trims; the end of each note fades out over 20 ms.
            generator: randomness for drawn latents (torch's global RNG if None).

        Returns ``audios`` (pitches x latents, samples), pitch-major, and the ``latents`` used.
        """
        # 1. check inputs
        pitches = self.check_pitches(prompt)
        # 2. prepare the latents: (n, latent_size)
        latents = self.prepare_latents(latents, num_waveforms_per_prompt, generator)
        # 3. every (pitch, latent) pair
        count = latents.shape[0]
        out = self.model.generate(
            pitch=[pitch for pitch in pitches for _ in range(count)], latents=latents.repeat(len(pitches), 1),
            audio_length_in_s=audio_length_in_s, return_dict_in_generate=True,
        )
        # 4. postprocess
        return self.output(out.audio[:, 0], latents=latents.cpu())

    # ----------------------------------------------------------------------------------- steps
    def check_pitches(self, prompt: Pitch | Sequence[Pitch]) -> list[int]:
        """The MIDI pitches asked for; ``ValueError`` before any work for what the model cannot play."""
        if isinstance(prompt, (torch.Tensor, np.ndarray)):
            prompt = prompt.tolist()
        pitches = [prompt] if isinstance(prompt, (numbers.Number, str)) else list(prompt)
        if not pitches:
            raise ValueError(f"the prompt list is empty; give at least one pitch from {pitch_range_text(self.config)}")
        return [resolve_pitch(pitch, self.config) for pitch in pitches]

    def prepare_latents(
        self, latents: torch.Tensor | None, count: int | None, generator: torch.Generator | None
    ) -> torch.Tensor:
        """Given latents as (n, latent_size), or ``count`` (default 1) freshly drawn ones."""
        if latents is None:
            return self.model.sample_latents(check_int(1 if count is None else count, "num_waveforms_per_prompt",
                                                       minimum=1), generator)
        if count is not None:
            raise ValueError("pass latents or num_waveforms_per_prompt, not both: the latents set the count")
        latents = torch.as_tensor(latents)
        latents = latents.unsqueeze(0) if latents.ndim == 1 else latents
        if latents.ndim != 2 or latents.shape[0] == 0:
            size = self.config.latent_size
            raise ValueError(f"latents must be ({size},) or (n, {size}); got {tuple(latents.shape)}")
        return self.model.check_latents(latents, latents.shape[0])

    # --------------------------------------------------------------------------- interpolation
    def interpolate(self, z_a: torch.Tensor, z_b: torch.Tensor, steps: int) -> torch.Tensor:
        """(steps, latent_size) latents from ``z_a`` to ``z_b`` along the sphere (:func:`slerp`), both
        included, for timbre morphs: ``pipe(60, latents=pipe.interpolate(a, b, 8))``."""
        check_int(steps, "steps", minimum=2, hint=" (both endpoints are included)")
        return slerp(self.one_latent(z_a, "z_a"), self.one_latent(z_b, "z_b"), steps)

    def one_latent(self, latent: torch.Tensor, name: str) -> torch.Tensor:
        """A single latent, (latent_size,) or (1, latent_size), as a (latent_size,) float tensor."""
        latent = torch.as_tensor(latent, dtype=torch.float32)
        if latent.numel() != self.config.latent_size or latent.ndim > 2:
            size = self.config.latent_size
            raise ValueError(f"{name} must be one latent of {size} values; got shape {tuple(latent.shape)}")
        return latent.reshape(-1)

    # ------------------------------------------------------------------------------------ MIDI
    def render_midi(
        self,
        midi: MidiLike,
        latents: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        release_in_s: float = DEFAULT_RELEASE_IN_S,
    ) -> AudioPipelineOutput:
        """A whole piece: one generated note per MIDI note, overlap-added -> ``audios`` (1, samples).

        Each note is generated at its pitch by its instrument's latent, held for the note's duration,
        faded out over ``release_in_s`` (half cosine), scaled by velocity / 127 and added at the note's
        start. A note held longer than the model's note length (``config.audio_length_in_s``) stops
        with the generated note, faded out at its end. Drum tracks are skipped (GANSynth plays pitched notes).

        Args:
            midi: a ``pretty_midi.PrettyMIDI``, MIDI bytes or a .mid path.
            latents: None draws one latent per pitched instrument; (latent_size,) plays all of them
                with one instrument; (instruments, latent_size) gives each its own, in file order.
            generator: randomness for drawn latents.
            release_in_s: fade after each note's end (>= 0).

        Raises ``ValueError`` for a MIDI without pitched notes or with pitches outside the range.
        """
        release_in_s = check_non_negative_number(release_in_s, "release_in_s")
        instruments = self.pitched_instruments(load_midi(midi))
        latents = self.prepare_instrument_latents(latents, len(instruments), generator)
        rate = self.config.sampling_rate
        release = round(release_in_s * rate)
        pairs = sorted({(i, note.pitch) for i, instrument in enumerate(instruments) for note in instrument.notes})
        notes = dict(zip(pairs, self.model.synthesize(latents[[i for i, _ in pairs]], [p for _, p in pairs])))
        end = max(note.end for instrument in instruments for note in instrument.notes)
        piece = torch.zeros(math.ceil(end * rate) + release, device=self.device)
        for index, instrument in enumerate(instruments):
            for note in instrument.notes:
                start = round(note.start * rate)
                sound = self.shape_note(notes[index, note.pitch], round((note.end - note.start) * rate), release)
                sound = sound[: piece.shape[0] - start] * (note.velocity / 127.0)
                piece[start : start + sound.shape[0]] += sound
        return self.output(finalize_audio(piece[None]), latents=latents.cpu())

    def pitched_instruments(self, score: pretty_midi.PrettyMIDI) -> list[pretty_midi.Instrument]:
        """The score's non-drum instruments with notes; ValueError if none, or if any pitch is out of range."""
        instruments = [instrument for instrument in score.instruments if not instrument.is_drum and instrument.notes]
        if not instruments:
            raise ValueError("the MIDI has no pitched notes to play (drum tracks are skipped)")
        pitches = sorted({note.pitch for instrument in instruments for note in instrument.notes})
        outside = [p for p in pitches if not self.config.pitch_min <= p <= self.config.pitch_max]
        if outside:
            raise ValueError(
                f"the MIDI plays pitches {outside}, outside this model's range {pitch_range_text(self.config)}; "
                "transpose it or drop those notes"
            )
        return instruments

    def prepare_instrument_latents(
        self, latents: torch.Tensor | None, instruments: int, generator: torch.Generator | None
    ) -> torch.Tensor:
        """(instruments, latent_size): drawn, one latent repeated, or one given per instrument."""
        if latents is None:
            return self.model.sample_latents(instruments, generator)
        latents = self.prepare_latents(latents, None, None)
        if latents.shape[0] == 1:
            return latents.expand(instruments, -1)
        if latents.shape[0] != instruments:
            raise ValueError(
                f"the MIDI has {instruments} pitched instruments; pass one latent or {instruments}, "
                f"not {latents.shape[0]}"
            )
        return latents

    @staticmethod
    def shape_note(note: torch.Tensor, hold: int, release: int) -> torch.Tensor:
        """A generated note (samples,) held for ``hold`` samples then released: (<= samples,)."""
        length = min(note.shape[-1], hold + release)
        return (note * release_envelope(note.shape[-1], hold, release, note.device))[:length]
