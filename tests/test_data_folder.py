"""A user's audio folder as a dataset: same audio layout, metadata captions, resampling on decode, errors."""

from __future__ import annotations

import numpy as np
import pytest

from hfsynth.audio.io import write_audio
from hfsynth.data import AUDIO_FEATURE, as_torch, decode_audio, load_audio_folder


@pytest.fixture()
def folder(tmp_path):
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)
    write_audio(tmp_path / "a.wav", tone, 22050)
    write_audio(tmp_path / "takes" / "b.flac", np.stack([tone[:11025], tone[:11025]]), 44100)
    (tmp_path / "notes.txt").write_text("not audio, ignored")
    metadata = "file_name,caption,take\na.wav,a sine at A4,1\ntakes/b.flac,a short stereo sine,2\n"
    (tmp_path / "metadata.csv").write_text(metadata)
    return tmp_path


def test_rows_columns_and_metadata(folder):
    dataset = load_audio_folder(folder)
    assert dataset["file_name"] == ["a.wav", "takes/b.flac"]
    assert dataset["caption"] == ["a sine at A4", "a short stereo sine"] and dataset["take"] == [1, 2]
    assert dataset["duration_in_s"] == [1.0, 0.25]
    assert dataset.features["audio"] == AUDIO_FEATURE  # Audio(decode=False), as the rendered sets
    audio, rate = decode_audio(dataset[1]["audio"], channels=None)
    assert rate == 44100 and audio.shape == (2, 11025)
    assert dataset[1]["audio"]["bytes"] == (folder / "takes" / "b.flac").read_bytes()  # stored as is


def test_resampled_on_decode(folder):
    dataset = load_audio_folder(folder, sampling_rate=16000)
    assert dataset.features["audio"].sampling_rate == 16000 and not dataset.features["audio"].decode
    batch = as_torch(dataset)[:]
    assert [tuple(audio.shape) for audio in batch["audio"]] == [(16000,), (4000,)]
    assert batch["take"].tolist() == [1, 2] and batch["caption"][0] == "a sine at A4"
    array, rate = decode_audio(dataset[0]["audio"], sampling_rate=8000)
    assert rate == 8000 and array.shape == (8000,)


def test_folder_without_metadata(tmp_path):
    write_audio(tmp_path / "x.wav", np.zeros(100, dtype=np.float32), 8000)
    dataset = load_audio_folder(tmp_path)
    assert dataset.column_names == ["audio", "file_name", "duration_in_s"] and len(dataset) == 1


def test_bad_folders_are_value_errors(tmp_path):
    with pytest.raises(ValueError, match="audio folder not found"):
        load_audio_folder(tmp_path / "missing")
    (tmp_path / "readme.txt").write_text("no audio here")
    with pytest.raises(ValueError, match="no audio files .* in folder"):
        load_audio_folder(tmp_path)
    (tmp_path / "broken.wav").write_bytes(b"RIFF....WAVEnonsense")
    with pytest.raises(ValueError, match="cannot read audio file .*broken.wav"):
        load_audio_folder(tmp_path)


def test_bad_metadata_is_a_value_error(folder):
    (folder / "metadata.csv").write_text("name,caption\na.wav,x\n")
    with pytest.raises(ValueError, match="needs a 'file_name' column"):
        load_audio_folder(folder)
    (folder / "metadata.csv").write_text("file_name,caption\na.wav,x\na.wav,y\n")
    with pytest.raises(ValueError, match="more than once: a.wav"):
        load_audio_folder(folder)
    (folder / "metadata.csv").write_text("file_name,caption\nmissing.wav,x\n")
    with pytest.raises(ValueError, match="names audio files that are not in .*missing.wav"):
        load_audio_folder(folder)


def test_decode_audio_rejects_non_audio_values():
    with pytest.raises(ValueError, match="expected an audio value"):
        decode_audio(np.zeros(3))
    with pytest.raises(ValueError, match="cannot decode audio bad.wav"):
        decode_audio({"bytes": b"junk", "path": "bad.wav"})
