"""``hfsynth data``: builds and saves datasets, renders one note, and fails with exit code 2 on bad input."""

from __future__ import annotations

import datasets
import numpy as np
import pytest

from hfsynth.audio.io import read_audio
from hfsynth.cli import USAGE_ERROR, main
from hfsynth.data import build_info


def test_note_writes_a_wav(tmp_path, capsys):
    out = tmp_path / "note.wav"
    args = ["data", "note", "--program", "0", "--pitch", "C4", "--clip-seconds", "1", "--note-seconds", "0.5"]
    assert main([*args, "--out", str(out)]) == 0
    audio, rate = read_audio(out)
    assert rate == 16000 and audio.shape == (16000,) and np.abs(audio).max() > 0.01
    assert "wrote" in capsys.readouterr().out


def test_notes_builds_a_dataset_folder(tmp_path, capsys):
    out = tmp_path / "notes"
    args = ["data", "notes", "--programs", "0,33", "--pitches", "C3-D3", "--velocities", "100",
            "--note-seconds", "0.2", "--clip-seconds", "0.3", "--max-examples", "4", "--out", str(out)]
    assert main(args) == 0
    dataset = datasets.load_from_disk(str(out))
    assert len(dataset) == 4 and set(dataset["pitch"]) <= {48, 49, 50}
    assert build_info(dataset)["config"]["max_examples"] == 4
    assert [path.name for path in tmp_path.iterdir()] == ["notes"]  # no temporary folders left
    assert "wrote 4 examples" in capsys.readouterr().out


def test_music_and_folder(tmp_path):
    music = tmp_path / "music"
    assert main(["data", "music", "--scores", "bach/bwv66.6", "--instruments", "40,42", "--clip-seconds", "3",
                 "--max-clips-per-score", "1", "--out", str(music)]) == 0
    dataset = datasets.load_from_disk(str(music))
    assert len(dataset) == 1 and dataset[0]["stem_programs"] == [40, 40, 42, 42]
    (tmp_path / "wavs").mkdir()
    assert main(["data", "note", "--pitch", "60", "--clip-seconds", "0.5", "--note-seconds", "0.3",
                 "--out", str(tmp_path / "wavs" / "c4.wav")]) == 0
    assert main(["data", "folder", str(tmp_path / "wavs"), "--out", str(tmp_path / "mine")]) == 0
    assert datasets.load_from_disk(str(tmp_path / "mine"))["file_name"] == ["c4.wav"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data", "note", "--soundfont", "/no/such.sf2", "--out", "{tmp}/x.wav"], "SoundFont not found: /no/such.sf2"),
        (["data", "note", "--pitch", "200", "--out", "{tmp}/x.wav"], "pitch must be an integer in [0, 127] (a MIDI note number)"),
        (["data", "note", "--pitch", "H2", "--out", "{tmp}/x.wav"], "not a note name"),
        (["data", "notes", "--pitches", "C2-C12", "--out", "{tmp}/n"], "--pitches must be a MIDI range"),
        (["data", "notes", "--programs", "0,x", "--out", "{tmp}/n"], "--programs must be comma-separated integers"),
        (["data", "music", "--scores", "no_such_work", "--out", "{tmp}/m"], "no score found for 'no_such_work'"),
        (["data", "paired", "--instruments-b", "kazoo", "--out", "{tmp}/p"], "unknown ensemble 'kazoo'"),
        (["data", "music", "--instruments", "Soprano=flute", "--out", "{tmp}/m"], "pairs must look like Soprano=73"),
        (["data", "folder", "{tmp}", "--out", "{tmp}/f"], "no audio files"),
        (["data", "folder", "{tmp}", "--out", "{tmp}"], "output folder already exists"),
    ],
)
def test_bad_input_exits_2_with_a_message(tmp_path, capsys, args, message):
    assert main([arg.format(tmp=tmp_path) for arg in args]) == USAGE_ERROR
    error = capsys.readouterr().err
    assert error.startswith("hfsynth data: error:") and message in error
