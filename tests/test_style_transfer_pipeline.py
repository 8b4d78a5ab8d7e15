"""Style transfer through transformers' pipeline() and StyleTransferPipeline: input conforming, bad input,
the WaveNet vocoder path and separate -> transfer stems -> remix."""

import numpy as np
import pytest
import torch
from transformers import pipeline

import hfsynth  # noqa: F401
from hfsynth.models.separation import SeparationConfig, SeparationModel
from hfsynth.models.style_transfer import StyleTransferPipeline
from hfsynth.models.wavenet import WaveNetConfig, WaveNetModel
from model_tester import AudioToAudioTester
from test_style_transfer_model import RATE, tiny_cyclegan, tiny_melganvc, tone


class TestMelGANVCPipeline(AudioToAudioTester):
    pipeline_class = StyleTransferPipeline

    def make_model(self):
        return tiny_melganvc()


class TestCycleGANPipeline(AudioToAudioTester):
    pipeline_class = StyleTransferPipeline

    def make_model(self):
        return tiny_cyclegan()


@pytest.fixture(scope="module")
def cyclegan_folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("styletransfer-piano-to-strings")
    tiny_cyclegan().save_pretrained(path)
    return path


def test_the_audio_to_audio_task_transfers_stereo_44k_input(cyclegan_folder):
    transfer = pipeline("audio-to-audio", model=str(cyclegan_folder))
    out = transfer({"raw": tone(0.5, channels=2, rate=44100), "sampling_rate": 44100})
    assert out["sampling_rate"] == RATE and out["audio"].shape == (RATE // 2,)
    assert out["audio"].dtype == np.float32 and np.abs(out["audio"]).max() <= 1.0 and np.abs(out["audio"]).max() > 0
    backward = transfer({"raw": tone(0.5), "sampling_rate": RATE}, direction="strings_to_piano")["audio"]
    assert not np.allclose(backward, transfer({"raw": tone(0.5), "sampling_rate": RATE})["audio"])
    with pytest.raises(ValueError, match="unknown direction"):
        transfer({"raw": tone(0.5), "sampling_rate": RATE}, direction="sideways")


def test_style_transfer_pipeline_notes_what_it_did_to_the_input(cyclegan_folder):
    pipe = StyleTransferPipeline.from_pretrained(cyclegan_folder)
    out = pipe(tone(0.4, channels=2, rate=22050), sampling_rate=22050, direction="b_to_a")
    assert out.sampling_rate == RATE and out.audios.shape == (1, int(0.4 * RATE)) and out.stems is None
    assert out.notes == ["down-mixed 2 channels to mono", f"resampled 22050 Hz to the model's {RATE} Hz"]


def test_style_transfer_pipeline_rejects_bad_requests(cyclegan_folder):
    pipe = StyleTransferPipeline.from_pretrained(cyclegan_folder)
    for kwargs, message in [
        ({"direction": "up"}, "unknown direction"),
        ({"vocoder": "hifigan"}, "vocoder must be one of"),
        ({"vocoder": "wavenet"}, "needs a WaveNet vocoder"),
        ({"separate": True}, "needs a separation model"),
    ]:
        with pytest.raises(ValueError, match=message):
            pipe(tone(0.4), RATE, **kwargs)
    with pytest.raises(ValueError, match="silent"):
        pipe(np.zeros(4000, dtype=np.float32), RATE)
    with pytest.raises(ValueError, match="needs at least"):
        pipe(tone(0.02), RATE)


def test_wavenet_vocoder_re_synthesises_the_transfer():
    vocoder = WaveNetModel(WaveNetConfig(layers=2, stacks=1, residual_channels=4, gate_channels=8, skip_channels=4,
                                         local_cond_channels=8, upsample_scales=[4, 4], mel_n_fft=64,
                                         sampling_rate=RATE)).eval()
    pipe = StyleTransferPipeline(tiny_melganvc(), vocoder=vocoder)
    out = pipe(tone(0.1), RATE, vocoder="wavenet")
    assert out.audios.shape == (1, 800) and np.isfinite(out.audios).all()
    assert not np.allclose(out.audios, pipe(tone(0.1), RATE).audios)       # not the Griffin-Lim audio


def test_separate_then_transfer_chosen_stems_and_remix():
    separator = SeparationModel(SeparationConfig(stem_names=["melody", "bass"], sampling_rate=RATE, n_fft=256,
                                                 hop_length=64, hidden_size=8, lstm_layers=1, dropout=0.0,
                                                 chunk_in_s=0.5, overlap_in_s=0.125)).eval()
    pipe = StyleTransferPipeline(tiny_cyclegan(), separator=separator)
    mixture = tone(0.4)
    with torch.inference_mode():
        separated = separator.audio_to_audio(torch.from_numpy(mixture).reshape(1, 1, -1))["stems"][0].numpy()
    out = pipe(mixture, RATE, separate=True, stems=["melody"])
    assert sorted(out.stems) == ["bass", "melody"] and out.audios[0].shape == mixture.shape
    np.testing.assert_allclose(out.stems["bass"], separated[1], atol=1e-5)       # left as separated
    assert not np.allclose(out.stems["melody"], separated[0], atol=1e-3)          # transferred
    assert "separated into melody, bass" in out.notes
    with pytest.raises(ValueError, match="stems to transfer must be some of"):
        pipe(mixture, RATE, separate=True, stems=["drums"])
