"""The public contract through transformers' own ``pipeline()``, on toy models."""

import numpy as np
import pytest
import torch
from transformers import pipeline

import hfsynth  # noqa: F401
from hfsynth.audio.pitch import hz_to_midi
from hfsynth.pipelines import finalize_audio
from toy_models import save_toy_gain, save_toy_sine


def dominant_midi(audio: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(audio))
    return float(hz_to_midi(np.argmax(spectrum) * rate / len(audio)))


def test_finalize_audio_scales_down_per_item_and_never_up():
    loud = torch.stack([torch.full((10,), 3.0), torch.full((10,), 0.5)])
    out = finalize_audio(loud)
    assert out.dtype == torch.float32
    assert torch.allclose(out[0], torch.ones(10)) and torch.allclose(out[1], torch.full((10,), 0.5))


def test_finalize_audio_removes_nan():
    out = finalize_audio(torch.tensor([[float("nan"), 2.0, -4.0]]))
    assert torch.isfinite(out).all() and out.abs().max() <= 1.0


def test_text_to_audio_contract_on_a_toy_generator(tmp_path):
    tta = pipeline("text-to-audio", model=save_toy_sine(tmp_path))
    out = tta("a bright piano note, C4", forward_params={"audio_length_in_s": 0.5})
    audio, rate = out["audio"], out["sampling_rate"]
    assert audio.dtype == np.float32 and audio.shape == (rate // 2,)
    assert np.abs(audio).max() <= 1.0 + 1e-6
    assert abs(dominant_midi(audio, rate) - 60) < 0.5  # the prompt's pitch reached the model


@pytest.mark.parametrize("seconds", [-1.0, 0.0, float("nan")])
def test_text_to_audio_rejects_bad_lengths(tmp_path, seconds):
    tta = pipeline("text-to-audio", model=save_toy_sine(tmp_path))
    with pytest.raises(ValueError, match="audio_length_in_s"):
        tta("C4", forward_params={"audio_length_in_s": seconds})


def test_audio_to_audio_resamples_and_downmixes(tmp_path):
    ata = pipeline("audio-to-audio", model=save_toy_gain(tmp_path, sampling_rate=8000, gain=0.5))
    stereo = np.stack([np.full(16000, 0.4, np.float32), np.full(16000, 0.2, np.float32)])
    out = ata({"raw": stereo, "sampling_rate": 16000})
    assert out["sampling_rate"] == 8000 and out["audio"].dtype == np.float32
    assert out["audio"].shape == (8000,)  # 1 s at the model's rate, mono
    assert np.allclose(out["audio"][1000:-1000], 0.5 * 0.3, atol=1e-3)


def test_audio_to_audio_reads_files(tmp_path):
    from hfsynth.audio import write_audio

    wav = write_audio(tmp_path / "in.wav", np.full(8000, 0.5, np.float32), 8000)
    out = pipeline("audio-to-audio", model=save_toy_gain(tmp_path / "m"))(str(wav))
    assert np.allclose(out["audio"], 0.25, atol=1e-3)


def test_audio_to_audio_returns_named_stems(tmp_path):
    ata = pipeline("audio-to-audio", model=save_toy_gain(tmp_path, stem_names=["bass", "other"]))
    out = ata({"raw": np.full(800, 0.5, np.float32), "sampling_rate": 8000})
    assert set(out["stems"]) == {"bass", "other"}
    assert np.allclose(out["stems"]["bass"], 0.25) and np.allclose(out["stems"]["other"], -0.25)


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"raw": np.zeros(0, np.float32), "sampling_rate": 8000}, "empty"),
        ({"raw": np.full(100, np.nan, np.float32), "sampling_rate": 8000}, "NaN"),
        ({"raw": np.zeros(100, np.float32), "sampling_rate": 0}, "sampling_rate"),
        ({"raw": np.zeros(100, np.float32)}, "sampling_rate"),
        ({"raw": np.zeros((2, 2, 100), np.float32), "sampling_rate": 8000}, "shape"),
        (42, "takes a dict"),
        ("/no/such/file.wav", "not found"),
    ],
)
def test_audio_to_audio_bad_input_is_a_value_error(tmp_path, bad, message):
    ata = pipeline("audio-to-audio", model=save_toy_gain(tmp_path))
    with pytest.raises(ValueError, match=message):
        ata(bad)
