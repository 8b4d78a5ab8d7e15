"""Audio <-> normalised log spectrogram for style transfer, and chunked transfer of any length.

Style-transfer generators see a spectrogram as a one-channel image (batch, 1, bins, frames) with log
magnitudes mapped to [-1, 1] by the config's fixed floor and ceiling. The way back is magnitude-only:
the mel pseudo-inverse then fast Griffin-Lim (or librosa's CQT Griffin-Lim), so the phase is always
re-estimated over the whole clip and chunk boundaries never reach the waveform as clicks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import librosa
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...audio.cqt import cqt_magnitude
from ...audio.griffin_lim import griffin_lim
from ...audio.mel import MelSpectrogram, mel_to_linear
from .configuration_style_transfer import StyleTransferConfig

#: Chunks per generator call when transferring long audio (bounds memory, not results).
MAX_CHUNKS_PER_CALL = 64


class StyleSpectrogram(nn.Module):
    """The config's spectrogram: ``encode`` audio (B, samples) -> (B, 1, bins, frames) in [-1, 1],
    ``decode`` back to (B, samples). Frames are centred: ``frames = samples // hop + 1``."""

    def __init__(self, config: StyleTransferConfig):
        super().__init__()
        self.config = config
        self.mel = None
        if config.representation == "mel":
            self.mel = MelSpectrogram(
                config.sampling_rate, n_fft=config.n_fft, hop_length=config.hop_length, n_mels=config.n_mels,
                fmin=config.fmin, fmax=config.fmax, log=True, clamp_min=math.exp(config.log_floor),
            )

    def num_frames(self, num_samples: int) -> int:
        return num_samples // self.config.hop_length + 1

    def normalize(self, log_magnitude: torch.Tensor) -> torch.Tensor:
        floor, ceiling = self.config.log_floor, self.config.log_ceiling
        return 2.0 * (log_magnitude - floor) / (ceiling - floor) - 1.0

    def denormalize(self, spectrogram: torch.Tensor) -> torch.Tensor:
        floor, ceiling = self.config.log_floor, self.config.log_ceiling
        return (spectrogram + 1.0) * 0.5 * (ceiling - floor) + floor

    def encode(self, audio: torch.Tensor) -> torch.Tensor:
        """(B, samples) audio -> (B, 1, bins, frames) normalised log magnitudes."""
        if self.mel is not None:
            log_magnitude = self.mel(audio)
        else:
            log_magnitude = torch.from_numpy(self._log_cqt(audio.detach().cpu().numpy())).to(audio.device)
        return self.normalize(log_magnitude).unsqueeze(1)

    def _log_cqt(self, audio: np.ndarray) -> np.ndarray:
        config = self.config
        magnitude = np.stack([cqt_magnitude(clip, config.sampling_rate, config.hop_length, config.n_mels,
                                            config.bins_per_octave, config.fmin or None) for clip in audio])
        return np.log(np.maximum(magnitude, math.exp(config.log_floor))).astype(np.float32)

    def decode(self, spectrogram: torch.Tensor, num_samples: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """(B, 1, bins, frames) normalised spectrogram -> (B, num_samples) audio (magnitude only: phase by GL).

        Values are clamped to [-1, 1.5] first: below -1 is silence anyway, and a little headroom above
        +1 lets loud transfers through without letting a stray value explode through ``exp``.
        """
        config = self.config
        magnitude = self.denormalize(spectrogram[:, 0].clamp(-1.0, 1.5)).exp()           # (B, bins, frames)
        if self.mel is None:
            return torch.from_numpy(self._cqt_griffin_lim(magnitude.detach().cpu().numpy(), num_samples))
        linear = mel_to_linear(magnitude, config.sampling_rate, config.n_fft, config.fmin, config.fmax,
                               n_iter=config.mel_inverse_iters)                             # (B, n_fft/2+1, frames)
        return griffin_lim(linear, config.n_fft, config.hop_length, n_iter=config.griffin_lim_iters,
                           length=num_samples, generator=generator)

    def _cqt_griffin_lim(self, magnitude: np.ndarray, num_samples: int) -> np.ndarray:
        config = self.config
        fmin = config.fmin or float(librosa.note_to_hz("C1"))
        audio = librosa.griffinlim_cqt(magnitude, sr=config.sampling_rate, n_iter=config.griffin_lim_iters,
                                       hop_length=config.hop_length, fmin=fmin,
                                       bins_per_octave=config.bins_per_octave, length=num_samples, random_state=0)
        return audio.astype(np.float32, copy=False)


def crossfade_window(chunk_frames: int, device: torch.device | None = None) -> torch.Tensor:
    """sin^2 over ``chunk_frames`` frames, sampled between frames: at a hop of half a chunk, the
    windows of neighbouring chunks add up to exactly 1 and no weight is zero."""
    position = (torch.arange(chunk_frames, device=device, dtype=torch.float32) + 0.5) / chunk_frames
    return torch.sin(math.pi * position).square()


def transfer_in_chunks(
    spectrogram: torch.Tensor, transfer: Callable[[torch.Tensor], torch.Tensor], chunk_frames: int
) -> torch.Tensor:
    """Applies a fixed-width ``transfer`` to a spectrogram of any length, without seams.

    (B, C, bins, frames) -> (B, C, bins, frames). The spectrogram is padded at both ends by half a chunk
    (edge frames repeated), cut into chunks of ``chunk_frames`` overlapping by half, transferred in
    batches, weighted by :func:`crossfade_window` and overlap-added. Every frame is covered by two chunks
    whose weights sum to 1, so the output changes smoothly from one chunk to the next.
    """
    batch, channels, bins, frames = spectrogram.shape
    hop = chunk_frames // 2
    count = max(1, math.ceil((frames + 2 * hop - chunk_frames) / hop) + 1)
    total = (count - 1) * hop + chunk_frames
    padded = F.pad(spectrogram, (hop, total - frames - hop, 0, 0), mode="replicate")  # (B, C, bins, total)
    chunks = padded.unfold(-1, chunk_frames, hop)                                     # (B, C, bins, n, chunk)
    chunks = chunks.permute(0, 3, 1, 2, 4).reshape(batch * count, channels, bins, chunk_frames)
    outputs = torch.cat([transfer(part) for part in chunks.split(MAX_CHUNKS_PER_CALL)])
    window = crossfade_window(chunk_frames, spectrogram.device).to(outputs.dtype)
    columns = (outputs * window).reshape(batch, count, channels * bins, chunk_frames)
    columns = columns.permute(0, 2, 3, 1).reshape(batch, channels * bins * chunk_frames, count)
    fold = dict(output_size=(1, total), kernel_size=(1, chunk_frames), stride=(1, hop))
    summed = F.fold(columns, **fold)                                                  # (B, C * bins, 1, total)
    weights = F.fold(window.reshape(1, chunk_frames, 1).expand(1, chunk_frames, count).contiguous(), **fold)
    stitched = (summed / weights.clamp_min(1e-6)).reshape(batch, channels, bins, total)
    return stitched[..., hop : hop + frames]
