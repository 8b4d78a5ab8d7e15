"""An NSynth-like set of single notes, rendered from General MIDI programs with a SoundFont.

Each example is one program playing one pitch at one velocity: the key is held for the first
``duration_in_s`` value and the release rings until the second (NSynth: 3 s held in a 4 s clip).

Loudness: every note gets the same fixed gain (``gain_db``), never per-note normalisation, so a
velocity-25 note is quieter than a velocity-127 one, as in NSynth, and ``velocity`` stays a true
label of both level and timbre.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import datasets
import numpy as np
import pretty_midi
from tqdm.auto import tqdm

from ..validation import check_int, check_sampling_rate
from ._levels import SILENCE_DB, db_to_gain, level_db
from .audio_column import AUDIO_FEATURE, encode_audio
from .building import build_dataset
from .captions import note_caption
from .instruments import INSTRUMENT_FAMILIES, check_program, family_id, family_of_program, program_name
from .render import render_midi
from .soundfont import resolve_soundfont, soundfont_digest

#: One General MIDI program per NSynth family, in family order (bass, brass, flute, ... vocal).
#: The organ is the reed organ (20): TimGM6mb's drawbar and church organs (16-19) add a 16-foot
#: stop, so pitch trackers hear them an octave below their MIDI pitch.
DEFAULT_PROGRAMS: tuple[int, ...] = (33, 56, 73, 24, 0, 11, 20, 65, 40, 80, 52)

NOTE_FEATURES = datasets.Features(
    {
        "note_id": datasets.Value("string"),
        "audio": AUDIO_FEATURE,
        "sampling_rate": datasets.Value("int64"),
        "pitch": datasets.Value("int64"),
        "velocity": datasets.Value("int64"),
        "instrument": datasets.Value("int64"),
        "instrument_name": datasets.Value("string"),
        "instrument_family": datasets.ClassLabel(names=list(INSTRUMENT_FAMILIES)),
        "caption": datasets.Value("string"),
    }
)


@dataclass
class NoteDatasetConfig:
    """What to render. Defaults follow NSynth where it has one.

    Args:
        programs: General MIDI programs (0-127) to play; default one per NSynth family.
        pitches: ``(lowest, highest)`` MIDI pitch, inclusive (NSynth: 21-108, the piano's range).
        velocities: MIDI velocities 1-127 (NSynth: 25, 50, 75, 100, 127).
        sampling_rate: Hz (NSynth: 16000).
        duration_in_s: ``(note, clip)`` seconds: the key is held for ``note`` and the clip lasts
            ``clip`` (NSynth: 3 s in 4 s).
        channels: 1 for mono (NSynth), 2 for the synthesiser's stereo.
        gain_db: one gain for every note. +8 dB brings the loudest TimGM6mb note (velocity 127,
            peak about 0.33) to about 0.82 and a velocity-100 piano C4 from 0.05 to about 0.13.
        max_examples: render a seeded random subset of this many (program, pitch, velocity)
            combinations; ``None`` renders them all.
        seed: chooses the subset and the caption wording. The audio of a note never depends on it.
        soundfont: ``.sf2`` path; ``None`` uses the General MIDI SoundFont bundled with pretty_midi.
    """

    programs: Sequence[int] = DEFAULT_PROGRAMS
    pitches: tuple[int, int] = (21, 108)
    velocities: Sequence[int] = (25, 50, 75, 100, 127)
    sampling_rate: int = 16000
    duration_in_s: tuple[float, float] = (3.0, 4.0)
    channels: int = 1
    gain_db: float = 8.0
    max_examples: int | None = None
    seed: int = 0
    soundfont: str | None = None

    def __post_init__(self) -> None:
        self.programs = tuple(check_program(program) for program in self.programs)
        if not self.programs:
            raise ValueError("programs is empty; give at least one General MIDI program (0-127)")
        self.pitches = _check_pitch_range(self.pitches)
        self.velocities = tuple(_check_velocity(velocity) for velocity in self.velocities)
        if not self.velocities:
            raise ValueError("velocities is empty; give at least one MIDI velocity (1-127)")
        self.sampling_rate = check_sampling_rate(self.sampling_rate)
        note, clip = (float(seconds) for seconds in self.duration_in_s)
        if not 0 < note <= clip:
            raise ValueError(f"duration_in_s must be (note, clip) with 0 < note <= clip; got {self.duration_in_s}")
        self.duration_in_s = (note, clip)
        if self.channels not in (1, 2):
            raise ValueError(f"channels must be 1 or 2; got {self.channels!r}")
        if self.max_examples is not None and self.max_examples < 1:
            raise ValueError(f"max_examples must be >= 1 or None; got {self.max_examples}")
        if self.soundfont is not None:
            self.soundfont = str(resolve_soundfont(self.soundfont))

    def check_pitch(self, pitch: int) -> int:
        """Returns ``pitch`` if it is a MIDI pitch inside :attr:`pitches`, else raises ``ValueError``."""
        pitch = _check_midi_pitch(pitch)
        low, high = self.pitches
        if not low <= pitch <= high:
            raise ValueError(f"pitch {pitch} is outside this config's range {low}..{high}")
        return pitch

    def plan(self) -> list[tuple[int, int, int]]:
        """The (program, pitch, velocity) triples to render, sorted; a seeded subset if ``max_examples``."""
        low, high = self.pitches
        grid = [(p, n, v) for p in self.programs for n in range(low, high + 1) for v in self.velocities]
        if self.max_examples is None or self.max_examples >= len(grid):
            return grid
        picked = np.random.default_rng(self.seed).choice(len(grid), size=self.max_examples, replace=False)
        return [grid[index] for index in sorted(picked)]

    def cache_config(self) -> dict[str, Any]:
        """The config as JSON-able values, the SoundFont named by content (what the cache key hashes)."""
        values = dataclasses.asdict(self)
        values["soundfont"] = os.path.basename(self.soundfont) if self.soundfont else "TimGM6mb.sf2"
        values["soundfont_sha256"] = soundfont_digest(self.soundfont)
        return values


def note_id(program: int, pitch: int, velocity: int) -> str:
    """NSynth-style id, ``<family>_<program>-<pitch>-<velocity>``: "keyboard_000-060-100"."""
    return f"{family_of_program(program)}_{program:03d}-{pitch:03d}-{velocity:03d}"


def render_note(config: NoteDatasetConfig, program: int, pitch: int, velocity: int = 100) -> np.ndarray:
    """One note as float32 audio, (samples,) or (2, samples), with the config's length and gain.

    Raises ``ValueError`` for a program outside 0-127, a pitch outside the config's range or a
    velocity outside 1-127.
    """
    check_program(program)
    pitch, velocity = config.check_pitch(pitch), _check_velocity(velocity)
    note_in_s, clip_in_s = config.duration_in_s
    instrument = pretty_midi.Instrument(program=program)
    instrument.notes.append(pretty_midi.Note(velocity=velocity, pitch=pitch, start=0.0, end=note_in_s))
    score = pretty_midi.PrettyMIDI()
    score.instruments.append(instrument)
    audio = render_midi(score, config.sampling_rate, config.channels, clip_in_s, config.soundfont)
    return audio * np.float32(db_to_gain(config.gain_db))


def build_note_dataset(
    config: NoteDatasetConfig | None = None, cache_dir: str | os.PathLike | None = None, progress: bool = False
) -> datasets.Dataset:
    """Renders the notes ``config`` plans into a dataset with columns :data:`NOTE_FEATURES`.

    Notes a program cannot play audibly (RMS below -60 dBFS after the gain, e.g. a baritone sax
    at C6 in TimGM6mb) are skipped; ``build_info(dataset)["skipped"]`` lists their note ids, and
    ``["clipped"]`` the notes the fixed gain pushed past full scale (none with TimGM6mb).
    With ``cache_dir``, the dataset is saved there under a key from the config, and a second
    call with the same config loads it instead of rendering. The same config always gives the
    same audio bytes.
    """
    config = config or NoteDatasetConfig()

    def rows(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
        report["skipped"], report["clipped"] = [], []
        for program, pitch, velocity in tqdm(config.plan(), desc="rendering notes", unit="note", disable=not progress):
            identifier = note_id(program, pitch, velocity)
            audio = render_note(config, program, pitch, velocity)
            if level_db(audio) < SILENCE_DB:
                report["skipped"].append(identifier)
                continue
            if np.abs(audio).max() > 1.0:  # only with a louder SoundFont: lower gain_db
                report["clipped"].append(identifier)
            yield {
                "note_id": identifier,
                "audio": encode_audio(audio, config.sampling_rate, identifier),
                "sampling_rate": config.sampling_rate,
                "pitch": pitch,
                "velocity": velocity,
                "instrument": program,
                "instrument_name": program_name(program),
                "instrument_family": family_id(family_of_program(program)),
                "caption": note_caption(program, pitch, velocity, seed=config.seed),
            }

    return build_dataset("notes", config.cache_config(), rows, NOTE_FEATURES, cache_dir)


def _check_midi_pitch(pitch: object) -> int:
    return check_int(pitch, "pitch", minimum=0, maximum=127, hint=" (a MIDI note number)")


def _check_pitch_range(pitches: object) -> tuple[int, int]:
    if not isinstance(pitches, (tuple, list)) or len(pitches) != 2:
        raise ValueError(f"pitches must be a (lowest, highest) MIDI range; got {pitches!r}")
    low, high = (_check_midi_pitch(pitch) for pitch in pitches)
    if low > high:
        raise ValueError(f"pitches must be (lowest, highest) with lowest <= highest; got {pitches!r}")
    return low, high


def _check_velocity(velocity: object) -> int:
    return check_int(velocity, "velocity", minimum=1, maximum=127, hint=" (a MIDI velocity)")
