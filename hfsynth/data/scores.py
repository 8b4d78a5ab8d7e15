"""Scores to render: music21 corpus works, MusicXML/Humdrum/ABC files and MIDI files, as timed notes.

Every source becomes a :class:`Score`: parts of ``pretty_midi.Note`` in seconds at one known tempo,
ordered top voice first (by mean pitch; drums last), so ensembles map onto parts the same way
whatever the source.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pretty_midi

from .render import load_midi

MIDI_SUFFIXES = (".mid", ".midi")
SCORE_SUFFIXES = (".mxl", ".musicxml", ".xml", ".krn", ".abc")
#: Tempo of music21 scores that have no metronome mark.
DEFAULT_BPM = 100.0


@dataclass
class ScorePart:
    name: str
    program: int
    is_drum: bool = False
    notes: list[pretty_midi.Note] = field(default_factory=list)

    @property
    def mean_pitch(self) -> float:
        return float(np.mean([note.pitch for note in self.notes]))


@dataclass
class Score:
    """A piece as timed notes. ``source`` names it (corpus path or file); ``bpm`` is its tempo."""

    source: str
    bpm: float
    parts: list[ScorePart]

    @property
    def end_in_s(self) -> float:
        return max(note.end for part in self.parts for note in part.notes)

    def part_midi(self, index: int, program: int | None = None) -> pretty_midi.PrettyMIDI:
        """Part ``index`` alone as MIDI, played by ``program`` (default: the part's own)."""
        part = self.parts[index]
        instrument = pretty_midi.Instrument(
            program=part.program if program is None else program, is_drum=part.is_drum, name=part.name
        )
        instrument.notes = list(part.notes)
        midi = pretty_midi.PrettyMIDI(initial_tempo=self.bpm)
        midi.instruments.append(instrument)
        return midi


def resolve_sources(entries: Sequence[str | os.PathLike], max_scores: int | None = None, seed: int = 0) -> list[str]:
    """Score files named by ``entries``, in order, without repeats.

    An entry is a score or MIDI file, a folder (its MIDI and score files, recursively), a music21
    corpus path ("bach/bwv66.6") or a composer in the music21 corpus ("bach": all their works).
    ``max_scores`` keeps a seeded random subset. Raises ``ValueError`` for an entry that names nothing.
    """
    found: list[str] = []
    for entry in entries:
        found.extend(_resolve_entry(entry))
    found = list(dict.fromkeys(found))
    if max_scores is not None and max_scores < len(found):
        picked = np.random.default_rng(seed).choice(len(found), size=max_scores, replace=False)
        found = [found[index] for index in sorted(picked)]
    return found


def source_name(path: str) -> str:
    """A short, machine-independent name: corpus files relative to the corpus ("bach/bwv66.6.mxl")."""
    corpus_root = _corpus_root()
    resolved = Path(path).resolve()
    return resolved.relative_to(corpus_root).as_posix() if resolved.is_relative_to(corpus_root) else resolved.name


def source_digest(path: str) -> str:
    """SHA-256 of a source file's bytes (cache keys change when a user's MIDI file changes)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def clip_prefix(source: str) -> str:
    """``source`` as an id prefix: "bach/bwv66.6.mxl" -> "bach_bwv66.6"."""
    return re.sub(r"[^A-Za-z0-9.]+", "_", Path(source).with_suffix("").as_posix()).strip("_")


def load_score(path: str | os.PathLike, bpm: float | None = None, velocity: int = 80) -> Score:
    """Reads a score or MIDI file.

    Args:
        bpm: play at this tempo (quarter notes per minute); ``None`` keeps the file's first tempo
            (music21 scores without a metronome mark: :data:`DEFAULT_BPM`).
        velocity: for notes without their own dynamics (most MusicXML scores).

    Raises ``ValueError`` when the file cannot be read or has no notes.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"score file not found: {path}")
    if bpm is not None and not bpm > 0:
        raise ValueError(f"bpm must be positive; got {bpm}")
    if path.suffix.lower() in MIDI_SUFFIXES:
        file_bpm, parts = _midi_parts(path, bpm)
    else:
        file_bpm, parts = _music21_parts(path, bpm, velocity)
    parts = [part for part in parts if part.notes]
    if not parts:
        raise ValueError(f"score {path} has no notes to render")
    parts.sort(key=lambda part: (part.is_drum, -part.mean_pitch))
    return Score(source=source_name(str(path)), bpm=float(bpm or file_bpm), parts=parts)


def _resolve_entry(entry: str | os.PathLike) -> list[str]:
    path = Path(entry).expanduser()
    suffixes = MIDI_SUFFIXES + SCORE_SUFFIXES
    if path.is_dir():
        files = sorted(str(file) for file in path.rglob("*") if file.is_file() and file.suffix.lower() in suffixes)
        if not files:
            raise ValueError(f"no MIDI or score files ({', '.join(suffixes)}) in folder {path}")
        return files
    if path.is_file():
        return [str(path)]
    from music21 import corpus
    from music21.exceptions21 import CorpusException

    composer_works = corpus.getComposer(str(entry))
    if composer_works:
        return sorted(str(work) for work in composer_works)
    try:
        work = corpus.getWork(str(entry))
    except CorpusException:
        work = []
    works = work if isinstance(work, list) else [work]
    if not works:
        raise ValueError(
            f"no score found for {str(entry)!r}: not a file, a folder, a music21 corpus path (e.g. 'bach/bwv66.6') "
            "or a composer in the music21 corpus (e.g. 'bach')"
        )
    return [str(work) for work in works]


def _midi_parts(path: Path, bpm: float | None) -> tuple[float, list[ScorePart]]:
    midi = load_midi(path)
    _, tempi = midi.get_tempo_changes()
    file_bpm = float(tempi[0]) if len(tempi) else 120.0
    stretch = file_bpm / bpm if bpm else 1.0
    parts = []
    for instrument in midi.instruments:
        default_name = "Drums" if instrument.is_drum else pretty_midi.program_to_instrument_name(instrument.program)
        name = instrument.name.strip() or default_name
        notes = [
            pretty_midi.Note(note.velocity, note.pitch, note.start * stretch, note.end * stretch)
            for note in instrument.notes
            if note.end > note.start
        ]
        parts.append(ScorePart(name, int(instrument.program), instrument.is_drum, notes))
    return file_bpm, parts


def _music21_parts(path: Path, bpm: float | None, velocity: int) -> tuple[float, list[ScorePart]]:
    import music21

    try:
        score = music21.converter.parse(str(path))
    except Exception as error:  # music21 raises many types for unreadable files
        raise ValueError(f"cannot parse score {path}: {error}") from error
    if isinstance(score, music21.stream.Opus):  # a collection (e.g. an ABC song book): its first piece
        if not score.scores:
            raise ValueError(f"score collection {path} holds no scores")
        score = score.scores[0]
    marks = score.flatten().getElementsByClass(music21.tempo.MetronomeMark)
    file_bpm = next((mark.getQuarterBPM() for mark in marks if mark.getQuarterBPM()), None) or DEFAULT_BPM
    seconds_per_quarter = 60.0 / (bpm or file_bpm)
    parts = []
    for index, part in enumerate(score.parts if isinstance(score, music21.stream.Score) and score.parts else [score]):
        notes = []
        for element in part.flatten().stripTies().notes:
            length = float(element.quarterLength)
            if length <= 0:  # grace notes take no time
                continue
            start = float(element.offset) * seconds_per_quarter
            loudness = element.volume.velocity or velocity
            for pitch in getattr(element, "pitches", ()):
                notes.append(pretty_midi.Note(loudness, pitch.midi, start, start + length * seconds_per_quarter))
        instrument = part.getInstrument(returnDefault=False) if hasattr(part, "getInstrument") else None
        program = instrument.midiProgram if instrument is not None and instrument.midiProgram is not None else 0
        parts.append(ScorePart(part.partName or f"Part {index + 1}", program, False, notes))
    return file_bpm, parts


def _corpus_root() -> Path:
    import music21

    return (Path(music21.__file__).parent / "corpus").resolve()
