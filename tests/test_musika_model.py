"""Musika's models: configs, the autoencoder (any length, windowed decoding exact), the latent generator
(windows join exactly), conditioning and prompt parsing, bad input."""

import math

import pytest
import torch

import hfsynth  # noqa: F401  (registers Musika)
from hfsynth.models.musika import (
    MusikaAutoencoder,
    MusikaAutoencoderConfig,
    MusikaConfig,
    MusikaGenerator,
    MusikaLatentDiscriminator,
)
from hfsynth.models.musika.prompting_musika import check_density, check_tempo, conditioning_from_prompt
from transformers import AutoConfig, AutoModel, AutoModelForTextToWaveform

RATE = 8000


def tiny_autoencoder_config(**overrides) -> MusikaAutoencoderConfig:
    """8 kHz, STFT 128 / 32, a latent frame every 128 samples (16 ms)."""
    settings = dict(sampling_rate=RATE, n_fft=128, hop_length=32, downsample_factors=[2, 2], hidden_channels=32,
                    latent_channels=8, residual_blocks=1)
    settings.update(overrides)
    return MusikaAutoencoderConfig(**settings)


def tiny_config(**overrides) -> MusikaConfig:
    """Chunks of 8 latent frames (1024 samples, 128 ms) from 2 coordinate frames each."""
    settings = dict(autoencoder=tiny_autoencoder_config(), chunk_latents=8, upsample_factors=[2, 2],
                    coordinate_channels=8, style_channels=8, hidden_channels=32, discriminator_channels=32)
    settings.update(overrides)
    return MusikaConfig(**settings)


def test_configs_round_trip_through_auto_config(tmp_path):
    config = tiny_config(tempo_min=60.0, density_dense=7.5)
    config.save_pretrained(tmp_path)
    loaded = AutoConfig.from_pretrained(tmp_path)
    assert isinstance(loaded, MusikaConfig)
    assert loaded.to_diff_dict() | {"_name_or_path": ""} == config.to_diff_dict() | {"_name_or_path": ""}
    assert loaded.autoencoder_config.samples_per_latent == 128 and loaded.sampling_rate == RATE
    assert loaded.samples_per_chunk == 1024 and loaded.coordinate_frames_per_chunk == 2


@pytest.mark.parametrize("bad, match", [
    (dict(audio_channels=3), "audio_channels"), (dict(hop_length=100), "hop_length"),
    (dict(log_magnitude_floor=1.0), "log_magnitude_floor"),
])
def test_bad_autoencoder_configs_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        tiny_autoencoder_config(**bad)


def test_bad_generator_configs_are_refused():
    with pytest.raises(ValueError, match="chunk_latents"):
        tiny_config(chunk_latents=6)
    with pytest.raises(ValueError, match="tempo_min < tempo_max"):
        tiny_config(tempo_min=200.0, tempo_max=100.0)


@pytest.mark.parametrize("samples", [1, 500, 1024, 3001])
def test_autoencoder_reconstructs_any_length(samples):
    model = MusikaAutoencoder(tiny_autoencoder_config()).eval()
    out = model(torch.randn(2, 1, samples) * 0.1)
    assert out.audio.shape == (2, 1, samples) and torch.isfinite(out.audio).all()
    assert out.latents.shape == (2, 8, math.ceil(samples / 128)) and out.latents.abs().max() <= 1.0


def test_stereo_autoencoder_keeps_two_channels():
    model = MusikaAutoencoder(tiny_autoencoder_config(audio_channels=2)).eval()
    assert model(torch.randn(1, 2, 700)).audio.shape == (1, 2, 700)
    with pytest.raises(ValueError, match="2-channel"):
        model(torch.randn(1, 1, 700))


def test_windowed_decoding_equals_decoding_everything():
    model = MusikaAutoencoder(tiny_autoencoder_config()).eval()
    latents = torch.rand(1, 8, 40) * 2 - 1
    context, step = model.decoder_context, 128
    with torch.no_grad():
        whole = model.decode(latents)
        for start, end in [(0, 8), (8, 16), (16, 24), (32, 40)]:
            first, last = max(0, start - context), min(40, end + context)
            window = model.decode_range(latents[..., first:last], first, start * step, end * step)
            torch.testing.assert_close(window, whole[..., start * step : end * step], atol=1e-5, rtol=1e-4)


def test_the_spectrogram_round_trip_is_exact_without_the_networks():
    model = MusikaAutoencoder(tiny_autoencoder_config())
    spectrogram = model.spectrogram
    audio = torch.randn(1, 1, 1280) * 0.3
    features = spectrogram.analyse(audio)                                   # (1, 2 * 65, 40)
    magnitude = features[:, :65]
    phase = features[:, 65:] * math.pi
    output = torch.cat([magnitude, torch.cos(phase), torch.sin(phase)], dim=1)
    back = spectrogram.frames_to_audio(spectrogram.complex_frames(output), 0, 0, 1280)
    torch.testing.assert_close(back[..., 64:-64], audio[..., 64:-64], atol=1e-4, rtol=1e-3)


def test_generator_windows_join_exactly():
    model = MusikaGenerator(tiny_config()).eval()
    start, end = model.path_start, model.path_start + 32
    anchors = torch.randn(1, model.anchors_needed(end), 8)
    style, conditioning = torch.randn(1, 8), model.conditioning(120.0, None, 1)
    with torch.no_grad():
        whole = model(anchors=anchors, style=style, conditioning=conditioning, start=start, end=end).latents
        parts = [model.latent_window(anchors, style, conditioning, a, a + 8) for a in range(start, end, 8)]
    assert whole.shape == (1, 8, 32) and whole.abs().max() <= 1.0
    torch.testing.assert_close(torch.cat(parts, dim=-1), whole, atol=1e-5, rtol=1e-4)


def test_anchors_are_shared_by_neighbouring_chunks():
    model = MusikaGenerator(tiny_config())
    anchors = torch.randn(1, 4, 8)
    path = model.coordinate_path(anchors, 0, 6)                             # 2 coordinate frames per chunk
    torch.testing.assert_close(path[0, :, 2], anchors[0, 1])               # chunk 1 starts on anchor 1
    torch.testing.assert_close(path[0, :, 1], 0.5 * (anchors[0, 0] + anchors[0, 1]))


def test_conditioning_marks_what_is_given():
    model = MusikaGenerator(tiny_config())
    code = model.conditioning(torch.tensor([200.0, float("nan")]), 1.5, 2)
    torch.testing.assert_close(code, torch.tensor([[1.0, 1.0, -1.0, 1.0], [0.0, 0.0, -1.0, 1.0]]))
    assert model.conditioning(None, None, 3).abs().sum() == 0


def test_discriminator_scores_patches_with_conditioning():
    disc = MusikaLatentDiscriminator(tiny_config())
    latents = torch.randn(2, 8, 16)
    a = disc(latents, torch.tensor([[1.0, 1.0, 0.0, 0.0]] * 2)).scores
    b = disc(latents, torch.tensor([[-1.0, 1.0, 0.0, 0.0]] * 2)).scores
    assert a.shape == (2, 1, 2) and not torch.allclose(a, b)


def test_prompts_set_tempo_and_density():
    config = tiny_config()
    assert conditioning_from_prompt("", config) == (None, None)
    assert conditioning_from_prompt("a dense fugue at 120 bpm", config) == (120.0, config.density_dense)
    assert conditioning_from_prompt("Sparse, 72.5 BPM", config) == (72.5, config.density_sparse)
    assert conditioning_from_prompt("a chorale", config) == (None, None)


@pytest.mark.parametrize("prompt, match", [("500 bpm", "outside"), ("sparse and dense", "both"),
                                           ("90 bpm or 100 bpm", "several")])
def test_bad_prompts_are_refused(prompt, match):
    with pytest.raises(ValueError, match=match):
        conditioning_from_prompt(prompt, tiny_config())


def test_unknown_conditioning_values_are_refused():
    config = tiny_config()
    with pytest.raises(ValueError, match="unknown density 'medium'"):
        check_density("medium", config)
    with pytest.raises(ValueError, match="density"):
        check_density(-1.0, config)
    with pytest.raises(ValueError, match="tempo"):
        check_tempo(float("nan"), config)
    assert check_density(2.5, config) == 2.5 and check_tempo(None, config) is None


def test_nan_latents_are_refused():
    model = MusikaAutoencoder(tiny_autoencoder_config())
    latents = torch.zeros(1, 8, 4)
    latents[0, 0, 2] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        model.decode(latents)
    generator = MusikaGenerator(tiny_config())
    anchors = torch.randn(1, 6, 8)
    anchors[0, 1, 0] = float("nan")
    with pytest.raises(ValueError, match="finite"):
        generator.latent_window(anchors, torch.randn(1, 8), generator.conditioning(None, None, 1), 8, 16)


def test_save_and_load_round_trip_in_safetensors(tmp_path):
    model = MusikaGenerator(tiny_config()).eval()
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file() and not list(tmp_path.glob("*.bin"))
    loaded = AutoModelForTextToWaveform.from_pretrained(tmp_path)
    assert isinstance(loaded, MusikaGenerator)
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name
    autoencoder = MusikaAutoencoder(tiny_autoencoder_config())
    autoencoder.save_pretrained(tmp_path / "ae")
    assert isinstance(AutoModel.from_pretrained(tmp_path / "ae"), MusikaAutoencoder)


def random_generator(config: MusikaConfig | None = None) -> MusikaGenerator:
    """A generator whose style/conditioning modulation is not zero (it starts at zero: FiLM is the identity)."""
    from hfsynth.models.musika.modeling_musika import FiLM

    model = MusikaGenerator(config or tiny_config())
    for module in model.modules():
        if isinstance(module, FiLM):
            torch.nn.init.normal_(module.project.weight, std=0.3)
    return model.eval()
