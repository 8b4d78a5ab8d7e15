"""Evaluation metrics for generated audio, built without pretrained networks.

Signal metrics take one clip (-> float) or a set (-> one value per clip): a 1-D array, a
(N, samples) or (N, 1, samples) array/tensor, or a list of clips or ``{"array", "sampling_rate"}``
dicts. Set metrics take (N, K) probabilities or (N, D) embeddings from any source.

- pitch:         pitch_accuracy_pyin, frame_pitch_agreement, pitch_accuracy_classifier, pitch_entropy
- distribution:  inception_score, frechet_distance (+ embedding_statistics, frechet_distance_from_statistics)
- ndb:           ndb, log_spectrum_features
- spectral:      multi_resolution_stft_distance, log_mel_l1, spectral_flatness, spectral_flux, seam_flux_ratio
- separation:    sdr, si_sdr, si_snr, sdr_improvement (clipped at +-100 dB), bss_eval_sdr (MUSDB18's SDR)
- music:         chroma_correlation, chromagram, pitch_class_clarity, onset_rate
- suite:         evaluate_pairs (every metric above without pYIN, each spectrogram computed once)
"""

from .distribution import (
    InceptionScore,
    embedding_statistics,
    frechet_distance,
    frechet_distance_from_statistics,
    inception_score,
)
from .music import chroma_correlation, chromagram, onset_rate, pitch_class_clarity
from .ndb import NDBResult, log_spectrum_features, ndb
from .pitch import (
    PitchAccuracy,
    frame_pitch_agreement,
    pitch_accuracy_classifier,
    pitch_accuracy_pyin,
    pitch_entropy,
)
from .separation import MAX_DB, bss_eval_sdr, sdr, sdr_improvement, si_sdr, si_snr
from .spectral import log_mel_l1, multi_resolution_stft_distance, seam_flux_ratio, spectral_flatness, spectral_flux
from .suite import ESTIMATE_METRICS, PAIR_METRICS, evaluate_pairs
from .classifier import ClassifierEvaluator, ClassifierScores

__all__ = [
    "ClassifierEvaluator",
    "ClassifierScores",
    "ESTIMATE_METRICS",
    "MAX_DB",
    "PAIR_METRICS",
    "InceptionScore",
    "NDBResult",
    "PitchAccuracy",
    "bss_eval_sdr",
    "chroma_correlation",
    "chromagram",
    "embedding_statistics",
    "evaluate_pairs",
    "frame_pitch_agreement",
    "frechet_distance",
    "frechet_distance_from_statistics",
    "inception_score",
    "log_mel_l1",
    "log_spectrum_features",
    "multi_resolution_stft_distance",
    "ndb",
    "onset_rate",
    "pitch_accuracy_classifier",
    "pitch_accuracy_pyin",
    "pitch_class_clarity",
    "pitch_entropy",
    "sdr",
    "sdr_improvement",
    "seam_flux_ratio",
    "si_sdr",
    "si_snr",
    "spectral_flatness",
    "spectral_flux",
]
