"""Open-Unmix (Stöter, Uhlich, Liutkus & Mitsufuji, 2019): one recurrent network per stem, then a
multichannel Wiener filter. ``SeparationConfig(architecture="openunmix")`` selects it; the
published umxhq / umxl / umxse weights load exactly through ``hfsynth convert openunmix``.

Each stem's network maps the mixture's STFT magnitude (all channels at once) to the stem's:

    crop to max_bin bins -> (x + input_mean) * input_scale -> fc1: Linear(channels * max_bin -> hidden)
    -> bn1 -> tanh (the encoding) -> lstm over frames (hidden / 2 units per direction)
    -> [encoding, lstm] -> fc2: Linear(2 hidden -> hidden) -> bn2 -> ReLU
    -> fc3: Linear(hidden -> channels * bins) -> bn3 -> * output_scale + output_mean -> ReLU:
    a non-negative mask, times the full-band mixture magnitude.

The layers keep Open-Unmix's names (``fc1``, ``bn1``, ``lstm``, ``fc2``, ``bn2``, ``fc3``, ``bn3``), so
its checkpoints load key for key and a conversion error names the key as the checkpoint spells it.

``input_mean`` holds *minus* the training set's mean magnitude per bin and ``input_scale`` one over
its deviation (Open-Unmix's convention). The separator then gives each estimate the mixture's phase,
optionally adds a residual stem (the mixture minus the others) and refines all of them with the
Wiener filter of :mod:`hfsynth.audio.wiener`. The STFT and the filter run in float32 whatever the
networks' precision.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ...audio.spectral import istft, stft
from ...audio.wiener import wiener, with_mixture_phase
from .configuration_separation import SeparationConfig, check_post_filter


class OpenUnmixNetwork(nn.Module):
    """One stem's network: mixture magnitude (batch, channels, bins, frames) -> the stem's, same shape.
    Frames come first inside, the LSTM's (and Open-Unmix's) time-major layout."""

    def __init__(self, bins: int, max_bin: int, channels: int, hidden_size: int, layers: int,
                 bidirectional: bool, dropout: float):
        super().__init__()
        self.max_bin, self.hidden_size = max_bin, hidden_size
        self.input_mean = nn.Parameter(torch.zeros(max_bin))
        self.input_scale = nn.Parameter(torch.ones(max_bin))
        self.output_scale = nn.Parameter(torch.ones(bins))
        self.output_mean = nn.Parameter(torch.ones(bins))
        self.fc1 = nn.Linear(channels * max_bin, hidden_size, bias=False)
        self.bn1 = nn.BatchNorm1d(hidden_size)
        self.lstm = nn.LSTM(
            hidden_size,
            hidden_size // 2 if bidirectional else hidden_size,
            num_layers=layers,
            bidirectional=bidirectional,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.fc2 = nn.Linear(2 * hidden_size, hidden_size, bias=False)
        self.bn2 = nn.BatchNorm1d(hidden_size)
        self.fc3 = nn.Linear(hidden_size, channels * bins, bias=False)
        self.bn3 = nn.BatchNorm1d(channels * bins)

    def forward(self, magnitude: torch.Tensor) -> torch.Tensor:
        batch, channels, bins, frames = magnitude.shape
        mixture = magnitude.permute(3, 0, 1, 2)                                       # (frames, B, C, bins)
        x = (mixture[..., : self.max_bin] + self.input_mean) * self.input_scale
        x = self.bn1(self.fc1(x.reshape(frames * batch, channels * self.max_bin)))
        encoded = torch.tanh(x).reshape(frames, batch, self.hidden_size)             # (frames, B, hidden)
        recurrent, _ = self.lstm(encoded)                                             # (frames, B, hidden)
        x = torch.cat([encoded, recurrent], dim=-1).reshape(frames * batch, 2 * self.hidden_size)
        x = self.bn3(self.fc3(F.relu(self.bn2(self.fc2(x)))))                       # (frames * B, C * bins)
        mask = F.relu(x.reshape(frames, batch, channels, bins) * self.output_scale + self.output_mean)
        return (mask * mixture).permute(1, 2, 3, 0)                                   # (B, C, bins, frames)


class OpenUnmixSeparator(nn.Module):
    """The networks of ``config.network_stems`` and the separation around them."""

    def __init__(self, config: SeparationConfig):
        super().__init__()
        self.config = config
        bins = config.n_fft // 2 + 1
        self.targets = nn.ModuleDict({
            name: OpenUnmixNetwork(bins, config.max_bin or bins, config.audio_channels, config.hidden_size,
                                   config.lstm_layers, config.bidirectional, config.dropout)
            for name in config.network_stems
        })

    def post_filter(self, options: dict) -> tuple[int, int | None, str | None]:
        """(niter, wiener_win_len, residual): the config's, overridden by a call's ``options``."""
        unknown = sorted(set(options) - {"niter", "wiener_win_len", "residual"})
        if unknown:
            raise ValueError(f"unknown separation option(s) {unknown}; Open-Unmix takes niter, wiener_win_len, "
                             "residual")
        settings = {"niter": self.config.niter, "wiener_win_len": self.config.wiener_win_len,
                    "residual": self.config.residual, **options}
        niter, window, residual = check_post_filter(**settings, stem_names=self.config.stem_names)
        missing = [name for name in self.config.stem_names if name != residual and name not in self.targets]
        if missing:
            raise ValueError(f"stem(s) {missing} have no network; only the residual stem may lack one "
                             f"(residual={self.config.residual!r} for this model)")
        return niter, window, residual

    def forward(self, input_values: torch.Tensor, **options) -> torch.Tensor:
        """(batch, channels, samples) mixture -> stems (batch, stems, channels, samples), float32.

        ``options``: ``niter``, ``wiener_win_len``, ``residual`` for this call (default: the config's).
        """
        niter, window, residual = self.post_filter(options)
        n_fft, hop, samples = self.config.n_fft, self.config.hop_length, input_values.shape[-1]
        mixture = stft(input_values.float(), n_fft, hop)                               # (B, C, bins, frames)
        magnitude = mixture.abs()
        if self.config.audio_channels == 1:  # a mono model down-mixes magnitudes, as Open-Unmix
            magnitude = magnitude.mean(dim=1, keepdim=True)
        dtype = next(self.parameters()).dtype
        names = [name for name in self.config.stem_names if name != residual]
        estimates = torch.stack([self.targets[name](magnitude.to(dtype)).float() for name in names], dim=1)
        sources = with_mixture_phase(estimates, mixture)                              # (B, stems, C, bins, frames)
        if residual is not None:
            index = self.config.stem_names.index(residual)
            rest = (mixture - sources.sum(dim=1)).unsqueeze(1)
            sources = torch.cat([sources[:, :index], rest, sources[:, index:]], dim=1)
        sources = wiener(sources, mixture, niter, window)
        return istft(sources, n_fft, hop, length=samples)
