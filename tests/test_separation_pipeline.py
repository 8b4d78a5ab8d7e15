"""The separator's public contract: transformers' ``pipeline("audio-to-audio")`` and ``SeparationPipeline``."""

import numpy as np
import pytest
from transformers import AutoModel, pipeline

import hfsynth  # noqa: F401  (registers the separator and the audio-to-audio task)
from hfsynth.models.separation import SeparationModel, SeparationPipeline
from model_tester import AudioToAudioTester
from test_separation_model import RATE, tiny_model


class TestSeparationPipeline(AudioToAudioTester):
    pipeline_class = SeparationPipeline

    def make_model(self):
        return tiny_model(stem_names=["vocals", "bass", "other"])


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("separator")
    tiny_model(stem_names=["vocals", "bass", "other"]).save_pretrained(path)
    return str(path)


def tone(seconds: float, rate: int = RATE, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    wave = (0.3 * np.sin(2 * np.pi * 110 * t) + 0.2 * np.sin(2 * np.pi * 880 * t)).astype(np.float32)
    return wave if channels == 1 else np.stack([wave, 0.5 * wave])


def test_auto_model_loads_the_separator(folder):
    assert isinstance(AutoModel.from_pretrained(folder), SeparationModel)


def test_pipeline_returns_named_float32_stems_that_sum_to_the_input(folder):
    out = pipeline("audio-to-audio", model=folder)({"raw": tone(0.5), "sampling_rate": RATE})
    assert out["sampling_rate"] == RATE and list(out["stems"]) == ["vocals", "bass", "other"]
    stems = np.stack(list(out["stems"].values()))
    assert stems.dtype == np.float32 and stems.shape == (3, RATE // 2) and np.abs(stems).max() <= 1.0
    assert np.allclose(stems.sum(axis=0), tone(0.5), atol=1e-4)


def test_pipeline_downmixes_stereo_and_resamples(folder):
    out = pipeline("audio-to-audio", model=folder)({"raw": tone(0.5, 16000, channels=2), "sampling_rate": 16000})
    assert out["sampling_rate"] == 16000                      # the stems line up with the mixture given
    assert all(stem.shape == (8000,) for stem in out["stems"].values())


def test_pipeline_separates_long_inputs_in_chunks(folder):
    out = pipeline("audio-to-audio", model=folder)({"raw": tone(2.3), "sampling_rate": RATE})  # > 4 chunks
    stems = np.stack(list(out["stems"].values()))
    assert stems.shape == (3, int(2.3 * RATE)) and np.allclose(stems.sum(axis=0), tone(2.3), atol=1e-4)


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"raw": np.zeros(4000, np.float32), "sampling_rate": RATE}, "silent"),
        ({"raw": tone(0.01), "sampling_rate": RATE}, "too short"),
        ({"raw": np.zeros(0, np.float32), "sampling_rate": RATE}, "empty"),
    ],
)
def test_pipeline_refuses_silent_short_or_empty_audio(folder, bad, message):
    with pytest.raises(ValueError, match=message):
        pipeline("audio-to-audio", model=folder)(bad)


def test_separation_pipeline_notes_what_it_converted(folder):
    pipe = SeparationPipeline.from_pretrained(folder)
    out = pipe(tone(0.5, 16000, channels=2), sampling_rate=16000)
    assert out.sampling_rate == RATE and set(out.stems) == {"vocals", "bass", "other"}
    assert out.stems["bass"].shape == (RATE // 2,)
    assert any("channel" in note for note in out.notes) and any("resampled 16000 Hz" in note for note in out.notes)
    assert pipe(tone(0.5)).notes == []
    with pytest.raises(ValueError, match="silent"):
        pipe(np.zeros(4000, np.float32))


def test_hfsynth_transform_writes_one_file_per_stem(folder, tmp_path):
    from hfsynth.audio import read_audio, write_audio
    from hfsynth.cli import main

    source = write_audio(tmp_path / "mix.wav", tone(0.5), RATE)
    assert main(["transform", "--model", folder, "--in", str(source), "--out", str(tmp_path / "song.wav")]) == 0
    for name in ("vocals", "bass", "other"):
        audio, rate = read_audio(tmp_path / f"song_{name}.wav")
        assert rate == RATE and audio.shape == (RATE // 2,)
