"""``TrainingConfig``: every knob of the training engine, shared by all model families.

Model-specific hyper-parameters (layer sizes, loss weights) belong to the recipe's ``recipe_args``;
this class holds only what the engine itself reads. It is a plain dataclass so that a run's whole
configuration can be written next to its checkpoints and read back (``to_yaml`` / ``from_yaml``).
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from pathlib import Path
from typing import Any

import yaml

MIXED_PRECISION_CHOICES = ("no", "fp16", "bf16")


@dataclasses.dataclass
class TrainingConfig:
    """Settings read by :class:`~hfsynth.training.Trainer`.

    Args:
        output_dir: Where ``log.jsonl``, ``training_config.yaml``, ``checkpoints/step-XXXXXXXX/`` and
            the exported ``final/`` model are written.
        max_steps: Number of optimizer steps (one step = one update of every optimizer group).
        batch_size: Examples per micro-batch *per process*. The global batch of one step is
            ``batch_size * num_processes * gradient_accumulation_steps``.
        gradient_accumulation_steps: Micro-batches whose gradients are summed before each update.
        learning_rate: AdamW learning rate (a group may override it).
        weight_decay: AdamW decoupled weight decay (a group may override it).
        adam_betas: AdamW ``(beta1, beta2)`` (a group may override them; GANs often use ``(0.0, 0.99)``).
        adam_epsilon: AdamW epsilon.
        warmup_steps: Linear learning-rate warm-up from 0 over this many steps, then constant.
        max_grad_norm: Clip each group's gradient norm to this value; ``None`` turns clipping off.
        mixed_precision: ``"no"``, ``"fp16"`` or ``"bf16"`` (passed to ``accelerate.Accelerator``).
        seed: Seeds model initialisation, the data order (with the epoch) and the recipe's randomness.
        log_every: Average the logged losses over this many steps, then write one ``log.jsonl`` line.
        save_every: Write a checkpoint every this many steps (and always after the last step).
        keep_last: Number of most recent checkpoints kept on disk.
        ema_decay: Decay of the exponential moving average of the recipe's ``ema_module``;
            ``None`` turns EMA off.
        num_workers: ``torch.utils.data.DataLoader`` worker processes.
        cpu: Train on CPU even when an accelerator is present.
        resume: Continue from the latest checkpoint in ``output_dir`` when there is one.
        log_with: Experiment trackers that also receive the logged averages: accelerate's names
            (``tensorboard``, ``wandb``, ...) and ``csv`` (``metrics.csv`` in ``output_dir``, no
            dependency); ``log.jsonl`` is written either way.
        process_group_timeout_s: How long processes wait for each other (joining, collectives)
            before failing, in multi-process runs: a worker that died then stops its peers instead
            of leaving them waiting.
    """

    output_dir: str = "runs/train"
    max_steps: int = 1000
    batch_size: int = 8
    gradient_accumulation_steps: int = 1
    learning_rate: float = 1e-4
    weight_decay: float = 0.0
    adam_betas: tuple[float, float] = (0.9, 0.999)
    adam_epsilon: float = 1e-8
    warmup_steps: int = 0
    max_grad_norm: float | None = None
    mixed_precision: str = "no"
    seed: int = 0
    log_every: int = 10
    save_every: int = 1000
    keep_last: int = 2
    ema_decay: float | None = None
    num_workers: int = 0
    cpu: bool = False
    resume: bool = False
    log_with: list[str] = dataclasses.field(default_factory=list)
    process_group_timeout_s: int = 1800

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, _coerce(field.name, getattr(self, field.name), _field_types()[field.name]))
        self._check_ranges()

    def _check_ranges(self) -> None:
        positive = ("max_steps", "batch_size", "gradient_accumulation_steps", "log_every", "save_every", "keep_last",
                    "process_group_timeout_s")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1; got {getattr(self, name)}")
        for name in ("warmup_steps", "num_workers", "weight_decay", "seed"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0; got {getattr(self, name)}")
        if self.learning_rate <= 0 or self.adam_epsilon <= 0:
            raise ValueError(
                f"learning_rate and adam_epsilon must be > 0; got {self.learning_rate}, {self.adam_epsilon}"
            )
        if not all(0.0 <= beta < 1.0 for beta in self.adam_betas):
            raise ValueError(f"adam_betas must both lie in [0, 1); got {self.adam_betas}")
        if self.max_grad_norm is not None and self.max_grad_norm <= 0:
            raise ValueError(f"max_grad_norm must be > 0 or None (off); got {self.max_grad_norm}")
        if self.ema_decay is not None and not 0.0 < self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must lie in (0, 1) or be None (off); got {self.ema_decay}")
        if self.mixed_precision not in MIXED_PRECISION_CHOICES:
            raise ValueError(f"mixed_precision must be one of {MIXED_PRECISION_CHOICES}; got {self.mixed_precision!r}")

    @classmethod
    def from_dict(cls, values: dict[str, Any], **overrides: Any) -> TrainingConfig:
        """Builds a config from a mapping; unknown keys raise ``ValueError`` naming them."""
        if not isinstance(values, dict):
            raise ValueError(f"training settings must be a mapping; got {type(values).__name__}")
        merged = {**values, **overrides}
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(merged) - known)
        if unknown:
            raise ValueError(f"unknown training setting(s) {unknown}; allowed: {sorted(known)}")
        return cls(**merged)

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> TrainingConfig:
        """Reads a YAML mapping of fields, or a run file (``configs/<model>.yaml``) from its ``training:`` section."""
        values = read_yaml_mapping(path)
        if "training" in values and "recipe" in values:
            values = values["training"] or {}
        return cls.from_dict(values, **overrides)

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["adam_betas"] = list(self.adam_betas)
        return values

    def to_yaml(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))
        return path


class _YamlLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that also reads ``1e-4`` as a float (PyYAML follows YAML 1.1, which wants ``1.0e-4``)."""


_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)


def parse_yaml(text: str) -> Any:
    """Parses YAML text (a file, or one ``--set key=value`` value) with learning-rate friendly floats."""
    return yaml.load(text, Loader=_YamlLoader)  # noqa: S506 (a SafeLoader subclass)


def read_yaml_mapping(path: str | Path) -> dict[str, Any]:
    """Loads a YAML file that must hold a mapping; a missing file or bad YAML is a ``ValueError``."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"config file {str(path)!r} does not exist")
    try:
        values = parse_yaml(path.read_text())
    except yaml.YAMLError as error:
        raise ValueError(f"config file {str(path)!r} is not valid YAML: {error}") from error
    if not isinstance(values, dict):
        raise ValueError(f"config file {str(path)!r} must hold a mapping of settings")
    return values


def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(TrainingConfig)


def _coerce(name: str, value: Any, annotation: Any) -> Any:
    """Checks ``value`` against the field's type, converting the harmless cases.

    Settings built in Python may carry numeric strings (``"1e-4"``) and YAML gives lists where we
    want tuples, so numeric strings become numbers, 2-lists become tuples and comma-separated
    names become lists; anything else raises ``ValueError``.
    """
    args = typing.get_args(annotation)
    if type(None) in args:
        if value is None:
            return None
        annotation = next(arg for arg in args if arg is not type(None))
    if annotation is bool:
        if isinstance(value, bool):
            return value
    elif annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif annotation is float:
        number = _as_float(value)
        if number is not None:
            return number
    elif annotation is str:
        if isinstance(value, str):
            return value
        if isinstance(value, Path):
            return str(value)
    elif typing.get_origin(annotation) is list:
        items = value.split(",") if isinstance(value, str) else value
        if isinstance(items, (list, tuple)) and all(isinstance(item, str) for item in items):
            return [item.strip() for item in items if item.strip()]
    elif typing.get_origin(annotation) is tuple:
        numbers = [_as_float(item) for item in value] if isinstance(value, (list, tuple)) else []
        if len(numbers) == len(typing.get_args(annotation)) and None not in numbers:
            return tuple(numbers)
    raise ValueError(f"{name} must be of type {_type_name(annotation)}; got {value!r}")


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation)
