"""GANSynth networks: stage shapes, fade-in, equalised learning rate, PixelNorm, minibatch stddev,
the spectral transform, pitch conditioning, config checks and save/load."""

import math

import pytest
import torch
import torch.nn.functional as F

from hfsynth.audio import snr_db
from hfsynth.models.gansynth import GANSynthConfig, GANSynthDiscriminator, GANSynthGenerator
from hfsynth.models.gansynth.modeling_gansynth import (
    EqualizedConv2d,
    EqualizedLinear,
    fit_note_length,
    harmonic_comb,
    minibatch_stddev,
    pixel_norm,
    release_envelope,
    stage_rows,
)
from hfsynth.models.gansynth.spectral_gansynth import SpectrogramTransform

STAGES = [[4, 2], [8, 4], [16, 8], [32, 16]]


def tiny_config(**overrides) -> GANSynthConfig:
    """8 kHz, 32 ms notes (256 samples) as 32 bins x 16 frames (STFT 64 / 16), four stages."""
    settings = dict(representation="mag_if", sampling_rate=8000, audio_length_in_s=0.032, n_fft=64, hop_length=16,
                    high_frequency_resolution=False, stage_resolutions=STAGES, channels=[16, 16, 8, 8],
                    pitch_min=48, pitch_max=72, latent_size=16, minibatch_std_group_size=2)
    settings.update(overrides)
    return GANSynthConfig(**settings)


def harmonic_note(config: GANSynthConfig, f0: float) -> torch.Tensor:
    t = torch.arange(config.num_samples, dtype=torch.float64) / config.sampling_rate
    note = sum(0.3 / k * torch.sin(2 * math.pi * f0 * k * t) for k in range(1, 4)) * torch.exp(-8 * t)
    return note.float()


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    config = tiny_config()
    return GANSynthGenerator(config).eval(), GANSynthDiscriminator(config).eval()


def test_every_stage_has_its_resolution_in_both_networks(models):
    generator, discriminator = models
    latents, pitch = torch.randn(4, 16), torch.tensor([48, 55, 60, 72])
    for stage, (rows, frames) in enumerate(STAGES):
        spectrogram = generator(latents=latents, pitch=pitch, stage=stage, alpha=0.5).spectrogram
        assert spectrogram.shape == (4, 2, rows, frames) and spectrogram.abs().max() <= 1.0
        out = discriminator(spectrogram, alpha=0.5)
        assert out.scores.shape == (4,) and out.pitch_logits.shape == (4, 25)


def test_generator_fade_in_goes_from_the_lower_stage_to_the_higher(models):
    generator, _ = models
    latents, pitch = torch.randn(3, 16), torch.tensor([50, 60, 70])
    lower = generator.spectrogram(latents, pitch, stage=1)
    higher = generator.spectrogram(latents, pitch, stage=2, alpha=1.0)
    faded = generator.spectrogram(latents, pitch, stage=2, alpha=0.0)
    torch.testing.assert_close(faded, F.interpolate(lower, scale_factor=2, mode="nearest"))
    quarter = generator.spectrogram(latents, pitch, stage=2, alpha=0.25)
    torch.testing.assert_close(quarter, torch.lerp(faded, higher, 0.25))
    assert not torch.allclose(higher, faded)


def test_discriminator_fade_in_goes_from_the_lower_stage_to_the_higher(models):
    _, discriminator = models
    spectrogram = torch.rand(4, 2, 16, 8) * 2 - 1
    pooled = discriminator(F.avg_pool2d(spectrogram, 2)).scores
    torch.testing.assert_close(discriminator(spectrogram, alpha=0.0).scores, pooled)
    with torch.no_grad():  # at alpha 1 the lower stage's input layer plays no part
        before = discriminator(spectrogram, alpha=1.0).scores
        discriminator.from_spectrogram[1].conv.weight.add_(1.0)
        after = discriminator(spectrogram, alpha=1.0).scores
        discriminator.from_spectrogram[1].conv.weight.sub_(1.0)
    torch.testing.assert_close(before, after)


def test_equalized_layers_scale_unit_weights_by_he_constant():
    conv = EqualizedConv2d(32, 64, 3)
    x = torch.randn(2, 32, 5, 7)
    he = math.sqrt(2) / math.sqrt(32 * 9)
    assert conv.weight.std().item() == pytest.approx(1.0, abs=0.05)
    torch.testing.assert_close(conv(x), F.conv2d(x, conv.weight * he, conv.bias, padding=1))
    linear = EqualizedLinear(100, 10, gain=1.0)
    torch.testing.assert_close(linear(torch.eye(100)), (linear.weight * 0.1).T + linear.bias)
    plain = EqualizedConv2d(32, 64, 3, equalized=False)  # He initialisation instead, no run-time scale
    assert plain.runtime_scale == 1.0 and plain.weight.std().item() == pytest.approx(he, rel=0.05)


def test_equalized_learning_rate_makes_updates_relative_to_the_he_scale():
    # An SGD step on the stored weight moves the effective weight by he^2 * gradient: the layer's own scale.
    layer = EqualizedLinear(400, 1)
    x = torch.randn(8, 400)
    layer(x).sum().backward()
    expected = layer.he_constant * (x.sum(0))
    torch.testing.assert_close(layer.weight.grad[0], expected)


def test_pixel_norm_gives_unit_mean_square_per_position():
    x = torch.randn(3, 8, 4, 5) * torch.rand(3, 1, 4, 5) * 10
    normed = pixel_norm(x)
    torch.testing.assert_close(normed.pow(2).mean(dim=1), torch.ones(3, 4, 5), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(pixel_norm(7.0 * x), normed, rtol=1e-4, atol=1e-5)


def test_minibatch_stddev_appends_the_group_spread():
    x = torch.randn(6, 3, 2, 2)
    out = minibatch_stddev(x, group_size=3)  # groups {0, 2, 4} and {1, 3, 5}
    assert out.shape == (6, 4, 2, 2)
    torch.testing.assert_close(out[:, :3], x)
    for members in ([0, 2, 4], [1, 3, 5]):
        spread = x[members].std(dim=0, unbiased=False).mean()
        assert torch.allclose(out[members, 3], spread.expand(3, 2, 2), atol=1e-4)
    same = minibatch_stddev(x[:1].expand(4, -1, -1, -1), group_size=4)
    assert same[:, 3].abs().max() < 1e-3                       # identical samples: no spread
    assert minibatch_stddev(torch.randn(5, 3, 2, 2), group_size=4).shape == (5, 4, 2, 2)  # 5 -> groups of 1


@pytest.mark.parametrize("representation, min_snr", [("mag_if", 35.0), ("mel_if", 20.0)])
def test_spectral_round_trip_through_the_generator_output_transform(representation, min_snr):
    # mag_if loses only the Nyquist bin; mel_if also what hfsynth's mel-IF inverse loses at this tiny FFT.
    config = tiny_config(representation=representation)
    generator = GANSynthGenerator(config)
    note = harmonic_note(config, 440.0)
    spectrogram = generator.transform.encode(note[None])
    assert spectrogram.shape == (1, 2, 32, 16) and spectrogram.abs().max() <= 1.0 + 1e-6
    back = generator.transform.decode(spectrogram)[0]
    assert back.shape == note.shape
    body = config.num_samples - config.stft_n_fft // 2  # the last half window comes from an extrapolated frame
    assert snr_db(note[:body].numpy(), back[:body].numpy()) > min_snr
    assert snr_db(note.numpy(), back.numpy()) > min_snr - 15


def test_the_transform_maps_the_magnitude_range_to_minus_one_one():
    transform = SpectrogramTransform(tiny_config())
    floor, ceiling = tiny_config().log_magnitude_floor, tiny_config().log_magnitude_ceiling
    ends = transform.normalize_log_magnitude(torch.tensor([floor, ceiling]))
    torch.testing.assert_close(ends, torch.tensor([-1.0, 1.0]))
    silence = transform.encode(torch.zeros(1, 256))
    assert torch.all(silence[:, 0] == -1.0)
    with pytest.raises(ValueError, match="256 samples"):
        transform.encode(torch.zeros(1, 255))


def test_one_latent_at_different_pitches_gives_different_notes(models):
    generator, _ = models
    latent = torch.randn(1, 16).expand(3, -1)
    notes = generator.synthesize(latent, [60, 60, 64])
    assert notes.shape == (3, 256)
    torch.testing.assert_close(notes[0], notes[1])
    assert not torch.allclose(notes[0], notes[2], atol=1e-4)
    other = generator.synthesize(torch.randn(1, 16), [60])
    assert not torch.allclose(notes[0], other[0], atol=1e-4)


def test_the_latent_is_projected_onto_the_sphere(models):
    generator, _ = models
    latent, pitch = torch.randn(1, 16), [60]
    torch.testing.assert_close(generator.spectrogram(latent, pitch), generator.spectrogram(5.0 * latent, pitch), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"latents": torch.randn(2, 16), "pitch": torch.tensor([47, 60])}, "outside this model's range"),
        ({"latents": torch.randn(2, 16), "pitch": torch.tensor([60])}, "one pitch per latent"),
        ({"latents": torch.randn(2, 15), "pitch": torch.tensor([60, 60])}, r"\(batch, 16\)"),
        ({"latents": torch.randn(1, 16), "pitch": torch.tensor([60]), "stage": 4}, "stage"),
        ({"latents": torch.randn(1, 16), "pitch": torch.tensor([60]), "alpha": 1.5}, "alpha"),
    ],
)
def test_bad_generator_input_is_a_value_error(models, kwargs, message):
    with pytest.raises(ValueError, match=message):
        models[0](**kwargs)


def test_the_discriminator_refuses_a_resolution_of_no_stage(models):
    with pytest.raises(ValueError, match="stage resolution"):
        models[1](torch.zeros(2, 2, 10, 10))


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"representation": "cqt"}, "representation"),
        ({"stage_resolutions": [[4, 2], [8, 5]]}, "double"),
        ({"channels": [8, 8]}, "one per stage"),
        ({"audio_length_in_s": 0.03}, "audio_length_in_s=0.032"),
        ({"n_fft": 128}, "stft_n_fft // 2 = 64"),
        ({"pitch_min": 80}, "pitch_min <= pitch_max"),
        ({"hop_length": 64}, "smaller than n_fft"),
        ({"gradient_penalty_weight": -1.0}, "gradient_penalty_weight"),
    ],
)
def test_config_validation(overrides, message):
    with pytest.raises(ValueError, match=message):
        tiny_config(**overrides)


def test_the_default_config_is_cpu_sized_and_high_resolution():
    config = GANSynthConfig()
    assert (config.stft_n_fft, config.stft_hop_length) == (512, 256)
    assert config.spectrogram_shape == (256, 64) and config.num_samples == 16384
    assert 1e6 < sum(p.numel() for p in GANSynthGenerator(config).parameters()) < 2e6


def test_release_envelope_and_note_length():
    envelope = release_envelope(10, hold=3, release=4)
    assert envelope[:3].tolist() == [1.0, 1.0, 1.0] and envelope[7:].tolist() == [0.0, 0.0, 0.0]
    assert torch.all(envelope[3:7].diff() < 0) and 0 < envelope[6] < envelope[3] < 1
    assert release_envelope(10, hold=100, release=4)[5] == 1.0 and release_envelope(10, 100, 4)[-1] < 1.0
    notes = torch.ones(2, 20)
    longer = fit_note_length(notes, 30, fade=4)
    assert longer.shape == (2, 30) and longer[:, 20:].abs().max() == 0 and longer[0, 19] < 1.0
    short = fit_note_length(notes, 8, fade=4)
    assert short.shape == (2, 8) and short[0, :4].tolist() == [1.0] * 4 and short[0, -1] < 1.0


def test_save_and_load_round_trip(tmp_path):
    generator, discriminator = GANSynthGenerator(tiny_config()).eval(), GANSynthDiscriminator(tiny_config()).eval()
    with torch.no_grad():  # trained-looking weights everywhere, not the initial values
        for parameter in [*generator.parameters(), *discriminator.parameters()]:
            parameter.add_(0.1 * torch.randn_like(parameter))
    generator.save_pretrained(tmp_path / "g")
    discriminator.save_pretrained(tmp_path / "d")
    latents, pitch = torch.randn(2, 16), torch.tensor([50, 70])
    loaded = GANSynthGenerator.from_pretrained(tmp_path / "g").eval()
    assert loaded.config.stage_resolutions == STAGES
    assert loaded.config.log_magnitude_ceiling == generator.config.log_magnitude_ceiling
    torch.testing.assert_close(loaded.synthesize(latents, pitch), generator.synthesize(latents, pitch))
    spectrogram = torch.rand(2, 2, 32, 16)
    torch.testing.assert_close(GANSynthDiscriminator.from_pretrained(tmp_path / "d")(spectrogram).scores,
                               discriminator(spectrogram).scores)


def test_the_pitch_weighs_as_much_as_the_latent_in_the_generator_input():
    from hfsynth.models.gansynth import GANSynthConfig

    model = GANSynthGenerator(tiny_config())
    z = model.conditioning(torch.randn(3, model.config.latent_size), torch.tensor([60, 61, 62]))
    latent, pitch = z[:, : model.config.latent_size], z[:, model.config.latent_size :]
    torch.testing.assert_close(pitch.norm(dim=1), latent.norm(dim=1))
    assert GANSynthConfig(pitch_scale=1.0).pitch_scale == 1.0           # the plain one-hot, if wanted
    with pytest.raises(ValueError, match="pitch_scale"):
        GANSynthConfig(pitch_scale=0.0)


# ------------------------------------------------------------------------------ harmonic comb
def test_the_harmonic_comb_marks_the_harmonics_of_the_fundamental():
    rows = torch.arange(64) * 31.25                                   # 31.25 Hz rows from 0 Hz
    comb = harmonic_comb(torch.tensor([250.0, 500.0]), rows, torch.full((64,), 31.25))
    assert comb.shape == (2, 1, 64, 1)
    peaks = [torch.nonzero(comb[b, 0, :, 0] > 0.99).flatten().tolist() for b in range(2)]
    assert peaks[0] == list(range(8, 64, 8)) and peaks[1] == list(range(16, 64, 16))  # k * f0 / 31.25
    assert comb[0, 0, :7, 0].max() < 0.01 and comb[0, 0, 12, 0] < 0.01   # below f0, between harmonics


def test_stage_rows_pool_the_top_rows_like_the_real_spectrograms():
    centres, widths = stage_rows(torch.arange(8) * 10.0, 2)
    assert centres.tolist() == [15.0, 55.0] and widths.tolist() == [40.0, 40.0]


def test_harmonic_conditioning_feeds_the_comb_to_every_block_and_round_trips(tmp_path):
    config = tiny_config(harmonic_conditioning=True)
    generator = GANSynthGenerator(config).eval()
    assert [block.conv1.weight.shape[1] for block in generator.blocks] == [17, 17, 9]   # channels + comb
    latents = torch.randn(2, config.latent_size)
    same_latents = latents[:1].expand(2, -1)
    with torch.no_grad():
        spectrogram = generator(latents=same_latents, pitch=torch.tensor([50, 70])).spectrogram
        assert not torch.allclose(spectrogram[0], spectrogram[1])
        generator.save_pretrained(tmp_path / "g")
        reloaded = GANSynthGenerator.from_pretrained(tmp_path / "g").eval()
        torch.testing.assert_close(reloaded(latents=latents, pitch=torch.tensor([50, 70])).spectrogram,
                                   generator(latents=latents, pitch=torch.tensor([50, 70])).spectrogram)
    plain = GANSynthGenerator(tiny_config())
    assert plain.comb_at(1, torch.tensor([60])) is None
    assert [block.conv1.weight.shape[1] for block in plain.blocks] == [16, 16, 8]       # unchanged without it


def test_with_harmonic_conditioning_the_critic_judges_a_note_for_its_pitch():
    config = tiny_config(harmonic_conditioning=True)
    critic = GANSynthDiscriminator(config).eval()
    rows, frames = config.stage_resolutions[-1]
    notes = torch.randn(2, 2, rows, frames)
    with torch.no_grad():
        as_asked = critic(notes, pitch=torch.tensor([50, 70])).scores
        other = critic(notes, pitch=torch.tensor([70, 50])).scores
        faded = critic(notes[:, :, : rows // 2, : frames // 2], alpha=0.5, pitch=torch.tensor([50, 70])).scores
    assert not torch.allclose(as_asked, other) and torch.isfinite(faded).all()
    with pytest.raises(ValueError, match="needs the requested pitch"):
        critic(notes)
    plain = GANSynthDiscriminator(tiny_config()).eval()
    with torch.no_grad():                                             # without the flag, the pitch is not read
        torch.testing.assert_close(plain(notes, pitch=torch.tensor([50, 70])).scores, plain(notes).scores)
