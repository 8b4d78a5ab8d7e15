"""Mel filterbanks, mel spectrograms and the way back to a linear-frequency magnitude.

The filterbank matrix comes from ``librosa.filters.mel`` (Slaney-style area normalisation by default,
the convention of most vocoders) and is built once per configuration; applying it is a matmul, so
mel features are batched, differentiable and run wherever the audio lives.
"""

from __future__ import annotations

import functools

import librosa
import numpy as np
import torch
from torch import nn

from .spectral import check_spectrogram, log_magnitude, stft
from ..validation import check_positive_int, check_sampling_rate
from .validation import check_audio_tensor, check_frequency_range, check_stft_sizes


@functools.lru_cache(maxsize=32)
def _mel_matrix(
    sampling_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float, norm: str | None, htk: bool
) -> np.ndarray:
    matrix = librosa.filters.mel(
        sr=sampling_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, norm=norm, htk=htk, dtype=np.float32
    )
    matrix.setflags(write=False)  # shared by every caller through the cache
    return matrix


def mel_filterbank(
    sampling_rate: int,
    n_fft: int,
    n_mels: int,
    fmin: float = 0.0,
    fmax: float | None = None,
    norm: str | None = "slaney",
    htk: bool = False,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Triangular mel filters of shape (n_mels, n_fft // 2 + 1); ``fmax=None`` means Nyquist.

    ``norm="slaney"`` scales each triangle to unit area, so a band's value does not grow with its width;
    ``norm=None`` gives unit-peak triangles.
    """
    sampling_rate, fmin, fmax = check_frequency_range(sampling_rate, fmin, fmax)
    n_fft = check_positive_int(n_fft, "n_fft")
    n_mels = check_positive_int(n_mels, "n_mels")
    if norm not in ("slaney", None):
        raise ValueError(f"norm must be 'slaney' or None; got {norm!r}")
    matrix = _mel_matrix(sampling_rate, n_fft, n_mels, fmin, fmax, norm, bool(htk))
    return torch.tensor(matrix, device=device, dtype=dtype)


def _check_power(power: float) -> None:
    if not power > 0:
        raise ValueError(f"power must be > 0 (1 = magnitude, 2 = power); got {power}")


def _check_clamp_min(clamp_min: float) -> None:
    if not clamp_min > 0:
        raise ValueError(f"clamp_min must be > 0 so that log stays finite; got {clamp_min}")


def _spectral_magnitude(
    audio: torch.Tensor, n_fft: int, hop_length: int, win_length: int | None, window: str, center: bool, power: float
) -> torch.Tensor:
    """|STFT|**power, (..., samples) -> (..., freq, frames); power 2 avoids the sqrt (smooth at zero)."""
    _check_power(power)
    spec = stft(audio, n_fft, hop_length, win_length=win_length, window=window, center=center)
    if power == 2.0:
        return torch.view_as_real(spec).pow(2).sum(-1)
    return spec.abs().pow(power)


def nonnegative_inverse(filterbank: torch.Tensor, mel: torch.Tensor, n_iter: int = 50) -> torch.Tensor:
    """Least-squares x >= 0 with ``filterbank @ x ~= mel``: (bands, freq), (..., bands, frames) -> (..., freq, frames).

    The pseudo-inverse alone fits exactly but goes negative between filters; each projected-gradient
    step (step size 1 / largest eigenvalue of F^T F, so it never diverges) lowers the residual while
    keeping x >= 0. Bins that no filter covers stay at zero.
    """
    n_iter = check_positive_int(n_iter, "n_iter")
    gram = filterbank.T @ filterbank  # (freq, freq)
    step = 1.0 / torch.linalg.matrix_norm(gram, ord=2).clamp(min=1e-12)
    target = filterbank.T @ mel  # (..., freq, frames)
    linear = (torch.linalg.pinv(filterbank) @ mel).clamp(min=0)
    for _ in range(n_iter):
        linear = (linear - step * (gram @ linear - target)).clamp(min=0)
    return linear


class MelScale(nn.Module):
    """Maps a linear-frequency magnitude or power spectrogram (..., freq, frames) to (..., n_mels, frames).

    The filterbank is a non-persistent buffer: it follows ``.to(device)`` but is rebuilt from the config
    instead of being saved in checkpoints.
    """

    def __init__(
        self,
        sampling_rate: int,
        n_fft: int,
        n_mels: int,
        fmin: float = 0.0,
        fmax: float | None = None,
        norm: str | None = "slaney",
        htk: bool = False,
    ):
        super().__init__()
        self.n_fft = n_fft
        self._filterbank_args = (sampling_rate, n_fft, n_mels, fmin, fmax, norm, htk)
        self.register_buffer("filterbank", mel_filterbank(*self._filterbank_args), persistent=False)

    def reset_buffers(self) -> None:
        """Rebuilds the filterbank. transformers' ``from_pretrained`` creates modules on the meta
        device and leaves non-persistent buffers uninitialised; hfsynth models call this from
        ``_init_weights``."""
        self.filterbank = mel_filterbank(*self._filterbank_args, device=self.filterbank.device)

    def forward(self, spectrogram: torch.Tensor) -> torch.Tensor:
        spectrogram = check_spectrogram(spectrogram, self.n_fft, name="spectrogram")
        return self.filterbank.to(spectrogram.dtype) @ spectrogram

    def inverse(self, mel: torch.Tensor, n_iter: int = 50) -> torch.Tensor:
        """Non-negative linear-frequency spectrogram whose mel projection best matches ``mel``."""
        mel = check_spectrogram(mel, name="mel")
        if mel.shape[-2] != self.filterbank.shape[0]:
            raise ValueError(f"mel has {mel.shape[-2]} bands; this MelScale has {self.filterbank.shape[0]}")
        return nonnegative_inverse(self.filterbank.to(mel.dtype), mel, n_iter)


def mel_spectrogram(
    audio: torch.Tensor,
    sampling_rate: int,
    n_fft: int,
    hop_length: int,
    n_mels: int,
    win_length: int | None = None,
    window: str = "hann",
    fmin: float = 0.0,
    fmax: float | None = None,
    power: float = 1.0,
    center: bool = True,
    norm: str | None = "slaney",
    htk: bool = False,
) -> torch.Tensor:
    """Mel spectrogram (..., samples) -> (..., n_mels, frames) of ``|STFT| ** power``."""
    audio = check_audio_tensor(audio)
    magnitude = _spectral_magnitude(audio, n_fft, hop_length, win_length, window, center, power)
    filterbank = mel_filterbank(sampling_rate, n_fft, n_mels, fmin, fmax, norm, htk, audio.device, audio.dtype)
    return filterbank @ magnitude


def log_mel_spectrogram(
    audio: torch.Tensor,
    sampling_rate: int,
    n_fft: int,
    hop_length: int,
    n_mels: int,
    win_length: int | None = None,
    window: str = "hann",
    fmin: float = 0.0,
    fmax: float | None = None,
    power: float = 1.0,
    center: bool = True,
    norm: str | None = "slaney",
    htk: bool = False,
    clamp_min: float = 1e-5,
) -> torch.Tensor:
    """``log(max(mel_spectrogram(...), clamp_min))``, (..., samples) -> (..., n_mels, frames).

    The clamp (1e-5, -100 dB for magnitudes) keeps silence finite and bounds the dynamic range.
    """
    _check_clamp_min(clamp_min)
    mel = mel_spectrogram(
        audio, sampling_rate, n_fft, hop_length, n_mels, win_length, window, fmin, fmax, power, center, norm, htk
    )
    return log_magnitude(mel, clamp_min)


def mel_to_linear(
    mel: torch.Tensor,
    sampling_rate: int,
    n_fft: int,
    fmin: float = 0.0,
    fmax: float | None = None,
    norm: str | None = "slaney",
    htk: bool = False,
    n_iter: int = 50,
) -> torch.Tensor:
    """Non-negative linear-frequency spectrogram (..., n_fft // 2 + 1, frames) from a (non-log) mel one.

    Inverts only the filterbank: pass the mel of a magnitude to get a magnitude (for Griffin-Lim), of a
    power to get a power. Detail finer than a mel band cannot come back.
    """
    mel = check_spectrogram(mel, name="mel")
    filterbank = mel_filterbank(sampling_rate, n_fft, mel.shape[-2], fmin, fmax, norm, htk, mel.device, mel.dtype)
    return nonnegative_inverse(filterbank, mel, n_iter)


class MelSpectrogram(nn.Module):
    """Audio (..., samples) -> (log-)mel spectrogram (..., n_mels, frames), with its settings in one place.

    Args:
        sampling_rate: audio rate in Hz.
        n_fft, hop_length, win_length, window, center: framing, as in :func:`hfsynth.audio.spectral.stft`.
        n_mels, fmin, fmax, norm, htk: the filterbank, as in :func:`mel_filterbank`.
        power: 1 for a magnitude mel spectrogram, 2 for power.
        log: return ``log(max(mel, clamp_min))`` instead of the mel spectrogram itself.
        clamp_min: floor applied before the log.
    """

    def __init__(
        self,
        sampling_rate: int,
        n_fft: int = 1024,
        hop_length: int = 256,
        n_mels: int = 80,
        win_length: int | None = None,
        window: str = "hann",
        fmin: float = 0.0,
        fmax: float | None = None,
        power: float = 1.0,
        center: bool = True,
        norm: str | None = "slaney",
        htk: bool = False,
        log: bool = True,
        clamp_min: float = 1e-5,
    ):
        super().__init__()
        self.sampling_rate = check_sampling_rate(sampling_rate)
        check_stft_sizes(n_fft, hop_length, win_length)
        _check_power(power)
        _check_clamp_min(clamp_min)
        self.n_fft, self.hop_length, self.win_length, self.window = n_fft, hop_length, win_length, window
        self.center, self.power, self.log, self.clamp_min = center, power, log, clamp_min
        self.mel_scale = MelScale(sampling_rate, n_fft, n_mels, fmin, fmax, norm, htk)

    @property
    def n_mels(self) -> int:
        return self.mel_scale.filterbank.shape[0]

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        audio = check_audio_tensor(audio)
        magnitude = _spectral_magnitude(
            audio, self.n_fft, self.hop_length, self.win_length, self.window, self.center, self.power
        )
        mel = self.mel_scale(magnitude)
        return log_magnitude(mel, self.clamp_min) if self.log else mel
