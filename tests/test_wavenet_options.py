"""WaveNet's options for published models: upsamplers, input and skip variants, mu-law conventions,
samplers and noise sources. Each must keep incremental generation equal to naive generation for
the same noise, survive save/load, and leave the defaults (hfsynth's own WaveNet) as they were."""

import math

import pytest
import torch

from hfsynth.audio.mulaw import MuLawCodec, mulaw_decode, mulaw_encode
from hfsynth.models.wavenet import WaveNetConfig, WaveNetModel
from hfsynth.models.wavenet.sampling_wavenet import GeneratorNoise, NumpyNoise, RecordedNoise
from test_wavenet_model import tiny_config

MEL = dict(local_cond_channels=5, upsample_scales=[2, 3], mel_frontend="none")

VARIANTS = {
    "conv_in upsampler, gumbel-logistic": dict(output_distribution="mol", upsample_net="conv_in", upsample_context=2,
                                               upsample_freq_kernel_size=3, sampling="gumbel_logistic", **MEL),
    "transposed upsampler, unclamped, no skip scale": dict(output_distribution="mol", upsample_net="transposed",
                                                           upsample_freq_kernel_size=3, skip_scale=1.0,
                                                           sampling="gumbel_logistic_unclamped", **MEL),
    "scalar codes (UMT-like), inverse CDF": dict(scalar_input=True, input_kernel_size=2, input_skip=True,
                                                 head_conditioning=True, residual_scale=1.0, skip_scale=1.0,
                                                 upsample_net="repeat", mulaw_rounding="floor", mulaw_decode_levels=256,
                                                 initial_code=128, sampling="inverse_cdf", **MEL),
    "mu = 256 codes, exponential race": dict(mulaw_mu=256, mulaw_rounding="floor", sampling="exponential_race",
                                             global_cond_classes=2, **MEL),
}


def model_of(overrides: dict) -> WaveNetModel:
    torch.manual_seed(0)
    model = WaveNetModel(tiny_config(**overrides)).eval().double()
    with torch.no_grad():  # every weight visibly non-zero, biases too
        for parameter in model.parameters():
            parameter.add_(0.2 * torch.randn_like(parameter))
    return model


def conditioning_of(model: WaveNetModel) -> dict:
    kwargs = {"mel": torch.rand(2, 5, 8, dtype=torch.float64)}
    if model.config.global_cond_classes:
        kwargs["class_ids"] = torch.tensor([0, 1])
    return kwargs


@pytest.mark.parametrize("name", list(VARIANTS))
def test_incremental_generation_equals_naive_for_every_variant(name):
    model = model_of(VARIANTS[name])
    kwargs = conditioning_of(model)
    fast = model.sample_waveform(40, generator=torch.Generator().manual_seed(1), **kwargs)
    slow = model.sample_waveform(40, generator=torch.Generator().manual_seed(1), incremental=False, **kwargs)
    assert fast.shape == (2, 40) and fast.std() > 0
    torch.testing.assert_close(fast, slow, atol=1e-9, rtol=0)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_incremental_logits_equal_naive_logits_for_every_variant(name):
    """The same past in both step generators gives the same logits (sampling aside)."""
    model = model_of(VARIANTS[name])
    local, global_ = model.conditioning(40, conditioning_of(model)["mel"], conditioning_of(model).get("class_ids"), 2)
    samples = (torch.randint(0, 256, (2, 41)) if model.categorical else torch.rand(2, 41, dtype=torch.float64) - 0.5)
    with torch.no_grad():
        fast = torch.cat(list(model._incremental_steps(samples, local, global_)), dim=-1)
        slow = torch.cat(list(model._naive_steps(samples, local, global_)), dim=-1)
    torch.testing.assert_close(fast, slow, atol=1e-10, rtol=0)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variants_round_trip_through_save_and_load(name, tmp_path):
    model = model_of(VARIANTS[name]).float()
    model.save_pretrained(tmp_path)
    loaded = WaveNetModel.from_pretrained(tmp_path).eval()
    kwargs = {key: value.float() if value.is_floating_point() else value
              for key, value in conditioning_of(model).items()}
    audio = torch.rand(2, 48) - 0.5
    torch.testing.assert_close(loaded(audio, **kwargs).logits, model(audio, **kwargs).logits)
    assert loaded.config.to_diff_dict() == model.config.to_diff_dict()


def test_the_same_recorded_noise_gives_the_same_samples():
    """A RecordedNoise of what a GeneratorNoise drew replays its samples."""
    model = model_of(VARIANTS["conv_in upsampler, gumbel-logistic"])
    mel = torch.rand(1, 5, 4, dtype=torch.float64)

    class Recording(GeneratorNoise):
        def __init__(self, generator):
            super().__init__(generator)
            self.log = {"component": [], "logistic": []}

        def uniform(self, stream, shape, low=0.0, high=1.0, dtype=torch.float32):
            values = super().uniform(stream, shape, low, high, dtype)
            self.log[stream].append(values)
            return values

    recording = Recording(torch.Generator().manual_seed(4))
    drawn = model.sample_waveform(24, mel=mel, noise=recording)
    replay = RecordedNoise(**{stream: torch.stack(values) for stream, values in recording.log.items()})
    assert torch.equal(model.sample_waveform(24, mel=mel, noise=replay), drawn)
    assert replay.used == {"component": 24, "logistic": 24}


def test_recorded_noise_errors_are_clear():
    noise = RecordedNoise(choice=torch.rand(2, 1))
    noise.uniform("choice", (1,))
    with pytest.raises(ValueError, match="'race' stream; the recording has choice"):
        noise.exponential("race", (1, 4))
    with pytest.raises(ValueError, match="has 1 values; the sampler asks for shape \\(2,\\)"):
        noise.uniform("choice", (2,))
    noise.uniform("choice", (1,))
    with pytest.raises(ValueError, match="ran out after 2 draws"):
        noise.uniform("choice", (1,))


def test_numpy_noise_draws_as_numpy_s_legacy_generator():
    import numpy as np

    np.random.seed(3)
    expected = np.random.random_sample(5)
    assert torch.equal(NumpyNoise(3).uniform("choice", (5,), dtype=torch.float64), torch.from_numpy(expected))


def test_generation_starts_from_the_configured_code():
    assert model_of({}).initial_samples(1, 1).item() == 128                       # round(127.5): today's start
    assert model_of({"mulaw_rounding": "floor"}).initial_samples(1, 1).item() == 127
    assert model_of({"mulaw_mu": 256, "mulaw_rounding": "floor"}).initial_samples(1, 1).item() == 128
    assert model_of({"initial_code": 3}).initial_samples(2, 4).eq(3).all()
    assert model_of({"output_distribution": "mol"}).initial_samples(1, 2).eq(0.0).all()


def test_the_default_mulaw_codec_is_mulaw_encode():
    audio = torch.linspace(-1, 1, 2001)
    assert torch.equal(MuLawCodec().encode(audio), mulaw_encode(audio))
    assert torch.equal(MuLawCodec().decode(torch.arange(256)), mulaw_decode(torch.arange(256)))
    umt = MuLawCodec(256, 255, "floor", 256)
    assert umt.decode(torch.tensor([128, 0, 255])).tolist() == pytest.approx([0.0, -1.0, 0.9574], abs=1e-4)


def test_the_residual_and_skip_scales_are_what_the_config_says():
    plain = model_of({})
    assert plain.skip_scale == math.sqrt(1 / 6) and plain.layers[0].residual_scale == math.sqrt(0.5)
    assert model_of({"skip_scale": 1.0, "residual_scale": 1.0}).skip_scale == 1.0


@pytest.mark.parametrize("overrides, message", [
    ({"upsample_net": "wavelet"}, "upsample_net must be one of"),
    ({"upsample_freq_kernel_size": 2}, "must be odd"),
    ({"sampling": "gumbel_logistic"}, "draws from mol outputs, not 'mulaw256'"),
    ({"output_distribution": "mol", "sampling": "inverse_cdf"}, "draws from mulaw256 outputs"),
    ({"input_kernel_size": 2}, "needs scalar_input=True"),
    ({"head_conditioning": True}, "needs local conditioning"),
    ({"mulaw_rounding": "ceil"}, "rounding must be one of"),
    ({"initial_code": 256}, "initial_code must be an integer in"),
    ({"mel_frontend": "mfcc"}, "mel_frontend must be one of"),
    ({"audio_gain": 0.0}, "audio_gain must be a finite number > 0"),
    ({"residual_scale": -1.0}, "residual_scale"),
])
def test_option_validation(overrides, message):
    with pytest.raises(ValueError, match=message):
        WaveNetConfig(**{**dict(layers=6, stacks=2), **overrides})


def test_mel_frontend_none_takes_no_audio():
    model = model_of(MEL)
    with pytest.raises(ValueError, match="takes no mel"):
        model.mel_from_audio(torch.zeros(1, 64))


@pytest.mark.parametrize("precision, bound", [("float16", 2e-3), ("int8", 6e-2)])
def test_reduced_precision_weights_stay_close_to_float32_in_incremental_generation(precision, bound, tmp_path):
    """``incremental_weights`` changes only how the residual layers' weights are stored: the same
    past gives logits within the storage's precision, and it is chosen at load time."""
    model = model_of(VARIANTS["conv_in upsampler, gumbel-logistic"]).float()
    model.save_pretrained(tmp_path)
    reduced = WaveNetModel.from_pretrained(tmp_path, incremental_weights=precision).eval()
    assert reduced.config.incremental_weights == precision
    local, _ = model.conditioning(40, torch.rand(1, 5, 8), None, 1)
    samples = torch.rand(1, 41) - 0.5
    with torch.no_grad():
        exact = torch.cat(list(model._incremental_steps(samples, local, None)), dim=-1)
        close = torch.cat(list(reduced._incremental_steps(samples, local, None)), dim=-1)
    error = ((close - exact).norm() / exact.norm()).item()
    assert 0 < error < bound
    for name, tensor in model.state_dict().items():             # the module's own weights stay float32
        torch.testing.assert_close(reduced.state_dict()[name], tensor, rtol=0, atol=0)


def test_incremental_weights_must_be_a_known_storage():
    with pytest.raises(ValueError, match=r"incremental_weights must be one of \('float32', 'float16', 'int8'\)"):
        WaveNetConfig(incremental_weights="bfloat16")
