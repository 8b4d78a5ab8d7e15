"""Entry point: ``python -m hfsynth.training.train --config configs/<model>.yaml [--key value ...]``.

A run file names the recipe and holds its arguments and the trainer settings::

    recipe: "hfsynth.models.<name>.training_<name>:<Name>Recipe"
    recipe_args: {...}          # keyword arguments of the recipe class
    training: {...}             # TrainingConfig fields

Overrides: ``--max_steps 10`` (or ``--training.max_steps 10``), ``--recipe_args.hidden_size 32``,
``--recipe pkg.mod:Class``; values are read as YAML (``1e-4``, ``true``, ``[0.0, 0.99]``).
Several processes: ``torchrun --nproc_per_node 2 -m hfsynth.training.train --config ...`` or
``accelerate launch --multi_gpu --num_processes 2 -m hfsynth.training.train --config ...``; add
``--cpu true`` (our setting) to train on CPU with gloo. ``--multi_gpu`` is what selects accelerate's
multi-process launcher even without GPUs; ``accelerate launch --cpu`` starts a single process.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from accelerate import PartialState
from accelerate.utils import set_seed

from ..files import atomic_path
from .config import TrainingConfig, parse_yaml, read_yaml_mapping
from .recipe import TrainingRecipe
from .trainer import Trainer, TrainingResult

RUN_KEYS = ("recipe", "recipe_args", "training")
#: The run file a training run leaves in its output folder.
RUN_FILE = "run.yaml"


@dataclasses.dataclass
class RunConfig:
    """A parsed run file: which recipe, with which arguments, trained how."""

    recipe: str
    recipe_args: dict[str, Any]
    training: TrainingConfig


def load_run_config(path: str | Path, overrides: Sequence[tuple[str, str]] = ()) -> RunConfig:
    """Reads a run file and applies ``(dotted key, YAML value)`` overrides; bad input raises ``ValueError``."""
    values = read_yaml_mapping(path)
    unknown = sorted(set(values) - set(RUN_KEYS))
    if unknown:
        raise ValueError(f"unknown top-level key(s) {unknown} in {path}; allowed: {list(RUN_KEYS)}")
    values = {"recipe_args": {}, "training": {}, **copy.deepcopy(values)}
    for key, text in overrides:
        _set_dotted(values, _route(key), parse_yaml(text) if text != "" else "")
    if not isinstance(values.get("recipe"), str):
        raise ValueError(f'{path} must name its recipe: recipe: "package.module:ClassName"')
    for section in ("recipe_args", "training"):
        if not isinstance(values[section] or {}, dict):
            raise ValueError(f"{section} in {path} must be a mapping")
    return RunConfig(values["recipe"], values["recipe_args"] or {}, TrainingConfig.from_dict(values["training"] or {}))


def build_recipe(spec: str, recipe_args: dict[str, Any]) -> TrainingRecipe:
    """Imports ``"package.module:ClassName"`` and instantiates it with ``recipe_args``."""
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise ValueError(f"recipe must look like 'package.module:ClassName'; got {spec!r}")
    try:
        recipe_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"cannot import recipe {spec!r}: {error}") from error
    if not (isinstance(recipe_class, type) and issubclass(recipe_class, TrainingRecipe)):
        raise ValueError(f"recipe {spec!r} is not a TrainingRecipe subclass")
    try:
        return recipe_class(**recipe_args)
    except TypeError as error:
        raise ValueError(f"recipe_args do not fit {spec}: {error}") from error


def save_run_file(run_config: RunConfig, path: str | Path) -> Path:
    """Writes the run as trained, overrides applied: ``hfsynth train --config <path>`` repeats it,
    and a checkpoint's model can be rebuilt from it (``build_recipe(recipe, recipe_args)``)."""
    values = {"recipe": run_config.recipe, "recipe_args": run_config.recipe_args,
              "training": run_config.training.to_dict()}
    with atomic_path(path) as temporary:
        Path(temporary).write_text(yaml.safe_dump(values, sort_keys=False))
    return Path(path)


def run(config_path: str | Path, overrides: Sequence[tuple[str, str]] = ()) -> TrainingResult:
    run_config = load_run_config(config_path, overrides)
    # The launcher's rank, not accelerate's state: that must first be made by the trainer's own
    # Accelerator (with its cpu / mixed-precision settings).
    if os.environ.get("RANK", "0") == "0":
        save_run_file(run_config, Path(run_config.training.output_dir) / RUN_FILE)
    # Recipes may build modules as they are constructed: seed first, so that every process of a
    # multi-process run starts from the same weights.
    set_seed(run_config.training.seed)
    recipe = build_recipe(run_config.recipe, run_config.recipe_args)
    return Trainer(recipe, run_config.training).train()


def parse_overrides(arguments: Sequence[str]) -> list[tuple[str, str]]:
    """``["--a", "1", "--b=2"]`` -> ``[("a", "1"), ("b", "2")]``."""
    pairs, rest = [], list(arguments)
    while rest:
        flag = rest.pop(0)
        if not flag.startswith("--") or len(flag) == 2:
            raise ValueError(f"expected --key value overrides; got {flag!r}")
        key, equals, value = flag[2:].partition("=")
        if not equals:
            if not rest:
                raise ValueError(f"override --{key} needs a value")
            value = rest.pop(0)
        pairs.append((key, value))
    return pairs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hfsynth.training.train", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="run file: recipe, recipe_args, training")
    args, extra = parser.parse_known_args(argv)
    try:
        result = run(args.config, parse_overrides(extra))
    except ValueError as error:
        print(f"hfsynth.training.train: error: {error}", file=sys.stderr)
        return 2
    if PartialState().is_main_process:
        print(f"trained {result.final_step} steps; model in {result.output_dir / 'final'}")
    return 0


def _route(key: str) -> list[str]:
    """Where an override key lands: ``recipe``, ``recipe_args.*``, ``training.*``; bare keys are training fields."""
    parts = key.split(".")
    if parts[0] in RUN_KEYS:
        return parts
    return ["training", *parts]


def _set_dotted(values: dict[str, Any], parts: list[str], value: Any) -> None:
    target = values
    for part in parts[:-1]:
        if target.get(part) is None:
            target[part] = {}
        target = target[part]
        if not isinstance(target, dict):
            raise ValueError(f"cannot set {'.'.join(parts)}: {part!r} is not a mapping")
    target[parts[-1]] = value


if __name__ == "__main__":
    sys.exit(main())
