"""Number of statistically-Different Bins (NDB, Richardson & Weiss 2018) and its log-spectrum features.

NDB clusters the training set into k bins with k-means, assigns the generated set to the nearest
bin centres, and runs a two-proportion z-test per bin: a generator that covers the training
distribution (no mode collapse, no mode invention) has few bins whose share differs. GANSynth
(Engel et al. 2019) applies it to log spectrograms; :func:`log_spectrum_features` makes those.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import norm
from sklearn.cluster import KMeans

from ..validation import check_int
from ..audio.mel import mel_spectrogram
from ._inputs import AudioSet, as_clip_set, check_matrix, common_sampling_rate, map_chunks

MEL_FLOOR = 1e-5  # mel magnitude floor before the log (-100 dB)


@dataclass
class NDBResult:
    """Result of :func:`ndb`.

    Args:
        count: number of bins whose generated share differs significantly from the training share.
        fraction: ``count / k`` (NDB/k); about ``alpha`` for a generator matching the training set.
        different: (k,) whether each bin differs.
        train_proportions: (k,) share of the training set in each bin.
        generated_proportions: (k,) share of the generated set in each bin.
        p_values: (k,) two-sided p-value of each bin's two-proportion z-test.
    """

    count: int
    fraction: float
    different: np.ndarray
    train_proportions: np.ndarray
    generated_proportions: np.ndarray
    p_values: np.ndarray


def log_spectrum_features(
    audios: AudioSet,
    sampling_rate: int | None = None,
    n_mels: int = 64,
    n_time_bins: int = 16,
    n_fft: int = 1024,
    hop_length: int = 256,
) -> np.ndarray:
    """(N, n_mels * n_time_bins) compact log-mel spectrograms for NDB clustering.

    Mel magnitude spectrogram averaged into ``n_time_bins`` equal time segments (so clips of
    different lengths give the same size and k-means stays cheap), then ``log(max(., 1e-5))``.
    """
    clip_set = as_clip_set(audios)
    sampling_rate = common_sampling_rate(sampling_rate, clip_set)

    def features(audio: torch.Tensor) -> torch.Tensor:
        mel = mel_spectrogram(audio, sampling_rate, n_fft, hop_length, n_mels)  # (B, n_mels, frames)
        pooled = torch.nn.functional.adaptive_avg_pool1d(mel, n_time_bins)  # (B, n_mels, n_time_bins)
        return pooled.clamp_min(MEL_FLOOR).log().flatten(1)

    return np.asarray(map_chunks(features, clip_set))


def ndb(
    train_features: object, generated_features: object, k: int = 50, alpha: float = 0.05, random_state: int = 0
) -> NDBResult:
    """NDB and NDB/k of a generated set against a training set (Richardson & Weiss 2018).

    k-means (k bins) on ``train_features`` (N_train, D); each generated row goes to its nearest
    centre. Per bin, with shares ``p_t``, ``p_g`` and pooled share ``p``:
    ``z = (p_t - p_g) / sqrt(p (1 - p) (1 / N_train + 1 / N_gen))``; the bin differs when the
    two-sided p-value is below ``alpha``.
    """
    train = check_matrix(train_features, "train_features")
    generated = check_matrix(generated_features, "generated_features")
    if train.shape[1] != generated.shape[1]:
        raise ValueError(f"feature sets must have the same dimension; got {train.shape[1]} and {generated.shape[1]}")
    check_int(k, "k", minimum=2, maximum=len(train), hint=" (at most the training set's size)")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1); got {alpha!r}")

    kmeans = KMeans(n_clusters=k, n_init=3, random_state=random_state).fit(train)
    train_counts = np.bincount(kmeans.labels_, minlength=k)
    generated_counts = np.bincount(kmeans.predict(generated), minlength=k)
    n_train, n_generated = len(train), len(generated)
    p_train, p_generated = train_counts / n_train, generated_counts / n_generated
    pooled = (train_counts + generated_counts) / (n_train + n_generated)
    standard_error = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n_train + 1.0 / n_generated))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(standard_error > 0, (p_train - p_generated) / standard_error, 0.0)
    p_values = 2.0 * norm.sf(np.abs(z))
    different = p_values < alpha
    return NDBResult(int(different.sum()), float(different.mean()), different, p_train, p_generated, p_values)
