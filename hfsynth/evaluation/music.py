"""Musical descriptors: chroma correlation, pitch-class clarity and onset rate.

Chroma here is ``librosa.feature.chroma_stft`` computed in torch on a batch: power STFT
(n_fft 2048, hop 512) through librosa's chroma filterbank with A440 tuning (no tuning estimate,
so results do not depend on the clip), each frame scaled to a maximum of 1.
"""

from __future__ import annotations

import librosa
import numpy as np
import torch

from ._inputs import AudioSet, as_clip_set, as_paired_sets, common_sampling_rate, map_chunks
from ._spectra import Spectra

N_FFT = 2048
HOP_LENGTH = 512


def _chroma(audio: Spectra, sampling_rate: int) -> torch.Tensor:
    """(B, 12, frames) chroma with each frame's maximum scaled to 1 (silent frames stay 0)."""
    energy = audio.chroma_energy(sampling_rate, N_FFT, HOP_LENGTH)
    return energy / energy.amax(dim=1, keepdim=True).clamp_min(torch.finfo(energy.dtype).tiny)


def chromagram(audios: AudioSet, sampling_rate: int | None = None) -> np.ndarray | list[np.ndarray]:
    """Chroma (12, frames) per clip, C first (see the module docstring for the definition)."""
    clip_set = as_clip_set(audios)
    sampling_rate = common_sampling_rate(sampling_rate, clip_set)
    return clip_set.output(map_chunks(lambda audio: _chroma(Spectra(audio), sampling_rate), clip_set))


def chroma_correlation_kernel(a: Spectra, b: Spectra, sampling_rate: int) -> torch.Tensor:
    """Per-clip chroma correlation (B,) of two chunks (see :func:`chroma_correlation`)."""
    x = _chroma(a, sampling_rate).flatten(1).double()
    y = _chroma(b, sampling_rate).flatten(1).double()
    x, y = x - x.mean(dim=1, keepdim=True), y - y.mean(dim=1, keepdim=True)
    return (x * y).sum(dim=1) / (x.norm(dim=1) * y.norm(dim=1))


def chroma_correlation(a: AudioSet, b: AudioSet, sampling_rate: int | None = None) -> float | np.ndarray:
    """Pearson correlation between the flattened (12 x frames) chromagrams of two time-aligned clips.

    1 for the same harmony, lower as the pitch content diverges; NaN when a clip's chroma is
    constant (e.g. silence), where the correlation is undefined.
    """
    a_set, b_set = as_paired_sets(a=a, b=b)
    sampling_rate = common_sampling_rate(sampling_rate, a_set, b_set)
    return a_set.output(
        map_chunks(lambda x, y: chroma_correlation_kernel(Spectra(x), Spectra(y), sampling_rate), a_set, b_set)
    )


def clarity_kernel(audio: Spectra, sampling_rate: int) -> torch.Tensor:
    """Per-clip pitch-class clarity (B,) of a chunk (see :func:`pitch_class_clarity`)."""
    energy = audio.chroma_energy(sampling_rate, N_FFT, HOP_LENGTH).double().sum(dim=2)  # (B, 12)
    q = energy / energy.sum(dim=1, keepdim=True)
    return 1.0 + torch.special.xlogy(q, q).sum(dim=1) / np.log(12.0)


def pitch_class_clarity(audios: AudioSet, sampling_rate: int | None = None) -> float | np.ndarray:
    """How concentrated a clip's pitch content is on few pitch classes, in [0, 1].

    ``q`` is the clip's chroma energy summed over time and normalised to sum 1 (loud frames weigh
    more; silence adds nothing); clarity is ``1 - H(q) / log 12``: 1 when all energy falls in one
    pitch class, 0 for a flat distribution (noise). A single note scores high, a chord lower, noise
    near 0. NaN for a silent clip.
    """
    clip_set = as_clip_set(audios)
    sampling_rate = common_sampling_rate(sampling_rate, clip_set)
    return clip_set.output(map_chunks(lambda audio: clarity_kernel(Spectra(audio), sampling_rate), clip_set))


def _onset_hop(sampling_rate: int) -> int:
    """Power-of-two hop of 10-20 ms: short enough that librosa's peak-picking windows span >= 1 frame."""
    return 2 ** int(np.floor(np.log2(sampling_rate / 50.0)))


def onset_rate_kernel(audio: Spectra, sampling_rate: int, n_mels: int = 128, top_db: float = 80.0) -> torch.Tensor:
    """Per-clip onsets per second (B,) of a chunk (see :func:`onset_rate`).

    The onset envelope is spectral flux of the log-mel power (Böck & Widmer 2013, without the max
    filter), as ``librosa.onset.onset_strength`` computes it: mel power in dB floored ``top_db``
    below each clip's peak, its positive frame-to-frame increase averaged over bands, on frames of
    ``_onset_hop`` with a window four hops long. ``librosa.onset.onset_detect`` picks the peaks.
    """
    hop_length = _onset_hop(sampling_rate)
    db = 10.0 * audio.mel(sampling_rate, 4 * hop_length, hop_length, n_mels, power=2.0).clamp_min(1e-10).log10()
    db = torch.maximum(db, db.amax(dim=(1, 2), keepdim=True) - top_db)  # (B, n_mels, frames)
    envelopes = torch.nn.functional.pad((db[..., 1:] - db[..., :-1]).clamp_min(0.0).mean(dim=1), (1, 0))
    counts = [
        len(librosa.onset.onset_detect(onset_envelope=envelope, sr=sampling_rate, hop_length=hop_length))
        for envelope in envelopes.numpy()
    ]
    return torch.tensor(counts, dtype=torch.float64) / (audio.audio.shape[1] / sampling_rate)


def onset_rate(audios: AudioSet, sampling_rate: int | None = None) -> float | np.ndarray:
    """Onsets per second: peaks of a spectral-flux onset envelope (see :func:`onset_rate_kernel`).

    A click train at 4 Hz scores about 4; a steady tone about 0.
    """
    clip_set = as_clip_set(audios)
    sampling_rate = common_sampling_rate(sampling_rate, clip_set)
    return clip_set.output(map_chunks(lambda audio: onset_rate_kernel(Spectra(audio), sampling_rate), clip_set))
