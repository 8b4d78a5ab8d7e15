"""Training AudioGen's codec, a transformers ``EncodecModel``, through the shared Trainer.

transformers' EnCodec has no training path for its quantizer;
:class:`~hfsynth.modules.encodec_training.TrainableEncodec` adds it (EMA codebooks, dead-code
restarts, commitment loss, straight-through gradients). The losses follow EnCodec (Défossez et
al. 2022) with its weights, on random crops:

* ``waveform``: L1 between input and reconstruction (weight 0.1);
* ``spectral``: multi-scale STFT distance (spectral convergence + log-magnitude L1 over 6 window
  sizes, weight 1), where EnCodec uses mel L1 + L2 over 7 scales;
* ``commitment``: the RVQ's commitment loss (weight 1);
* with ``adversarial``: hinge loss (weight 3) and feature matching (weight 3) against a
  multi-scale STFT discriminator, trained first in each step on the same batch.

EnCodec also rescales these gradients with a loss balancer; plain weights are used here.
The exported folder is a plain ``EncodecModel`` (plus its feature extractor), which
``AudioGenRecipe(codec=...)`` and ``EncodecModel.from_pretrained`` load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets
import torch
import torch.nn.functional as F
from transformers import EncodecModel

from ...modules.adversarial_losses import discriminator_hinge_loss, feature_matching_loss, generator_hinge_loss
from ...modules.encodec_training import TrainableEncodec, reset_encodec_weights
from ...modules.spectral_losses import multi_scale_stft_loss
from ...modules.stft_discriminator import MultiScaleSTFTDiscriminator
from ...training import LossOutput, OptimizerGroup, TrainingRecipe
from .configuration_audiogen import codec_config
from .data_audiogen import load_clips, random_crops
from .processing_audiogen import feature_extractor_for

#: EnCodec's loss weights (lambda_t, lambda_f, lambda_w, lambda_g, lambda_feat).
LOSS_WEIGHTS = {"waveform": 0.1, "spectral": 1.0, "commitment": 1.0, "adversarial": 3.0, "feature_matching": 3.0}


class CodecRecipe(TrainingRecipe):
    """Args:
        dataset: "notes", "music" or "folder"; data: its settings (see ``load_clips``).
        codec: overrides of ``small_encodec_config`` (``num_codebooks``, ``codebook_size``,
            ``num_filters``, ...) or a full ``EncodecConfig`` dict; see ``codec_config``.
        segment_seconds: crop length (EnCodec: 1 s).
        adversarial: train against a multi-scale STFT discriminator (EnCodec does; off, the codec
            trains on reconstruction alone, about 3x faster on a CPU but duller).
        discriminator: ``MultiScaleSTFTDiscriminator`` settings (``fft_sizes``, ``channels``).
        loss_weights: overrides of :data:`LOSS_WEIGHTS`.
        spectral_dynamic_range_db: the spectral loss's log floor, in dB below each crop's peak (None:
            the metric's absolute 1e-7; see ``multi_scale_stft_loss``).
        codebook_decay / dead_code_threshold: see ``TrainableEncodec``.
        discriminator_learning_rate: the critic's rate (default the training rate).
    """

    def __init__(
        self,
        dataset: str = "notes",
        data: dict[str, Any] | None = None,
        codec: dict[str, Any] | None = None,
        segment_seconds: float = 1.0,
        adversarial: bool = True,
        discriminator: dict[str, Any] | None = None,
        loss_weights: dict[str, float] | None = None,
        spectral_dynamic_range_db: float | None = None,
        codebook_decay: float = 0.99,
        dead_code_threshold: float = 0.25,
        discriminator_learning_rate: float | None = None,
        cache_dir: str | None = "cache/datasets",
    ):
        self.config = codec_config(codec)
        unknown = sorted(set(loss_weights or {}) - set(LOSS_WEIGHTS))
        if unknown:
            raise ValueError(f"unknown loss weights {unknown}; known: {sorted(LOSS_WEIGHTS)}")
        self.weights = {**LOSS_WEIGHTS, **(loss_weights or {})}
        self.spectral_dynamic_range_db = spectral_dynamic_range_db
        self.segment_samples = max(1, round(segment_seconds * self.config.sampling_rate))
        self.dataset, self.data, self.cache_dir = dataset, dict(data or {}), cache_dir
        self.adversarial, self.discriminator_learning_rate = adversarial, discriminator_learning_rate
        codec = reset_encodec_weights(EncodecModel(self.config))
        self._codec = TrainableEncodec(codec, codebook_decay, dead_code_threshold)
        self._discriminator = MultiScaleSTFTDiscriminator(**(discriminator or {})) if adversarial else None

    def modules(self) -> dict[str, torch.nn.Module]:
        modules = {"codec": self._codec}
        if self._discriminator is not None:
            modules["discriminator"] = self._discriminator
        return modules

    def optimizer_groups(self) -> list[OptimizerGroup]:
        codec = OptimizerGroup("codec", ("codec",))
        if not self.adversarial:
            return [codec]
        critic = OptimizerGroup("discriminator", ("discriminator",), learning_rate=self.discriminator_learning_rate)
        return [critic, codec]

    def train_dataset(self) -> datasets.Dataset:
        return load_clips(self.dataset, self.data, self.config.sampling_rate, self.cache_dir, with_captions=False)

    def collate_fn(self):
        return self.collate

    def collate(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """{"audio": (batch, segment_samples)} random crops."""
        return {"audio": random_crops([example["audio"] for example in examples], self.segment_samples)[0]}

    def compute_loss(self, group: str, batch: dict[str, torch.Tensor], models, step: int) -> LossOutput:
        audio = batch["audio"]
        if group == "discriminator":
            with torch.no_grad():
                fake = models.codec(audio, update_codebooks=False).audio
            real_logits, _ = models.discriminator(audio)
            fake_logits, _ = models.discriminator(fake)
            return LossOutput(discriminator_hinge_loss(real_logits, fake_logits))
        out = models.codec(audio)
        terms = {
            "waveform": F.l1_loss(out.audio, audio),
            "spectral": multi_scale_stft_loss(audio, out.audio, dynamic_range_db=self.spectral_dynamic_range_db),
            "commitment": out.commitment_loss,
        }
        if self.adversarial:
            fake_logits, fake_features = models.discriminator(out.audio)
            with torch.no_grad():
                _, real_features = models.discriminator(audio)
            terms["adversarial"] = generator_hinge_loss(fake_logits)
            terms["feature_matching"] = feature_matching_loss(real_features, fake_features)
        loss = sum(self.weights[name] * value for name, value in terms.items())
        logs = {name: value.item() for name, value in terms.items()}
        logs["codebook_usage"] = out.codebook_usage.mean().item()
        return LossOutput(loss, logs)

    def export(self, output_dir: Path, modules: dict[str, torch.nn.Module]) -> None:
        """The codec as a plain ``EncodecModel`` folder with its feature extractor."""
        codec = modules["codec"].codec
        codec.save_pretrained(output_dir)
        feature_extractor_for(codec.config.sampling_rate).save_pretrained(output_dir)
