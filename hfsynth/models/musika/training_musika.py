"""Training Musika through the shared Trainer, in two runs.

1. :class:`MusikaAutoencoderRecipe`: the autoencoder on random crops of music. Groups
   ``discriminator`` then ``autoencoder``:

   * discriminator: hinge loss of EnCodec's multi-scale STFT discriminator on real vs reconstructed audio;
   * autoencoder: multi-scale STFT distance (the number evaluation reports) plus, from
     ``adversarial_start_step`` on, the hinge generator loss and feature matching.

2. :class:`MusikaLatentGANRecipe`: the latent GAN. The trained autoencoder (read from a folder) is
   frozen; every training clip is encoded once, its note density (onset rate) measured and its tempo
   read from the dataset. A real sample is two chunks of consecutive latents; a fake one is the
   generator's window over the same span of a coordinate path (random anchors, so the window crosses
   an anchor shared by two chunks: the discriminator sees the seam). Hinge loss, projection
   conditioning plus an auxiliary head that reads tempo and density off the latents (learned on real
   ones; the generator pays for a mismatch with what it was asked); each condition is dropped (marked
   "not given") with probability ``condition_dropout`` so prompts may leave it free. The export is the generator with its autoencoder: a text-to-audio folder.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import torch
import torch.nn.functional as F

from ...data import as_torch
from ...data.sources import load_training_source
from ...evaluation.music import onset_rate
from ...modules.adversarial_losses import discriminator_hinge_loss, feature_matching_loss, generator_hinge_loss
from ...modules.spectral_losses import multi_scale_stft_loss
from ...modules.stft_discriminator import MultiScaleSTFTDiscriminator
from ...training import LossOutput, OptimizerGroup, RecipeModules, TrainingRecipe
from .configuration_musika import MusikaAutoencoderConfig, MusikaConfig
from .modeling_musika import MusikaAutoencoder, MusikaGenerator, MusikaLatentDiscriminator
from .pipeline_musika import MusikaPipeline


def load_clips(dataset: str, data: dict[str, Any], sampling_rate: int, cache_dir: str | None,
               bpms: list[float] | None) -> datasets.Dataset:
    """The training source; with ``bpms`` (music only) the scores are rendered once per tempo and the
    renderings concatenated (audio and tempo), so that the tempo conditioning sees several tempi."""
    if not bpms:
        return load_training_source(dataset, data, sampling_rate, cache_dir)
    if dataset != "music":
        raise ValueError(f"bpms renders scores at several tempi and needs dataset='music'; got {dataset!r}")
    parts = [load_training_source("music", {**data, "bpm": float(bpm)}, sampling_rate, cache_dir) for bpm in bpms]
    return datasets.concatenate_datasets([part.select_columns(["audio", "tempo"]) for part in parts])


def random_crop(audio: torch.Tensor, length: int) -> torch.Tensor:
    """A random ``length``-sample stretch of (C, T) audio, padded with silence when shorter."""
    audio = F.pad(audio, (0, max(0, length - audio.shape[-1])))
    start = int(torch.randint(0, audio.shape[-1] - length + 1, ()))
    return audio[..., start : start + length]


def as_channels(audio: torch.Tensor, channels: int) -> torch.Tensor:
    """(T,) or (C, T) -> (channels, T): mono repeated or stereo averaged as needed."""
    audio = audio[None] if audio.ndim == 1 else audio
    if audio.shape[0] == channels:
        return audio
    return audio.mean(dim=0, keepdim=True).expand(channels, -1)


def audible_crop(audio: torch.Tensor, length: int, tries: int = 4, min_rms: float = 1e-3) -> torch.Tensor:
    """A random crop that is not silent: the first of ``tries`` random crops whose RMS reaches ``min_rms``,
    else the loudest. A silent target makes the spectral-convergence term of the MR-STFT loss divide by ~0."""
    crops = []
    for _ in range(tries):
        crop = random_crop(audio, length)
        if crop.square().mean().sqrt() >= min_rms:
            return crop
        crops.append(crop)
    return max(crops, key=lambda c: float(c.square().mean()))


class MusikaAutoencoderRecipe(TrainingRecipe):
    """Args:
        dataset / data: a training source (``"music"``, ``"folder"``, ...) and its arguments
            (see :func:`hfsynth.data.sources.load_training_source`).
        model: ``MusikaAutoencoderConfig`` keyword arguments.
        crop_in_s: training crop, rounded to whole latent frames.
        fft_sizes: of the multi-scale STFT reconstruction loss.
        discriminator_fft_sizes / discriminator_channels: the STFT discriminator.
        adversarial_weight / feature_matching_weight: weights of the adversarial terms.
        adversarial_start_step: reconstruction only before this step; ``None``: reconstruction only
            throughout (the CPU recipe: the STFT discriminator costs most of a step there).
        discriminator_lead_steps: the critic starts training this many steps before the adversarial
            terms (before that its update is skipped: on a CPU it costs most of a step).
        adam_betas: of both optimizers.
        bpms: render the music at each of these tempi (see :func:`load_clips`).
    """

    def __init__(
        self,
        dataset: str = "music",
        data: dict[str, Any] | None = None,
        model: dict[str, Any] | None = None,
        bpms: list[float] | None = None,
        crop_in_s: float = 1.024,
        fft_sizes: tuple[int, ...] = (64, 128, 256, 512, 1024),
        discriminator_fft_sizes: tuple[int, ...] = (1024, 512, 256),
        discriminator_channels: int = 16,
        adversarial_weight: float = 0.1,
        feature_matching_weight: float = 1.0,
        adversarial_start_step: int | None = 1000,
        discriminator_lead_steps: int = 200,
        adam_betas: tuple[float, float] = (0.5, 0.9),
        cache_dir: str | None = "cache/datasets",
    ):
        self.config = MusikaAutoencoderConfig(**(model or {}))
        self.dataset, self.data, self.cache_dir, self.bpms = dataset, dict(data or {}), cache_dir, bpms
        step = self.config.samples_per_latent
        self.crop = max(step, round(crop_in_s * self.config.sampling_rate / step) * step)
        self.fft_sizes, self.discriminator_fft_sizes = tuple(fft_sizes), tuple(discriminator_fft_sizes)
        self.discriminator_channels = discriminator_channels
        self.adversarial_weight, self.feature_matching_weight = adversarial_weight, feature_matching_weight
        self.adversarial_start_step = math.inf if adversarial_start_step is None else adversarial_start_step
        self.adam_betas = tuple(adam_betas)
        self.discriminator_start_step = max(0, self.adversarial_start_step - discriminator_lead_steps)

    def modules(self) -> dict[str, torch.nn.Module]:
        return {"autoencoder": MusikaAutoencoder(self.config),
                "discriminator": MultiScaleSTFTDiscriminator(self.discriminator_fft_sizes, self.discriminator_channels)}

    def optimizer_groups(self) -> list[OptimizerGroup]:
        return [OptimizerGroup("discriminator", ("discriminator",), betas=self.adam_betas),
                OptimizerGroup("autoencoder", ("autoencoder",), betas=self.adam_betas)]

    def train_dataset(self) -> torch.utils.data.Dataset:
        source = load_clips(self.dataset, self.data, self.config.sampling_rate, self.cache_dir, self.bpms)
        return as_torch(source, sampling_rate=self.config.sampling_rate, columns=["audio"])

    def collate_fn(self):
        return self.collate

    def collate(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """{"audio": (batch, channels, crop)} random crops that are not silent."""
        channels = self.config.audio_channels
        return {"audio": torch.stack([audible_crop(as_channels(e["audio"], channels), self.crop) for e in examples])}

    def compute_loss(self, group: str, batch: dict[str, torch.Tensor], models: RecipeModules, step: int) -> LossOutput:
        real = batch["audio"]                                                  # (B, C, T)
        flat_real = real.flatten(0, 1)                                         # (B * C, T): losses are per channel
        if group == "discriminator" and step < self.discriminator_start_step:
            idle = sum(p.sum() for p in models.unwrapped("discriminator").parameters()) * 0.0
            return LossOutput(idle)                                            # zero gradient: no update
        if group == "discriminator":
            with torch.no_grad():
                fake = models.autoencoder(input_values=real).audio.flatten(0, 1)
            real_logits, _ = models.discriminator(flat_real)
            fake_logits, _ = models.discriminator(fake)
            loss = discriminator_hinge_loss(real_logits, fake_logits)
            return LossOutput(loss, {"hinge": loss.item()})
        fake = models.autoencoder(input_values=real).audio.flatten(0, 1)
        reconstruction = multi_scale_stft_loss(flat_real, fake, self.fft_sizes)
        logs = {"mr_stft": reconstruction.item()}
        if step < self.adversarial_start_step:
            return LossOutput(reconstruction, logs)
        fake_logits, fake_features = models.discriminator(fake)
        with torch.no_grad():
            _, real_features = models.discriminator(flat_real)
        adversarial = generator_hinge_loss(fake_logits)
        matching = feature_matching_loss(real_features, fake_features)
        loss = reconstruction + self.adversarial_weight * adversarial + self.feature_matching_weight * matching
        return LossOutput(loss, {**logs, "adversarial": adversarial.item(), "feature_matching": matching.item()})

    def export(self, output_dir: Path, modules: dict[str, torch.nn.Module]) -> None:
        """The autoencoder alone: the folder :class:`MusikaLatentGANRecipe` reads."""
        modules["autoencoder"].save_pretrained(output_dir)


class LatentClips(torch.utils.data.Dataset):
    """Encoded clips: {"latents": (latent_channels, frames), "tempo": bpm or NaN, "density": onsets/s}."""

    def __init__(self, items: list[dict[str, torch.Tensor]]):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return self.items[index]


class MusikaLatentGANRecipe(TrainingRecipe):
    """Args:
        autoencoder: folder of a trained :class:`MusikaAutoencoder` (the export of
            :class:`MusikaAutoencoderRecipe`); frozen here and shipped inside the generator.
        dataset / data: the training source, as for the autoencoder.
        model: ``MusikaConfig`` keyword arguments (the autoencoder's architecture comes from its folder).
        bpms: render the music at each of these tempi (see :func:`load_clips`).
        condition_dropout: probability of marking tempo, and separately density, as not given.
        condition_loss_weight: weight of the auxiliary condition regression: the discriminator learns
            to read tempo and density (log2 codes) off real latents, and the generator is penalised
            by how far what it reads off the fakes is from what was asked (squared error, given
            conditions only). 0 leaves the projection term alone to carry the conditioning.
        adam_betas: of both optimizers.
    """

    ema_module = "generator"
    export_reads_data = True                # the "sparse"/"dense" onset rates are the data's quartiles

    def __init__(
        self,
        autoencoder: str,
        dataset: str = "music",
        data: dict[str, Any] | None = None,
        model: dict[str, Any] | None = None,
        bpms: list[float] | None = None,
        condition_dropout: float = 0.2,
        condition_loss_weight: float = 1.0,
        adam_betas: tuple[float, float] = (0.5, 0.99),
        cache_dir: str | None = "cache/datasets",
    ):
        if not (Path(autoencoder) / "config.json").is_file():
            raise ValueError(f"autoencoder must be a folder saved by MusikaAutoencoderRecipe; {autoencoder!r} has no config.json")
        self.autoencoder = MusikaAutoencoder.from_pretrained(autoencoder).eval().requires_grad_(False)
        self.config = MusikaConfig(autoencoder=self.autoencoder.config, **(model or {}))
        self.dataset, self.data, self.cache_dir, self.bpms = dataset, dict(data or {}), cache_dir, bpms
        if not 0.0 <= condition_dropout <= 1.0:
            raise ValueError(f"condition_dropout must be in [0, 1]; got {condition_dropout}")
        if not condition_loss_weight >= 0.0:
            raise ValueError(f"condition_loss_weight must be >= 0; got {condition_loss_weight}")
        self.condition_dropout, self.adam_betas = condition_dropout, tuple(adam_betas)
        self.condition_loss_weight = float(condition_loss_weight)
        self.window = 2 * self.config.chunk_latents                           # two chunks: one seam

    def modules(self) -> dict[str, torch.nn.Module]:
        generator = MusikaGenerator(self.config)
        generator.autoencoder.load_state_dict(self.autoencoder.state_dict())
        generator.autoencoder.requires_grad_(False)
        return {"generator": generator, "discriminator": MusikaLatentDiscriminator(self.config)}

    def optimizer_groups(self) -> list[OptimizerGroup]:
        return [OptimizerGroup("discriminator", ("discriminator",), betas=self.adam_betas),
                OptimizerGroup("generator", ("generator",), betas=self.adam_betas)]

    @torch.no_grad()
    def train_dataset(self) -> LatentClips:
        """Every clip encoded once; clips shorter than two chunks are left out. Sets the config's
        "sparse"/"dense" onset rates to the data's quartiles."""
        rate = self.config.sampling_rate
        source = load_clips(self.dataset, self.data, rate, self.cache_dir, self.bpms)
        has_tempo = "tempo" in source.column_names
        clips = as_torch(source, sampling_rate=rate, columns=["audio", "tempo"] if has_tempo else ["audio"])
        items = []
        for index in range(len(clips)):
            example = clips[index]
            audio = as_channels(example["audio"], self.autoencoder.config.audio_channels)
            latents = self.autoencoder.encode(audio[None])[0]
            if latents.shape[-1] < self.window:
                continue
            tempo = float(example["tempo"]) if has_tempo else float("nan")
            density = float(onset_rate(audio.mean(dim=0).numpy(), sampling_rate=rate))
            items.append({"latents": latents, "tempo": torch.tensor(tempo), "density": torch.tensor(density)})
        if not items:
            raise ValueError(f"no training clip is at least two chunks long ({self.window} latent frames, "
                             f"{self.window * self.autoencoder.config.samples_per_latent / rate:g} s)")
        densities = np.array([float(item["density"]) for item in items])
        if (densities > 0).any():
            sparse, dense = np.quantile(densities[densities > 0], [0.25, 0.75])
            self.config.density_sparse, self.config.density_dense = float(sparse), float(max(dense, sparse * 1.01))
        return LatentClips(items)

    def collate_fn(self):
        return self.collate

    def collate(self, examples: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        """{"latents": (B, latent_channels, 2 chunks) random crops, "tempo": (B,), "density": (B,)}."""
        return {"latents": torch.stack([random_crop(e["latents"], self.window) for e in examples]),
                "tempo": torch.stack([e["tempo"] for e in examples]).float(),
                "density": torch.stack([e["density"] for e in examples]).float()}

    def conditioning(self, batch: dict[str, torch.Tensor], models: RecipeModules) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 4) conditioning of the batch's true tempo and density, and the same with each condition
        dropped (NaN: not given) at ``condition_dropout``: what the generator is asked for."""
        tempo, density = batch["tempo"], batch["density"]
        generator = models.unwrapped("generator")
        true = generator.conditioning(tempo, density, tempo.shape[0])
        tempo, density = tempo.clone(), density.clone()
        tempo[torch.rand_like(tempo) < self.condition_dropout] = float("nan")
        density[torch.rand_like(density) < self.condition_dropout] = float("nan")
        return true, generator.conditioning(tempo, density, tempo.shape[0])

    @staticmethod
    def condition_error(predicted: torch.Tensor, conditioning: torch.Tensor) -> torch.Tensor:
        """Mean squared error of (B, 2) predicted codes against the given codes of (B, 4) conditioning."""
        codes, given = conditioning[:, 0::2], conditioning[:, 1::2]
        return ((predicted - codes).square() * given).sum() / given.sum().clamp_min(1.0)

    def compute_loss(self, group: str, batch: dict[str, torch.Tensor], models: RecipeModules, step: int) -> LossOutput:
        real = batch["latents"]
        generator = models.unwrapped("generator")
        true, asked = self.conditioning(batch, models)
        start = generator.path_start
        anchors = torch.randn(real.shape[0], generator.anchors_needed(start + self.window),
                              self.config.coordinate_channels, device=real.device)
        style = torch.randn(real.shape[0], self.config.style_channels, device=real.device)

        def fake_latents() -> torch.Tensor:
            return models.generator(anchors=anchors, style=style, conditioning=asked, start=start,
                                    end=start + self.window).latents
        if group == "discriminator":
            with torch.no_grad():
                fake = fake_latents()
            real_out = models.discriminator(real, asked)
            fake_scores = models.discriminator(fake, asked).scores
            hinge = discriminator_hinge_loss([real_out.scores], [fake_scores])
            reading = self.condition_error(real_out.conditions, true)
            return LossOutput(hinge + self.condition_loss_weight * reading,
                              {"hinge": hinge.item(), "condition_error": reading.item(),
                               "real_score": real_out.scores.mean().item(), "fake_score": fake_scores.mean().item()})
        fake_out = models.discriminator(fake_latents(), asked)
        hinge = generator_hinge_loss([fake_out.scores])
        missed = self.condition_error(fake_out.conditions, asked)
        return LossOutput(hinge + self.condition_loss_weight * missed,
                          {"hinge": hinge.item(), "condition_error": missed.item()})

    def export(self, output_dir: Path, modules: dict[str, torch.nn.Module]) -> None:
        """The (EMA) generator with its autoencoder and the byte tokenizer: a text-to-audio folder."""
        generator = modules["generator"]
        generator.config.density_sparse = self.config.density_sparse
        generator.config.density_dense = self.config.density_dense
        MusikaPipeline(generator).save_pretrained(output_dir)
