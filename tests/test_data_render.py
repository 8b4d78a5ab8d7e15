"""SoundFont loading and MIDI rendering: lengths, channels, inputs, clear errors."""

from __future__ import annotations

import shutil

import numpy as np
import pretty_midi
import pytest

from hfsynth.data.render import fit_length, load_midi, midi_to_bytes, render_midi
from hfsynth.data.soundfont import DEFAULT_SOUNDFONT, load_soundfont, resolve_soundfont, soundfont_digest


def one_note(program: int = 0, pitch: int = 60, end: float = 0.5) -> pretty_midi.PrettyMIDI:
    midi = pretty_midi.PrettyMIDI()
    instrument = pretty_midi.Instrument(program=program)
    instrument.notes.append(pretty_midi.Note(velocity=100, pitch=pitch, start=0.0, end=end))
    midi.instruments.append(instrument)
    return midi


def test_default_soundfont_loads_and_is_cached():
    assert DEFAULT_SOUNDFONT.is_file()
    data = load_soundfont()
    assert data[:4] == b"RIFF" and data[8:12] == b"sfbk"
    assert load_soundfont() is data  # read once
    assert len(soundfont_digest()) == 64


def test_user_soundfont_path_works(tmp_path):
    copy = tmp_path / "mine.sf2"
    shutil.copyfile(DEFAULT_SOUNDFONT, copy)
    assert resolve_soundfont(str(copy)) == copy
    audio = render_midi(one_note(), duration_in_s=0.5, soundfont=copy)
    assert np.array_equal(audio, render_midi(one_note(), duration_in_s=0.5))


def test_unknown_or_unreadable_soundfont_is_a_value_error_naming_it(tmp_path):
    with pytest.raises(ValueError, match="SoundFont not found: .*nope.sf2"):
        load_soundfont(tmp_path / "nope.sf2")
    fake = tmp_path / "fake.sf2"
    fake.write_bytes(b"not a soundfont at all")
    with pytest.raises(ValueError, match=f"not a SoundFont 2 .*{fake.name}"):
        render_midi(one_note(), soundfont=fake)


def test_render_lengths_channels_and_level():
    mono = render_midi(one_note(end=0.5), sampling_rate=16000, duration_in_s=1.0)
    assert mono.shape == (16000,) and mono.dtype == np.float32
    assert np.abs(mono).max() > 0.01
    # The release keeps ringing after the key is let go (the renderer is kept running).
    assert np.abs(mono[8800:]).max() > 1e-4
    stereo = render_midi(one_note(end=0.5), sampling_rate=22050, channels=2, duration_in_s=0.25)
    assert stereo.shape == (2, 5512)
    natural = render_midi(one_note(end=0.5), sampling_rate=8000)
    assert natural.shape == (int(round(1.5 * 8000)),)  # last event + 1 s release tail


def test_render_accepts_bytes_and_paths_and_never_changes_the_callers_midi(tmp_path):
    midi = one_note()
    path = tmp_path / "note.mid"
    path.write_bytes(midi_to_bytes(midi))
    from_object = render_midi(midi, duration_in_s=1.0)
    assert len(midi.instruments[0].control_changes) == 0
    assert np.array_equal(from_object, render_midi(midi_to_bytes(midi), duration_in_s=1.0))
    assert np.array_equal(from_object, render_midi(str(path), duration_in_s=1.0))


def test_bad_midi_inputs_are_value_errors(tmp_path):
    with pytest.raises(ValueError, match="MIDI file not found"):
        render_midi(tmp_path / "missing.mid")
    with pytest.raises(ValueError, match="cannot parse MIDI bytes"):
        load_midi(b"garbage")
    with pytest.raises(ValueError, match="no notes"):
        render_midi(pretty_midi.PrettyMIDI())
    assert not render_midi(pretty_midi.PrettyMIDI(), duration_in_s=0.1).any()
    with pytest.raises(ValueError, match="channels"):
        render_midi(one_note(), channels=3)


def test_fit_length_trims_and_pads_the_last_axis():
    audio = np.ones((2, 5), dtype=np.float32)
    assert fit_length(audio, 3).shape == (2, 3)
    padded = fit_length(audio, 8)
    assert padded.shape == (2, 8) and not padded[:, 5:].any()
