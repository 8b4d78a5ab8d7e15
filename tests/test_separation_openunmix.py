"""The Open-Unmix architecture of the separator: its config options, shapes, the residual stem, the
per-call post-filter options and their checks. Parity with open-unmix itself is in
``test_convert_openunmix.py``."""

import pytest
import torch

from hfsynth.models.separation import SeparationConfig, SeparationModel
from test_separation_model import tiny_model

RATE = 8000
STEMS = ["vocals", "drums", "bass", "other"]


def openunmix_config(**overrides) -> SeparationConfig:
    settings = dict(architecture="openunmix", stem_names=STEMS, sampling_rate=RATE, audio_channels=2, n_fft=256,
                    hop_length=64, max_bin=100, hidden_size=8, lstm_layers=2, dropout=0.4, wiener_win_len=8)
    return SeparationConfig(**{**settings, **overrides})


def openunmix_model(**overrides) -> SeparationModel:
    torch.manual_seed(0)
    return SeparationModel(openunmix_config(**overrides)).eval()


def mixture(channels: int = 2, samples: int = 2000) -> torch.Tensor:
    return 0.1 * torch.randn(1, channels, samples, generator=torch.Generator().manual_seed(1))


def test_config_round_trips(tmp_path):
    openunmix_config(residual="other", bidirectional=False, hidden_size=7, niter=2).save_pretrained(tmp_path)
    loaded = SeparationConfig.from_pretrained(tmp_path)
    assert (loaded.architecture, loaded.max_bin, loaded.bidirectional) == ("openunmix", 100, False)
    assert loaded.hidden_size == 7  # odd is fine for one direction
    assert (loaded.niter, loaded.wiener_win_len, loaded.residual) == (2, 8, "other")
    assert loaded.network_stems == ["vocals", "drums", "bass"]
    assert SeparationConfig().architecture == "mask"  # the shipped model's default is unchanged


@pytest.mark.parametrize("bad, message", [
    (dict(architecture="wave-u-net"), "architecture"),
    (dict(max_bin=130), "max_bin"),
    (dict(audio_channels=3), "one or two channels"),
    (dict(niter=-1), "niter"),
    (dict(wiener_win_len=-5), "wiener_win_len"),
    (dict(residual="piano"), "residual"),
    (dict(hidden_size=7), "hidden_size"),
])
def test_config_rejects_bad_settings(bad, message):
    with pytest.raises(ValueError, match=message):
        openunmix_config(**bad)


def test_one_network_per_stem_with_open_unmix_s_layers():
    model = openunmix_model()
    assert list(model.openunmix.targets) == STEMS
    network = model.openunmix.targets["vocals"]
    assert network.fc1.weight.shape == (8, 2 * 100) and network.fc3.weight.shape == (2 * 129, 8)
    assert network.lstm.bidirectional and network.lstm.hidden_size == 4 and network.input_mean.shape == (100,)
    causal = openunmix_model(bidirectional=False).openunmix.targets["vocals"].lstm
    assert not causal.bidirectional and causal.hidden_size == 8
    assert list(openunmix_model(residual="other").openunmix.targets) == ["vocals", "drums", "bass"]


def test_stems_come_back_at_the_input_s_length_and_the_residual_completes_the_mixture():
    model, audio = openunmix_model(), mixture()
    out = model(audio)
    assert out.stems.shape == (1, 4, 2, 2000) and out.stems.dtype == torch.float32 and out.masks is None
    # the residual "other" is what the other stems leave; without EM the stems sum to the mixture
    stems = model.separate(audio, niter=0, residual="other")
    torch.testing.assert_close(stems.sum(dim=1), audio, atol=1e-5, rtol=0)
    assert not torch.allclose(stems[:, 3], model.separate(audio, niter=0)[:, 3])


def test_the_post_filter_options_are_per_call_with_the_config_s_defaults():
    model, audio = openunmix_model(niter=0), mixture()
    torch.testing.assert_close(model.separate(audio), model.separate(audio, niter=0))
    assert not torch.allclose(model.separate(audio), model.separate(audio, niter=1))
    torch.testing.assert_close(model.separate(audio, niter=1, wiener_win_len=None),
                               model.separate(audio, niter=1, wiener_win_len=0))
    stems = model.audio_to_audio(audio, residual="bass").stems
    assert stems.shape == (1, 4, 2, 2000)


@pytest.mark.parametrize("options, message", [
    (dict(niter=-1), "niter"), (dict(wiener_win_len=2.5), "wiener_win_len"), (dict(residual="piano"), "residual"),
    (dict(softmask=True), "unknown separation option"),
])
def test_bad_post_filter_options_are_value_errors(options, message):
    with pytest.raises(ValueError, match=message):
        openunmix_model().separate(mixture(), **options)


def test_a_stem_without_network_can_only_be_the_residual():
    model = openunmix_model(residual="other")
    assert model.separate(mixture()).shape == (1, 4, 2, 2000)
    with pytest.raises(ValueError, match=r"\['other'\] have no network"):
        model.separate(mixture(), residual="vocals")


def test_channels_follow_open_unmix():
    mono = openunmix_model(audio_channels=1)
    assert mono.separate(mixture(channels=1)).shape == (1, 4, 1, 2000)
    assert mono.separate(mixture(channels=2)).shape == (1, 4, 2, 2000)   # magnitudes down-mixed, phases kept
    with pytest.raises(ValueError, match="2-channel audio; got 1"):
        openunmix_model().separate(mixture(channels=1))


def test_the_mask_model_refuses_post_filter_options():
    with pytest.raises(ValueError, match="for Open-Unmix models only"):
        tiny_model().audio_to_audio(0.1 * torch.randn(1, 1, 1000), niter=1)


def test_saved_weights_come_back(tmp_path):
    model = openunmix_model()
    model.save_pretrained(tmp_path)
    loaded = SeparationModel.from_pretrained(tmp_path).eval()
    torch.testing.assert_close(loaded.separate(mixture()), model.separate(mixture()))
