"""The separator itself: config round-trip, shapes, stems summing to the mixture, chunked long inputs,
input checks, and the grouping of score parts into stems."""

import pytest
import torch

from hfsynth.models.separation import SeparationConfig, SeparationModel
from hfsynth.models.separation.data_separation import StemGrouping

RATE = 8000


def tiny_config(**overrides) -> SeparationConfig:
    settings = dict(sampling_rate=RATE, n_fft=256, hop_length=64, hidden_size=16, lstm_layers=1,
                    dropout=0.0, chunk_in_s=0.5, overlap_in_s=0.125)
    return SeparationConfig(**{**settings, **overrides})


def tiny_model(**overrides) -> SeparationModel:
    return SeparationModel(tiny_config(**overrides)).eval()


def test_config_round_trips_and_keeps_stem_names(tmp_path):
    config = tiny_config(stem_names=["bass", "drums", "other"])
    config.save_pretrained(tmp_path)
    loaded = SeparationConfig.from_pretrained(tmp_path)
    assert loaded.model_type == "hfsynth_separation"
    assert loaded.stem_names == ["bass", "drums", "other"] and loaded.num_stems == 3
    assert (loaded.n_fft, loaded.hop_length, loaded.chunk_in_s) == (256, 64, 0.5)


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(stem_names=["bass"]), "stem_names"),
        (dict(stem_names=["bass", "bass"]), "stem_names"),
        (dict(hidden_size=15), "hidden_size"),
        (dict(overlap_in_s=0.3), "overlap_in_s"),
        (dict(sampling_rate=0), "sampling_rate"),
    ],
)
def test_config_rejects_bad_settings(bad, message):
    with pytest.raises(ValueError, match=message):
        tiny_config(**bad)


def test_forward_shapes_and_the_stems_sum_to_the_mixture():
    model = tiny_model()
    mixture = 0.1 * torch.randn(2, 1, 1000)
    out = model(mixture)
    assert out.stems.shape == (2, 3, 1, 1000)
    assert out.masks.shape == (2, 3, 1, 129, 1000 // 64 + 1)
    assert torch.allclose(out.masks.sum(dim=1), torch.ones(()), atol=1e-5)
    assert torch.allclose(out.stems.sum(dim=1), mixture, atol=1e-5)
    stereo = model(0.1 * torch.randn(1, 2, 1000)).stems
    assert stereo.shape == (1, 3, 2, 1000)


def test_gradients_reach_every_parameter():
    model = tiny_model().train()
    target = torch.randn(1, 3, 1, 800)
    (model(0.1 * torch.randn(1, 1, 800)).stems - target).abs().mean().backward()
    assert all(param.grad is not None and param.grad.abs().sum() > 0 for param in model.parameters())


def test_long_inputs_are_chunked_consistently():
    model = tiny_model()
    chunk, overlap = model.chunk_layout()                  # 4000 and 1000 samples
    mixture = 0.1 * torch.randn(1, 1, 3 * chunk + 123)
    stems = model.separate(mixture)
    assert stems.shape == (1, 3, 1, mixture.shape[-1])
    assert torch.allclose(stems.sum(dim=1), mixture, atol=1e-5)
    # Where the first chunk has full weight, the output is the first chunk separated on its own.
    gain = model.config.input_rms / mixture.square().mean().sqrt()
    alone = model(mixture[..., :chunk] * gain).stems / gain
    assert torch.allclose(stems[..., : chunk - overlap], alone[..., : chunk - overlap], atol=1e-6)
    # An input no longer than one chunk is separated in one pass (at its own level).
    short = mixture[..., :chunk]
    gain = model.config.input_rms / short.square().mean().sqrt()
    assert torch.allclose(model.separate(short), model(short * gain).stems / gain, atol=1e-6)


def test_separation_does_not_depend_on_the_input_level():
    model = tiny_model()
    mixture = 0.1 * torch.randn(1, 1, 2000)
    assert torch.allclose(model.separate(3 * mixture), 3 * model.separate(mixture), atol=1e-5)


def test_audio_to_audio_squeezes_mono_and_validates():
    model = tiny_model()
    assert model.audio_to_audio(0.1 * torch.randn(1, 1, 1000)).stems.shape == (1, 3, 1000)
    with pytest.raises(ValueError, match="too short"):
        model.audio_to_audio(torch.randn(1, 1, 100))
    with pytest.raises(ValueError, match="silent"):
        model.audio_to_audio(torch.zeros(1, 1, 1000))
    with pytest.raises(ValueError, match="NaN"):
        model.audio_to_audio(torch.full((1, 1, 1000), float("nan")))
    with pytest.raises(ValueError, match="batch, channels, samples"):
        model.audio_to_audio(torch.randn(1000))


def test_parts_are_grouped_into_stems_by_family():
    grouping = StemGrouping(["vocals", "bass", "other"])
    parts = torch.arange(4.0)[:, None].expand(4, 5)       # part i is constant i
    grouped = grouping(parts, ["vocal", "keyboard", "keyboard", "bass"])
    assert grouped[:, 0].tolist() == [0.0, 3.0, 3.0]       # vocals = part 0, bass = part 3, other = 1 + 2
    assert torch.equal(grouped.sum(dim=0), parts.sum(dim=0))
    with pytest.raises(ValueError, match="not among"):
        StemGrouping(["vocals", "other"], {"bass": "bass"})


def test_saved_weights_come_back(tmp_path):
    model = tiny_model()
    model.save_pretrained(tmp_path)
    loaded = SeparationModel.from_pretrained(tmp_path).eval()
    mixture = 0.1 * torch.randn(1, 1, 1500)
    assert torch.allclose(loaded.separate(mixture), model.separate(mixture), atol=1e-6)
