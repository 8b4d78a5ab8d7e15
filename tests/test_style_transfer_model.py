"""Style-transfer models: configs, directions, chunked transfer without seams, any-length audio, bad input."""

import math

import numpy as np
import pytest
import torch
from transformers import AutoConfig, AutoModel

import hfsynth  # noqa: F401
from hfsynth.models.style_transfer import (
    CycleGANConfig,
    CycleGANModel,
    MelGANVCConfig,
    MelGANVCModel,
    StyleSpectrogram,
    transfer_in_chunks,
)

RATE = 8000
TINY = dict(sampling_rate=RATE, n_fft=256, hop_length=64, n_mels=16, chunk_frames=8, generator_channels=[4, 8],
            discriminator_channels=[4, 8], griffin_lim_iters=4, mel_inverse_iters=4, domain_a="piano",
            domain_b="strings")


def tiny_melganvc(**overrides) -> MelGANVCModel:
    return MelGANVCModel(MelGANVCConfig(**{**TINY, "siamese_channels": [4, 8], "siamese_dim": 8, **overrides})).eval()


def tiny_cyclegan(**overrides) -> CycleGANModel:
    return CycleGANModel(CycleGANConfig(**{**TINY, **overrides})).eval()


def tone(seconds: float, channels: int = 1, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    wave = (0.5 * np.sin(2 * np.pi * 440 * t) * np.exp(-2 * t)).astype(np.float32)
    return np.stack([wave] * channels) if channels > 1 else wave


@pytest.mark.parametrize("make", [tiny_melganvc, tiny_cyclegan])
def test_configs_round_trip_through_auto_classes(make, tmp_path):
    model = make()
    model.save_pretrained(tmp_path)
    config = AutoConfig.from_pretrained(tmp_path)
    assert type(config) is type(model.config)
    assert config.to_diff_dict() | {"_name_or_path": ""} == model.config.to_diff_dict() | {"_name_or_path": ""}
    loaded = AutoModel.from_pretrained(tmp_path).eval()
    audio = torch.from_numpy(tone(0.3)).reshape(1, 1, -1)
    torch.testing.assert_close(loaded.audio_to_audio(audio).audio, model.audio_to_audio(audio).audio)


def test_configs_reject_bad_values():
    with pytest.raises(ValueError, match="representation"):
        MelGANVCConfig(representation="stft")
    with pytest.raises(ValueError, match="chunk_frames must be even"):
        CycleGANConfig(chunk_frames=7)
    with pytest.raises(ValueError, match="divisible by 4"):
        CycleGANConfig(chunk_frames=6, generator_channels=[4, 8, 16])
    with pytest.raises(ValueError, match="unknown direction"):
        CycleGANConfig(direction="sideways")
    with pytest.raises(ValueError, match="two different"):
        MelGANVCConfig(domain_a="x", domain_b="x")


def test_directions_by_name_and_melganvc_only_has_its_own():
    cycle = tiny_cyclegan().config
    assert cycle.resolve_direction("strings_to_piano") == "b_to_a" and cycle.resolve_direction(None) == "a_to_b"
    melgan = tiny_melganvc().config
    assert melgan.resolve_direction("piano_to_strings") == "a_to_b"
    with pytest.raises(ValueError, match=r"unknown direction 'b_to_a'.*allowed: \['a_to_b', 'piano_to_strings'\]"):
        melgan.resolve_direction("b_to_a")
    assert tiny_melganvc(direction="b_to_a").config.directions == ("b_to_a",)


@pytest.mark.parametrize("frames", [1, 5, 8, 13, 40])
def test_chunked_identity_transfer_gives_the_input_back(frames):
    spectrogram = torch.randn(2, 1, 6, frames)
    torch.testing.assert_close(transfer_in_chunks(spectrogram, lambda chunk: chunk, 8), spectrogram)


def test_chunks_cross_fade_without_seams():
    """Each chunk answers a different constant: the stitched output moves between them smoothly (at most
    pi / chunk per frame for values in [0, 1]), where butting chunks together would jump by up to 1."""
    values = iter(torch.rand(100).tolist())
    stitched = transfer_in_chunks(torch.zeros(1, 1, 3, 50), lambda c: torch.cat([torch.full_like(x, next(values))[None] for x in c]), 8)
    jumps = stitched[..., 1:] - stitched[..., :-1]
    assert stitched.shape == (1, 1, 3, 50)
    assert jumps.abs().max() <= math.pi / 8 + 1e-5


@pytest.mark.parametrize("seconds", [0.064, 0.3, 1.234])
def test_any_length_keeps_its_length_and_contract(seconds):
    model = tiny_cyclegan()
    audio = torch.from_numpy(tone(seconds)).reshape(1, 1, -1)
    out = model.audio_to_audio(audio)
    assert out.audio.shape == (1, audio.shape[-1]) and out.audio.dtype == torch.float32
    assert torch.isfinite(out.audio).all() and out.audio.abs().max() <= 1.0
    assert out.spectrogram.shape[-1] == audio.shape[-1] // 64 + 1


def test_cyclegan_transfers_both_ways_with_different_generators():
    model = tiny_cyclegan()
    audio = torch.from_numpy(tone(0.3)).reshape(1, 1, -1)
    forward = model.audio_to_audio(audio, direction="a_to_b").spectrogram
    backward = model.audio_to_audio(audio, direction="strings_to_piano").spectrogram
    assert not torch.allclose(forward, backward)


def test_stereo_input_is_down_mixed():
    model = tiny_melganvc()
    stereo = torch.from_numpy(tone(0.3, channels=2))[None]
    mono = torch.from_numpy(tone(0.3)).reshape(1, 1, -1)
    torch.testing.assert_close(model.audio_to_audio(stereo).audio, model.audio_to_audio(mono).audio)


def test_bad_input_is_a_clear_error():
    model = tiny_melganvc()
    with pytest.raises(ValueError, match=r"at least 0.064 s"):
        model.audio_to_audio(torch.from_numpy(tone(0.05)).reshape(1, 1, -1))
    with pytest.raises(ValueError, match="silent"):
        model.audio_to_audio(torch.zeros(1, 1, 4000))
    with pytest.raises(ValueError, match="unknown direction"):
        model.audio_to_audio(torch.from_numpy(tone(0.3)).reshape(1, 1, -1), direction="up")


def test_spectrogram_round_trip_is_normalised_and_audible():
    config = MelGANVCConfig(**{**TINY, "griffin_lim_iters": 32, "mel_inverse_iters": 30})
    transform = StyleSpectrogram(config)
    audio = torch.from_numpy(tone(0.5))[None]
    spectrogram = transform.encode(audio)
    assert spectrogram.shape == (1, 1, 16, 4000 // 64 + 1) and spectrogram.min() >= -1.0 and spectrogram.max() <= 1.0
    back = transform.decode(spectrogram, 4000, torch.Generator().manual_seed(0))
    loud = spectrogram > -0.5                                      # where the tone is (mel + GL lose the quiet detail)
    assert (transform.encode(back) - spectrogram)[loud].abs().mean() < 0.08   # 0.059 measured


@pytest.mark.slow  # librosa's CQT Griffin-Lim compiles on first use (~1 min on a busy 2-core machine)
def test_cqt_representation_encodes_and_inverts():
    model = tiny_cyclegan(representation="cqt", n_mels=24, bins_per_octave=12, fmin=110.0)
    audio = torch.from_numpy(tone(0.3)).reshape(1, 1, -1)
    out = model.audio_to_audio(audio)
    assert out.spectrogram.shape[-2] == 24 and out.audio.shape == (1, 2400) and torch.isfinite(out.audio).all()
