"""Metrics of hfsynth.evaluation on cases whose answer is known."""

import librosa
import numpy as np
import pytest
import torch

from hfsynth.audio.pitch import midi_to_hz
from hfsynth.evaluation import (
    MAX_DB,
    bss_eval_sdr,
    chroma_correlation,
    chromagram,
    frame_pitch_agreement,
    frechet_distance,
    inception_score,
    log_mel_l1,
    log_spectrum_features,
    multi_resolution_stft_distance,
    ndb,
    onset_rate,
    pitch_accuracy_classifier,
    pitch_accuracy_pyin,
    pitch_class_clarity,
    pitch_entropy,
    sdr,
    sdr_improvement,
    seam_flux_ratio,
    si_sdr,
    si_snr,
    spectral_flatness,
    spectral_flux,
)

SR = 16000


def tone(midi, seconds=1.0, harmonics=1, phase=0.0):
    t = np.arange(int(seconds * SR)) / SR
    f0 = midi_to_hz(midi)
    return sum(np.sin(2 * np.pi * k * f0 * t + phase) / k for k in range(1, harmonics + 1)).astype(np.float32)


def chord(notes, seconds=1.0):
    return sum(tone(note, seconds) for note in notes) / len(notes)


def noise(seconds=1.0, scale=0.3, seed=0):
    return (np.random.default_rng(seed).standard_normal(int(seconds * SR)) * scale).astype(np.float32)


# --- distribution metrics -------------------------------------------------------------------


def test_frechet_distance_is_zero_for_identical_sets_and_grows_with_a_mean_shift():
    embeddings = np.random.default_rng(0).standard_normal((200, 8))
    assert frechet_distance(embeddings, embeddings) == pytest.approx(0.0, abs=1e-8)
    shifts = [0.5, 1.0, 2.0]
    distances = [frechet_distance(embeddings, embeddings + shift) for shift in shifts]
    # Same covariance: the distance is exactly the squared mean shift, D * shift^2.
    assert distances == pytest.approx([8 * shift**2 for shift in shifts], rel=1e-6)


def test_frechet_distance_is_real_and_zero_with_singular_covariances():
    embeddings = torch.randn(10, 32)  # fewer rows than dimensions: rank-deficient covariance
    assert frechet_distance(embeddings, embeddings) == pytest.approx(0.0, abs=1e-6)
    assert np.isfinite(frechet_distance(embeddings, embeddings * 2.0))


def test_inception_score_of_confident_even_predictions_is_the_class_count():
    classes = 10
    probs = np.tile(np.eye(classes), (10, 1))  # each split of 10 rows holds every class once
    score = inception_score(probs, splits=10)
    assert score.mean == pytest.approx(classes)
    assert score.std == pytest.approx(0.0, abs=1e-9)


def test_inception_score_of_constant_or_unsure_predictions_is_one():
    constant = np.tile(np.eye(5)[2], (40, 1))
    unsure = np.full((40, 5), 0.2)
    assert inception_score(constant, splits=4).mean == pytest.approx(1.0)
    assert inception_score(unsure, splits=4).mean == pytest.approx(1.0)


def test_pitch_entropy():
    classes = 12
    assert pitch_entropy(np.tile(np.eye(classes), (3, 1))) == pytest.approx(np.log(classes))
    assert pitch_entropy(np.tile(np.eye(classes)[0], (30, 1))) == pytest.approx(0.0)


def test_pitch_accuracy_classifier_with_indices_and_midi_labels():
    logits = np.array([[5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 5.0], [5.0, 0.0, 0.0]])
    assert pitch_accuracy_classifier(logits, [0, 1, 2, 2]) == pytest.approx(0.75)
    assert pitch_accuracy_classifier(torch.tensor(logits), [60, 61, 62, 60], classes=[60, 61, 62]) == 1.0


def _tone_set(count, seed, seconds=0.5):
    rng = np.random.default_rng(seed)
    return [tone(rng.uniform(48, 84), seconds, harmonics=3) * rng.uniform(0.2, 1.0) for _ in range(count)]


def test_ndb_identical_sets_have_no_different_bins_and_very_different_sets_many():
    train = log_spectrum_features(_tone_set(80, seed=0), SR)
    same_distribution = log_spectrum_features(_tone_set(80, seed=1), SR)
    noises = log_spectrum_features([noise(0.5, seed=seed) for seed in range(80)], SR)
    assert train.shape == (80, 64 * 16)

    identical = ndb(train, train, k=10)
    assert identical.count == 0 and identical.fraction == 0.0
    assert ndb(train, same_distribution, k=10).count <= 3
    different = ndb(train, noises, k=10)
    assert different.count >= 8
    assert different.fraction == pytest.approx(different.count / 10)
    assert different.generated_proportions.sum() == pytest.approx(1.0)


def test_log_spectrum_features_have_one_size_for_any_length():
    features = log_spectrum_features([tone(60, 0.5), tone(60, 1.3)], SR)
    assert features.shape == (2, 64 * 16) and np.all(np.isfinite(features))


# --- pitch metrics on audio (pYIN) ----------------------------------------------------------


def test_pitch_accuracy_pyin_drops_for_a_pitch_shifted_tone():
    in_tune = [tone(60, harmonics=4), tone(67, harmonics=4)]
    shifted = [tone(61, harmonics=4), tone(68, harmonics=4)]  # a semitone = 100 cents off
    result = pitch_accuracy_pyin(in_tune, SR, target_midi=[60, 67])
    assert result.accuracy == 1.0 and result.voiced_fraction == 1.0
    assert np.allclose(result.median_midi, [60, 67], atol=0.2)
    assert pitch_accuracy_pyin(shifted, SR, target_midi=[60, 67]).accuracy == 0.0
    # A quarter-tone is within a 60-cent tolerance, an octave is not.
    assert pitch_accuracy_pyin(tone(60.5), SR, 60, tolerance_cents=60).accuracy == 1.0
    assert pitch_accuracy_pyin(tone(72), SR, 60).accuracy == 0.0


def test_pitch_accuracy_pyin_counts_unvoiced_clips_as_wrong():
    result = pitch_accuracy_pyin([tone(64), noise()], SR, target_midi=64)
    assert result.accuracy == 0.5
    assert result.voiced_fraction == 0.5
    assert np.isnan(result.median_midi[1]) and not result.correct[1]


def test_frame_pitch_agreement():
    reference = tone(57, harmonics=3)
    agreement = frame_pitch_agreement([reference, reference], [reference, tone(58, harmonics=3)], SR)
    assert agreement[0] == pytest.approx(1.0)
    assert agreement[1] == pytest.approx(0.0)


# --- signal metrics ---------------------------------------------------------------------------


def test_sdr_of_a_signal_with_itself_is_the_clip_value_and_scaled_copy_lowers_only_sdr():
    signal = tone(60, harmonics=3)
    assert sdr(signal, signal) == MAX_DB
    assert si_sdr(signal, signal) == MAX_DB
    assert si_snr(signal, signal) == MAX_DB
    assert si_sdr(signal, 0.5 * signal) == MAX_DB
    assert sdr(signal, 0.5 * signal) == pytest.approx(20 * np.log10(2), abs=1e-6)


def test_sdr_of_known_noise_level_and_improvement():
    signal = tone(60, harmonics=3).astype(np.float64)
    error = noise(seed=3).astype(np.float64)
    error *= np.sqrt(np.sum(signal**2) / np.sum(error**2) / 100.0)  # exactly 20 dB below the signal
    assert sdr(signal, signal + error) == pytest.approx(20.0, abs=1e-3)
    assert sdr_improvement(signal, signal + 10 * error, signal + error) == pytest.approx(20.0, abs=1e-3)
    assert sdr_improvement(signal, signal + 10 * error, signal + error, scale_invariant=True) > 15.0


def test_bss_eval_sdr_forgives_a_gain_or_a_short_filter_but_not_noise():
    """BSS-Eval's distortion filter: a gain or a 3-tap smoothing is target, additive noise is not."""
    signal = tone(60, harmonics=3).astype(np.float64) + 0.1 * noise(seed=4).astype(np.float64)
    smoothed = np.convolve(signal, [0.25, 0.5, 0.25], mode="same")
    assert bss_eval_sdr(signal, 0.5 * signal) > 50.0 and sdr(signal, 0.5 * signal) < 7.0
    assert bss_eval_sdr(signal, smoothed) > 30.0
    error = noise(seed=3).astype(np.float64)
    error *= np.sqrt(np.sum(signal**2) / np.sum(error**2) / 100.0)  # 20 dB below the signal
    assert bss_eval_sdr(signal, signal + error) == pytest.approx(20.0, abs=0.5)
    assert bss_eval_sdr(np.stack([signal, signal]), np.stack([signal + error, 0.5 * signal])).shape == (2,)


def test_si_snr_ignores_a_dc_offset_and_silence_gives_no_nan():
    signal = tone(60)
    assert si_snr(signal, signal + 0.5) == MAX_DB
    assert si_sdr(signal, signal + 0.5) < 10.0
    silent = np.zeros(100, dtype=np.float32)
    assert sdr(silent, silent) == MAX_DB
    assert si_sdr(silent, np.ones(100)) == -MAX_DB
    assert si_sdr(np.ones(100), silent) == -MAX_DB and si_snr(np.sin(np.arange(100.0)), silent) == -MAX_DB


def test_multi_resolution_stft_distance_is_zero_for_identical_and_grows_with_noise():
    clean = tone(60, harmonics=5) + noise(scale=1e-3, seed=1)
    assert multi_resolution_stft_distance(clean, clean) == 0.0
    distances = multi_resolution_stft_distance(
        np.stack([clean] * 3), np.stack([clean + noise(scale=level, seed=2) for level in (0.003, 0.03, 0.3)])
    )
    assert distances.shape == (3,)
    assert 0.0 < distances[0] < distances[1] < distances[2]


def test_log_mel_l1_is_zero_for_identical_and_grows_with_noise():
    clean = tone(60, harmonics=5)
    assert log_mel_l1(clean, clean, SR) == 0.0
    assert 0.0 < log_mel_l1(clean, clean + noise(scale=0.01), SR) < log_mel_l1(clean, clean + noise(scale=0.1), SR)


def test_chroma_correlation_of_a_chord_with_itself_and_with_another_chord():
    c_major = chord([60, 64, 67])
    correlation = chroma_correlation([c_major, c_major], [c_major, chord([66, 70, 73])], SR)  # F# major
    assert correlation[0] == pytest.approx(1.0)
    assert correlation[1] < 0.3


def test_chromagram_matches_librosa_chroma_stft():
    audio = chord([60, 64, 67]) + noise(scale=0.01)
    expected = librosa.feature.chroma_stft(y=audio, sr=SR, tuning=0.0)
    assert np.allclose(chromagram(audio, SR), expected, atol=1e-5)


def test_onset_rate_of_a_4_hz_click_train():
    clicks = np.zeros(4 * SR, dtype=np.float32)
    clicks[((np.arange(16) * 0.25 + 0.125) * SR).astype(int)] = 1.0
    assert onset_rate(clicks, SR) == pytest.approx(4.0, abs=0.5)


def test_spectral_flatness_of_white_noise_is_far_above_a_sine_and_matches_librosa():
    flatness = spectral_flatness([noise(), tone(69)])
    assert flatness[0] > 0.4 and flatness[1] < 1e-3
    assert flatness[0] == pytest.approx(librosa.feature.spectral_flatness(y=noise()).mean(), rel=1e-4)


def test_pitch_class_clarity_orders_note_chord_noise():
    clarity = pitch_class_clarity([tone(69), chord([60, 64, 67]), noise()], SR)
    assert 1.0 >= clarity[0] > clarity[1] > clarity[2] >= 0.0
    assert clarity[2] < 0.05


def test_spectral_flux_is_frame_wise_and_seam_ratio_finds_discontinuities():
    seamless = noise(2.0, seed=4)
    assert spectral_flux(seamless).shape == (2 * SR // 256,)  # frames - 1 with centred frames
    chunk = SR // 4
    t = np.arange(chunk) / SR
    seamed = np.concatenate([np.sin(2 * np.pi * 440 * t + phase) for phase in (0, 2, 4, 1, 3, 5, 0, 2)])
    ratios = seam_flux_ratio([seamless, seamed.astype(np.float32)], chunk_length=chunk)
    assert ratios[0] == pytest.approx(1.0, abs=0.15)
    assert ratios[1] > 10.0


def test_evaluate_pairs_matches_the_metrics_called_one_by_one():
    import hfsynth.evaluation as evaluation

    reference = np.stack([tone(60, harmonics=3), chord([60, 64, 67]), noise(seed=5)])
    estimate = 0.8 * reference + noise(scale=0.01, seed=6)
    report = evaluation.evaluate_pairs(reference, estimate, SR)
    assert list(report) == list(evaluation.PAIR_METRICS + evaluation.ESTIMATE_METRICS)
    for name in evaluation.PAIR_METRICS:
        args = (reference, estimate) + ((SR,) if name in ("log_mel_l1", "chroma_correlation") else ())
        assert np.allclose(report[name], getattr(evaluation, name)(*args), rtol=1e-5), name
    for name in evaluation.ESTIMATE_METRICS:
        args = (estimate,) + ((SR,) if name != "spectral_flatness" else ())
        assert np.allclose(report[name], getattr(evaluation, name)(*args), rtol=1e-5), name
