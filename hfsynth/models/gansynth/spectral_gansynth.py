"""Audio <-> the spectrogram GANSynth generates: two channels (log magnitude, IF) scaled to [-1, 1].

The analysis and synthesis themselves are hfsynth's (:func:`~hfsynth.audio.mag_if_from_audio`,
:func:`~hfsynth.audio.mel_if_from_audio` and their inverses); this module only fits them to the
generator's grid and scale, the same way for training data and for generated notes:

* frames: a note of ``frames * hop`` samples has ``frames + 1`` centred STFT frames; the last one
  (centred on the sample after the note) is dropped, and re-made on the way back as a copy of the
  frame before it (the partials keep their level and frequency for that final hop);
* rows: "mag_if" drops the Nyquist bin (``n_fft // 2`` rows, a power of two) and gives it back silent;
  "mel_if" has exactly as many mel bands as the top stage has rows;
* scale: the log magnitude maps [floor, ceiling] (from the config) linearly onto [-1, 1]; the IF is
  already in [-1, 1]. Values outside [-1, 1] are clamped on the way back.

The published checkpoints use magenta's conventions instead (``config.spectral_frontend ==
"magenta"``): :class:`MagentaSpectrogramTransform`, on :mod:`hfsynth.audio.magenta_specgrams`.
:func:`spectrogram_transform` gives the one a config asks for; both have the same methods.
"""

from __future__ import annotations

import math

import torch

from ...audio.magenta_specgrams import MagentaSpecgrams, mel_matrices
from ...audio.phase import (
    audio_from_mag_if,
    audio_from_mel_if,
    mag_if_from_audio,
    mel_if_from_audio,
    mel_warp_matrices,
)
from ...audio.validation import check_audio_tensor
from .configuration_gansynth import GANSynthConfig

#: Channel order of every GANSynth spectrogram.
LOG_MAGNITUDE, INSTANTANEOUS_FREQUENCY = 0, 1


def check_generated(spectrogram: torch.Tensor, rows: int, frames: int) -> None:
    """``ValueError`` unless ``spectrogram`` is (..., 2, rows, frames), what the generator makes."""
    if spectrogram.ndim < 3 or tuple(spectrogram.shape[-3:]) != (2, rows, frames):
        raise ValueError(f"spectrogram must be (..., 2, {rows}, {frames}); got {tuple(spectrogram.shape)}")


def spectrogram_transform(config: GANSynthConfig) -> SpectrogramTransform | MagentaSpectrogramTransform:
    """The transform of ``config.spectral_frontend``."""
    if config.spectral_frontend == "magenta":
        return MagentaSpectrogramTransform(config)
    return SpectrogramTransform(config)


class SpectrogramTransform:
    """The two directions between notes (..., samples) and spectrograms (..., 2, rows, frames)."""

    def __init__(self, config: GANSynthConfig):
        self.config = config
        self.n_fft, self.hop_length = config.stft_n_fft, config.stft_hop_length
        self.rows, self.frames = config.spectrogram_shape
        self.floor, self.ceiling = config.log_magnitude_floor, config.log_magnitude_ceiling

    # ------------------------------------------------------------------------------- scaling
    def normalize_log_magnitude(self, log_magnitude: torch.Tensor) -> torch.Tensor:
        """[floor, ceiling] -> [-1, 1] (louder than the ceiling goes above 1)."""
        return 2.0 * (log_magnitude - self.floor) / (self.ceiling - self.floor) - 1.0

    def denormalize_log_magnitude(self, normalized: torch.Tensor) -> torch.Tensor:
        return self.floor + (normalized + 1.0) * (self.ceiling - self.floor) / 2.0

    # ------------------------------------------------------------------------------ analysis
    def encode(self, audio: torch.Tensor) -> torch.Tensor:
        """Notes (..., num_samples) -> normalised spectrograms (..., 2, rows, frames)."""
        audio = check_audio_tensor(audio)
        if audio.shape[-1] != self.config.num_samples:
            raise ValueError(
                f"a GANSynth note has {self.config.num_samples} samples ({self.config.audio_length_in_s} s); "
                f"got {audio.shape[-1]}: crop or pad it first"
            )
        eps = math.exp(self.floor)
        if self.config.representation == "mel_if":
            log_magnitude, if_ = mel_if_from_audio(
                audio, self.config.sampling_rate, self.n_fft, self.hop_length, n_mels=self.rows, eps=eps
            )                                                               # (..., rows, frames + 1)
        else:
            log_magnitude, if_ = mag_if_from_audio(audio, self.n_fft, self.hop_length, eps=eps)
            # Nyquist dropped: (..., rows, frames + 1)
            log_magnitude, if_ = log_magnitude[..., :-1, :], if_[..., :-1, :]
        channels = [self.normalize_log_magnitude(log_magnitude), if_]
        return torch.stack([channel[..., : self.frames] for channel in channels], dim=-3)  # (..., 2, rows, frames)

    def row_frequencies(self) -> torch.Tensor:
        """(rows,) the frequency in Hz each top-stage row stands for: its STFT bin, or for "mel_if" the
        mean frequency of the bins its mel band gathers."""
        bins = torch.arange(self.n_fft // 2 + 1, dtype=torch.float64) * self.config.sampling_rate / self.n_fft
        if self.config.representation != "mel_if":
            return bins[: self.rows].float()
        warp, _ = mel_warp_matrices(self.config.sampling_rate, self.n_fft, self.rows, dtype=torch.float64)
        return ((warp @ bins) / warp.sum(dim=1).clamp_min(1e-12)).float()

    # ----------------------------------------------------------------------------- synthesis
    def decode(self, spectrogram: torch.Tensor) -> torch.Tensor:
        """Normalised spectrograms (..., 2, rows, frames) -> notes (..., num_samples)."""
        check_generated(spectrogram, self.rows, self.frames)
        spectrogram = spectrogram.clamp(-1.0, 1.0)
        spectrogram = torch.cat([spectrogram, spectrogram[..., -1:]], dim=-1)  # the dropped frame: (..., frames + 1)
        log_magnitude = self.denormalize_log_magnitude(spectrogram[..., LOG_MAGNITUDE, :, :])
        if_ = spectrogram[..., INSTANTANEOUS_FREQUENCY, :, :]
        length = self.config.num_samples
        if self.config.representation == "mel_if":
            return audio_from_mel_if(
                log_magnitude, if_, self.config.sampling_rate, self.n_fft, self.hop_length, length=length
            )
        log_magnitude = torch.cat([log_magnitude, torch.full_like(log_magnitude[..., :1, :], self.floor)], dim=-2)
        if_ = torch.cat([if_, torch.zeros_like(if_[..., :1, :])], dim=-2)   # silent Nyquist: (..., rows + 1, T + 1)
        return audio_from_mag_if(log_magnitude, if_, self.n_fft, self.hop_length, length=length)


class MagentaSpectrogramTransform:
    """magenta's ``DataMelHelper`` (or linear ``DataSTFTHelper``) and normaliser, as the published
    checkpoints were trained with: notes (..., samples) <-> spectrograms (..., 2, rows, frames).

    Analysis is :class:`~hfsynth.audio.magenta_specgrams.MagentaSpecgrams` then ``scale * value +
    offset`` per channel, clipped to [-1, 1]; synthesis clamps to [-1, 1], inverts the scaling,
    ``(value - offset) / scale``, and resynthesises. No frame is dropped: the STFT's frames are the
    top stage's, the note's padding lies in front of it.
    """

    def __init__(self, config: GANSynthConfig):
        self.config = config
        self.rows, self.frames = config.spectrogram_shape
        self.specgrams = MagentaSpecgrams(config.num_samples, self.frames, config.stft_n_fft, config.stft_hop_length,
                                          config.sampling_rate, mel=config.representation == "mel_if")
        self.scale, self.offset = config.normalizer_scale, config.normalizer_offset

    def normalize(self, spectrogram: torch.Tensor) -> torch.Tensor:
        """(..., 2, rows, frames) log magnitude and IF -> the generator's scale, clipped to [-1, 1]."""
        channels = [self.scale[c] * spectrogram[..., c, :, :] + self.offset[c] for c in range(2)]
        return torch.stack(channels, dim=-3).clamp(-1.0, 1.0)

    def denormalize(self, normalized: torch.Tensor) -> torch.Tensor:
        """The generator's (..., 2, rows, frames) -> log magnitude and IF: magenta's ``(y - b) / a``."""
        channels = [(normalized[..., c, :, :] - self.offset[c]) / self.scale[c] for c in range(2)]
        return torch.stack(channels, dim=-3)

    def encode(self, audio: torch.Tensor) -> torch.Tensor:
        """Notes (..., num_samples) -> normalised spectrograms (..., 2, rows, frames)."""
        log_magnitude, if_ = self.specgrams.analyze(audio)
        return self.normalize(torch.stack([log_magnitude, if_], dim=-3))

    def decode(self, spectrogram: torch.Tensor) -> torch.Tensor:
        """Normalised spectrograms (..., 2, rows, frames) -> notes (..., num_samples)."""
        check_generated(spectrogram, self.rows, self.frames)
        values = self.denormalize(spectrogram.clamp(-1.0, 1.0))
        return self.specgrams.synthesize(values[..., LOG_MAGNITUDE, :, :], values[..., INSTANTANEOUS_FREQUENCY, :, :])

    def row_frequencies(self) -> torch.Tensor:
        """(rows,) the frequency in Hz of each row: bins 1..n_fft/2, or each mel band's mean bin."""
        n_fft = self.specgrams.n_fft
        bins = torch.arange(1, n_fft // 2 + 1, dtype=torch.float64) * self.config.sampling_rate / n_fft
        if not self.specgrams.mel:
            return bins.float()
        to_mel, _ = mel_matrices(self.rows, self.config.sampling_rate, dtype=torch.float64)
        return ((to_mel @ bins) / to_mel.sum(dim=1).clamp_min(1e-12)).float()
