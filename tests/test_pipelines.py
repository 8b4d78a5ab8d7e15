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


def test_audio_to_audio_batches_clips_of_any_length_like_one_at_a_time(tmp_path):
    ata = pipeline("audio-to-audio", model=save_toy_gain(tmp_path, stem_names=["bass", "other"]))
    clips = [{"raw": np.linspace(-0.5, 0.5, n).astype(np.float32), "sampling_rate": 8000} for n in (800, 1200, 400)]
    batched = ata(clips, batch_size=2)
    for clip, out in zip(clips, batched):
        alone = ata(clip)
        assert out["stems"]["bass"].shape == clip["raw"].shape
        np.testing.assert_array_equal(out["stems"]["bass"], alone["stems"]["bass"])


def test_audio_to_audio_saves_a_folder_it_loads_again(tmp_path):
    ata = pipeline("audio-to-audio", model=save_toy_gain(tmp_path / "model"))
    ata.save_pretrained(tmp_path / "saved")
    again = pipeline("audio-to-audio", model=str(tmp_path / "saved"))
    clip = {"raw": np.full(800, 0.5, np.float32), "sampling_rate": 8000}
    np.testing.assert_array_equal(again(clip)["audio"], ata(clip)["audio"])
    assert not list((tmp_path / "saved").glob("*.py"))                  # the task is registered, not saved as code


def test_audio_to_audio_refuses_a_model_that_makes_audio_from_text(tmp_path):
    with pytest.raises(ValueError, match="does not transform audio"):
        pipeline("audio-to-audio", model=save_toy_sine(tmp_path))


def test_audio_classification_resamples_without_torchaudio():
    """The built-in pipeline needs torchaudio for another rate; hfsynth's takes over where it is missing."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "pipelines" / "note-classifier"
    classify = pipeline("audio-classification", model=str(folder))
    rate = classify.feature_extractor.sampling_rate
    tone = lambda sr: (0.3 * np.sin(2 * np.pi * 261.63 * np.arange(sr) / sr)).astype(np.float32)  # noqa: E731
    def scores(classifier, sr):
        return {item["label"]: item["score"] for item in classifier({"raw": tone(sr), "sampling_rate": sr}, top_k=20)}

    native, resampled = scores(classify, rate), scores(classify, 44100)
    assert max(abs(native[label] - resampled[label]) for label in native) < 0.2   # the same note, resampled
    half = pipeline("audio-classification", model=str(folder), dtype=torch.float16)
    assert max(abs(native[label] - score) for label, score in scores(half, 44100).items()) < 0.2
