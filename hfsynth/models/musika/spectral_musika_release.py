"""The published Musika's spectrogram front end and phase reconstruction (the authors' ``utils.py``).

* analysis (``wv2spec``): ``tf.signal.stft`` (frame and FFT 4 * hop, periodic Hann, no padding) ->
  power in dB (``10 log10(max(|X|^2, 1e-10))``) -> normalised ``(dB - mu) / sigma``;
* synthesis (``conc_tog_specphase``): the decoder's two heads in [-1, 1] -> dB ``= m * sigma + mu`` ->
  amplitude ``sqrt(10^(dB / 10) + 1e-7)``, phase ``p * pi`` -> ``tf.signal.inverse_stft`` with
  ``inverse_stft_window_fn(hop)``: inverse FFT of each frame, times the Hann window over the sum of
  squared windows overlapping there (1.5 at 4x overlap), overlap-added at the hop; no edge
  correction, no trimming.

:class:`OverlapAdd` does the overlap-add incrementally: each run of frames completes ``hop`` samples
per frame and keeps the ``n_fft - hop`` samples that later frames still add to, so audio of any
length comes out in pieces equal to the one-shot inverse STFT.
"""

from __future__ import annotations

import math

import torch

from .configuration_musika_release import MusikaReleaseConfig

#: ``utils.power2db``'s floor on the power.
POWER_FLOOR = 1e-10
#: Added to the power before the square root in ``conc_tog_specphase``.
AMPLITUDE_EPSILON = 1e-7


def synthesis_window(n_fft: int, hop: int, device: torch.device | None = None) -> torch.Tensor:
    """``tf.signal.inverse_stft_window_fn(hop)``: Hann over the sum of the squared Hann windows that overlap."""
    window = torch.hann_window(n_fft, periodic=True, device=device)
    overlaps = math.ceil(n_fft / hop)
    squares = torch.nn.functional.pad(window.square(), (0, overlaps * hop - n_fft))
    denominator = squares.reshape(overlaps, hop).sum(dim=0).repeat(overlaps)[:n_fft]
    return window / denominator


class MusikaReleaseSpectrogram:
    """STFT analysis and the heads' inverse, for one :class:`MusikaReleaseConfig` (no weights)."""

    def __init__(self, config: MusikaReleaseConfig):
        self.n_fft, self.hop = config.n_fft, config.hop_length
        self.mu, self.sigma = config.mu_rescale, config.sigma_rescale

    def analyse(self, audio: torch.Tensor) -> torch.Tensor:
        """(..., T) audio, T >= n_fft -> (..., 1 + (T - n_fft) // hop, bins) normalised dB spectrogram frames."""
        shape = audio.shape
        window = torch.hann_window(self.n_fft, periodic=True, device=audio.device)
        spec = torch.stft(audio.reshape(-1, shape[-1]).float(), self.n_fft, self.hop, window=window, center=False,
                          return_complex=True)
        decibels = 10.0 * torch.log10(spec.abs().square().clamp_min(POWER_FLOOR))
        return ((decibels - self.mu) / self.sigma).transpose(-1, -2).reshape(*shape[:-1], spec.shape[-1], -1)

    def complex_frames(self, magnitude: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
        """The decoder's heads (..., frames, bins) in [-1, 1] -> complex STFT frames."""
        decibels = magnitude.float() * self.sigma + self.mu
        amplitude = torch.sqrt(torch.pow(10.0, 0.1 * decibels) + AMPLITUDE_EPSILON)
        return torch.polar(amplitude, phase.float() * math.pi)

    def frames_to_pieces(self, frames: torch.Tensor) -> torch.Tensor:
        """Complex frames (..., F, bins) -> windowed inverse FFTs (..., F, n_fft), ready to overlap-add."""
        window = synthesis_window(self.n_fft, self.hop, frames.device)
        return torch.fft.irfft(frames, n=self.n_fft) * window


class OverlapAdd:
    """The inverse STFT's overlap-add, run by pieces: :meth:`push` frames, get the samples they complete.

    After frames 0 .. F-1 have been pushed, samples ``0 .. F * hop - 1`` are final (no later frame
    reaches them); the last ``n_fft - hop`` samples wait in :attr:`tail`. :meth:`finish` hands them
    out, making the total exactly ``tf.signal.inverse_stft``'s ``(F - 1) * hop + n_fft`` samples.
    """

    def __init__(self, spectrogram: MusikaReleaseSpectrogram):
        self.spectrogram = spectrogram
        self.tail: torch.Tensor | None = None

    def push(self, frames: torch.Tensor) -> torch.Tensor:
        """Complex frames (..., F, bins) -> the (..., F * hop) samples they complete."""
        hop, n_fft = self.spectrogram.hop, self.spectrogram.n_fft
        pieces = self.spectrogram.frames_to_pieces(frames)                     # (..., F, n_fft)
        count, overlaps = pieces.shape[-2], n_fft // hop
        pieces = pieces.reshape(*pieces.shape[:-1], overlaps, hop)            # (..., F, overlaps, hop)
        out = pieces.new_zeros(*pieces.shape[:-3], count + overlaps - 1, hop)
        for shift in range(overlaps):
            out[..., shift : shift + count, :] += pieces[..., shift, :]
        out = out.flatten(-2)                                                 # (..., (F + overlaps - 1) * hop)
        if self.tail is not None:
            out[..., : self.tail.shape[-1]] += self.tail
        self.tail = out[..., count * hop :]
        return out[..., : count * hop]

    def finish(self) -> torch.Tensor:
        """The last ``n_fft - hop`` samples (only the last frames reach them)."""
        tail, self.tail = self.tail, None
        return tail
