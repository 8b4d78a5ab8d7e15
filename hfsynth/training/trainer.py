"""``Trainer``: the one training loop every hfsynth model uses, built on ``accelerate``.

One optimizer step, for each optimizer group in the recipe's order::

    for micro_batch in the step's micro-batches:          # gradient accumulation
        with accumulate(group modules), other modules frozen, autocast:
            loss = recipe.compute_loss(group, micro_batch, models, step)
            backward(loss)                                # DDP averages gradients on the last one
    clip gradients -> optimizer step -> zero gradients
    then: EMA update, log, checkpoint

The same code runs in one process or many (``accelerate launch`` / ``torchrun``). Determinism is a
design goal: the data order depends only on (seed, epoch) and every RNG is checkpointed, so a run
killed and resumed produces the same losses and weights as one that never stopped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from accelerate.utils import DistributedDataParallelKwargs, InitProcessGroupKwargs, send_to_device, set_seed
from torch import nn
from tqdm.auto import tqdm

from .checkpoint import (
    atomic_directory,
    checkpoint_path,
    latest_checkpoint,
    load_checkpoint,
    prune_checkpoints,
    save_checkpoint,
)
from .config import TrainingConfig
from .data import BatchStream, DataPosition, ShardLayout, derive_seed
from .ema import ExponentialMovingAverage
from .metrics import MetricAccumulator, append_log_line, truncate_log
from .recipe import ALL_MODULES, LossOutput, OptimizerGroup, RecipeModules, TrainingRecipe
from .trackers import trackers_for

LOG_FILE = "log.jsonl"
FINAL_DIR = "final"


@dataclasses.dataclass
class TrainingResult:
    """What ``Trainer.train`` returns.

    Args:
        history: One dict per log line: ``step``, ``epoch`` and ``<group>/<name>`` averages
            (``<group>/loss``, ``<group>/lr``, ``<group>/grad_norm`` when clipping, recipe logs).
        final_step: Optimizer steps done (``max_steps`` unless nothing was left to do).
        output_dir: Where the logs, checkpoints and ``final/`` export are.
    """

    history: list[dict[str, float]]
    final_step: int
    output_dir: Path


class TrainerCallback:
    """Hooks into the loop (tests, custom monitoring); every method is a no-op by default."""

    def on_before_optimizer_step(self, trainer: Trainer, group: str) -> None:
        """Gradients of ``group`` are final (reduced, clipped); its parameters are not updated yet."""

    def on_step_end(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        """Step ``step`` (1-based) is done, logged and, when due, checkpointed; ``logs`` are this process's values."""


class Trainer:
    """Trains a :class:`TrainingRecipe` as configured by a :class:`TrainingConfig`.

    Construction seeds every RNG, builds the recipe's modules and dataset, and prepares them
    with ``accelerate``; ``train`` resumes if asked, runs the loop, saves and exports.
    ``trainer.modules`` holds the plain (unwrapped) modules by name.
    """

    def __init__(
        self, recipe: TrainingRecipe, config: TrainingConfig, callbacks: Sequence[TrainerCallback] = ()
    ) -> None:
        self.recipe, self.config, self.callbacks = recipe, config, list(callbacks)
        self.output_dir = Path(config.output_dir)
        self.accelerator = Accelerator(
            gradient_accumulation_steps=config.gradient_accumulation_steps,
            mixed_precision=config.mixed_precision,
            cpu=config.cpu,
            log_with=trackers_for(config.log_with, self.output_dir) or None,
            project_dir=str(self.output_dir),
            kwargs_handlers=[
                DistributedDataParallelKwargs(find_unused_parameters=recipe.find_unused_parameters),
                InitProcessGroupKwargs(timeout=datetime.timedelta(seconds=config.process_group_timeout_s)),
            ],
        )
        if config.log_with:
            self.accelerator.init_trackers("hfsynth", config=_scalars(config.to_dict()))
        self._resume_from = self._checkpoint_to_resume()
        set_seed(config.seed)  # same on every process: identical initial weights everywhere
        self.modules: dict[str, nn.Module] = dict(recipe.modules())
        self.groups = _resolve_groups(recipe.optimizer_groups(), self.modules)
        self.dataset = recipe.train_dataset()
        self._prepared, self.optimizers = self._prepare()
        self.ema = self._make_ema()
        # Training randomness (noise, dropout) differs per process and from the initialisation stream.
        set_seed(derive_seed(config.seed, 1 + self.accelerator.process_index))
        self.step = 0
        self.history: list[dict[str, float]] = []
        self.metrics = MetricAccumulator()
        self._start_position = DataPosition()
        self._stream: BatchStream | None = None
        self._last_saved_step: int | None = None

    @property
    def data_position(self) -> DataPosition:
        """Where this process's data stands: epoch, and micro-batches consumed in it."""
        return self._stream.position if self._stream is not None else self._start_position

    # ---- setup ----------------------------------------------------------------------------

    def _checkpoint_to_resume(self) -> Path | None:
        existing = latest_checkpoint(self.output_dir)
        if existing is not None and not self.config.resume:
            raise ValueError(
                f"{self.output_dir} already holds checkpoints (latest {existing.name}); set resume=true to "
                "continue that run, or choose another output_dir"
            )
        return existing

    def _prepare(self) -> tuple[dict[str, nn.Module], dict[str, torch.optim.Optimizer]]:
        """Builds one AdamW per group and lets accelerate place / DDP-wrap the trained modules."""
        config = self.config
        trained = [name for group in self.groups for name in group.modules]
        optimizers = [
            torch.optim.AdamW(
                _trainable_parameters(self.modules, group.modules),
                lr=_pick(group.learning_rate, config.learning_rate),
                betas=tuple(_pick(group.betas, config.adam_betas)),
                weight_decay=_pick(group.weight_decay, config.weight_decay),
                eps=config.adam_epsilon,
            )
            for group in self.groups
        ]
        prepared = self.accelerator.prepare(*(self.modules[name] for name in trained), *optimizers)
        wrapped = dict(zip(trained, prepared[: len(trained)]))
        for name, module in self.modules.items():
            if name not in wrapped:  # untrained helpers (frozen feature extractors): just move them
                module.to(self.accelerator.device)
            else:
                module.train()
        return wrapped, {group.name: opt for group, opt in zip(self.groups, prepared[len(trained) :])}

    def _make_ema(self) -> ExponentialMovingAverage | None:
        if self.config.ema_decay is None:
            return None
        name = self.recipe.ema_module
        if name not in self.modules:
            raise ValueError(
                f"ema_decay is set but the recipe's ema_module {name!r} is not one of {sorted(self.modules)}"
            )
        return ExponentialMovingAverage(self.modules[name], self.config.ema_decay)

    # ---- the loop -------------------------------------------------------------------------

    def train(self) -> TrainingResult:
        """Runs (or resumes) training to ``max_steps``, checkpoints, exports ``final/``; returns the logs."""
        accelerator, config = self.accelerator, self.config
        if self._resume_from is not None:
            self._resume(self._resume_from)
        if accelerator.is_main_process:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            config.to_yaml(self.output_dir / "training_config.yaml")
            truncate_log(self.output_dir / LOG_FILE, self.step)  # drop lines logged after the checkpoint
        self._stream = stream = self._batch_stream()
        progress = tqdm(
            total=config.max_steps, initial=self.step, desc="training", disable=not accelerator.is_local_main_process
        )
        while self.step < config.max_steps:
            micro_batches = [send_to_device(batch, accelerator.device) for batch in stream.next_micro_batches()]
            step_logs: dict[str, float] = {}
            for group in self.groups:
                step_logs.update(self._update_group(group, micro_batches))
            if self.ema is not None:
                self.ema.update(self.modules[self.recipe.ema_module])
            self.step += 1
            progress.update(1)
            self.metrics.add(step_logs)
            if self.step % config.log_every == 0 or self.step == config.max_steps:
                progress.set_postfix(
                    {key: f"{value:.4g}" for key, value in self._log().items() if key.endswith("/loss")}
                )
            if self.step % config.save_every == 0:
                self.save_checkpoint()
            for callback in self.callbacks:
                callback.on_step_end(self, self.step, step_logs)
        progress.close()
        if self._last_saved_step != self.step:
            self.save_checkpoint()
        self._export()
        accelerator.end_training()
        return TrainingResult(history=self.history, final_step=self.step, output_dir=self.output_dir)

    def _update_group(self, group: OptimizerGroup, micro_batches: list[Any]) -> dict[str, float]:
        """One optimizer step of ``group`` over the step's micro-batches; returns its averaged logs."""
        accelerator, optimizer = self.accelerator, self.optimizers[group.name]
        learning_rate = self._set_learning_rate(group, optimizer)
        own = [self._prepared[name] for name in group.modules]
        models = self._models_view(group)
        logs = MetricAccumulator()
        with self._others_frozen(group):
            for batch in micro_batches:
                with accelerator.accumulate(*own):
                    with accelerator.autocast():
                        output = self.recipe.compute_loss(group.name, batch, models, self.step)
                    loss = _checked_loss(output, group.name)
                    accelerator.backward(loss)
                    step_logs = {"loss": loss.detach().float().item(), **output.logs}
                    if accelerator.sync_gradients:
                        step_logs |= self._clip_gradients(group, optimizer)
                        for callback in self.callbacks:
                            callback.on_before_optimizer_step(self, group.name)
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                logs.add(step_logs)
        averaged = logs.average(lambda local: local)  # over micro-batches; processes are averaged at log time
        return {f"{group.name}/{key}": value for key, value in {**averaged, "lr": learning_rate}.items()}

    def _models_view(self, group: OptimizerGroup) -> RecipeModules:
        callable_modules = {
            name: self._prepared[name] if name in group.modules else module for name, module in self.modules.items()
        }
        return RecipeModules(callable_modules, self.modules)

    @contextlib.contextmanager
    def _others_frozen(self, group: OptimizerGroup) -> Iterator[None]:
        """Turns off ``requires_grad`` outside ``group`` while its loss runs (see ``RecipeModules`` for why)."""
        others = [name for name in self.modules if name not in group.modules]
        frozen = _trainable_parameters(self.modules, others)
        for param in frozen:
            param.requires_grad_(False)
        try:
            yield
        finally:
            for param in frozen:
                param.requires_grad_(True)

    def _set_learning_rate(self, group: OptimizerGroup, optimizer: torch.optim.Optimizer) -> float:
        """Constant rate after a linear warm-up; a pure function of the step, so nothing to checkpoint."""
        warmup = self.config.warmup_steps
        factor = min(1.0, (self.step + 1) / warmup) if warmup else 1.0
        learning_rate = _pick(group.learning_rate, self.config.learning_rate) * factor
        for param_group in optimizer.param_groups:
            param_group["lr"] = learning_rate
        return learning_rate

    def _clip_gradients(self, group: OptimizerGroup, optimizer: torch.optim.Optimizer) -> dict[str, float]:
        if self.config.max_grad_norm is None:
            return {}
        self.accelerator.unscale_gradients(optimizer=optimizer)  # this group's optimizer only (fp16)
        parameters = _trainable_parameters(self.modules, group.modules)
        norm = torch.nn.utils.clip_grad_norm_(parameters, self.config.max_grad_norm)
        return {"grad_norm": norm.item()}

    def _log(self) -> dict[str, float]:
        """Writes one log line of the averages since the last one; returns them."""
        averages = self.metrics.average(self._mean_across_processes)
        entry = {"step": self.step, "epoch": self.data_position.epoch, **averages}
        self.history.append(entry)
        if self.accelerator.is_main_process:
            append_log_line(self.output_dir / LOG_FILE, entry)
        if self.config.log_with:
            self.accelerator.log(averages, step=self.step)
        return averages

    def _mean_across_processes(self, local: torch.Tensor) -> torch.Tensor:
        return self.accelerator.reduce(local.to(self.accelerator.device), reduction="mean").cpu()

    def _batch_stream(self) -> BatchStream:
        layout = ShardLayout(
            batch_size=self.config.batch_size,
            num_processes=self.accelerator.num_processes,
            process_index=self.accelerator.process_index,
            accumulation=self.config.gradient_accumulation_steps,
        )
        return BatchStream(
            self.dataset,
            layout,
            seed=self.config.seed,
            collate_fn=self.recipe.collate_fn(),
            num_workers=self.config.num_workers,
            pin_memory=self.accelerator.device.type == "cuda",
            position=dataclasses.replace(self._start_position),
        )

    # ---- checkpoints and export -----------------------------------------------------------

    def save_checkpoint(self) -> Path:
        """Writes ``checkpoints/step-<step>/`` (every process must call this) and prunes old ones."""
        accelerator = self.accelerator
        final = checkpoint_path(self.output_dir, self.step)
        with atomic_directory(final, accelerator.is_main_process, accelerator.wait_for_everyone) as directory:
            save_checkpoint(
                directory,
                trainer_state=self._trainer_state(),
                modules=self.modules,
                optimizers=self.optimizers,
                ema=self.ema,
                process_index=accelerator.process_index,
                is_main=accelerator.is_main_process,
            )
        if accelerator.is_main_process:
            prune_checkpoints(self.output_dir, self.config.keep_last)
        self._last_saved_step = self.step
        return final

    def _trainer_state(self) -> dict[str, Any]:
        scaler = self.accelerator.scaler
        return {
            "step": self.step,
            "epoch": self.data_position.epoch,
            "batches_in_epoch": self.data_position.batches_in_epoch,
            "num_processes": self.accelerator.num_processes,
            "metrics": self.metrics.state_dict(),
            "ema_updates": None if self.ema is None else self.ema.num_updates,
            "grad_scaler": None if scaler is None else scaler.state_dict(),
        }

    def _resume(self, directory: Path) -> None:
        state = load_checkpoint(
            directory,
            modules=self.modules,
            optimizers=self.optimizers,
            ema=self.ema,
            process_index=self.accelerator.process_index,
            num_processes=self.accelerator.num_processes,
        )
        self.step = self._last_saved_step = int(state["step"])
        self._start_position = DataPosition(int(state["epoch"]), int(state["batches_in_epoch"]))
        self.metrics.load_state_dict(state["metrics"])
        if self.accelerator.scaler is not None and state.get("grad_scaler"):
            self.accelerator.scaler.load_state_dict(state["grad_scaler"])

    def _export(self) -> None:
        """Main process: ``recipe.export`` into ``output_dir/final`` with EMA weights swapped in."""
        accelerator = self.accelerator
        if accelerator.is_main_process:
            target = self.output_dir / FINAL_DIR
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            averaged = (
                self.ema.swapped_in(self.modules[self.recipe.ema_module]) if self.ema else contextlib.nullcontext()
            )
            with averaged:
                self.recipe.export(target, dict(self.modules))
        accelerator.wait_for_everyone()


def _resolve_groups(groups: list[OptimizerGroup], modules: dict[str, nn.Module]) -> list[OptimizerGroup]:
    """Expands ``"*"`` and checks that groups are distinct, name real modules and share no parameters."""
    if not groups:
        raise ValueError("the recipe's optimizer_groups() returned no groups")
    resolved = [
        dataclasses.replace(group, modules=tuple(modules)) if group.modules == (ALL_MODULES,) else group
        for group in groups
    ]
    names = [group.name for group in resolved]
    if len(set(names)) != len(names):
        raise ValueError(f"optimizer group names must be unique; got {names}")
    owners: dict[str, str] = {}
    for group in resolved:
        for name in group.modules:
            if name not in modules:
                raise ValueError(f"optimizer group {group.name!r} names module {name!r}; modules are {sorted(modules)}")
            if name in owners:
                raise ValueError(f"module {name!r} is in optimizer groups {owners[name]!r} and {group.name!r}; use one")
            owners[name] = group.name
        if not _trainable_parameters(modules, group.modules):
            raise ValueError(f"optimizer group {group.name!r} has no parameters with requires_grad=True")
    _check_no_shared_parameters(modules)
    return resolved


def _check_no_shared_parameters(modules: dict[str, nn.Module]) -> None:
    # Freezing "the other modules" while one group trains would also freeze a shared parameter.
    seen: dict[int, str] = {}
    for name, module in modules.items():
        for param in set(module.parameters()):
            if id(param) in seen:
                raise ValueError(
                    f"modules {seen[id(param)]!r} and {name!r} share parameters; give each parameter one owner"
                )
            seen[id(param)] = name


def _trainable_parameters(modules: dict[str, nn.Module], names: Sequence[str]) -> list[nn.Parameter]:
    return [param for name in names for param in modules[name].parameters() if param.requires_grad]


def _checked_loss(output: Any, group: str) -> torch.Tensor:
    if not isinstance(output, LossOutput):
        raise ValueError(f"compute_loss for group {group!r} must return a LossOutput; got {type(output).__name__}")
    loss = output.loss
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise ValueError(f"compute_loss for group {group!r} must return a scalar tensor loss; got {loss!r}")
    if not loss.requires_grad:
        raise ValueError(f"the loss of group {group!r} does not depend on any of the group's trainable parameters")
    return loss.reshape(())


def _scalars(values: dict[str, Any]) -> dict[str, Any]:
    """The settings trackers can store as hyperparameters (numbers, strings, booleans)."""
    return {key: value if isinstance(value, (int, float, str, bool)) else str(value) for key, value in values.items()}


def _pick(value: Any, default: Any) -> Any:
    return default if value is None else value
