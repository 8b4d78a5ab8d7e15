"""Training the separator through the shared Trainer: random crops, stems remixed across clips.

Each example is a rendered clip whose part stems are grouped into the model's stems
(:class:`StemGrouping`). A batch takes a random ``segment_samples`` crop of each; with probability
``remix_probability`` each stem of an example is instead drawn from another clip of the batch, at
its own crop offset (Uhlich et al. 2017; Demucs), so the model sees far more mixtures than were
rendered and cannot lean on which bass goes with which melody. Every stem gets a random gain in
``[gain_min, gain_max]``, and the mixture is the sum of the stems.

Loss: L1 between estimated and true stem waveforms (as Demucs) plus ``spectral_loss_weight`` x the
L1 distance of their STFT magnitudes at the model's resolution (Open-Unmix trains on magnitudes).
Linear magnitudes, not the log-magnitude / spectral-convergence MR-STFT loss of
:mod:`hfsynth.modules.spectral_losses`: a stem is often silent in a crop, and both of those terms
divide by (or take the log of) the target's near-zero energy, which made the loss explode.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ...validation import check_int
from ...audio.spectral import stft
from ...evaluation.separation import sdr_kernel
from ...training import LossOutput, TrainingRecipe
from .configuration_separation import SeparationConfig
from .data_separation import DEFAULT_STEM, StemGrouping, separation_splits
from .modeling_separation import SeparationModel


def random_crop(audio: torch.Tensor, length: int) -> torch.Tensor:
    """A random ``length``-sample window of (..., samples) audio; shorter audio is padded with silence."""
    audio = F.pad(audio, (0, max(0, length - audio.shape[-1])))
    start = int(torch.randint(0, audio.shape[-1] - length + 1, ()).item())
    return audio[..., start : start + length]


class SeparationRecipe(TrainingRecipe):
    """Args:
        data: ``MusicDatasetConfig`` keyword arguments (default: every Bach chorale with choir aahs,
            piano, piano, acoustic bass; the rate defaults to the model's).
        model: ``SeparationConfig`` keyword arguments.
        family_stems / default_stem: instrument family -> stem; other families go to ``default_stem``.
        holdout_fraction: share of scores kept out of training (evaluation uses them).
        segment_samples: crop length.
        remix_probability: chance that an example's stems come from different clips of the batch.
        gain_min / gain_max: range of the random gain of each stem.
        spectral_loss_weight: weight of the STFT-magnitude L1 next to the waveform L1.
        cache_dir: where the rendered music set is cached.
    """

    ema_module = "model"

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        model: dict[str, Any] | None = None,
        family_stems: Mapping[str, str] | None = None,
        default_stem: str = DEFAULT_STEM,
        holdout_fraction: float = 0.15,
        segment_samples: int = 32000,
        remix_probability: float = 0.5,
        gain_min: float = 0.5,
        gain_max: float = 1.25,
        spectral_loss_weight: float = 1.0,
        cache_dir: str | None = "cache/datasets",
    ):
        self.config = SeparationConfig(**dict(model or {}))
        self.grouping = StemGrouping(self.config.stem_names, family_stems, default_stem)
        n_fft = self.config.n_fft
        check_int(segment_samples, "segment_samples", minimum=n_fft, hint=" (n_fft)")
        if not 0.0 <= remix_probability <= 1.0:
            raise ValueError(f"remix_probability must lie in [0, 1]; got {remix_probability}")
        if not 0.0 < gain_min <= gain_max:
            raise ValueError(f"need 0 < gain_min <= gain_max; got {gain_min}, {gain_max}")
        if spectral_loss_weight < 0:
            raise ValueError(f"spectral_loss_weight must be >= 0; got {spectral_loss_weight}")
        self.data, self.holdout_fraction, self.cache_dir = dict(data or {}), holdout_fraction, cache_dir
        self.segment_samples, self.remix_probability = segment_samples, remix_probability
        self.gain_range, self.spectral_loss_weight = (gain_min, gain_max), spectral_loss_weight
        self._model = SeparationModel(self.config)

    # ---------------------------------------------------------------------------------- data
    def modules(self) -> dict[str, torch.nn.Module]:
        return {"model": self._model}

    def train_dataset(self):
        train, _ = separation_splits(self.data, self.config.sampling_rate, self.holdout_fraction, self.cache_dir)
        return train

    def collate_fn(self):
        return self.collate

    def collate(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """{"mixture": (batch, 1, segment), "stems": (batch, stems, 1, segment)}, remixed and re-gained."""
        clips = [self.grouping(example["stems"], example["stem_families"]) for example in examples]  # (stems, samples)
        batch, stems = len(clips), self.config.num_stems
        remix = torch.rand(batch) < self.remix_probability
        rows = []
        for index in range(batch):
            if remix[index]:  # stem k from clip sources[k], each at its own offset
                sources = torch.randint(0, batch, (stems,)).tolist()
                crops = [random_crop(clips[s][k], self.segment_samples) for k, s in enumerate(sources)]
                rows.append(torch.stack(crops))
            else:
                rows.append(random_crop(clips[index], self.segment_samples))
        low, high = self.gain_range
        targets = torch.stack(rows) * (low + (high - low) * torch.rand(batch, stems, 1))  # (batch, stems, segment)
        return {"mixture": targets.sum(dim=1, keepdim=True), "stems": targets.unsqueeze(2)}

    # ---------------------------------------------------------------------------------- loss
    def compute_loss(self, group: str, batch: dict[str, torch.Tensor], models, step: int) -> LossOutput:
        estimate = models.model(input_values=batch["mixture"]).stems  # (batch, stems, 1, segment)
        target = batch["stems"]
        waveform_loss = (estimate - target).abs().mean()
        flat_target, flat_estimate = target.flatten(0, 2), estimate.flatten(0, 2)  # (batch * stems, segment)
        loss = waveform_loss
        logs = {"l1": waveform_loss.item()}
        if self.spectral_loss_weight:
            n_fft, hop = self.config.n_fft, self.config.hop_length
            spectral = (stft(flat_estimate, n_fft, hop).abs() - stft(flat_target, n_fft, hop).abs()).abs().mean()
            loss = loss + self.spectral_loss_weight * spectral
            logs["spectral_l1"] = spectral.item()
        with torch.no_grad():
            mixture = batch["mixture"].unsqueeze(1).expand_as(target).flatten(0, 2)
            improvement = sdr_kernel(flat_target, flat_estimate) - sdr_kernel(flat_target, mixture)
        logs["sdri_db"] = improvement.mean().item()
        return LossOutput(loss, logs)

    def export(self, output_dir: Path, modules: dict[str, torch.nn.Module]) -> None:
        modules["model"].save_pretrained(output_dir)
