"""Every signal metric that needs no pYIN, over one pair of sets, computing each spectrogram once.

Calling the metrics one by one frames the same audio several times (MR-STFT, flatness and chroma
all use the 2048-point STFT); :func:`evaluate_pairs` runs their kernels on shared
:class:`~hfsynth.evaluation._spectra.Spectra`, chunk by chunk, for about half the time.
"""

from __future__ import annotations

import numpy as np
import torch

from ._inputs import AudioSet, as_paired_sets, common_sampling_rate, map_chunks
from ._spectra import Spectra
from .music import chroma_correlation_kernel, clarity_kernel, onset_rate_kernel
from .separation import sdr_kernel, si_sdr_kernel
from .spectral import FFT_SIZES, flatness_kernel, log_mel_l1_kernel, mr_stft_kernel

# Compare the estimate with the reference ...
PAIR_METRICS = ("multi_resolution_stft_distance", "log_mel_l1", "sdr", "si_sdr", "chroma_correlation")
# ... and describe the estimate alone.
ESTIMATE_METRICS = ("spectral_flatness", "onset_rate", "pitch_class_clarity")


def evaluate_pairs(
    reference: AudioSet, estimate: AudioSet, sampling_rate: int | None = None
) -> dict[str, float | np.ndarray]:
    """Per-clip values of :data:`PAIR_METRICS` and :data:`ESTIMATE_METRICS`, each at its function's defaults.

    Same values as calling ``multi_resolution_stft_distance``, ``log_mel_l1``, ``sdr``, ``si_sdr``,
    ``chroma_correlation`` (reference vs estimate) and ``spectral_flatness``, ``onset_rate``,
    ``pitch_class_clarity`` (estimate) separately. Returns {metric name: (N,) array, or a float for
    one clip}.
    """
    ref_set, est_set = as_paired_sets(reference=reference, estimate=estimate)
    sampling_rate = common_sampling_rate(sampling_rate, ref_set, est_set)

    def all_metrics(ref_audio: torch.Tensor, est_audio: torch.Tensor) -> torch.Tensor:
        ref, est = Spectra(ref_audio), Spectra(est_audio)
        columns = [
            mr_stft_kernel(ref, est, FFT_SIZES, hop_ratio=0.25),
            log_mel_l1_kernel(ref, est, sampling_rate),
            sdr_kernel(ref_audio, est_audio),
            si_sdr_kernel(ref_audio, est_audio),
            chroma_correlation_kernel(ref, est, sampling_rate),
            flatness_kernel(est),
            onset_rate_kernel(est, sampling_rate),
            clarity_kernel(est, sampling_rate),
        ]
        return torch.stack([column.double() for column in columns], dim=1)  # (B, metrics)

    table = map_chunks(all_metrics, ref_set, est_set)  # (N, metrics)
    return {name: ref_set.output(table[:, i]) for i, name in enumerate(PAIR_METRICS + ESTIMATE_METRICS)}
