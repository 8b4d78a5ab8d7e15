"""hfsynth.evaluation: accepted set forms, and bad input failing with a ValueError that names the problem."""

import numpy as np
import pytest
import torch

from hfsynth.evaluation import (
    frechet_distance,
    inception_score,
    log_mel_l1,
    ndb,
    pitch_accuracy_classifier,
    pitch_accuracy_pyin,
    pitch_entropy,
    sdr,
    si_sdr,
    spectral_flatness,
    spectral_flux,
)

SR = 16000


def clips(count=3, samples=4000, seed=0):
    return np.random.default_rng(seed).standard_normal((count, samples)).astype(np.float32)


def test_every_set_form_gives_the_same_values():
    batch = clips()
    expected = spectral_flatness(batch)
    assert expected.shape == (3,)
    assert np.allclose(spectral_flatness(torch.from_numpy(batch)), expected)
    assert np.allclose(spectral_flatness(torch.from_numpy(batch)[:, None]), expected)  # (N, 1, samples)
    assert np.allclose(spectral_flatness(list(batch)), expected)
    assert np.allclose(spectral_flatness([{"array": clip, "sampling_rate": SR} for clip in batch]), expected)
    single = spectral_flatness(batch[0])
    assert isinstance(single, float) and single == pytest.approx(expected[0])


def test_clips_of_different_lengths_are_grouped_and_returned_in_order():
    batch = clips(samples=8000)
    mixed = [batch[0], batch[1][:3000], batch[2]]
    values = sdr(mixed, [clip * 0.5 for clip in mixed])
    assert np.allclose(values, 20 * np.log10(2))
    flux = spectral_flux(mixed)
    assert isinstance(flux, list) and [len(f) for f in flux] == [31, 11, 31]


def test_sets_with_different_sampling_rates_are_rejected():
    batch = clips()
    at_16k = [{"array": clip, "sampling_rate": 16000} for clip in batch]
    at_22k = [{"array": clip, "sampling_rate": 22050} for clip in batch]
    with pytest.raises(ValueError, match="different sampling rates"):
        log_mel_l1(at_16k, at_22k)
    with pytest.raises(ValueError, match="different sampling rates"):
        log_mel_l1(at_16k, batch, sampling_rate=22050)
    with pytest.raises(ValueError, match="mixes sampling rates"):
        spectral_flatness(at_16k[:2] + at_22k[:1])
    with pytest.raises(ValueError, match="sampling_rate is required"):
        log_mel_l1(batch, batch)
    assert log_mel_l1(at_16k, batch) == pytest.approx(np.zeros(3))  # the rate comes from the dicts


@pytest.mark.parametrize("empty", [[], np.zeros((0, 100)), np.zeros((3, 0)), torch.zeros(0)])
def test_empty_sets_are_rejected(empty):
    with pytest.raises(ValueError, match="empty"):
        spectral_flatness(empty)


def test_nan_audio_is_rejected_naming_the_clip():
    batch = clips()
    batch[1, 10] = np.nan
    with pytest.raises(ValueError, match=r"estimate\[1\] contains NaN"):
        si_sdr(clips(), batch)
    with pytest.raises(ValueError, match=r"audios\[2\] contains NaN"):
        spectral_flatness([clips()[0], clips()[1], np.array([0.0, np.inf])])


def test_mismatched_pairs_are_rejected():
    with pytest.raises(ValueError, match="same length"):
        sdr(clips(samples=4000), clips(samples=4001))
    with pytest.raises(ValueError, match="as many clips"):
        sdr(clips(count=3), clips(count=2))


def test_multichannel_clips_are_rejected():
    with pytest.raises(ValueError, match="mono"):
        spectral_flatness([np.zeros((2, 1000))])
    with pytest.raises(ValueError, match="mono"):
        spectral_flatness(np.zeros((3, 2, 1000)))


def test_bad_embeddings_and_probabilities_are_rejected():
    embeddings = np.random.default_rng(0).standard_normal((10, 4))
    with pytest.raises(ValueError, match="same dimension"):
        frechet_distance(embeddings, embeddings[:, :3])
    with pytest.raises(ValueError, match="at least 2 row"):
        frechet_distance(embeddings[:1], embeddings)
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(np.full((10, 4), np.nan), embeddings)
    with pytest.raises(ValueError, match="softmax"):
        inception_score(embeddings, splits=2)
    with pytest.raises(ValueError, match="splits"):
        inception_score(np.full((4, 2), 0.5), splits=5)
    with pytest.raises(ValueError, match="2-D"):
        pitch_entropy(np.full(4, 0.25))
    with pytest.raises(ValueError, match="one label per row"):
        pitch_accuracy_classifier(np.eye(3), [0, 1])
    with pytest.raises(ValueError, match="same dimension"):
        ndb(embeddings, embeddings[:, :3], k=2)
    with pytest.raises(ValueError, match="k must be"):
        ndb(embeddings, embeddings, k=11)


def test_pitch_targets_are_checked():
    with pytest.raises(ValueError, match="target_midi must be one value or one per clip"):
        pitch_accuracy_pyin(clips(), SR, target_midi=[60, 62])
