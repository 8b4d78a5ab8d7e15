"""WaveNet: receptive field, conditioning checks, teacher forcing, naive == incremental generation."""

import pytest
import torch

from hfsynth.audio.emphasis import de_emphasis, pre_emphasis
from hfsynth.audio.mulaw import mulaw_compress
from hfsynth.models.wavenet import WaveNetConfig, WaveNetModel


def tiny_config(**overrides) -> WaveNetConfig:
    settings = dict(layers=6, stacks=2, residual_channels=8, gate_channels=16, skip_channels=8, kernel_size=3,
                    sampling_rate=8000)
    settings.update(overrides)
    return WaveNetConfig(**settings)


def test_receptive_field_follows_the_dilations():
    config = tiny_config()  # dilations 1, 2, 4, 1, 2, 4
    assert config.dilations == [1, 2, 4, 1, 2, 4]
    assert config.receptive_field == 2 * 14 + 1
    assert WaveNetConfig(layers=24, stacks=4, kernel_size=3).receptive_field == 2 * 4 * 63 + 1


def test_outputs_depend_on_exactly_the_receptive_field():
    model = WaveNetModel(tiny_config()).eval()
    field = model.config.receptive_field
    audio = torch.rand(1, 100) * 2 - 1
    base = model(audio).logits
    changed = audio.clone()
    changed[0, 10] = -changed[0, 10]   # input position 10 feeds logits at positions 10 .. 10 + field - 1
    diff = (model(changed).logits - base).abs().sum(dim=1)[0]
    influenced = torch.nonzero(diff > 1e-6).flatten()
    assert influenced.min() == 10 and influenced.max() == 10 + field - 1


@pytest.mark.parametrize("distribution", ["mulaw256", "mol"])
def test_teacher_forcing_loss_is_finite_and_trainable(distribution):
    model = WaveNetModel(tiny_config(output_distribution=distribution))
    audio = 0.5 * torch.sin(torch.arange(400) * 0.3)[None].repeat(2, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = model(audio).loss.item()
    for _ in range(30):
        loss = model(audio).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < first - 0.5


@pytest.mark.parametrize(
    "overrides, kwargs",
    [
        ({}, {}),
        ({"global_cond_classes": 3}, {"class_ids": torch.tensor([0, 2])}),
        ({"local_cond_channels": 5, "upsample_scales": [2, 3]}, {"mel": torch.randn(2, 5, 7)}),
        ({"output_distribution": "mol"}, {}),
    ],
)
def test_incremental_generation_equals_naive(overrides, kwargs):
    model = WaveNetModel(tiny_config(**overrides)).eval().double()
    if "mel" in kwargs:
        kwargs["mel"] = kwargs["mel"].double()
    samples = 40
    fast = model.sample_waveform(samples, batch_size=2, generator=torch.Generator().manual_seed(3), **kwargs)
    slow = model.sample_waveform(samples, batch_size=2, generator=torch.Generator().manual_seed(3),
                                   incremental=False, **kwargs)
    assert fast.shape == (2, samples)
    assert torch.allclose(fast, slow, atol=1e-9)
    assert fast.abs().max() <= 1.0 and fast.std() > 0


def test_pre_emphasis_model_predicts_the_emphasised_audio_and_generates_the_plain_one():
    """Same weights: a pre-emphasis model's loss on x is the plain model's loss on x[t] - a x[t-1],
    and its generated audio is the plain model's, de-emphasised."""
    plain = WaveNetModel(tiny_config()).eval()
    emphasised = WaveNetModel(tiny_config(pre_emphasis=0.85)).eval()
    emphasised.load_state_dict(plain.state_dict())
    audio = 0.5 * torch.sin(torch.arange(300) * 0.2)[None]
    assert torch.allclose(emphasised(audio).loss, plain(pre_emphasis(audio, 0.85)).loss)
    drawn = plain.sample_waveform(50, generator=torch.Generator().manual_seed(0))
    generated = emphasised.sample_waveform(50, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(generated, de_emphasis(drawn, 0.85), atol=1e-6)


def test_input_noise_corrupts_the_training_inputs_only():
    """Noise reaches the teacher-forced past in training mode; eval and the targets stay exact."""
    clean = WaveNetModel(tiny_config()).eval()
    noisy = WaveNetModel(tiny_config(input_noise=0.05)).eval()
    noisy.load_state_dict(clean.state_dict())
    audio = 0.5 * torch.sin(torch.arange(300) * 0.2)[None]
    assert torch.equal(noisy(audio).loss, clean(audio).loss)            # eval: no noise
    noisy.train()
    clean.train()
    assert not torch.allclose(noisy(audio).logits, clean(audio).logits)  # training: a different past
    torch.manual_seed(0)
    past = noisy.noisy_past(audio)
    error = mulaw_compress(past) - mulaw_compress(audio)                 # the noise, in the companded domain
    assert 0.03 < error.std() < 0.07 and past.abs().max() <= 1.0
    assert torch.equal(clean.noisy_past(audio), audio)


def test_conditioning_errors_are_clear():
    vocoder = WaveNetModel(tiny_config(local_cond_channels=5, upsample_scales=[2, 3]))
    with pytest.raises(ValueError, match="bands"):
        vocoder.sample_waveform(12, mel=torch.randn(1, 4, 2))
    with pytest.raises(ValueError, match="does not fit"):
        vocoder(torch.zeros(1, 13), mel=torch.randn(1, 5, 2))
    with pytest.raises(ValueError, match="fewer than"):
        vocoder.sample_waveform(13, mel=torch.randn(1, 5, 2))
    classes = WaveNetModel(tiny_config(global_cond_classes=2))
    with pytest.raises(ValueError, match="0..1"):
        classes.sample_waveform(4, class_ids=torch.tensor([2]))
    with pytest.raises(ValueError, match="positive integer"):
        classes.sample_waveform(0, class_ids=torch.tensor([0]))


def test_config_validation():
    with pytest.raises(ValueError, match="multiple of stacks"):
        WaveNetConfig(layers=5, stacks=2)
    with pytest.raises(ValueError, match="output_distribution"):
        WaveNetConfig(output_distribution="gaussian")
    with pytest.raises(ValueError, match="pre_emphasis"):
        WaveNetConfig(pre_emphasis=1.5)
    with pytest.raises(ValueError, match="input_noise"):
        WaveNetConfig(input_noise=-0.1)


def test_save_and_load_round_trip(tmp_path):
    model = WaveNetModel(tiny_config(local_cond_channels=5, upsample_scales=[2, 3])).eval()
    with torch.no_grad():  # trained-looking weights everywhere, not the initial values
        for parameter in model.parameters():
            parameter.add_(0.1 * torch.randn_like(parameter))
    audio, mel = torch.rand(1, 24) - 0.5, torch.randn(1, 5, 4)
    model.save_pretrained(tmp_path)
    loaded = WaveNetModel.from_pretrained(tmp_path).eval()
    assert torch.allclose(loaded(audio, mel=mel).logits, model(audio, mel=mel).logits, atol=1e-6)
