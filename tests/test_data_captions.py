"""Captions: true to the labels, readable back into labels, seeded and a little varied."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from hfsynth.audio.pitch import find_pitch, midi_to_hz
from hfsynth.data.captions import (
    FAMILY_WORDS,
    drop_note_names,
    family_words,
    find_family,
    music_caption,
    note_caption,
    register_word,
    tempo_word,
)
from hfsynth.data.instruments import INSTRUMENT_FAMILIES, family_of_program


@pytest.mark.parametrize("program", range(0, 128, 3))
def test_note_captions_name_family_pitch_and_register(program):
    family = family_of_program(program)
    for pitch, register in ((28, "low"), (60, "mid"), (84, "high")):
        caption = note_caption(program, pitch, 100, seed=7)
        assert find_family(caption) == family, caption
        assert find_pitch(caption) == pitch, caption
        named = {word for word in ("low", "mid", "high") if re.search(rf"\b{word}\b", caption)}
        assert named == {register}, caption


def test_examples_read_naturally():
    assert note_caption(33, 28, 127, seed=0).count("E1") == 1
    assert any(note_caption(0, 60, 30, seed=seed) == "a soft mid piano note, C4" for seed in range(50))


def test_captions_are_seeded_and_varied():
    assert note_caption(0, 60, 100, seed=1) == note_caption(0, 60, 100, seed=1)
    assert len({note_caption(0, 60, 100, seed=seed) for seed in range(20)}) >= 4


def test_dynamics_follow_velocity():
    assert any(word in note_caption(40, 60, 20) for word in ("soft", "quiet", "gentle"))
    assert any(word in note_caption(40, 60, 120) for word in ("loud", "strong", "forceful"))


def test_family_words_never_borrow_another_family():
    assert set(FAMILY_WORDS) == set(INSTRUMENT_FAMILIES)
    assert "horn" not in family_words(69)  # English horn is a reed
    assert "horn" in family_words(60)  # French horn is brass
    assert "sax" in family_words(65) and "piano" in family_words(0)
    for program in range(128):
        assert {find_family(word) for word in family_words(program)} == {family_of_program(program)}


def test_register_and_tempo_words():
    assert [register_word(pitch) for pitch in (47, 48, 71, 72)] == ["low", "mid", "mid", "high"]
    assert [tempo_word(bpm) for bpm in (60, 100, 140)] == ["slow", "moderate", "fast"]


def test_music_captions():
    caption = music_caption([40, 40, 41, 42], bpm=140, mean_pitch=60, level_db=-12, ensemble="string quartet", seed=0)
    assert "fast" in caption and "string quartet" in caption and "140 bpm" in caption and "mid" in caption
    woodwinds = music_caption([73, 68, 71, 70], bpm=70, mean_pitch=75, level_db=-35, ensemble="woodwind quartet")
    assert "slow" in woodwinds and "(flute and reed)" in woodwinds and "high" in woodwinds and "soft" in woodwinds
    listed = music_caption([0, 32], bpm=100, mean_pitch=40, level_db=-25)
    assert find_family(listed) in ("keyboard", "bass") and "bass" in listed and "low" in listed
    assert find_pitch(listed) is None  # a bpm number is never read as a pitch


def test_midi_to_hz_takes_numbers_arrays_and_tensors():
    assert midi_to_hz(69) == 440.0 and np.allclose(midi_to_hz(np.array([57, 81])), [220.0, 880.0])
    hz = midi_to_hz(torch.tensor([57, 69]))
    assert isinstance(hz, torch.Tensor) and torch.allclose(hz, torch.tensor([220.0, 440.0]))


@pytest.mark.parametrize("caption, without_notes", [
    ("a medium-loud low organ note, E2", "a medium-loud low organ note"),
    ("bass note E1, low register, loud", "bass note, low register, loud"),
    ("loud keyboard, F#3 (mid register)", "loud keyboard (mid register)"),
    ("a high-pitched voice playing G#5, strong", "a high-pitched voice playing, strong"),
    ("a soft flute note, C4 and a loud bass note, A-1", "a soft flute note and a loud bass note"),
    ("a fast string quartet at 140 bpm, mid register, loud", "a fast string quartet at 140 bpm, mid register, loud"),
])
def test_note_names_can_be_dropped_and_the_rest_reads_naturally(caption, without_notes):
    assert drop_note_names(caption) == without_notes
    assert find_pitch(drop_note_names(caption)) is None and find_family(drop_note_names(caption)) == find_family(caption)


def test_every_note_caption_loses_exactly_its_note_name():
    for program, pitch in [(0, 40), (33, 61), (52, 80), (73, 84), (24, 36)]:
        caption = note_caption(program, pitch, 100, seed=pitch)
        dropped = drop_note_names(caption)
        assert find_pitch(dropped) is None and register_word(pitch) in dropped and "  " not in dropped
