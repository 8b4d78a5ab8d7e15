"""The two normalised log-mel front ends of published WaveNet vocoders, reproduced exactly.

A vocoder only works on the features it was trained on, down to the framing and the scaling, so
each is reproduced as its training scripts compute it (float64, as numpy does there):

* :class:`DbNormalizedMel`: Tacotron's dB mel (keithito/tacotron's ``audio.py``, r9y9's
  wavenet_vocoder up to v0.1.1): ``lws`` framing, ``20 log10`` of the mel magnitude minus a
  reference level, mapped from ``[min_level_db, 0]`` to ``[0, 1]``.
* :class:`StandardizedLogMel`: ESPnet's log10 mel (r9y9's wavenet_vocoder after v0.1.1): a 70 Hz
  low-cut FIR filter, a centred STFT, ``log10`` of the mel magnitude, standardised per band with
  the training set's mean and deviation.

Both map (..., samples) to (..., n_mels, frames) and say where frame 0 starts: the waveform a
vocoder makes from the frames begins :attr:`lead_in` samples before the audio they came from. They
compute in float64 whatever the model's precision (their buffers may be cast with it) and return
the input's dtype.
"""

from __future__ import annotations

import math

import scipy.signal
import torch
from torch import nn

from ..validation import check_number, check_positive_int, check_sampling_rate
from .mel import mel_filterbank
from .spectral import stft
from .validation import check_audio_tensor, check_stft_sizes


def overlap_normalized_window(n_fft: int, hop_length: int) -> torch.Tensor:
    """The analysis window of ``lws`` (Le Roux's STFT): the half-sample-shifted Hann window
    ``h[k] = sin^2(pi (k + 1/2) / n_fft)``, divided by its overlap-added sum and square-rooted, so
    that analysis times synthesis window sums to one over the overlapping frames (float64)."""
    k = torch.arange(n_fft, dtype=torch.float64)
    hann = torch.sin(math.pi * (k + 0.5) / n_fft) ** 2
    overlap = torch.zeros(n_fft, dtype=torch.float64)
    for shift in range(-(n_fft // hop_length) * hop_length, n_fft, hop_length):
        lo, hi = max(0, shift), min(n_fft, n_fft + shift)
        overlap[lo:hi] += hann[lo - shift : hi - shift]
    return torch.sqrt(hann / overlap)


class DbNormalizedMel(nn.Module):
    """Tacotron's normalised dB mel, with ``lws``'s perfect-reconstruction framing.

    Args:
        sampling_rate, n_fft, hop_length, n_mels, fmin, fmax: the STFT and the (Slaney) filterbank.
        min_level_db (-100): the floor; it maps to 0, and 0 dB above ``ref_level_db`` maps to 1.
        ref_level_db (20): subtracted from the mel in dB.
        rescale_peak (``None``): if set, each waveform is first scaled to this peak (r9y9's
            ``rescaling_max``, 0.999), as its preprocessing does before the mel.

    Framing: ``n_fft - hop_length`` zeros before the audio, zeros after it up to whole hops plus the
    same overhang, one frame per hop: ``ceil((samples + n_fft - hop) / hop)`` frames, and frame
    ``m`` covers ``padded[m hop : m hop + n_fft]``. The waveform the frames describe is the padded
    audio, so it starts :attr:`lead_in` = ``n_fft - hop`` samples early.
    """

    def __init__(self, sampling_rate: int, n_fft: int, hop_length: int, n_mels: int, fmin: float = 0.0,
                 fmax: float | None = None, min_level_db: float = -100.0, ref_level_db: float = 20.0,
                 rescale_peak: float | None = None):
        super().__init__()
        self.n_fft, self.hop_length, _ = check_stft_sizes(n_fft, hop_length)
        self.min_level_db = check_number(min_level_db, "min_level_db", maximum=0, hint=" (a floor in dB)")
        if self.min_level_db == 0:
            raise ValueError("min_level_db must be below 0 dB")
        self.ref_level_db = check_number(ref_level_db, "ref_level_db")
        self.rescale_peak = None if rescale_peak is None else check_number(
            rescale_peak, "rescale_peak", minimum=0, maximum=1, exclusive_minimum=True)
        self._filterbank_args = (check_sampling_rate(sampling_rate), self.n_fft, check_positive_int(n_mels, "n_mels"),
                                 fmin, fmax)
        self.register_buffer("window", overlap_normalized_window(self.n_fft, self.hop_length), persistent=False)
        self.register_buffer("filterbank", mel_filterbank(*self._filterbank_args).double(), persistent=False)

    def reset_buffers(self) -> None:
        """Rebuilds the derived buffers (see :class:`hfsynth.models.modeling_utils.HFSynthPreTrainedModel`)."""
        device = self.filterbank.device
        self.window = overlap_normalized_window(self.n_fft, self.hop_length).to(device)
        self.filterbank = mel_filterbank(*self._filterbank_args, device=device).double()

    @property
    def lead_in(self) -> int:
        return self.n_fft - self.hop_length

    def num_frames(self, samples: int) -> int:
        return -(-(samples + self.lead_in) // self.hop_length)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """(..., samples) -> (..., n_mels, frames) in [0, 1], in ``audio``'s dtype."""
        audio = check_audio_tensor(audio)
        x = audio.double()
        if self.rescale_peak is not None:
            x = x / x.abs().amax(dim=-1, keepdim=True).clamp_min(1e-12) * self.rescale_peak
        frames = self.num_frames(x.shape[-1])
        x = nn.functional.pad(x, (self.lead_in, frames * self.hop_length - x.shape[-1]))
        windows = x.unfold(-1, self.n_fft, self.hop_length) * self.window.double()   # (..., frames, n_fft)
        magnitude = torch.fft.rfft(windows, dim=-1).abs().transpose(-1, -2)          # (..., freq, frames)
        level = 20.0 * torch.log10((self.filterbank.double() @ magnitude).clamp_min(1e-5)) - self.ref_level_db
        return ((level - self.min_level_db) / -self.min_level_db).clamp(0.0, 1.0).to(audio.dtype)


class StandardizedLogMel(nn.Module):
    """ESPnet's log10 mel, standardised per band (r9y9's wavenet_vocoder after v0.1.1).

    Args:
        sampling_rate, n_fft, hop_length, win_length, n_mels, fmin, fmax: a centred, reflect-padded
            Hann STFT and the (Slaney) filterbank: ``samples // hop + 1`` frames, frame ``m``
            centred on sample ``m hop`` (:attr:`lead_in` is 0).
        highpass_hz (``None``): cut-off of the low-cut filter applied first (a causal 255-tap FIR,
            ``scipy.signal.firwin(255, cutoff / (sampling_rate // 2), pass_zero=False)``; r9y9 70 Hz).
        mean, std (``None``): per-band statistics of the training set's log10 mel (sklearn's
            ``StandardScaler``: ``mean_``, ``scale_``); without them the log10 mel is returned as is.
    """

    lead_in = 0
    FIR_TAPS = 255

    def __init__(self, sampling_rate: int, n_fft: int, hop_length: int, n_mels: int, win_length: int | None = None,
                 fmin: float = 0.0, fmax: float | None = None, highpass_hz: float | None = None,
                 mean: list[float] | None = None, std: list[float] | None = None):
        super().__init__()
        self.n_fft, self.hop_length, self.win_length = check_stft_sizes(n_fft, hop_length, win_length)
        self.sampling_rate = check_sampling_rate(sampling_rate)
        self.highpass_hz = None if highpass_hz is None else check_number(
            highpass_hz, "highpass_hz", minimum=0, maximum=self.sampling_rate // 2, exclusive_minimum=True)
        if (mean is None) != (std is None):
            raise ValueError("pass both the mean and the std of the log10 mel, or neither")
        for name, values in (("mean", mean), ("std", std)):
            if values is not None and len(values) != n_mels:
                raise ValueError(f"the log10 mel {name} needs one value per band ({n_mels}); got {len(values)}")
        if std is not None and min(std) <= 0:
            raise ValueError("the log10 mel std must be positive in every band")
        self._statistics = (mean, std)
        self._filterbank_args = (self.sampling_rate, self.n_fft, check_positive_int(n_mels, "n_mels"), fmin, fmax)
        self.register_buffer("filterbank", mel_filterbank(*self._filterbank_args).double(), persistent=False)
        self.register_buffer("mean", None, persistent=False)
        self.register_buffer("std", None, persistent=False)
        self._set_statistics()

    def _set_statistics(self) -> None:
        if self._statistics[0] is not None:  # (n_mels, 1): one value per band, broadcast over frames
            self.mean, self.std = (torch.tensor(values, dtype=torch.float64, device=self.filterbank.device)[:, None]
                                   for values in self._statistics)

    def reset_buffers(self) -> None:
        """Rebuilds the derived buffers (see :class:`hfsynth.models.modeling_utils.HFSynthPreTrainedModel`)."""
        self.filterbank = mel_filterbank(*self._filterbank_args, device=self.filterbank.device).double()
        self._set_statistics()

    def num_frames(self, samples: int) -> int:
        return samples // self.hop_length + 1

    def low_cut(self, audio: torch.Tensor) -> torch.Tensor:
        """The low-cut filter alone, (..., samples) float64 (the audio itself without ``highpass_hz``)."""
        x = audio.double()
        if self.highpass_hz is None:
            return x
        taps = scipy.signal.firwin(self.FIR_TAPS, self.highpass_hz / (self.sampling_rate // 2), pass_zero=False)
        filtered = scipy.signal.lfilter(taps, 1.0, x.detach().cpu().numpy(), axis=-1)  # causal, zero initial state
        return torch.from_numpy(filtered).to(x.device)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """(..., samples) -> (..., n_mels, frames), in ``audio``'s dtype."""
        audio = check_audio_tensor(audio)
        magnitude = stft(self.low_cut(audio), self.n_fft, self.hop_length, self.win_length).abs()
        log_mel = torch.log10((self.filterbank.double() @ magnitude).clamp_min(1e-10))  # (..., n_mels, frames)
        if self.mean is not None:
            log_mel = (log_mel - self.mean.double()) / self.std.double()
        return log_mel.to(audio.dtype)
