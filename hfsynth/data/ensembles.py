"""Which General MIDI program plays each part of a score: named ensembles, lists or part names.

Programs are listed top voice first. A score with a different number of parts than the list
spreads the list over its parts (a 2-part score with a string quartet gets violin and cello).
A mapping names parts instead ({"Soprano": 73, "Bass": 32}); parts it does not name keep their
own program.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .instruments import check_program


@dataclass(frozen=True)
class Ensemble:
    """A named group of instruments: ``description`` goes into captions, ``programs`` top voice first."""

    description: str
    programs: tuple[int, ...]


ENSEMBLES: dict[str, Ensemble] = {
    "string_quartet": Ensemble("string quartet", (40, 40, 41, 42)),  # violin, violin, viola, cello
    "piano": Ensemble("solo piano", (0,)),
    "piano_bass": Ensemble("piano and bass", (0, 0, 0, 32)),  # piano hands, acoustic bass
    "brass_quartet": Ensemble("brass quartet", (56, 56, 57, 58)),  # trumpet, trumpet, trombone, tuba
    "woodwind_quartet": Ensemble("woodwind quartet", (73, 68, 71, 70)),  # flute, oboe, clarinet, bassoon
    "choir": Ensemble("choir", (52,)),
    "organ": Ensemble("organ", (19,)),
    "guitar_bass": Ensemble("guitar and bass", (24, 24, 24, 33)),  # nylon guitar, finger bass
    "synth": Ensemble("synth band", (80, 81, 89, 38)),  # square lead, saw lead, warm pad, synth bass
}

#: An ensemble name, programs top voice first, part name -> program, or ``None`` (the score's own).
Instruments = str | Sequence[int] | Mapping[str, int] | None


def check_instruments(instruments: Instruments) -> Instruments:
    """Validates an :data:`Instruments` value: a name, a tuple of programs, a dict or None."""
    if instruments is None:
        return None
    if isinstance(instruments, str):
        if instruments not in ENSEMBLES:
            raise ValueError(f"unknown ensemble {instruments!r}; known: {', '.join(ENSEMBLES)}")
        return instruments
    if isinstance(instruments, Mapping):
        if not instruments:
            raise ValueError("instruments is an empty mapping; name at least one part, e.g. {'Bass': 32}")
        return {str(name): check_program(program) for name, program in instruments.items()}
    programs = tuple(check_program(program) for program in instruments)
    if not programs:
        raise ValueError("instruments is an empty program list; give at least one General MIDI program")
    return programs


def spread_programs(programs: Sequence[int], num_parts: int) -> list[int]:
    """Assigns ``programs`` (top voice first) to ``num_parts`` parts, keeping top and bottom voices."""
    if num_parts == 1 or len(programs) == 1:
        return [programs[0]] * num_parts
    return [programs[round(index * (len(programs) - 1) / (num_parts - 1))] for index in range(num_parts)]


def ensemble_description(instruments: Instruments) -> str | None:
    """The caption phrase for a named ensemble ("string quartet"); None for program lists and None."""
    return ENSEMBLES[instruments].description if isinstance(instruments, str) else None


def instruments_label(instruments: Instruments) -> str:
    """A short label for a dataset column: the ensemble name, "programs 40,42", "Bass=32" or "score"."""
    if instruments is None:
        return "score"
    if isinstance(instruments, str):
        return instruments
    if isinstance(instruments, Mapping):
        return ",".join(f"{name}={program}" for name, program in instruments.items())
    return "programs " + ",".join(str(program) for program in instruments)


def resolve_programs(instruments: Instruments, names: Sequence[str], own_programs: Sequence[int]) -> list[int]:
    """The program of each (non-drum) part, given the parts' names and own programs (top voice first)."""
    if instruments is None:
        return list(own_programs)
    if isinstance(instruments, Mapping):
        return [instruments.get(name, own) for name, own in zip(names, own_programs)]
    programs = ENSEMBLES[instruments].programs if isinstance(instruments, str) else tuple(instruments)
    return spread_programs(programs, len(own_programs))
