"""Text captions from labels, so text-conditioned models train on the data engine's output.

Captions are built from true labels only (family, pitch, velocity, tempo, level) and name the
instrument family with the words in :data:`FAMILY_WORDS`, so a caption can be read back into
labels (:func:`find_family`, :func:`hfsynth.audio.pitch.find_pitch`). The wording varies a
little, chosen by a seed, so the same labels and seed always give the same caption.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from ..audio.pitch import midi_to_note
from .instruments import INSTRUMENT_FAMILIES, family_of_program, program_name

#: Words that name each NSynth family in captions; the first is the family's own name.
FAMILY_WORDS: dict[str, tuple[str, ...]] = {
    "bass": ("bass",),
    "brass": ("brass",),
    "flute": ("flute",),
    "guitar": ("guitar",),
    "keyboard": ("keyboard",),
    "mallet": ("mallet",),
    "organ": ("organ",),
    "reed": ("reed",),
    "string": ("string", "strings"),
    "synth_lead": ("synth lead", "synth"),
    "vocal": ("vocal", "voice"),
}
# Instrument nouns in General MIDI program names and the family they belong to. A noun is used
# only when its family is the program's family ("English Horn" is a reed, so it never says "horn").
_PROGRAM_NOUNS: dict[str, str] = {
    "piano": "keyboard", "harpsichord": "keyboard", "sax": "reed", "clarinet": "reed", "oboe": "reed",
    "bassoon": "reed", "violin": "string", "viola": "string", "cello": "string", "harp": "string",
    "trumpet": "brass", "trombone": "brass", "tuba": "brass", "horn": "brass", "choir": "vocal",
    "marimba": "mallet", "xylophone": "mallet", "vibraphone": "mallet", "piccolo": "flute", "recorder": "flute",
}
_WORD_TO_FAMILY: dict[str, str] = {
    **{word: family for family, words in FAMILY_WORDS.items() for word in words},
    **_PROGRAM_NOUNS,
}
assert set(FAMILY_WORDS) == set(INSTRUMENT_FAMILIES)

_DYNAMICS = (  # (highest velocity, words)
    (48, ("soft", "quiet", "gentle")),
    (88, ("medium-loud", "moderately loud")),
    (127, ("loud", "strong", "forceful")),
)
_TEMPI = ((75.0, "slow"), (120.0, "moderate"), (float("inf"), "fast"))  # (highest bpm, word)
_LEVELS = ((-30.0, "soft"), (-20.0, "moderately loud"), (float("inf"), "loud"))  # (highest dBFS, word)

_NOTE_TEMPLATES = (
    "a {dynamic} {register} {noun} note, {note}",
    "{noun} note {note}, {register} register, {dynamic}",
    "a {register}-pitched {noun} playing {note}, {dynamic}",
    "{dynamic} {noun}, {note} ({register} register)",
)
_MUSIC_TEMPLATES = (
    "a {tempo} {ensemble} at {bpm} bpm, {register} register, {level}",
    "{ensemble} playing at a {tempo} {bpm} bpm, {level}, {register} register",
    "{level} {ensemble} music, {tempo} tempo ({bpm} bpm), {register} register",
)


def register_word(pitch: float) -> str:
    """"low" below C3 (MIDI 48), "high" from C5 (MIDI 72), "mid" between."""
    return "low" if pitch < 48 else "high" if pitch >= 72 else "mid"


def tempo_word(bpm: float) -> str:
    """"slow" up to 75 bpm, "moderate" up to 120, "fast" above."""
    return next(word for top, word in _TEMPI if bpm <= top)


def family_words(program: int) -> tuple[str, ...]:
    """Words that truthfully name ``program``'s family: the family words and its own noun ("sax")."""
    family = family_of_program(program)
    tokens = re.findall(r"[a-z]+", program_name(program).lower())
    nouns = tuple(token for token in tokens if _PROGRAM_NOUNS.get(token) == family)
    return FAMILY_WORDS[family] + tuple(dict.fromkeys(nouns))


def find_family(text: str) -> str | None:
    """The first instrument family a caption names ("a loud low bass note, E1" -> "bass"), or None."""
    lowered = text.lower()
    for match in re.finditer(r"[a-z]+(?: lead)?", lowered):
        word = match.group(0)
        family = _WORD_TO_FAMILY.get(word) or _WORD_TO_FAMILY.get(word.split()[0])
        if family:
            return family
    return None


#: A note name as :func:`~hfsynth.audio.pitch.midi_to_note` writes it ("C4", "F#3", "A-1").
_NOTE_NAME = re.compile(r"(?<![A-Za-z])[A-G]#?-?\d+\b")


def drop_note_names(caption: str) -> str:
    """The caption without its note names, e.g. "a loud low organ note, E2" -> "a loud low organ note".

    Captions name a note's register and its note, and the note name alone fixes the pitch; training
    on some captions without it makes the register word carry its meaning on its own.
    """
    text = _NOTE_NAME.sub("", caption)
    text = re.sub(r"\s+([,)])", r"\1", text)             # "note , loud" -> "note, loud"
    text = re.sub(r",\s*(?=,|$| and\b)", "", text)         # a clause left empty
    text = re.sub(r",\s*(?=\()", " ", text)                # "organ, (low register)" -> "organ (low register)"
    return re.sub(r"\s{2,}", " ", text).strip()


def note_caption(program: int, pitch: int, velocity: int, seed: int | str = 0) -> str:
    """A caption for one note, e.g. "a soft mid piano note, C4" or "bass note E1, low register, loud"."""
    rng = random.Random(f"note:{seed}:{program}:{pitch}:{velocity}")
    dynamic = next(words for top, words in _DYNAMICS if velocity <= top)
    return rng.choice(_NOTE_TEMPLATES).format(
        dynamic=rng.choice(dynamic),
        register=register_word(pitch),
        noun=rng.choice(family_words(program)),
        note=midi_to_note(pitch),
    )


def music_caption(
    programs: Sequence[int],
    bpm: float,
    mean_pitch: float,
    level_db: float,
    ensemble: str | None = None,
    seed: int | str = 0,
) -> str:
    """A caption for a music clip, e.g. "a fast string quartet at 140 bpm, mid register, loud".

    Args:
        programs: General MIDI programs of the parts playing (drums excluded).
        mean_pitch: mean MIDI pitch of the clip's notes (gives the register word).
        level_db: RMS level of the clip in dBFS (gives "soft" / "moderately loud" / "loud").
        ensemble: a name for the group ("string quartet"); families it does not name are added
            in brackets. ``None`` lists the families instead ("keyboard and bass").
    """
    rng = random.Random(f"music:{seed}:{ensemble}:{list(programs)}:{round(bpm)}")
    nouns = list(dict.fromkeys(rng.choice(FAMILY_WORDS[family_of_program(program)]) for program in programs))
    if ensemble is None:
        group = _join(nouns) if nouns else "percussion"
    else:
        named = {find_family(word) for word in ensemble.split()}
        missing = [noun for noun in nouns if find_family(noun) not in named]
        group = f"{ensemble} ({_join(missing)})" if missing else ensemble
    return rng.choice(_MUSIC_TEMPLATES).format(
        tempo=tempo_word(bpm),
        ensemble=group,
        bpm=round(bpm),
        register=register_word(mean_pitch),
        level=next(word for top, word in _LEVELS if level_db <= top),
    )


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
