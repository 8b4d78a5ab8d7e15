"""Audio <-> the spectrogram features Musika's autoencoder reads and writes.

* analysis: audio (B, C, T) with T a multiple of the hop -> per channel the scaled log magnitude
  and the phase / pi of ``T / hop`` centred STFT frames (the frame centred on the sample after the
  clip is dropped), stacked as (B, C * 2 * bins, frames): frequency bins are the convolutions' channels.
* synthesis: predicted (log magnitude, phase direction) -> complex frames -> overlap-add. The
  overlap-add is written out (inverse FFT, window, fold, divide by the summed squared window) rather
  than calling ``torch.istft`` so that any run of frames can be turned into the samples it fully
  covers: that is what lets long audio be decoded chunk by chunk and joined without seams.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ...audio.spectral import get_window, stft
from .configuration_musika import MusikaAutoencoderConfig


class MusikaSpectrogram:
    """The STFT and overlap-add of one :class:`MusikaAutoencoderConfig` (no weights)."""

    def __init__(self, config: MusikaAutoencoderConfig):
        self.n_fft, self.hop, self.bins = config.n_fft, config.hop_length, config.num_bins
        self.channels = config.audio_channels
        self.floor = config.log_magnitude_floor

    # ------------------------------------------------------------------------------ scaling
    def scale(self, log_magnitude: torch.Tensor) -> torch.Tensor:
        """log magnitude -> floor at -1, log(1) = 0 at +1 (louder bins go above 1)."""
        return 1.0 + 2.0 * (log_magnitude / -self.floor)

    def unscale(self, scaled: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`scale`, kept below log(n_fft) (a full-scale sine's peak is log(n_fft / 4))."""
        return ((scaled - 1.0) * (-self.floor) / 2.0).clamp(max=float(torch.log(torch.tensor(float(self.n_fft)))))

    # ----------------------------------------------------------------------------- analysis
    def analyse(self, audio: torch.Tensor) -> torch.Tensor:
        """(B, C, T) audio, T a multiple of the hop -> (B, C * 2 * bins, T / hop) features."""
        batch, channels, samples = audio.shape
        spec = stft(audio, self.n_fft, self.hop, pad_mode="constant")[..., : samples // self.hop]  # (B, C, F, N)
        log_magnitude = spec.abs().clamp_min(torch.exp(torch.tensor(self.floor)).item()).log()
        features = torch.stack([self.scale(log_magnitude), spec.angle() / torch.pi], dim=2)  # (B, C, 2, F, N)
        return features.reshape(batch, channels * 2 * self.bins, -1)

    # ---------------------------------------------------------------------------- synthesis
    def complex_frames(self, output: torch.Tensor) -> torch.Tensor:
        """Decoder output (B, C * 3 * bins, N): scaled log magnitude and an unnormalised phase direction
        (x, y) per bin -> complex spectrogram (B, C, bins, N)."""
        batch, _, frames = output.shape
        output = output.reshape(batch, self.channels, 3, self.bins, frames)
        magnitude = self.unscale(output[:, :, 0]).exp()
        direction = torch.complex(output[:, :, 1], output[:, :, 2])
        return magnitude * direction / direction.abs().clamp_min(1e-6)

    def overlap_add(self, spec: torch.Tensor) -> torch.Tensor:
        """Complex frames (B, C, bins, N) -> (B, C, (N - 1) * hop + n_fft) samples, the first being
        ``n_fft // 2`` samples before frame 0's centre. Samples covered by fewer frames than usual are
        normalised by the window energy actually present (exactly what ``istft`` does)."""
        batch, channels, _, frames = spec.shape
        window = get_window("hann", self.n_fft, spec.device, spec.real.dtype)
        pieces = torch.fft.irfft(spec, n=self.n_fft, dim=2) * window[:, None]       # (B, C, n_fft, N)
        length = (frames - 1) * self.hop + self.n_fft
        folded = F.fold(pieces.reshape(batch * channels, self.n_fft, frames), (1, length), (1, self.n_fft),
                        stride=(1, self.hop))                                        # (B * C, 1, 1, length)
        energy = F.fold(window.square()[None, :, None].expand(1, -1, frames), (1, length), (1, self.n_fft),
                        stride=(1, self.hop))
        return (folded / energy.clamp_min(1e-3)).reshape(batch, channels, length)

    def frames_to_audio(self, spec: torch.Tensor, first_frame: int, start: int, end: int) -> torch.Tensor:
        """Samples ``start:end`` (absolute indices) from complex frames (B, C, bins, N) of which the first
        is frame ``first_frame`` (centred on sample ``first_frame * hop``)."""
        audio = self.overlap_add(spec)
        offset = first_frame * self.hop - self.n_fft // 2                               # sample index of audio[..., 0]
        if start < offset or end > offset + audio.shape[-1]:
            raise ValueError(f"frames from {first_frame} cover samples {offset}..{offset + audio.shape[-1]}, "
                             f"not {start}..{end}")
        return audio[..., start - offset : end - offset]
