"""The mel front ends of r9y9's vocoders against its own preprocessing (tests/fixtures/wavenet_r9y9,
"Mel front ends"): v0.1's Tacotron dB mel with lws framing (LJSpeech preset) and v0.2's
standardised log10 mel after a low cut (egs/mol), within 1e-4, plus the waveform pre- and
post-processing and the alignment of vocoded audio with its input."""

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from hfsynth.audio.normalized_mel import DbNormalizedMel, StandardizedLogMel, overlap_normalized_window
from hfsynth.models.wavenet import WaveNetConfig, WaveNetModel

FIXTURE = Path(__file__).parent / "fixtures" / "wavenet_r9y9"
LJSPEECH = dict(sampling_rate=22050, n_fft=1024, hop_length=256, n_mels=80, fmin=125, fmax=7600)
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def v011() -> dict[str, torch.Tensor]:
    return load_file(FIXTURE / "github_frontend_v0_1_1.safetensors")


@pytest.fixture(scope="module")
def head() -> dict[str, torch.Tensor]:
    return load_file(FIXTURE / "github_frontend_head.safetensors")


def test_the_lws_window_is_r9y9_s(v011):
    torch.testing.assert_close(overlap_normalized_window(1024, 256), v011["v011.lws_awin"], atol=1e-12, rtol=0)


def test_the_tacotron_mel_matches_v0_1_preprocessing(v011):
    frontend = DbNormalizedMel(**LJSPEECH, min_level_db=-100, ref_level_db=20, rescale_peak=0.999)
    mel = frontend(v011["v011.wav_in"])
    assert mel.shape == (80, 51) == v011["v011.mel"].T.shape and frontend.num_frames(12215) == 51
    torch.testing.assert_close(mel, v011["v011.mel"].T, atol=TOLERANCE, rtol=0)
    # the mu-law branch: the mel of the silence-trimmed (already rescaled) waveform
    trimmed = v011["v011.wav_rescaled"][3000:9614]
    unscaled = DbNormalizedMel(**LJSPEECH, min_level_db=-100, ref_level_db=20)
    torch.testing.assert_close(unscaled(trimmed), v011["v011.mulaw.mel"].T, atol=TOLERANCE, rtol=0)


def test_the_tacotron_frames_describe_the_lws_padded_audio(v011):
    """r9y9's training target is the audio padded by n_fft - hop in front: the lead-in."""
    frontend = DbNormalizedMel(**LJSPEECH)
    lead_in, wav = frontend.lead_in, v011["v011.wav_rescaled"]
    target = v011["v011.audio_out"]
    assert lead_in == 768 and target.shape[-1] == 51 * 256
    assert torch.equal(target[lead_in : lead_in + wav.shape[-1]], wav) and target[:lead_in].eq(0).all()


def test_the_standardized_log10_mel_matches_v0_2_preprocessing(head):
    frontend = StandardizedLogMel(**LJSPEECH, win_length=1024, highpass_hz=70.0, mean=head["head.scaler_mean"].tolist(),
                                  std=head["head.scaler_scale"].tolist())
    wav = head["head.wav_trimmed"]
    torch.testing.assert_close(frontend.low_cut(wav), head["head.wav_lowcut"], atol=1e-9, rtol=0)
    torch.testing.assert_close(frontend(wav), head["head.logmel_normalized"].T, atol=TOLERANCE, rtol=0)
    unstandardized = StandardizedLogMel(**LJSPEECH, highpass_hz=70.0)
    torch.testing.assert_close(unstandardized(wav), head["head.logmel"].T, atol=TOLERANCE, rtol=0)
    assert frontend.num_frames(wav.shape[-1]) == 35 and frontend.lead_in == 0


def test_v0_2_waveform_processing_is_r9y9_s(head):
    """The network models the pre-emphasised audio times 0.55; generation undoes both."""
    model = WaveNetModel(WaveNetConfig(layers=2, stacks=1, residual_channels=4, gate_channels=4, skip_channels=4,
                                       output_distribution="mol", pre_emphasis=0.85, audio_gain=0.55))
    lowcut = head["head.wav_lowcut"].float()
    network = model.waveform_to_network(lowcut)
    torch.testing.assert_close(network, head["head.audio_out"][: lowcut.shape[-1]], atol=1e-6, rtol=0)
    torch.testing.assert_close(model.network_to_waveform(head["head.audio_out"]), head["head.postprocessed_audio_out"],
                               atol=1e-5, rtol=0)


@pytest.mark.parametrize("frontend, extra", [
    ("db_normalized", dict(mel_rescale_peak=0.999)),
    ("standardized_log10", dict(mel_highpass_hz=70.0, mel_mean=[-3.0] * 8, mel_std=[0.5] * 8)),
])
def test_a_vocoder_with_an_r9y9_front_end_keeps_the_input_s_length(frontend, extra, tmp_path):
    config = WaveNetConfig(layers=2, stacks=1, residual_channels=4, gate_channels=4, skip_channels=4,
                           output_distribution="mol", local_cond_channels=8, upsample_scales=[2, 2],
                           upsample_net="transposed", mel_n_fft=64, sampling_rate=16000, mel_frontend=frontend, **extra)
    WaveNetModel(config).save_pretrained(tmp_path)
    model = WaveNetModel.from_pretrained(tmp_path).eval()   # the front end's buffers are rebuilt on load
    audio = 0.3 * torch.sin(torch.arange(301) * 0.1)[None]
    mel = model.mel_from_audio(audio)
    assert torch.isfinite(mel).all() and mel.shape[1] == 8
    torch.testing.assert_close(mel, WaveNetModel(config).mel_from_audio(audio))
    assert model.vocode(audio, generator=torch.Generator().manual_seed(0)).shape == (1, 301)
