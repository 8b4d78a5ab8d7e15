"""The options that make GANSynthConfig magenta's published generator, and the generator's fast
inference path (the same function as its training pass, up to rounding)."""

import json

import pytest
import torch

from hfsynth.models.gansynth import GANSynthConfig, GANSynthGenerator
from hfsynth.models.gansynth.modeling_gansynth import EqualizedConv2d, LeakyPixelNorm, upsample2x
from hfsynth.models.gansynth.spectral_gansynth import MagentaSpectrogramTransform, SpectrogramTransform
from test_convert_gansynth import FIXTURE
from test_gansynth_model import tiny_config


def tiny_published(**overrides) -> GANSynthConfig:
    """The published design at 4 blocks of 8-4 filters: 16 frames x 128 bins, 1024 samples."""
    settings = dict(audio_length_in_s=0.064, n_fft=128, hop_length=32, latent_size=16, channels=[8, 8, 8, 4],
                    stage_resolutions=[[16 * 2**k, 2 * 2**k] for k in range(4)])
    return GANSynthConfig.published(**{**settings, **overrides})


def test_the_published_size_has_magenta_s_parameter_count():
    counts = json.loads((FIXTURE / "config.json").read_text())["published_param_counts"]
    model = GANSynthGenerator(GANSynthConfig.published())
    total = sum(parameter.numel() for parameter in model.parameters())
    lower_outputs = sum(parameter.numel() for layer in model.to_spectrogram[:-1] for parameter in layer.parameters())
    assert total == counts["generator"] == 7_311_246
    assert total - lower_outputs == counts["generator_used_at_full_resolution"] == 7_308_802
    assert model.input.padded_conv.weight.shape == (256, 317, 16, 2)          # magenta's [2, 16, 317, 256]


def test_the_published_config_says_what_it_is():
    config = GANSynthConfig.published()
    assert (config.num_samples, config.stft_n_fft, config.stft_hop_length) == (64000, 2048, 512)
    assert config.spectrogram_shape == (1024, 128) and config.num_pitches == 61
    assert (config.normalizer_scale, config.normalizer_offset) == ([0.0661371661726, 0.8], [0.113718730221, 0.0])
    assert isinstance(GANSynthGenerator(tiny_published()).transform, MagentaSpectrogramTransform)


def test_the_defaults_are_today_s():
    config = GANSynthConfig()
    assert (config.input_layer, config.input_normalization, config.spectral_frontend) == ("dense", "latent", "hfsynth")
    assert config.normalizer_scale is None and config.normalizer_offset is None
    model = GANSynthGenerator(tiny_config())
    assert isinstance(model.transform, SpectrogramTransform) and hasattr(model.input, "dense")


@pytest.mark.parametrize("overrides, message", [
    (dict(input_layer="conv"), "input_layer must be one of"),
    (dict(input_normalization="pitch"), "input_normalization must be one of"),
    (dict(spectral_frontend="librosa"), "spectral_frontend must be one of"),
    (dict(normalizer_scale=[1.0]), "hold 2 values"),
    (dict(normalizer_scale=[0.0, 1.0]), "normalizer_scale"),
    (dict(audio_length_in_s=0.1), "more than the 1216 that 16 frames"),
    (dict(n_fft=256, hop_length=64), "top stage has stft_n_fft // 2 = 256 rows"),
])
def test_magenta_settings_are_checked(overrides, message):
    with pytest.raises(ValueError, match=message):
        tiny_published(**overrides)


def test_the_hfsynth_front_end_takes_no_magenta_normalizer():
    with pytest.raises(ValueError, match="belong to spectral_frontend='magenta'"):
        tiny_config(normalizer_scale=[1.0, 1.0])


def test_the_input_pixel_norm_covers_the_pitch_too():
    model = GANSynthGenerator(tiny_published())
    conditioning = model.conditioning(torch.randn(3, 16), torch.tensor([24, 60, 84]))
    torch.testing.assert_close(conditioning.pow(2).mean(dim=1), torch.ones(3))


def test_the_fused_upsampling_convolution_is_the_plain_one():
    conv = EqualizedConv2d(5, 7, 3)
    x = torch.randn(2, 5, 6, 4)
    torch.testing.assert_close(conv.upsampled(x), conv(upsample2x(x)), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("memory_format", [torch.contiguous_format, torch.channels_last])
def test_the_in_place_activation_is_the_plain_one(memory_format):
    x = torch.randn(2, 6, 5, 3).contiguous(memory_format=memory_format)
    expected = LeakyPixelNorm()(x)
    with torch.inference_mode():
        torch.testing.assert_close(LeakyPixelNorm()(x.clone()), expected)


@pytest.mark.parametrize("config", [tiny_published(), tiny_config(), tiny_config(harmonic_conditioning=True)],
                         ids=["published", "hfsynth", "harmonic"])
def test_generation_computes_what_training_computes(config):
    model = GANSynthGenerator(config).eval()
    latents, pitch = torch.randn(2, config.latent_size), torch.tensor([config.pitch_min, config.pitch_max])
    with torch.no_grad():
        plain = model.spectrogram(latents, pitch)
    with torch.inference_mode():
        fast = model.spectrogram(latents, pitch)
    torch.testing.assert_close(fast, plain, atol=1e-5, rtol=1e-4)


def test_a_published_note_goes_through_magenta_s_front_end_and_back():
    transform = GANSynthGenerator(tiny_published()).transform
    t = torch.arange(1024) / 16000
    note = 0.5 * torch.sin(2 * torch.pi * 1000 * t) * torch.exp(-5 * t)
    spectrogram = transform.encode(note[None])
    assert spectrogram.shape == (1, 2, 128, 16) and spectrogram.abs().max() <= 1
    back = transform.decode(spectrogram)[0]
    assert back.shape == (1024,) and torch.corrcoef(torch.stack([back[400:800], note[400:800]]))[0, 1] > 0.9
    rows = transform.row_frequencies()
    assert rows.shape == (128,) and bool((rows.diff() >= 0).all()) and 0 < rows[0] < rows[-1] <= 8000


def test_large_models_generate_fewer_notes_per_pass():
    assert GANSynthGenerator(tiny_config()).notes_per_forward() == 64
    assert GANSynthGenerator(GANSynthConfig.published()).notes_per_forward() == 16     # 32 x 1024 x 128 floats each
