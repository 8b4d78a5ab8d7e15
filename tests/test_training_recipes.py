"""Tiny recipes and helpers for the training-engine tests (no tests here).

Importable as ``test_training_recipes`` from the tests and, with ``PYTHONPATH=tests``, from
``torchrun`` / ``hfsynth train`` subprocesses (``recipe: "test_training_recipes:TinyGANRecipe"``).
They double as the shortest examples of writing a recipe.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import TensorDataset

from hfsynth.training import LossOutput, OptimizerGroup, RecipeModules, TrainingConfig, TrainingRecipe

EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "training_example.yaml"


def tiny_config(output_dir: Path, **overrides) -> TrainingConfig:
    """A CPU config for a few steps, logging every step, never checkpointing unless asked."""
    settings = dict(
        output_dir=str(output_dir),
        max_steps=4,
        batch_size=8,
        learning_rate=1e-2,
        log_every=1,
        save_every=1000,
        cpu=True,
    )
    return TrainingConfig(**{**settings, **overrides})


def checkpoint_tensors(checkpoint: Path) -> dict[str, torch.Tensor]:
    """Every weight and EMA tensor of a checkpoint directory, keyed ``<file stem>/<tensor name>``."""
    from safetensors.torch import load_file

    tensors = {}
    for path in sorted(checkpoint.glob("*.safetensors")):
        if path.name.startswith(("model.", "ema")):
            tensors.update({f"{path.stem}/{key}": value for key, value in load_file(str(path)).items()})
    return tensors


class LinearRegressionRecipe(TrainingRecipe):
    """Fits ``y = x @ w + b`` with one linear layer: one module, the default single optimizer group."""

    ema_module = "model"

    def __init__(self, features: int = 4, examples: int = 64) -> None:
        generator = torch.Generator().manual_seed(1234)
        self.inputs = torch.randn(examples, features, generator=generator)
        true_weight = torch.randn(features, 1, generator=generator)
        self.targets = self.inputs @ true_weight + 0.5
        self.features = features

    def modules(self) -> dict[str, nn.Module]:
        return {"model": nn.Linear(self.features, 1)}

    def train_dataset(self) -> TensorDataset:
        return TensorDataset(self.inputs, self.targets)

    def compute_loss(self, group: str, batch, models: RecipeModules, step: int) -> LossOutput:
        inputs, targets = batch
        return LossOutput(F.mse_loss(models.model(inputs), targets))


class TinyGANRecipe(TrainingRecipe):
    """A two-group GAN on 4-D Gaussian data: the discriminator is updated first, then the generator.

    ``noise="rng"`` draws latents from torch's global RNG (what real GANs do; tests exact resume);
    ``noise="data"`` reads them from the dataset, making the run independent of how examples are
    split over processes (tests 2 processes x B == 1 process x 2B).
    """

    ema_module = "generator"

    def __init__(
        self, examples: int = 48, features: int = 4, latent: int = 3, hidden: int = 8, noise: str = "rng"
    ) -> None:
        if noise not in ("rng", "data"):
            raise ValueError(f"noise must be 'rng' or 'data'; got {noise!r}")
        generator = torch.Generator().manual_seed(99)
        self.real = torch.randn(examples, features, generator=generator) * 0.5 + 1.0
        self.latents = torch.randn(examples, latent, generator=generator)
        self.features, self.latent, self.hidden, self.noise = features, latent, hidden, noise

    def modules(self) -> dict[str, nn.Module]:
        generator = nn.Sequential(nn.Linear(self.latent, self.hidden), nn.Tanh(), nn.Linear(self.hidden, self.features))
        discriminator = nn.Sequential(
            nn.Linear(self.features, self.hidden), nn.LeakyReLU(0.2), nn.Linear(self.hidden, 1)
        )
        return {"generator": generator, "discriminator": discriminator}

    def optimizer_groups(self) -> list[OptimizerGroup]:
        return [
            OptimizerGroup("discriminator", ("discriminator",), betas=(0.5, 0.9)),
            OptimizerGroup("generator", ("generator",), learning_rate=5e-3),
        ]

    def train_dataset(self) -> TensorDataset:
        return TensorDataset(self.real, self.latents)

    def compute_loss(self, group: str, batch, models: RecipeModules, step: int) -> LossOutput:
        real, latents = batch
        if self.noise == "rng":
            latents = torch.randn(real.shape[0], self.latent, device=real.device)
        fake = models.generator(latents)
        if group == "discriminator":
            real_score, fake_score = models.discriminator(real), models.discriminator(fake.detach())
            loss = F.softplus(-real_score).mean() + F.softplus(fake_score).mean()
            return LossOutput(loss, {"real_score": real_score.mean().item(), "fake_score": fake_score.mean().item()})
        return LossOutput(F.softplus(-models.discriminator(fake)).mean())
