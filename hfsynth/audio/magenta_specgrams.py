"""magenta's GANSynth spectrograms, reproduced in torch: the front end of its published checkpoints.

A published GANSynth paints (log magnitude, IF) spectrograms in magenta's own conventions, and its
notes come out right only through exactly the same inverse. They differ from hfsynth's own
(:mod:`hfsynth.audio.phase`) in every step, so they are kept apart here:

* STFT: periodic Hann, frames *not* centred: all the padding (``hop * (frames - 1) + n_fft -
  samples`` zeros) goes in front of the note, none after it; the DC bin is dropped, Nyquist kept,
  so a spectrogram has ``n_fft // 2`` bins;
* log magnitude ``log(|X| + 1e-6)``; the phase of an all-zero bin is 0 (torch's ``angle`` can give
  pi there, from the sign of a zero);
* IF: the phase unwrapped along time by magenta's ``unwrap`` (the wrapped step's correction,
  accumulated), then differenced, the first frame keeping its phase, all over pi;
* mel: magenta's own matrix (HTK mel, bin frequencies ``linspace(0, sr / 2, bins)`` with the first
  row zero, bands at least 1.5 bins wide), as many bands as bins; the way back is its transpose
  with each column scaled by ``1 / sum(M Mᵀ)`` (not a pseudo-inverse). The power ``|X|²`` and the
  time-integrated phase are warped;
* inverse STFT: inverse FFT, window ``hann / sum of the overlapping squared windows`` (1.5 at 75 %
  overlap), overlap-add without edge correction, the front padding dropped.

Spectrograms are (..., bins, frames), as everywhere in :mod:`hfsynth.audio`; every function is
batched over the leading dims.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .spectral import get_window, stft
from .validation import check_audio_tensor

#: magenta's ``_safe_log`` offset, for magnitudes and mel powers alike.
EPS = 1e-6
#: HTK's mel scale, as magenta's ``spectral_ops`` writes it.
MEL_BREAK_HZ, MEL_HIGH_Q = 700.0, 1127.0


# ----------------------------------------------------------------------------------- phase
def unwrap(phase: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """magenta's ``spectral_ops.unwrap``: each step's wrapped value minus the step itself, summed
    along ``dim``, is added to the phase from the second frame on (a step of exactly +pi stays +pi)."""
    step = phase.diff(dim=dim)
    wrapped = torch.remainder(step + math.pi, 2 * math.pi) - math.pi
    wrapped = torch.where((wrapped == -math.pi) & (step > 0), math.pi, wrapped)
    correction = (wrapped - step).cumsum(dim)
    return phase + torch.cat([torch.zeros_like(phase.narrow(dim, 0, 1)), correction], dim=dim)


def instantaneous_frequency(phase: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """magenta's ``instantaneous_frequency``: ``diff(unwrap(phase)) / pi`` along ``dim``, the first
    frame keeping ``phase / pi``. (Differencing the unwrapped phase loses float32 precision once it
    has grown large; magenta's numbers include that loss, so it is kept.)"""
    steps = unwrap(phase, dim).diff(dim=dim)
    return torch.cat([phase.narrow(dim, 0, 1), steps], dim=dim) / math.pi


def integrate(if_: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """The inverse of :func:`instantaneous_frequency`: ``cumsum(if_ * pi)``, the unwrapped phase."""
    return torch.cumsum(if_ * math.pi, dim=dim)


# ------------------------------------------------------------------------------------- mel
def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    return MEL_HIGH_Q * np.log(1.0 + hz / MEL_BREAK_HZ)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    return MEL_BREAK_HZ * (np.exp(mel / MEL_HIGH_Q) - 1.0)


@functools.lru_cache(maxsize=8)
def _mel_matrices(bins: int, sampling_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """``(to_mel, to_linear)``: (bands, bins) and (bins, bands) float32, ``bands == bins``.

    magenta's ``linear_to_mel_weight_matrix(bins, bins, sr, 0, sr / 2)`` (computed in float64):
    triangles linear in mel between band edges spaced evenly in mel, each band widened to at least
    1.5 bins; and ``mel_to_linear``: its transpose, column j scaled by ``1 / sum_i (M Mᵀ)_ij``.
    """
    nyquist = sampling_rate / 2.0
    frequencies = np.linspace(0.0, nyquist, bins)[1:, None]                    # (bins - 1, 1): row 0 stays 0
    edges = np.linspace(_hz_to_mel(0.0), _hz_to_mel(nyquist), bins + 2)       # band i: edges[i], [i + 1], [i + 2]
    min_width = 1.5 * nyquist / bins
    # In order, as magenta's loop does: widening band i moves edges that bands i - 2 .. i + 2 share.
    for band in range(bins):
        if _mel_to_hz(edges[band + 2]) - _mel_to_hz(edges[band]) < min_width:
            half = 0.5 * min_width / (_mel_to_hz(edges[band + 1]) + MEL_BREAK_HZ)
            half_mel = MEL_HIGH_Q * np.log(half + np.sqrt(1.0 + half**2))
            edges[band], edges[band + 2] = edges[band + 1] - half_mel, edges[band + 1] + half_mel
    lower_hz, centre_hz, upper_hz = _mel_to_hz(edges[:-2]), _mel_to_hz(edges[1:-1]), _mel_to_hz(edges[2:])
    rising = (frequencies - lower_hz) / (centre_hz - lower_hz)
    falling = (upper_hz - frequencies) / (upper_hz - centre_hz)
    weights = np.pad(np.maximum(0.0, np.minimum(rising, falling)), [(1, 0), (0, 0)])  # (bins, bands)
    sums = (weights @ weights.T).sum(axis=0)
    scale = np.where(np.abs(sums) > 1e-8, 1.0 / np.where(sums == 0, 1.0, sums), sums)
    to_linear = weights.T * scale[None, :]                                     # (bands, bins)
    return weights.T.astype(np.float32), to_linear.T.astype(np.float32)


def mel_matrices(bins: int, sampling_rate: int, device: torch.device | str | None = None,
                 dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """magenta's linear -> mel (bands, bins) and mel -> linear (bins, bands) matrices; see
    :func:`_mel_matrices`."""
    to_mel, to_linear = _mel_matrices(bins, sampling_rate)
    return torch.tensor(to_mel, device=device, dtype=dtype), torch.tensor(to_linear, device=device, dtype=dtype)


# --------------------------------------------------------------------------------- helper
@dataclass(frozen=True)
class MagentaSpecgrams:
    """magenta's ``SpecgramsHelper`` for notes of ``num_samples`` as ``frames`` STFT frames.

    ``mel=True`` is GANSynth's IF-Mel (its ``DataMelHelper``), ``False`` the linear-frequency IF.
    :meth:`analyze` and :meth:`synthesize` are magenta's ``waves_to_data`` and ``data_to_waves``.
    """

    num_samples: int
    frames: int
    n_fft: int = 2048
    hop_length: int = 512
    sampling_rate: int = 16000
    mel: bool = True

    def __post_init__(self) -> None:
        if self.padding < 0:
            raise ValueError(
                f"{self.frames} frames of hop {self.hop_length} and n_fft {self.n_fft} cover "
                f"{self.num_samples + self.padding} samples, fewer than the note's {self.num_samples}"
            )

    @property
    def bins(self) -> int:
        """Frequency bins of a spectrogram: the DC bin of the STFT is dropped."""
        return self.n_fft // 2

    @property
    def padding(self) -> int:
        """Zeros put in front of a note so that its STFT has exactly ``frames`` frames."""
        return self.hop_length * (self.frames - 1) + self.n_fft - self.num_samples

    # --------------------------------------------------------------------------- STFT
    def stft(self, audio: torch.Tensor) -> torch.Tensor:
        """Notes (..., num_samples) -> complex (..., bins, frames), the DC bin dropped."""
        audio = check_audio_tensor(audio)
        if audio.shape[-1] != self.num_samples:
            raise ValueError(f"a note has {self.num_samples} samples here; got {audio.shape[-1]}")
        padded = F.pad(audio, (self.padding, 0))
        return stft(padded, self.n_fft, self.hop_length, center=False)[..., 1:, :]

    def istft(self, spec: torch.Tensor) -> torch.Tensor:
        """Complex (..., bins, frames) -> notes (..., num_samples): a zero DC bin in front, inverse
        FFT, magenta's synthesis window, overlap-add, the front padding dropped."""
        spec = torch.cat([torch.zeros_like(spec[..., :1, :]), spec], dim=-2)   # (..., n_fft // 2 + 1, frames)
        frames = torch.fft.irfft(spec, n=self.n_fft, dim=-2) * self.synthesis_window(spec.real.dtype)[:, None]
        leading = frames.shape[:-2]
        length = self.hop_length * (self.frames - 1) + self.n_fft
        audio = F.fold(frames.reshape(-1, self.n_fft, self.frames), (1, length), (1, self.n_fft),
                       stride=(1, self.hop_length))                            # (batch, 1, 1, length)
        return audio.reshape(*leading, length)[..., self.padding :]

    def synthesis_window(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """(n_fft,) TensorFlow's ``inverse_stft_window_fn``: Hann over the sum of the squared Hann
        windows that overlap each sample (1.5 everywhere at 75 % overlap)."""
        window = get_window("hann", self.n_fft, dtype=torch.float64)
        squares = F.pad(window.square(), (0, -self.n_fft % self.hop_length)).reshape(-1, self.hop_length).sum(0)
        return (window / squares.repeat(math.ceil(self.n_fft / self.hop_length))[: self.n_fft]).to(dtype)

    # ------------------------------------------------------------------ linear spectrograms
    @staticmethod
    def specgrams(spec: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Complex (..., bins, frames) -> (log magnitude, IF), each (..., bins, frames)."""
        magnitude = spec.abs()
        phase = torch.where(magnitude == 0, 0.0, spec.angle())
        return torch.log(magnitude + EPS), instantaneous_frequency(phase)

    @staticmethod
    def stft_from_specgrams(log_magnitude: torch.Tensor, if_: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`specgrams`: the IF integrated to phase -> complex (..., bins, frames)."""
        return torch.polar(log_magnitude.exp(), integrate(if_))

    # --------------------------------------------------------------------------------- mel
    def to_mel(self, log_magnitude: torch.Tensor, if_: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Linear (log magnitude, IF) -> (log mel power, mel IF): the power and the integrated phase
        are warped, the phase differenced again."""
        to_mel, _ = mel_matrices(self.bins, self.sampling_rate, log_magnitude.device, log_magnitude.dtype)
        log_mel = torch.log(to_mel @ torch.exp(2.0 * log_magnitude) + EPS)
        return log_mel, instantaneous_frequency(to_mel @ integrate(if_))

    def from_mel(self, log_mel: torch.Tensor, mel_if: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Inverse of :meth:`to_mel` (approximate where bands are coarser than bins)."""
        _, to_linear = mel_matrices(self.bins, self.sampling_rate, log_mel.device, log_mel.dtype)
        log_magnitude = 0.5 * torch.log(to_linear @ torch.exp(log_mel) + EPS)
        return log_magnitude, instantaneous_frequency(to_linear @ integrate(mel_if))

    # -------------------------------------------------------------------------- both ways
    def analyze(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Notes (..., num_samples) -> (log magnitude, IF), each (..., bins, frames), mel if ``mel``."""
        log_magnitude, if_ = self.specgrams(self.stft(audio))
        return self.to_mel(log_magnitude, if_) if self.mel else (log_magnitude, if_)

    def synthesize(self, log_magnitude: torch.Tensor, if_: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`analyze`: (..., bins, frames) twice -> notes (..., num_samples)."""
        if log_magnitude.shape != if_.shape or tuple(log_magnitude.shape[-2:]) != (self.bins, self.frames):
            raise ValueError(
                f"need two spectrograms of shape (..., {self.bins}, {self.frames}); got "
                f"{tuple(log_magnitude.shape)} and {tuple(if_.shape)}"
            )
        if self.mel:
            log_magnitude, if_ = self.from_mel(log_magnitude, if_)
        return self.istft(self.stft_from_specgrams(log_magnitude, if_))
