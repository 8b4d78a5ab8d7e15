"""Training-time augmentations: noise at the asked SNR, a low-pass that removes what lies above it,
codec round trips on the chosen rows."""

import pytest
import torch
from transformers import EncodecModel

from hfsynth.audio.metrics import snr_db
from hfsynth.models.audiogen.configuration_audiogen import small_encodec_config
from hfsynth.models.note_classifier.training_note_classifier import NoteClassifierRecipe
from hfsynth.modules.augmentation import CodecRoundTrip, add_white_noise, codec_round_trip, low_pass

RATE = 16000
TIME = torch.arange(RATE) / RATE


def test_white_noise_lands_at_the_requested_snr():
    clean = 0.2 * torch.sin(2 * torch.pi * 440 * TIME).repeat(2, 1)
    noisy = add_white_noise(clean, torch.tensor([10.0, 30.0]), torch.Generator().manual_seed(0))
    torch.testing.assert_close(snr_db(clean, noisy), torch.tensor([10.0, 30.0]), atol=0.3, rtol=0)


def spectrum_at(audio: torch.Tensor, hz: int) -> torch.Tensor:
    return torch.fft.rfft(audio, dim=-1).abs()[..., hz]     # 1 s rows: bin k is k Hz


def test_low_pass_keeps_what_is_below_and_removes_what_is_above():
    tones = torch.sin(2 * torch.pi * 500 * TIME) + torch.sin(2 * torch.pi * 5000 * TIME)
    filtered = low_pass(tones.repeat(2, 1), torch.tensor([4000.0, 8000.0]), RATE)
    original = spectrum_at(tones, 5000)
    assert spectrum_at(filtered[0], 5000) < 1e-3 * original                   # 5 kHz above a 4 kHz cutoff
    torch.testing.assert_close(spectrum_at(filtered[1], 5000), original, rtol=1e-3, atol=0)
    torch.testing.assert_close(spectrum_at(filtered[:, None], 500)[:, 0], spectrum_at(tones, 500).repeat(2), rtol=1e-3, atol=0)


def recipe(**augmentation) -> NoteClassifierRecipe:
    return NoteClassifierRecipe(model=dict(n_mels=16, channels=[4], embedding_size=8), crop_seconds=(0.1, 0.1),
                                max_offset_seconds=0.0, gain_db=(0.0, 0.0), **augmentation)


def batch_of_tones(count: int) -> list[dict]:
    tone = 0.2 * torch.sin(2 * torch.pi * 440 * TIME)
    return [dict(audio=tone, pitch=69, instrument_family=0, velocity=1) for _ in range(count)]


def test_the_classifier_recipe_degrades_the_chosen_share_of_crops():
    torch.manual_seed(0)
    clean = recipe().collate(batch_of_tones(64))["input_values"]
    noisy = recipe(noise_probability=0.5, noise_snr_db=(20.0, 20.0)).collate(batch_of_tones(64))["input_values"]
    changed = (noisy - clean).abs().amax(dim=-1) > 1e-4
    assert 16 <= int(changed.sum()) <= 48
    torch.testing.assert_close(snr_db(clean[changed], noisy[changed]), torch.full((int(changed.sum()),), 20.0),
                               atol=1.0, rtol=0)


@pytest.fixture(scope="module")
def codec() -> EncodecModel:
    """A randomly initialised 16 kHz codec: round trips change audio audibly, as a trained one does."""
    torch.manual_seed(0)
    return EncodecModel(small_encodec_config(num_codebooks=2, num_filters=4, hidden_size=16, codebook_size=16)).eval()


def test_codec_round_trip_keeps_the_length_and_batches_alike(codec):
    audio = 0.2 * torch.sin(2 * torch.pi * torch.tensor([[220.0], [440.0], [880.0]]) * TIME[:1000])
    whole = codec_round_trip(codec, audio)
    assert whole.shape == audio.shape and not torch.allclose(whole, audio, atol=1e-3)
    torch.testing.assert_close(codec_round_trip(codec, audio, batch_size=2), whole)


def test_codec_round_trip_replaces_only_the_chosen_rows(codec):
    torch.manual_seed(1)
    audio = 0.2 * torch.randn(64, 800)
    mixed = CodecRoundTrip(codec, 0.5).apply(audio)
    replaced = (mixed - audio).abs().amax(dim=-1) > 1e-6
    assert 16 <= int(replaced.sum()) <= 48
    torch.testing.assert_close(mixed[replaced], codec_round_trip(codec, audio[replaced]))
    assert CodecRoundTrip(codec, 0.0).apply(audio) is audio


def test_the_classifier_recipe_round_trips_crops_through_a_codec_folder(codec, tmp_path):
    codec.save_pretrained(tmp_path / "codec")
    torch.manual_seed(0)
    crops = recipe(codec=str(tmp_path / "codec"), codec_probability=1.0).collate(batch_of_tones(4))["input_values"]
    tone = batch_of_tones(1)[0]["audio"][: crops.shape[-1]]
    torch.testing.assert_close(crops, codec_round_trip(codec, tone.repeat(4, 1)))


def test_a_codec_at_another_rate_is_a_value_error(tmp_path):
    EncodecModel(small_encodec_config(sampling_rate=8000, num_filters=4, hidden_size=16)).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="runs at 8000 Hz; the classifier needs 16000 Hz"):
        recipe(codec=str(tmp_path), codec_probability=0.5)


@pytest.mark.parametrize("arguments, message", [
    (dict(noise_probability=1.5), "noise_probability must be in"),
    (dict(low_pass_hz=(5000.0, 3000.0)), "low_pass_hz must be"),
    (dict(codec_probability=0.5), "codec_probability > 0 needs a codec"),
    (dict(codec_probability=-0.1), "codec_probability must be in"),
])
def test_bad_augmentation_settings_are_value_errors(arguments, message):
    with pytest.raises(ValueError, match=message):
        recipe(**arguments)
