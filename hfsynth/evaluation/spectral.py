"""Spectral distances and descriptors: MR-STFT, log-mel L1, spectral flatness, spectral flux, seams.

Every function takes one clip (returns a float) or a set of clips (returns one value per clip);
see :mod:`hfsynth.evaluation._inputs` for the accepted forms. Paired metrics need time-aligned
clips of equal length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..audio.metrics import spectral_convergence
from ..validation import check_positive_int
from ._inputs import AudioSet, as_clip_set, as_paired_sets, common_sampling_rate, map_chunks
from ._spectra import Spectra

LOG_FLOOR = 1e-7  # magnitude floor before the log in MR-STFT (Parallel WaveGAN's value)
MEL_FLOOR = 1e-5  # mel magnitude floor before the log (HiFi-GAN's mel loss)
FFT_SIZES = (512, 1024, 2048)


def mr_stft_kernel(reference: Spectra, estimate: Spectra, fft_sizes: Sequence[int], hop_ratio: float) -> torch.Tensor:
    """Per-clip MR-STFT distance (B,) of two chunks (see :func:`multi_resolution_stft_distance`)."""
    distances = []
    for n_fft in fft_sizes:
        ref = reference.magnitude(n_fft, max(1, int(n_fft * hop_ratio)))
        est = estimate.magnitude(n_fft, max(1, int(n_fft * hop_ratio)))
        log_l1 = (ref.clamp_min(LOG_FLOOR) / est.clamp_min(LOG_FLOOR)).log().abs().mean(dim=(1, 2))
        distances.append(spectral_convergence(ref, est) + log_l1)
    return torch.stack(distances).mean(dim=0)


def multi_resolution_stft_distance(
    reference: AudioSet, estimate: AudioSet, fft_sizes: Sequence[int] = FFT_SIZES, hop_ratio: float = 0.25
) -> float | np.ndarray:
    """Multi-resolution STFT distance (Arik et al. 2018; Yamamoto et al. 2020, Parallel WaveGAN).

    At each FFT size (Hann window of that size, hop ``hop_ratio * n_fft``):
    spectral convergence ``||S_ref - S_est||_F / ||S_ref||_F`` plus log-magnitude L1
    ``mean |log S_ref - log S_est|`` (magnitudes floored at 1e-7); the distance is their sum averaged
    over the resolutions. 0 for identical clips; grows with added noise.
    """
    ref_set, est_set = as_paired_sets(reference=reference, estimate=estimate)
    if len(fft_sizes) == 0:
        raise ValueError("fft_sizes is empty; pass at least one FFT size")
    return ref_set.output(
        map_chunks(lambda ref, est: mr_stft_kernel(Spectra(ref), Spectra(est), fft_sizes, hop_ratio), ref_set, est_set)
    )


def log_mel_l1_kernel(
    reference: Spectra,
    estimate: Spectra,
    sampling_rate: int,
    n_fft: int = 1024,
    hop_length: int = 256,
    n_mels: int = 80,
) -> torch.Tensor:
    """Per-clip log-mel L1 (B,) of two chunks (see :func:`log_mel_l1`)."""
    ref = reference.mel(sampling_rate, n_fft, hop_length, n_mels).clamp_min(MEL_FLOOR)
    est = estimate.mel(sampling_rate, n_fft, hop_length, n_mels).clamp_min(MEL_FLOOR)
    return (ref / est).log().abs().mean(dim=(1, 2))


def log_mel_l1(
    reference: AudioSet,
    estimate: AudioSet,
    sampling_rate: int | None = None,
    n_fft: int = 1024,
    hop_length: int = 256,
    n_mels: int = 80,
) -> float | np.ndarray:
    """Mean absolute difference of natural-log mel magnitude spectrograms (HiFi-GAN's mel loss, Kong et al. 2020).

    Slaney mel filters over 0..sr/2 on zero-padded centred frames; mel magnitudes are floored at
    1e-5 before the log.
    """
    ref_set, est_set = as_paired_sets(reference=reference, estimate=estimate)
    sampling_rate = common_sampling_rate(sampling_rate, ref_set, est_set)

    def distance(ref: torch.Tensor, est: torch.Tensor) -> torch.Tensor:
        return log_mel_l1_kernel(Spectra(ref), Spectra(est), sampling_rate, n_fft, hop_length, n_mels)

    return ref_set.output(map_chunks(distance, ref_set, est_set))


def flatness_kernel(audio: Spectra, n_fft: int = 2048, hop_length: int = 512, amin: float = 1e-10) -> torch.Tensor:
    """Per-clip mean spectral flatness (B,) of a chunk (see :func:`spectral_flatness`)."""
    power = audio.magnitude(n_fft, hop_length).square().clamp_min(amin)  # (B, F, frames)
    return (power.log().mean(dim=1).exp() / power.mean(dim=1)).mean(dim=1)


def spectral_flatness(
    audios: AudioSet, n_fft: int = 2048, hop_length: int = 512, amin: float = 1e-10
) -> float | np.ndarray:
    """Mean over frames of Wiener entropy: geometric / arithmetic mean of the power spectrum (Dubnov 2004).

    Same definition and defaults as ``librosa.feature.spectral_flatness`` (power floored at ``amin``).
    About 0.56 for white noise, near 0 for a sine.
    """
    clip_set = as_clip_set(audios)
    return clip_set.output(map_chunks(lambda audio: flatness_kernel(Spectra(audio), n_fft, hop_length, amin), clip_set))


def _flux(audio: torch.Tensor, n_fft: int, hop_length: int) -> torch.Tensor:
    magnitude = Spectra(audio).magnitude(n_fft, hop_length)
    return torch.linalg.vector_norm(magnitude[..., 1:] - magnitude[..., :-1], dim=1)  # (B, frames - 1)


def spectral_flux(audios: AudioSet, n_fft: int = 1024, hop_length: int = 256) -> np.ndarray | list[np.ndarray]:
    """Frame-wise spectral flux: the L2 norm of the change in magnitude spectrum between consecutive frames.

    ``flux[t] = || |S[:, t + 1]| - |S[:, t]| ||_2`` (Dixon 2006). Returns (frames - 1,) for one clip,
    (N, frames - 1) for equal-length clips, or a list of per-clip arrays when lengths differ.
    """
    clip_set = as_clip_set(audios)
    return clip_set.output(map_chunks(lambda audio: _flux(audio, n_fft, hop_length), clip_set))


def seam_flux_ratio(audios: AudioSet, chunk_length: int, n_fft: int = 512, hop_length: int = 128) -> float | np.ndarray:
    """Mean spectral flux at chunk seams divided by mean flux elsewhere (Musika's seam check).

    A clip generated in chunks of ``chunk_length`` samples has seams at multiples of it. The seam
    flux values are those between two frames at least one of which covers a seam sample; frames
    reaching into the edge padding are left out. The ratio is about 1 for seamless, stationary audio
    and grows with clicks or discontinuities at the seams. NaN when the clip has no seam or nothing
    but seams.
    """
    clip_set = as_clip_set(audios)
    chunk_length = check_positive_int(chunk_length, "chunk_length")

    def ratio(audio: torch.Tensor) -> torch.Tensor:
        flux = _flux(audio, n_fft, hop_length)  # (B, frames - 1)
        n_frames = flux.shape[1] + 1
        starts = torch.arange(n_frames) * hop_length - n_fft // 2  # first sample each centred frame covers
        seams = torch.arange(chunk_length, audio.shape[1], chunk_length)
        covers = ((seams[None, :] >= starts[:, None]) & (seams[None, :] < starts[:, None] + n_fft)).any(dim=1)
        inside = (starts >= 0) & (starts + n_fft <= audio.shape[1])  # frames clear of the edge padding
        at_seam = (covers[1:] | covers[:-1]) & inside[1:] & inside[:-1]  # (frames - 1,)
        elsewhere = ~(covers[1:] | covers[:-1]) & inside[1:] & inside[:-1]
        if not at_seam.any() or not elsewhere.any():
            return torch.full((audio.shape[0],), float("nan"))
        return flux[:, at_seam].mean(dim=1) / flux[:, elsewhere].mean(dim=1).clamp_min(1e-12)

    return clip_set.output(map_chunks(ratio, clip_set))
