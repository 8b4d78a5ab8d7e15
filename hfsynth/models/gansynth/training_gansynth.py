"""Training GANSynth through the shared Trainer: progressive WGAN-GP with an auxiliary pitch classifier.

Each optimizer step updates the discriminator, then the generator, on the same batch of notes:

* discriminator: ``D(fake) - D(real) + lambda * GP + epsilon * D(real)^2 + w * (CE(real) + CE(fake))``
  (Wasserstein critic, gradient penalty at random points between real and fake, the progressive GAN's
  drift penalty, AC-GAN pitch cross-entropy on both);
* generator: ``-D(fake) + w * CE(fake)``.

With ``pitch_projection`` every score ``D(x)`` becomes ``D(x) + logit_pitch(x)`` (a projection critic).

Progressive growing follows the global step (:class:`ProgressiveSchedule`): stage 0 for
``stable_steps``, then for every further stage ``fade_steps`` of fade-in (alpha 0 -> 1) and
``stable_steps`` at full strength. Real spectrograms are average-pooled to the stage's resolution and,
during a fade, blended with their own 2x coarser version exactly as the generator's output is.

Data: rendered notes (``build_note_dataset``), pitches outside the model's range left out, each note
cut (or padded with silence) to the model's note length from its onset, turned into the normalised
spectrogram in ``collate`` (once per batch, shared by both updates). Fake notes take the batch's own
pitches, so the generator sees the data's pitch distribution (or the oversampled one, see
``oversample_below``).

Processes: one process is what is tested. DDP (several processes) meets two obstacles. DDP does not
support ``torch.autograd.grad`` through its wrapper: the gradient penalty therefore runs through the
unwrapped discriminator (``models.unwrapped``), and its parameter gradients still join the same
``backward`` as the rest of the loss, so DDP averages them with it. And progressive growing leaves
the layers of other stages unused in every step, which DDP accepts only with
``find_unused_parameters=True``: the shared Trainer does not pass that (an ``accelerate``
``DistributedDataParallelKwargs``), so ``torchrun`` fails on the second step with "Expected to have
finished reduction". With it patched in, two gloo processes train (checked for a few steps). Even
then the minibatch standard deviation is computed per process, so two processes of batch B are
not exactly one process of batch 2B.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import torch
import torch.nn.functional as F

from ...validation import check_int, check_positive_int
from ...data import NoteDatasetConfig, as_torch, build_note_dataset
from ...training import LossOutput, OptimizerGroup, RecipeModules, TrainingRecipe, load_matching_weights
from .configuration_gansynth import GANSynthConfig
from .modeling_gansynth import (
    GANSynthDiscriminator,
    GANSynthDiscriminatorOutput,
    GANSynthGenerator,
    downsample2x,
    upsample2x,
)
from .monitoring_gansynth import PitchTemplates, magnitude_profile
from .pipeline_gansynth import GANSynthPipeline
from .spectral_gansynth import spectrogram_transform

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProgressiveSchedule:
    """Which stage trains at a step, and how far it has faded in.

    Stage 0 trains for ``stable_steps``; every later stage fades in over ``fade_steps`` (alpha rises
    linearly to 1 on the last fade step), then trains for ``stable_steps``. After the last stage's
    stable phase, training stays at the top stage.
    """

    num_stages: int
    stable_steps: int
    fade_steps: int

    def __post_init__(self) -> None:
        check_positive_int(self.num_stages, "num_stages")
        check_positive_int(self.stable_steps, "stable_steps")
        check_int(self.fade_steps, "fade_steps", minimum=0)

    @property
    def total_steps(self) -> int:
        """Steps until the top stage has finished its stable phase (a good ``max_steps``)."""
        return self.stable_steps + (self.num_stages - 1) * (self.fade_steps + self.stable_steps)

    def at(self, step: int) -> tuple[int, float]:
        """(stage, alpha) for the optimizer step ``step`` (0-based)."""
        if step < self.stable_steps or self.num_stages == 1:
            return 0, 1.0
        stage, into = divmod(step - self.stable_steps, self.fade_steps + self.stable_steps)
        stage += 1
        if stage >= self.num_stages:
            return self.num_stages - 1, 1.0
        if into < self.fade_steps:
            return stage, (into + 1) / self.fade_steps
        return stage, 1.0


def real_at_stage(spectrogram: torch.Tensor, stage: int, alpha: float, num_stages: int) -> torch.Tensor:
    """Top-resolution spectrograms (B, 2, rows, frames) -> what the critic sees of real notes at ``stage``.

    Average-pooled to the stage's resolution; during a fade, blended with the 2x coarser version
    (upsampled back), just as the generator blends its two outputs.
    """
    for _ in range(num_stages - 1 - stage):
        spectrogram = downsample2x(spectrogram)                                # (B, 2, rows_k, frames_k)
    if stage > 0 and alpha < 1.0:
        spectrogram = torch.lerp(upsample2x(downsample2x(spectrogram)), spectrogram, alpha)
    return spectrogram


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor
) -> torch.Tensor:
    """WGAN-GP: mean of (||d critic / d x||_2 - 1)^2 at random points x between real and fake samples.

    ``create_graph=True`` keeps the penalty differentiable, so the critic's parameters learn from it.
    """
    mix = torch.rand(real.shape[0], *([1] * (real.ndim - 1)), device=real.device, dtype=real.dtype)
    points = torch.lerp(fake.detach(), real.detach(), mix).requires_grad_(True)
    (gradient,) = torch.autograd.grad(critic(points).sum(), points, create_graph=True)
    return (gradient.flatten(1).norm(dim=1) - 1.0).pow(2).mean()


def oversampled_indices(pitches: list[int], below: int, factor: int) -> list[int]:
    """Every note's index once, and those of notes pitched below ``below`` ``factor`` times in all."""
    return [index for index, pitch in enumerate(pitches) for _ in range(factor if pitch < below else 1)]


def crop_or_pad(audio: torch.Tensor, num_samples: int) -> torch.Tensor:
    """A note's first ``num_samples`` samples (samples,), completed with silence when shorter."""
    return F.pad(audio[:num_samples], (0, max(0, num_samples - audio.shape[-1])))


class GANSynthRecipe(TrainingRecipe):
    """Args:
        data: ``NoteDatasetConfig`` keyword arguments; ``sampling_rate`` and ``pitches`` default to the
            model's, and notes outside the model's pitch range are left out in any case.
        model: ``GANSynthConfig`` keyword arguments.
        stable_steps / fade_steps: the progressive schedule (see :class:`ProgressiveSchedule`; the paper
            shows each stage hundreds of thousands of notes in each phase).
        adam_betas: of both optimizers (progressive GAN and GANSynth: (0, 0.99)).
        classify_fakes: whether the critic's pitch classifier also learns from generated notes (the
            original AC-GAN). Then critic and generator can agree on a pitch "code" that is not the
            pitch: the classifier is fooled while a classifier trained on real notes alone hears the
            wrong note. False trains it on real notes only, so the generator must match real pitch
            cues to satisfy it.
        pitch_projection: make the critic's score conditional on the pitch (projection discriminator,
            Miyato & Koyama 2018): score(x, pitch) = score(x) + logit_pitch(x), the classifier's row for
            the pitch serving as the class embedding. A note at the wrong pitch is then unrealistic
            for the critic, not just misclassified, so the generator cannot satisfy the pitch term
            with cues the realism term ignores. Combine with ``aux_pitch_weight`` (0: projection only).
        pitch_monitor_every: every this many steps, log the pitch accuracy of two generated notes per
            pitch at the current stage by nearest real template (:mod:`.monitoring_gansynth`), next to
            the real notes' own accuracy at that stage; ``None`` turns it off.
        init_from: a training checkpoint (``runs/<run>/checkpoints/step-N``) whose live weights start both
            networks wherever they fit (:func:`~hfsynth.training.load_matching_weights`); layers of
            another shape, such as a widened top stage, start fresh. Pair it with ``schedule_start``.
        schedule_start: the step of the progressive schedule that this run's step 0 is, e.g. the start
            of the top stage's fade-in, to regrow only the top stage of a warm-started model.
        oversample_below / oversample_factor: notes below the MIDI pitch ``oversample_below`` appear
            ``oversample_factor`` times per epoch, to spend more updates on the low notes a small
            generator draws worst. The pitch stays the generator's input, so the note it should draw for
            each pitch is unchanged; the critic sees more low notes, and its pitch classifier a
            different pitch prior.
        cache_dir: where rendered notes are cached.
    """

    ema_module = "generator"
    find_unused_parameters = True  # progressive growing: inactive stages get no gradient

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        model: dict[str, Any] | None = None,
        stable_steps: int = 2000,
        fade_steps: int = 2000,
        adam_betas: tuple[float, float] = (0.0, 0.99),
        classify_fakes: bool = True,
        pitch_projection: bool = False,
        pitch_monitor_every: int | None = 250,
        init_from: str | None = None,
        schedule_start: int = 0,
        oversample_below: int | None = None,
        oversample_factor: int = 1,
        cache_dir: str | None = "cache/datasets",
    ):
        self.config = GANSynthConfig(**(model or {}))
        self.classify_fakes = bool(classify_fakes)
        self.pitch_projection = bool(pitch_projection)
        if pitch_monitor_every is not None:
            check_positive_int(pitch_monitor_every, "pitch_monitor_every")
        self.pitch_monitor_every = pitch_monitor_every
        self.templates: PitchTemplates | None = None
        self.schedule = ProgressiveSchedule(self.config.num_stages, stable_steps, fade_steps)
        self.schedule_start = check_int(schedule_start, "schedule_start", minimum=0)
        oversample_factor = check_positive_int(oversample_factor, "oversample_factor")
        if oversample_below is not None:
            check_int(oversample_below, "oversample_below", hint=" (a MIDI pitch) or None")
        self.oversample_below, self.oversample_factor = oversample_below, oversample_factor
        self.init_from = None if init_from is None else Path(init_from)
        if self.init_from is not None and not self.init_from.is_dir():
            raise ValueError(f"init_from must be a training checkpoint folder (runs/<run>/checkpoints/step-N); "
                             f"{init_from} is not a folder")
        self.data = {
            "sampling_rate": self.config.sampling_rate,
            "pitches": (self.config.pitch_min, self.config.pitch_max),
            **(data or {}),
        }
        self.adam_betas = tuple(adam_betas)
        self.cache_dir = cache_dir
        self.transform = spectrogram_transform(self.config)

    # ------------------------------------------------------------------------------ modules
    def modules(self) -> dict[str, torch.nn.Module]:
        """Built here, after the Trainer seeds the RNGs, so the initial weights follow the run's seed;
        then warm-started from ``init_from`` where its weights fit."""
        modules = {"generator": GANSynthGenerator(self.config), "discriminator": GANSynthDiscriminator(self.config)}
        if self.init_from is not None:
            for name, module in modules.items():
                fresh = load_matching_weights(module, self.init_from / f"model.{name}.safetensors")
                if fresh:  # as transformers warns of weights "newly initialized" in from_pretrained
                    logger.warning(f"{name}: weights from {self.init_from} except these, which start fresh: {fresh}")
        return modules

    def optimizer_groups(self) -> list[OptimizerGroup]:
        return [
            OptimizerGroup("discriminator", ("discriminator",), betas=self.adam_betas),
            OptimizerGroup("generator", ("generator",), betas=self.adam_betas),
        ]

    # --------------------------------------------------------------------------------- data
    def train_dataset(self) -> datasets.Dataset:
        notes = build_note_dataset(NoteDatasetConfig(**self.data), cache_dir=self.cache_dir, progress=True)
        low, high = self.config.pitch_min, self.config.pitch_max
        notes = notes.filter(lambda pitch: low <= pitch <= high, input_columns="pitch")
        if len(notes) == 0:
            raise ValueError(f"no rendered note has a pitch in the model's range {low}..{high}")
        examples = as_torch(notes, sampling_rate=self.config.sampling_rate, columns=["audio", "pitch"])
        if self.pitch_monitor_every is not None:
            self.templates = self.pitch_templates(examples)
        if self.oversample_below is None or self.oversample_factor == 1:
            return examples
        indices = oversampled_indices(list(notes["pitch"]), self.oversample_below, self.oversample_factor)
        return torch.utils.data.Subset(examples, indices)

    @torch.no_grad()
    def pitch_templates(self, notes: torch.utils.data.Dataset, batch_size: int = 64) -> PitchTemplates:
        """Every note's top-stage magnitude profile, averaged per pitch (for the pitch monitor)."""
        profiles, labels = [], []
        for start in range(0, len(notes), batch_size):
            batch = self.collate([notes[index] for index in range(start, min(len(notes), start + batch_size))])
            profiles.append(magnitude_profile(batch["spectrogram"]))
            labels.append(batch["pitch"] - self.config.pitch_min)
        return PitchTemplates(torch.cat(profiles), torch.cat(labels), self.config.num_pitches)

    def collate_fn(self):
        return self.collate

    def collate(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """{"spectrogram": (batch, 2, rows, frames) normalised top-stage spectrograms, "pitch": (batch,) MIDI}."""
        audio = torch.stack([crop_or_pad(example["audio"], self.config.num_samples) for example in examples])
        pitch = torch.stack([torch.as_tensor(example["pitch"]).long() for example in examples])
        return {"spectrogram": self.transform.encode(audio), "pitch": pitch}

    # --------------------------------------------------------------------------------- loss
    def compute_loss(self, group: str, batch: dict[str, torch.Tensor], models: RecipeModules, step: int) -> LossOutput:
        stage, alpha = self.schedule.at(self.schedule_start + step)
        pitch = batch["pitch"]
        latents = torch.randn(pitch.shape[0], self.config.latent_size, device=pitch.device)
        labels = pitch - self.config.pitch_min
        progress = {"stage": float(stage), "alpha": alpha}
        if group == "discriminator":
            real = real_at_stage(batch["spectrogram"], stage, alpha, self.config.num_stages)
            with torch.no_grad():
                fake = models.generator(latents=latents, pitch=pitch, stage=stage, alpha=alpha).spectrogram
            loss, logs = self.discriminator_loss(models, real, fake, labels, alpha)
        else:
            fake = models.generator(latents=latents, pitch=pitch, stage=stage, alpha=alpha).spectrogram
            loss, logs = self.generator_loss(models, fake, labels, alpha)
            if self.templates is not None and step % self.pitch_monitor_every == 0:
                logs.update(self.monitor_pitch(models.unwrapped("generator"), step, stage, alpha))
        return LossOutput(loss, {**logs, **progress})

    @torch.no_grad()
    def monitor_pitch(self, generator: GANSynthGenerator, step: int, stage: int, alpha: float) -> dict[str, float]:
        """Template pitch accuracy of two generated notes per pitch (latents from their own seed, so the
        training's random stream is untouched) and of the real notes, at this stage."""
        labels = torch.arange(self.config.num_pitches).repeat(2)
        latents = torch.randn(len(labels), self.config.latent_size, generator=torch.Generator().manual_seed(step))
        fake = generator(latents=latents.to(generator.device), pitch=(labels + self.config.pitch_min).to(generator.device),
                         stage=stage, alpha=alpha).spectrogram
        rows = fake.shape[2]
        return {"template_pitch_accuracy": self.templates.accuracy(fake, labels),
                "template_pitch_accuracy_real": self.templates.ceiling(rows)}

    def critic_score(self, out: GANSynthDiscriminatorOutput, labels: torch.Tensor) -> torch.Tensor:
        """The critic's score (batch,): unconditional, or with the pitch's projection term added."""
        if not self.pitch_projection:
            return out.scores
        return out.scores + out.pitch_logits.gather(1, labels[:, None]).squeeze(1)

    def discriminator_loss(
        self, models: RecipeModules, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor, alpha: float
    ) -> tuple[torch.Tensor, dict[str, float]]:
        config = self.config
        pitch = labels + config.pitch_min
        real_out = models.discriminator(real, alpha=alpha, pitch=pitch)
        fake_out = models.discriminator(fake, alpha=alpha, pitch=pitch)
        critic = models.unwrapped("discriminator")  # autograd.grad must not go through a DDP wrapper
        penalty = gradient_penalty(
            lambda points: self.critic_score(critic(points, alpha=alpha, pitch=pitch), labels), real, fake
        )
        real_score, fake_score = self.critic_score(real_out, labels), self.critic_score(fake_out, labels)
        wasserstein = real_score.mean() - fake_score.mean()
        drift = real_score.pow(2).mean()
        aux_real = F.cross_entropy(real_out.pitch_logits, labels)
        aux_fake = F.cross_entropy(fake_out.pitch_logits, labels)
        classification = aux_real + aux_fake if self.classify_fakes else aux_real
        loss = (-wasserstein + config.gradient_penalty_weight * penalty + config.drift_penalty_weight * drift
                + config.aux_pitch_weight * classification)
        accuracy = (real_out.pitch_logits.argmax(dim=1) == labels).float().mean()
        logs = {"wasserstein": wasserstein.item(), "gradient_penalty": penalty.item(), "drift": drift.item(),
                "aux_real": aux_real.item(), "aux_fake": aux_fake.item(), "pitch_accuracy_real": accuracy.item()}
        return loss, logs

    def generator_loss(
        self, models: RecipeModules, fake: torch.Tensor, labels: torch.Tensor, alpha: float
    ) -> tuple[torch.Tensor, dict[str, float]]:
        out = models.discriminator(fake, alpha=alpha, pitch=labels + self.config.pitch_min)
        adversarial = -self.critic_score(out, labels).mean()
        aux = F.cross_entropy(out.pitch_logits, labels)
        loss = adversarial + self.config.aux_pitch_weight * aux
        return loss, {"adversarial": adversarial.item(), "aux_fake": aux.item()}

    def export(self, output_dir: Path, modules: dict[str, torch.nn.Module]) -> None:
        """The (EMA) generator and its byte tokenizer: a ``text-to-audio`` / :class:`GANSynthPipeline` folder."""
        GANSynthPipeline(modules["generator"]).save_pretrained(output_dir)
