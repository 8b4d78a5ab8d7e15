"""Pitch names, MIDI numbers and frequencies (A4 = MIDI 69 = 440 Hz; C4 = MIDI 60)."""

from __future__ import annotations

import re

import numpy as np
import torch

_PITCH_CLASSES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
# "C4", "F#3", "Bb2", "c#-1"; or "note 60" / "midi 60" / "pitch 60".
_NOTE_NAME = re.compile(r"(?<![A-Za-z])([A-Ga-g])([#♯b♭]?)(-?\d)(?![\d])")
_MIDI_NUMBER = re.compile(r"\b(?:note|midi|pitch)\s*(\d{1,3})\b", re.IGNORECASE)


def note_to_midi(name: str) -> int:
    """"C4" -> 60, "F#3" -> 54, "Bb2" -> 46. Raises ValueError for anything else."""
    match = _NOTE_NAME.fullmatch(name.strip())
    if not match:
        raise ValueError(f"not a note name like 'C4' or 'F#3': {name!r}")
    letter, accidental, octave = match.groups()
    offset = {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(accidental, 0)
    return 12 * (int(octave) + 1) + _PITCH_CLASSES[letter.upper()] + offset


def midi_to_note(midi: int) -> str:
    """60 -> "C4" (sharps, scientific pitch notation)."""
    return f"{_NAMES[int(midi) % 12]}{int(midi) // 12 - 1}"


def midi_to_hz(midi: float | np.ndarray | torch.Tensor) -> float | np.ndarray | torch.Tensor:
    """MIDI numbers -> Hz; a tensor stays a (floating-point) tensor on its device."""
    if isinstance(midi, torch.Tensor):
        return 440.0 * 2.0 ** ((midi.float() - 69.0) / 12.0)
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


def hz_to_midi(hz: float | np.ndarray) -> float | np.ndarray:
    return 69.0 + 12.0 * np.log2(np.asarray(hz, dtype=np.float64) / 440.0)


def find_pitch(text: str) -> int | None:
    """The first pitch a prompt names, as a MIDI number: "a piano note, C4" -> 60, "note 62" -> 62.

    Returns None when the text names no pitch.
    """
    number = _MIDI_NUMBER.search(text)
    if number:
        return int(number.group(1))
    name = _NOTE_NAME.search(text)
    if name:
        return note_to_midi(name.group(0))
    return None
