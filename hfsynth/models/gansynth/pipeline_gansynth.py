"""``GANSynthPipeline``: notes, timbre interpolations and whole MIDI pieces from one GANSynth.

    pipe = GANSynthPipeline.from_pretrained("path/to/gansynth")
    out = pipe(["C3", "E3", "G3"], batch_size=2, seed=0)
    out.audios                          # (2 instruments, 3 pitches, samples) float32, peak <= 1
    morph = pipe(60, latents=pipe.interpolate(out.latents[0], out.latents[1], steps=5))
    piece = pipe.render_midi("song.mid", instrument_latents=out.latents[0])

In GANSynth the latent is the instrument (timbre) and the pitch is the condition, so the pipeline
plays every pitch with every latent: the same latent gives the same instrument at every pitch. It
loads the same folder as ``pipeline("text-to-audio", ...)`` (the generator and its byte tokenizer) and,
like ``WaveNetPipeline``, is a plain class, not a ``diffusers.DiffusionPipeline``: there is one
component in the transformers layout. ``generator`` is a ``torch.Generator`` (diffusers' name for it);
the GAN's generator network is ``pipe.model``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pretty_midi
import torch

from ...audio.validation import check_finite_number, check_positive_int
from ...data.render import MidiLike, load_midi
from ...pipelines.contract import finalize_audio
from ..prompting import byte_tokenizer, random_source
from .configuration_gansynth import GANSynthConfig
from .modeling_gansynth import GANSynthGenerator, release_envelope
from .prompting_gansynth import pitch_range_text, resolve_pitch

#: Release of every MIDI note: a half-cosine fade after the note's end.
DEFAULT_RELEASE_IN_S = 0.1
#: Notes generated per forward pass (bounds memory for long pieces and large grids).
NOTES_PER_FORWARD = 64

Pitch = int | str


@dataclass
class GANSynthPipelineOutput:
    """
    audios: (batch, pitches, samples) float32 notes: latent i playing pitch j, each latent's notes
        scaled together so their peak is <= 1 (relative levels across pitches are kept).
    sampling_rate: their rate in Hz.
    pitches: the MIDI pitches, in order.
    latents: (batch, latent_size) the latents used: keep one to play that instrument again.
    """

    audios: np.ndarray
    sampling_rate: int
    pitches: list[int]
    latents: torch.Tensor


@dataclass
class GANSynthPieceOutput:
    """
    audio: (samples,) float32 piece with peak <= 1.
    sampling_rate: its rate in Hz.
    latents: (instruments, latent_size) the latent that played each pitched MIDI instrument.
    """

    audio: np.ndarray
    sampling_rate: int
    latents: torch.Tensor


def save_gansynth_folder(model: GANSynthGenerator, path: str | os.PathLike) -> None:
    """Writes the generator and the byte tokenizer: a folder that ``GANSynthPipeline.from_pretrained``
    and transformers' ``pipeline("text-to-audio", model=path)`` both load."""
    model.save_pretrained(path)
    byte_tokenizer().save_pretrained(path)


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


class GANSynthPipeline:
    """Notes from a :class:`GANSynthGenerator`: by pitch and latent, along latent paths, or for a MIDI file."""

    def __init__(self, model: GANSynthGenerator):
        self.model = model.eval()

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, **kwargs) -> GANSynthPipeline:
        """Loads a GANSynth folder (or Hub id); ``kwargs`` go to ``GANSynthGenerator.from_pretrained``."""
        return cls(GANSynthGenerator.from_pretrained(path, **kwargs))

    def save_pretrained(self, path: str | os.PathLike) -> None:
        save_gansynth_folder(self.model, path)

    def to(self, device: str | torch.device) -> GANSynthPipeline:
        self.model.to(device)
        return self

    @property
    def config(self) -> GANSynthConfig:
        return self.model.config

    def __call__(
        self,
        pitches: Pitch | Sequence[Pitch],
        latents: torch.Tensor | None = None,
        batch_size: int = 1,
        generator: torch.Generator | None = None,
        seed: int | None = None,
        audio_length_in_s: float | None = None,
    ) -> GANSynthPipelineOutput:
        """Every latent plays every pitch.

        Args:
            pitches: a pitch or a list: MIDI numbers (60) or names ("C4", "note 60"), inside the range.
            latents: (latent_size,) or (batch, latent_size) instruments; None draws ``batch_size`` of them.
            batch_size: how many latents to draw (only without ``latents``).
            generator / seed: randomness for drawn latents (torch's global RNG if neither).
            audio_length_in_s: note length; default the model's. Longer pads with silence, shorter
                trims; the end of each note fades out over 20 ms.
        """
        # 1. check inputs
        pitch_list = self.check_inputs(pitches, latents, batch_size)
        length = self.model.num_samples_for(
            self.config.audio_length_in_s if audio_length_in_s is None else audio_length_in_s
        )
        # 2. prepare the latents: (batch, latent_size)
        latents = self.prepare_latents(latents, batch_size, random_source(generator, seed))
        # 3. generate every (latent, pitch) pair
        grid_latents = latents.repeat_interleave(len(pitch_list), dim=0)        # (batch * pitches, latent_size)
        notes = self.synthesize(grid_latents, pitch_list * latents.shape[0])    # (batch * pitches, samples)
        # 4. postprocess
        notes = self.model.fit_length(notes, length).reshape(latents.shape[0], len(pitch_list), length)
        return GANSynthPipelineOutput(
            audios=finalize_audio(notes).cpu().numpy(), sampling_rate=self.config.sampling_rate,
            pitches=pitch_list, latents=latents.cpu(),
        )

    # ----------------------------------------------------------------------------------- steps
    def check_inputs(
        self, pitches: Pitch | Sequence[Pitch], latents: torch.Tensor | None, batch_size: int
    ) -> list[int]:
        """Refuses what the model cannot play before any work is done; returns the MIDI pitches."""
        check_positive_int(batch_size, "batch_size")
        if latents is not None and batch_size != 1:
            raise ValueError("pass latents or a batch_size, not both: the latents set the batch")
        if isinstance(pitches, (torch.Tensor, np.ndarray)):
            pitches = pitches.tolist()
        pitch_list = list(pitches) if isinstance(pitches, Iterable) and not isinstance(pitches, str) else [pitches]
        if not pitch_list:
            raise ValueError(f"pitches is empty; give at least one pitch from {pitch_range_text(self.config)}")
        return [resolve_pitch(pitch, self.config) for pitch in pitch_list]

    def prepare_latents(
        self, latents: torch.Tensor | None, batch_size: int, generator: torch.Generator | None
    ) -> torch.Tensor:
        """Given latents as (batch, latent_size), or ``batch_size`` freshly drawn ones."""
        if latents is None:
            return self.model.sample_latents(batch_size, generator)
        latents = torch.as_tensor(latents)
        latents = latents.unsqueeze(0) if latents.ndim == 1 else latents
        size = self.config.latent_size
        if latents.ndim != 2 or latents.shape[1] != size or latents.shape[0] == 0:
            raise ValueError(f"latents must be ({size},) or (batch, {size}); got {tuple(latents.shape)}")
        if not torch.isfinite(latents).all():
            raise ValueError("latents contain NaN or infinite values")
        return latents.to(self.model.device, self.model.dtype)

    def synthesize(self, latents: torch.Tensor, pitches: list[int]) -> torch.Tensor:
        """(notes, latent_size) and one pitch each -> (notes, num_samples), NOTES_PER_FORWARD at a time."""
        starts = range(0, len(pitches), NOTES_PER_FORWARD)
        chunks = [slice(start, start + NOTES_PER_FORWARD) for start in starts]
        return torch.cat([self.model.synthesize(latents[chunk], pitches[chunk]) for chunk in chunks])

    # --------------------------------------------------------------------------- interpolation
    def interpolate(self, z_a: torch.Tensor, z_b: torch.Tensor, steps: int) -> torch.Tensor:
        """(steps, latent_size) latents from ``z_a`` to ``z_b`` along the sphere (:func:`slerp`), both
        included, for timbre morphs: ``pipe(60, latents=pipe.interpolate(a, b, 8))``."""
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
            raise ValueError(f"steps must be an integer >= 2 (both endpoints are included); got {steps!r}")
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
        instrument_latents: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        seed: int | None = None,
        release_in_s: float = DEFAULT_RELEASE_IN_S,
    ) -> GANSynthPieceOutput:
        """A whole piece: one generated note per MIDI note, overlap-added.

        Each note is generated at its pitch by its instrument's latent, held for the note's duration,
        faded out over ``release_in_s`` (half cosine), scaled by velocity / 127 and added at the note's
        start. A note held longer than the model's note length (``config.audio_length_in_s``) stops
        with the generated note, faded out at its end. Drum tracks are skipped (GANSynth plays pitched notes).

        Args:
            midi: a ``pretty_midi.PrettyMIDI``, MIDI bytes or a .mid path.
            instrument_latents: None draws one latent per pitched instrument; (latent_size,) plays all of
                them with one instrument; (instruments, latent_size) gives each its own, in file order.
            generator / seed: randomness for drawn latents.
            release_in_s: fade after each note's end (>= 0).

        Raises ``ValueError`` for a MIDI without pitched notes or with pitches outside the range.
        """
        if check_finite_number(release_in_s, "release_in_s") < 0:
            raise ValueError(f"release_in_s must be >= 0 seconds; got {release_in_s}")
        instruments = self.pitched_instruments(load_midi(midi))
        latents = self.prepare_instrument_latents(instrument_latents, len(instruments), random_source(generator, seed))
        rate = self.config.sampling_rate
        release = round(release_in_s * rate)
        pairs = sorted({(i, note.pitch) for i, instrument in enumerate(instruments) for note in instrument.notes})
        notes = dict(zip(pairs, self.synthesize(latents[[i for i, _ in pairs]], [p for _, p in pairs])))
        end = max(note.end for instrument in instruments for note in instrument.notes)
        piece = torch.zeros(math.ceil(end * rate) + release, device=self.model.device)
        for index, instrument in enumerate(instruments):
            for note in instrument.notes:
                start = round(note.start * rate)
                sound = self.shape_note(notes[index, note.pitch], round((note.end - note.start) * rate), release)
                sound = sound[: piece.shape[0] - start] * (note.velocity / 127.0)
                piece[start : start + sound.shape[0]] += sound
        audio = finalize_audio(piece[None])[0].cpu().numpy()
        return GANSynthPieceOutput(audio=audio, sampling_rate=rate, latents=latents.cpu())

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
        latents = self.prepare_latents(latents, 1, None)
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
