"""Training MelGAN-VC and CycleGAN through the shared Trainer, on paired renders used unpaired.

Data: :func:`~hfsynth.data.build_paired_dataset` renders each score in two instrument sets (domain A,
domain B). Scores are split by their ``source`` with :func:`~hfsynth.data.splits.split_by_key`: the
held-out scores are never trained on and serve for evaluation, where the B render is the ground truth
of transferring the A render. Training itself is unpaired, as the GANs need: each batch's B crops come
from other clips (a random permutation) at independent random offsets.

Each optimizer step updates the discriminator(s), then the generator(s), on the same batch:

* MelGAN-VC (Pasini 2019): an A crop of ``num_splits * chunk_frames`` frames is cut into ``num_splits``
  chunks, each transferred alone and concatenated back. Discriminator: hinge loss
  ``relu(1 - D(b)) + relu(1 + D(G(a)))``. Generator and siamese network together:
  ``-D(G(a)) + travel_weight * TraVeL + margin_weight * margin + identity_weight * |G(b) - b|``, where
  TraVeL compares the vectors between chunk embeddings ``t = S(a_i) - S(a_j)`` and ``t' = S(G(a_i)) -
  S(G(a_j))`` (squared distance minus cosine similarity) and the margin loss ``relu(margin - ||t||)^2``
  keeps the siamese embeddings from collapsing to a point.
* CycleGAN (Zhu et al. 2017): least-squares GAN losses for both directions, plus
  ``cycle_weight * (|G_BA(G_AB(a)) - a| + |G_AB(G_BA(b)) - b|)`` and
  ``identity_weight * (|G_AB(b) - b| + |G_BA(a) - a|)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets
import torch
import torch.nn.functional as F

from ...data import PairedDatasetConfig, as_torch, build_paired_dataset
from ...data.splits import split_by_key
from ...modules.adversarial_losses import hinge_terms
from ...training import LossOutput, OptimizerGroup, RecipeModules, TrainingRecipe
from .configuration_style_transfer import CycleGANConfig, MelGANVCConfig, StyleTransferConfig
from .modeling_cyclegan import CycleGANDiscriminators, CycleGANModel
from .modeling_melganvc import MelGANVCDiscriminator, MelGANVCModel, MelGANVCSiamese
from .spectral_style_transfer import StyleSpectrogram

#: Salt of the score split: training and evaluation must agree on it.
SPLIT_SALT = "hfsynth-style-transfer"


def paired_splits(
    data: dict[str, Any], holdout_fraction: float, cache_dir: str | None = "cache/datasets"
) -> tuple[datasets.Dataset, datasets.Dataset]:
    """(train, held-out) paired clips, split by score: no held-out score has a clip in training."""
    pairs = build_paired_dataset(PairedDatasetConfig(**data), cache_dir=cache_dir, progress=True)
    return split_by_key(pairs, holdout_fraction, key_column="source", salt=SPLIT_SALT)


def random_crops(audio: list[torch.Tensor], num_samples: int) -> torch.Tensor:
    """(batch, num_samples): one crop per clip at a random offset (clips shorter than that are zero-padded)."""
    crops = []
    for clip in audio:
        clip = F.pad(clip, (0, max(0, num_samples - clip.shape[-1])))
        start = int(torch.randint(0, clip.shape[-1] - num_samples + 1, ()).item())
        crops.append(clip[start : start + num_samples])
    return torch.stack(crops)


def split_chunks(spectrogram: torch.Tensor, chunk_frames: int) -> torch.Tensor:
    """(B, 1, bins, n * chunk) -> (B * n, 1, bins, chunk): the chunks of each item, item-major."""
    batch, channels, bins, frames = spectrogram.shape
    chunks = spectrogram.reshape(batch, channels, bins, frames // chunk_frames, chunk_frames)
    return chunks.permute(0, 3, 1, 2, 4).reshape(-1, channels, bins, chunk_frames)


def join_chunks(chunks: torch.Tensor, num_splits: int) -> torch.Tensor:
    """Inverse of :func:`split_chunks`: (B * n, 1, bins, chunk) -> (B, 1, bins, n * chunk)."""
    total, channels, bins, chunk = chunks.shape
    joined = chunks.reshape(total // num_splits, num_splits, channels, bins, chunk).permute(0, 2, 3, 1, 4)
    return joined.reshape(total // num_splits, channels, bins, num_splits * chunk)


def travel_loss(source: torch.Tensor, transferred: torch.Tensor) -> torch.Tensor:
    """TraVeL: vectors between pairs of chunk embeddings (each chunk with the next one in the batch)
    should keep their length and direction after transfer. (N, dim), (N, dim) -> scalar."""
    t_source = source - source.roll(1, dims=0)
    t_transferred = transferred - transferred.roll(1, dims=0)
    distance = (t_source - t_transferred).pow(2).mean(dim=1)
    return (distance - F.cosine_similarity(t_source, t_transferred, dim=1)).mean()


def margin_loss(embeddings: torch.Tensor, margin: float) -> torch.Tensor:
    """The siamese margin loss: distinct chunks stay at least ``margin`` apart in embedding space."""
    distance = (embeddings - embeddings.roll(1, dims=0)).norm(dim=1)
    return F.relu(margin - distance).pow(2).mean()


class StyleTransferRecipe(TrainingRecipe):
    """What both recipes share: the split paired data and batches of A and B spectrogram crops.

    Args:
        data: ``PairedDatasetConfig`` keyword arguments (``sampling_rate`` defaults to the model's).
        model: the model config's keyword arguments.
        holdout_fraction: share of scores held out for evaluation (split by ``source``).
        adam_betas: of every optimizer (CycleGAN paper: (0.5, 0.999)).
        cache_dir: where rendered pairs are cached.
    """

    config_class: type[StyleTransferConfig] = StyleTransferConfig
    ema_module = "model"

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        model: dict[str, Any] | None = None,
        holdout_fraction: float = 0.2,
        adam_betas: tuple[float, float] = (0.5, 0.999),
        cache_dir: str | None = "cache/datasets",
    ):
        self.config = self.config_class(**(model or {}))
        self.data = {"sampling_rate": self.config.sampling_rate, **(data or {})}
        self.holdout_fraction = float(holdout_fraction)
        self.adam_betas = tuple(adam_betas)
        self.cache_dir = cache_dir
        self.transform = StyleSpectrogram(self.config)

    @property
    def crop_frames(self) -> int:
        """Frames of one training crop."""
        return self.config.chunk_frames

    def train_dataset(self) -> datasets.Dataset:
        train, _ = paired_splits(self.data, self.holdout_fraction, self.cache_dir)
        if len(train) < 2:
            raise ValueError(f"only {len(train)} training clip(s) after holding out scores; render more scores")
        return as_torch(train, sampling_rate=self.config.sampling_rate, columns=["audio_a", "audio_b"])

    def collate_fn(self):
        return self.collate

    def collate(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """{"a", "b"}: (batch, 1, bins, crop_frames) normalised spectrograms; B from other clips (unpaired)."""
        num_samples = (self.crop_frames - 1) * self.config.hop_length
        order = torch.randperm(len(examples)).tolist()
        audio_a = random_crops([example["audio_a"] for example in examples], num_samples)
        audio_b = random_crops([examples[index]["audio_b"] for index in order], num_samples)
        return {"a": self.transform.encode(audio_a), "b": self.transform.encode(audio_b)}

    def export(self, output_dir: Path, modules: dict[str, torch.nn.Module]) -> None:
        """The (EMA) model: a folder for ``pipeline("audio-to-audio", ...)`` and :class:`StyleTransferPipeline`."""
        modules["model"].save_pretrained(output_dir)


class MelGANVCRecipe(StyleTransferRecipe):
    """MelGAN-VC: generator + siamese network in one group, the spectral-norm discriminator in the other."""

    config_class = MelGANVCConfig

    @property
    def crop_frames(self) -> int:
        return self.config.num_splits * self.config.chunk_frames

    def modules(self) -> dict[str, torch.nn.Module]:
        return {"model": MelGANVCModel(self.config), "discriminator": MelGANVCDiscriminator(self.config),
                "siamese": MelGANVCSiamese(self.config)}

    def optimizer_groups(self) -> list[OptimizerGroup]:
        return [OptimizerGroup("discriminator", ("discriminator",), betas=self.adam_betas),
                OptimizerGroup("generator", ("model", "siamese"), betas=self.adam_betas)]

    def compute_loss(self, group: str, batch: dict[str, torch.Tensor], models: RecipeModules, step: int) -> LossOutput:
        config = self.config
        source = split_chunks(batch["a"], config.chunk_frames)                      # (B * splits, 1, bins, chunk)
        if group == "discriminator":
            with torch.no_grad():
                fake = join_chunks(models.model(source).spectrogram, config.num_splits)
            real_loss, fake_loss = hinge_terms(models.discriminator(batch["b"]), models.discriminator(fake))
            return LossOutput(real_loss + fake_loss, {"hinge_real": real_loss.item(), "hinge_fake": fake_loss.item()})
        transferred = models.model(source).spectrogram
        adversarial = -models.discriminator(join_chunks(transferred, config.num_splits)).mean()
        target_chunks = split_chunks(batch["b"], config.chunk_frames)
        identity = (models.model(target_chunks).spectrogram - target_chunks).abs().mean()
        source_embeddings = models.siamese(source)
        travel = travel_loss(source_embeddings, models.siamese(transferred))
        margin = margin_loss(source_embeddings, config.margin)
        loss = (adversarial + config.travel_weight * travel + config.margin_weight * margin
                + config.identity_weight * identity)
        logs = {"adversarial": adversarial.item(), "travel": travel.item(), "margin": margin.item(),
                "identity": identity.item()}
        return LossOutput(loss, logs)


class CycleGANRecipe(StyleTransferRecipe):
    """CycleGAN: both PatchGANs in one group, both generators (the model) in the other."""

    config_class = CycleGANConfig

    def modules(self) -> dict[str, torch.nn.Module]:
        return {"model": CycleGANModel(self.config), "discriminators": CycleGANDiscriminators(self.config)}

    def optimizer_groups(self) -> list[OptimizerGroup]:
        return [OptimizerGroup("discriminator", ("discriminators",), betas=self.adam_betas),
                OptimizerGroup("generator", ("model",), betas=self.adam_betas)]

    def compute_loss(self, group: str, batch: dict[str, torch.Tensor], models: RecipeModules, step: int) -> LossOutput:
        real_a, real_b = batch["a"], batch["b"]
        critic = models.discriminators
        if group == "discriminator":
            with torch.no_grad():
                fake_b = models.model(real_a, direction="a_to_b").spectrogram
                fake_a = models.model(real_b, direction="b_to_a").spectrogram
            loss_a = 0.5 * ((critic(real_a, "a") - 1).pow(2).mean() + critic(fake_a, "a").pow(2).mean())
            loss_b = 0.5 * ((critic(real_b, "b") - 1).pow(2).mean() + critic(fake_b, "b").pow(2).mean())
            return LossOutput(loss_a + loss_b, {"lsgan_a": loss_a.item(), "lsgan_b": loss_b.item()})
        fake_b = models.model(real_a, direction="a_to_b").spectrogram
        fake_a = models.model(real_b, direction="b_to_a").spectrogram
        adversarial = (critic(fake_b, "b") - 1).pow(2).mean() + (critic(fake_a, "a") - 1).pow(2).mean()
        cycle = ((models.model(fake_b, direction="b_to_a").spectrogram - real_a).abs().mean()
                 + (models.model(fake_a, direction="a_to_b").spectrogram - real_b).abs().mean())
        identity = ((models.model(real_b, direction="a_to_b").spectrogram - real_b).abs().mean()
                    + (models.model(real_a, direction="b_to_a").spectrogram - real_a).abs().mean())
        config = self.config
        loss = adversarial + config.cycle_weight * cycle + config.identity_weight * identity
        return LossOutput(loss, {"adversarial": adversarial.item(), "cycle": cycle.item(), "identity": identity.item()})
