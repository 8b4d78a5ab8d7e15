"""A music source separator: mixture waveform in, K stem waveforms out.

Why a spectrogram mask (Open-Unmix, Stöter et al. 2019) rather than a waveform U-Net (Wave-U-Net,
Demucs): on a 2-core CPU the goal is the SDR gain per minute of training. The mask model works on
STFT frames (one vector per 16 ms), so a 2 s crop is 126 LSTM steps instead of 32000 samples
through a deep convolution stack. On one shared CPU thread a batch of eight 2 s crops takes about
1.3 s, and 200 steps (5 minutes) already gave 9.5 dB SDR improvement on held-out chorales
(configs/separation_small.yaml). It also gives two properties for free:

- the K masks are a softmax over stems, so they sum to one in every time-frequency bin and the
  stems (mask x mixture STFT, inverted with the mixture's phase) sum to the mixture exactly;
- the network sees each channel as a mono signal, so it separates any channel layout.

Structure per channel: log-magnitude (513 bins) -> learned per-bin affine -> Linear + LayerNorm +
tanh -> bidirectional LSTM over frames -> [encoder, LSTM] skip -> Linear + LayerNorm + ReLU ->
Linear to K x 513 -> softmax over K -> masks.

``SeparationConfig(architecture="openunmix")`` builds Open-Unmix instead (one network per stem and
a Wiener post-filter, :mod:`.modeling_openunmix`): the same model class, inputs and outputs, so
converted Open-Unmix folders load with ``AutoModel`` and work through the same pipelines.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers.utils import ModelOutput

from ...audio.spectral import istft, stft
from ..modeling_utils import HFSynthPreTrainedModel
from .configuration_separation import SeparationConfig
from .modeling_openunmix import OpenUnmixNetwork, OpenUnmixSeparator

#: Below this peak an input is treated as silence (-80 dBFS): there is nothing to separate.
SILENCE_PEAK = 1e-4


@dataclass
class SeparationOutput(ModelOutput):
    """
    stems: (batch, stems, channels, samples) waveforms; they sum to the input over the stem axis.
    masks: (batch, stems, channels, bins, frames) soft masks (None when chunked, and for Open-Unmix).
    """

    stems: torch.Tensor | None = None
    masks: torch.Tensor | None = None


@dataclass
class SeparationAudioOutput(ModelOutput):
    """What the ``audio-to-audio`` pipeline reads: ``stems`` (batch, stems, samples) for a mono
    model, (batch, stems, channels, samples) otherwise, with names in ``config.stem_names``."""

    stems: torch.Tensor | None = None


def refuse_post_filter(post_filter: dict) -> None:
    """The mask architecture has no post-filter: its options are an error, not silently ignored."""
    if post_filter:
        raise ValueError(f"{sorted(post_filter)}: post-filter options are for Open-Unmix models only")


class MaskEstimator(nn.Module):
    """Log-magnitude frames (N, bins, frames) -> soft masks (N, stems, bins, frames) summing to one."""

    def __init__(self, bins: int, stems: int, hidden_size: int, lstm_layers: int, dropout: float):
        super().__init__()
        self.bins, self.stems = bins, stems
        self.input_shift = nn.Parameter(torch.zeros(bins))
        self.input_scale = nn.Parameter(torch.ones(bins))
        self.encoder = nn.Sequential(nn.Linear(bins, hidden_size), nn.LayerNorm(hidden_size), nn.Tanh())
        self.lstm = nn.LSTM(
            hidden_size,
            hidden_size // 2,
            num_layers=lstm_layers,
            bidirectional=True,
            batch_first=True,
            dropout=dropout if lstm_layers > 1 else 0.0,
        )
        self.decoder = nn.Sequential(
            nn.Linear(2 * hidden_size, hidden_size),
            nn.LayerNorm(hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, stems * bins),
        )

    def forward(self, log_magnitude: torch.Tensor) -> torch.Tensor:
        n, bins, frames = log_magnitude.shape
        x = (log_magnitude.transpose(1, 2) + self.input_shift) * self.input_scale  # (N, frames, bins)
        encoded = self.encoder(x)                                                   # (N, frames, hidden)
        recurrent, _ = self.lstm(encoded)                                           # (N, frames, hidden)
        logits = self.decoder(torch.cat([encoded, recurrent], dim=-1))              # (N, frames, stems * bins)
        logits = logits.reshape(n, frames, self.stems, bins).permute(0, 2, 3, 1)    # (N, stems, bins, frames)
        return logits.softmax(dim=1)


class SeparationPreTrainedModel(HFSynthPreTrainedModel):
    config_class = SeparationConfig
    base_model_prefix = "separation"
    main_input_name = "input_values"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, MaskEstimator):
            nn.init.zeros_(module.input_shift)
            nn.init.ones_(module.input_scale)
        elif isinstance(module, OpenUnmixNetwork):  # Open-Unmix's initial normalisation: none
            nn.init.zeros_(module.input_mean)
            for scale in (module.input_scale, module.output_scale, module.output_mean):
                nn.init.ones_(scale)
        elif isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


class SeparationModel(SeparationPreTrainedModel):
    """Separates a (batch, channels, samples) mixture into ``config.stem_names`` stems.

    ``forward`` is the differentiable training path on one segment; :meth:`separate` handles any
    length (with overlapping chunks for the mask architecture); :meth:`audio_to_audio` is what the
    ``audio-to-audio`` pipeline calls (it validates the input first). Open-Unmix models take the
    post-filter options ``niter``, ``wiener_win_len`` and ``residual`` in all three.
    """

    def __init__(self, config: SeparationConfig):
        super().__init__(config)
        if config.architecture == "openunmix":
            self.openunmix = OpenUnmixSeparator(config)
        else:
            self.masker = MaskEstimator(
                config.n_fft // 2 + 1, config.num_stems, config.hidden_size, config.lstm_layers, config.dropout
            )
        self.post_init()

    # ------------------------------------------------------------------------------ one segment
    def forward(self, input_values: torch.Tensor, **post_filter) -> SeparationOutput:
        """(batch, channels, samples) mixture -> stems (batch, stems, channels, samples) and masks
        (mask architecture; Open-Unmix answers stems only)."""
        if input_values.ndim != 3:
            raise ValueError(f"input_values must be (batch, channels, samples); got shape {tuple(input_values.shape)}")
        batch, channels, samples = input_values.shape
        if samples < self.config.min_input_samples:
            raise ValueError(
                f"audio has {samples} samples; separation needs at least n_fft={self.config.min_input_samples}"
            )
        if self.config.architecture == "openunmix":
            if self.config.audio_channels not in (1, channels):
                raise ValueError(f"this Open-Unmix model separates {self.config.audio_channels}-channel audio; "
                                 f"got {channels} channels")
            return SeparationOutput(stems=self.openunmix(input_values, **post_filter))
        refuse_post_filter(post_filter)
        n_fft, hop = self.config.n_fft, self.config.hop_length
        spec = stft(input_values.reshape(batch * channels, samples).float(), n_fft, hop)  # (N, bins, frames), float32
        masks = self.masker(torch.log(spec.abs() + 1e-4).to(self.dtype)).float()    # (N, stems, bins, frames)
        stems = istft(masks * spec.unsqueeze(1), n_fft, hop, length=samples)        # (N, stems, samples)
        stems = stems.reshape(batch, channels, -1, samples).transpose(1, 2)         # (B, stems, C, samples)
        masks = masks.reshape(batch, channels, *masks.shape[1:]).transpose(1, 2)    # (B, stems, C, bins, frames)
        return SeparationOutput(stems=stems, masks=masks)

    # ------------------------------------------------------------------------------ any length
    @torch.no_grad()
    def separate(self, input_values: torch.Tensor, **post_filter) -> torch.Tensor:
        """(batch, channels, samples) of any length -> stems (batch, stems, channels, samples).

        Open-Unmix separates the whole input in one pass, at its own level (its recurrent networks
        see every frame, as in the original). For the mask architecture, the input is scaled to
        ``config.input_rms`` (stems scaled back) and cut into chunks of ``chunk_in_s`` that overlap
        by ``overlap_in_s``; chunk outputs are cross-faded with linear ramps over the overlaps. Each
        chunk's stems sum to its mixture and the fade weights sum to one, so the stems still sum to
        the input.
        """
        if self.config.architecture == "openunmix":
            return self(input_values, **post_filter).stems
        refuse_post_filter(post_filter)
        samples = input_values.shape[-1]
        gain = self.config.input_rms / input_values.square().mean(dim=(1, 2), keepdim=True).sqrt().clamp_min(1e-8)
        mixture = input_values * gain
        chunk, overlap = self.chunk_layout()
        if samples <= chunk:
            return self(mixture).stems / gain.unsqueeze(1)
        stems = mixture.new_zeros(mixture.shape[0], self.config.num_stems, *mixture.shape[1:])
        weight_sum = mixture.new_zeros(samples)
        for start in range(0, samples - overlap, chunk - overlap):
            piece = mixture[..., start : start + chunk]
            length = piece.shape[-1]
            if length < chunk:  # the last chunk: pad to full length so it has the context it was made for
                piece = F.pad(piece, (0, chunk - length))
            weight = self.fade_weights(chunk, overlap, first=start == 0, last=start + chunk >= samples)
            weight = weight[:length].to(mixture)
            stems[..., start : start + length] += self(piece).stems[..., :length] * weight
            weight_sum[start : start + length] += weight
        return stems / weight_sum / gain.unsqueeze(1)

    def chunk_layout(self) -> tuple[int, int]:
        """(chunk, overlap) in samples."""
        rate = self.config.sampling_rate
        chunk = max(int(round(self.config.chunk_in_s * rate)), self.config.min_input_samples)
        return chunk, int(round(self.config.overlap_in_s * rate))

    @staticmethod
    def fade_weights(chunk: int, overlap: int, first: bool, last: bool) -> torch.Tensor:
        """(chunk,) weights: linear ramps over the overlaps (none at the input's two ends)."""
        weight = torch.ones(chunk)
        if overlap:
            ramp = (torch.arange(overlap) + 0.5) / overlap
            if not first:
                weight[:overlap] = ramp
            if not last:
                weight[-overlap:] = ramp.flip(0)
        return weight

    # ------------------------------------------------------------------------------ pipeline
    def check_mixture(self, input_values: torch.Tensor) -> torch.Tensor:
        """Refuses what cannot be separated: wrong shape, non-finite, too short or silent input."""
        if not isinstance(input_values, torch.Tensor) or input_values.ndim != 3:
            shape = tuple(getattr(input_values, "shape", ()))
            raise ValueError(f"input_values must be a (batch, channels, samples) tensor; got shape {shape}")
        samples, rate, needed = input_values.shape[-1], self.config.sampling_rate, self.config.min_input_samples
        if samples < needed:
            raise ValueError(
                f"audio is too short to separate: {samples} samples ({samples / rate:.3f} s at {rate} Hz); "
                f"at least {needed} samples ({needed / rate:.3f} s) needed"
            )
        if not torch.isfinite(input_values).all():
            raise ValueError("audio contains NaN or infinite samples")
        peaks = input_values.abs().amax(dim=(1, 2))
        if bool((peaks < SILENCE_PEAK).any()):
            peak = float(peaks.min())
            raise ValueError(f"audio is silent (peak {peak:.2g}, below -80 dBFS): there is nothing to separate")
        return input_values.float()  # the STFT runs in float32 whatever the networks' precision

    def audio_to_audio(self, input_values: torch.Tensor, **post_filter) -> SeparationAudioOutput:
        """Pipeline entry: validated (batch, channels, samples) -> stems in the pipeline's layout.
        ``post_filter``: Open-Unmix's ``niter``, ``wiener_win_len``, ``residual`` for this call."""
        stems = self.separate(self.check_mixture(input_values), **post_filter)  # (B, stems, C, samples)
        return SeparationAudioOutput(stems=stems[:, :, 0] if stems.shape[2] == 1 else stems)
