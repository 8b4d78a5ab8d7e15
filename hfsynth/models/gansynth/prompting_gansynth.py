"""From what a user types to the pitch a GANSynth plays: "C4", "F#3", "note 60" -> a MIDI number.

GANSynth is conditioned on pitch alone (the timbre comes from the latent), so a prompt only has to
name a pitch inside the range the model was trained on. The byte tokenizer and prompt decoding are
shared with the other prompt-reading models (:mod:`hfsynth.models.prompting`).
"""

from __future__ import annotations

import numbers

from ...audio.pitch import find_pitch, midi_to_note
from .configuration_gansynth import GANSynthConfig


def pitch_range_text(config: GANSynthConfig) -> str:
    """"C2 (36) to C6 (84)": the range, by name and MIDI number, for error messages."""
    low, high = config.pitch_min, config.pitch_max
    return f"{midi_to_note(low)} ({low}) to {midi_to_note(high)} ({high})"


def check_pitch(pitch: int, config: GANSynthConfig) -> int:
    """``pitch`` as an int if it is a MIDI number inside the model's range, else ``ValueError``."""
    if isinstance(pitch, bool) or not isinstance(pitch, numbers.Integral):
        raise ValueError(f"a pitch is a MIDI number (60) or a note name ('C4'); got {pitch!r}")
    if not config.pitch_min <= pitch <= config.pitch_max:
        name = midi_to_note(pitch) if 0 <= pitch <= 127 else "not a MIDI pitch"
        raise ValueError(f"pitch {pitch} ({name}) is outside this model's range {pitch_range_text(config)}")
    return int(pitch)


def pitch_for_prompt(prompt: str, config: GANSynthConfig) -> int:
    """The MIDI pitch a prompt names ("a bright C4" -> 60, "note 62" -> 62), checked against the range.

    Raises ``ValueError`` naming the range when the prompt names no pitch or one the model cannot play.
    """
    pitch = find_pitch(prompt)
    if pitch is None:
        raise ValueError(
            f"the prompt {prompt!r} names no pitch; name one from {pitch_range_text(config)}, "
            "e.g. 'C4', 'F#3' or 'note 60'"
        )
    return check_pitch(pitch, config)


def resolve_pitch(pitch: int | str, config: GANSynthConfig) -> int:
    """A pitch given as a MIDI number or as text ("C4", "note 60") -> a checked MIDI number."""
    return pitch_for_prompt(pitch, config) if isinstance(pitch, str) else check_pitch(pitch, config)
