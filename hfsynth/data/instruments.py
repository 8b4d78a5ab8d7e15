"""General MIDI programs and the NSynth instrument families they fall into.

One vocabulary for the data engine (labels, captions), the evaluation classifier and the
text-conditioned models, so a "string" in a caption means the same thing everywhere.
"""

from __future__ import annotations

import pretty_midi

from ..validation import check_int

#: NSynth's eleven instrument families, in its label order.
INSTRUMENT_FAMILIES: tuple[str, ...] = (
    "bass", "brass", "flute", "guitar", "keyboard", "mallet", "organ", "reed", "string", "synth_lead", "vocal",
)

# (first program, last program, family) over General MIDI's 128 melodic programs.
_FAMILY_RANGES: tuple[tuple[int, int, str], ...] = (
    (0, 7, "keyboard"),      # pianos
    (8, 15, "mallet"),       # chromatic percussion: celesta .. dulcimer
    (16, 23, "organ"),
    (24, 31, "guitar"),
    (32, 39, "bass"),
    (40, 51, "string"),      # solo strings, ensembles, synth strings
    (52, 54, "vocal"),       # choir aahs, voice oohs, synth voice
    (55, 55, "string"),      # orchestra hit
    (56, 63, "brass"),
    (64, 71, "reed"),        # saxophones, oboe, english horn, bassoon, clarinet
    (72, 79, "flute"),       # piccolo .. ocarina
    (80, 87, "synth_lead"),
    (88, 95, "synth_lead"),  # pads: sustained synth tones
    (96, 103, "synth_lead"),  # synth effects
    (104, 111, "guitar"),    # ethnic plucked: sitar, banjo, shamisen, koto ...
    (112, 119, "mallet"),    # percussive: tinkle bell, steel drums, woodblock ...
    (120, 127, "synth_lead"),  # sound effects
)


def check_program(program: int) -> int:
    """Returns ``program`` if it is a General MIDI program number (0-127), else raises ValueError."""
    return check_int(program, "General MIDI program", minimum=0, maximum=127)


def family_of_program(program: int) -> str:
    """The NSynth instrument family of a General MIDI program."""
    check_program(program)
    return next(family for first, last, family in _FAMILY_RANGES if first <= program <= last)


def program_name(program: int) -> str:
    """General MIDI name of ``program``, e.g. 0 -> "Acoustic Grand Piano"."""
    return pretty_midi.program_to_instrument_name(check_program(program))


def family_id(family: str) -> int:
    """Index of ``family`` in :data:`INSTRUMENT_FAMILIES`."""
    if family not in INSTRUMENT_FAMILIES:
        raise ValueError(f"unknown instrument family {family!r}; known: {', '.join(INSTRUMENT_FAMILIES)}")
    return INSTRUMENT_FAMILIES.index(family)
