"""A training checkpoint as a model folder, the way a finished run writes ``final/``.

A run only exports at its last step. ``export_checkpoint`` turns any ``checkpoints/step-N`` into the
same folder without resuming: to ship the step that met its numbers, to compare steps, or to use
a run that was stopped early. The recipe is rebuilt from the run file (``run.yaml``, which every
run leaves in its output folder), its modules get the checkpoint's weights (the moving average for
the EMA module, as the trainer's own export does) and ``recipe.export`` writes the folder.

Shipped folders live in git with a 25 MB budget each, so an export can store its weights in half
precision (``storage_dtype="float16"``); the configs keep ``dtype: float32``, so ``from_pretrained``
casts them back and the model runs in float32 as trained.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Collection
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from ..files import atomic_path
from .checkpoint import STATE_FILE, load_module_weights, read_tensors
from .ema import ExponentialMovingAverage
from .recipe import TrainingRecipe
from .train import RUN_FILE, build_recipe, load_run_config

WEIGHTS = ("ema", "raw")
STORAGE_DTYPES = ("float32", "float16")
CONFIG_NAME = "config.json"


def run_file_of(checkpoint: str | Path) -> Path:
    """``<output_dir>/run.yaml`` of ``<output_dir>/checkpoints/step-N``."""
    return Path(checkpoint).resolve().parent.parent / RUN_FILE


def checkpoint_modules(
    checkpoint: str | Path,
    run_file: str | Path | None = None,
    weights: str = "ema",
    names: Collection[str] | None = None,
) -> tuple[TrainingRecipe, dict[str, nn.Module]]:
    """The run's recipe and its modules (``names``, default all) holding ``checkpoint``'s weights.

    ``run_file`` defaults to the run's ``run.yaml``. ``weights``: ``"ema"`` gives the recipe's EMA
    module the run's moving average (what ``final/`` holds; an error when the run kept none), ``"raw"``
    the live weights everywhere. Weights that do not fit raise ``ValueError``.
    """
    checkpoint = Path(checkpoint)
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}; got {weights!r}")
    if not (checkpoint / STATE_FILE).is_file():
        raise ValueError(f"{checkpoint} is not a training checkpoint (no {STATE_FILE})")
    run_file = Path(run_file) if run_file is not None else run_file_of(checkpoint)
    if not run_file.is_file():
        raise ValueError(f"no run file at {run_file}; pass the run's config (configs/<model>.yaml)")
    ema_file = checkpoint / "ema.safetensors"
    if weights == "ema" and not ema_file.is_file():
        raise ValueError(f"{checkpoint} holds no moving average (the run had no ema_decay); use weights='raw'")

    run = load_run_config(run_file)
    recipe = build_recipe(run.recipe, run.recipe_args)
    modules = {name: module for name, module in recipe.modules().items() if names is None or name in names}
    for name, module in modules.items():
        load_module_weights(module, checkpoint / f"model.{name}.safetensors")
    if weights == "ema" and recipe.ema_module in modules:
        average = ExponentialMovingAverage(modules[recipe.ema_module], decay=0.5)  # decay unused: loaded, not updated
        average.load_state_dict(read_tensors(ema_file), num_updates=0)
        average.copy_to(modules[recipe.ema_module])
    return recipe, modules


def export_checkpoint(
    checkpoint: str | Path,
    output_dir: str | Path,
    run_file: str | Path | None = None,
    weights: str = "ema",
    overwrite: bool = False,
    storage_dtype: str = "float32",
) -> Path:
    """Writes ``checkpoint``'s model to ``output_dir`` with the run's ``recipe.export``; returns the folder.

    ``weights`` as for :func:`checkpoint_modules`; ``storage_dtype="float16"`` halves the weight files
    (:func:`store_in_half_precision`). The folder appears whole or not at all.
    """
    output_dir = Path(output_dir)
    if output_dir.exists() and not overwrite:
        raise ValueError(f"{output_dir} already exists; choose a new folder or pass overwrite")
    if storage_dtype not in STORAGE_DTYPES:
        raise ValueError(f"storage_dtype must be one of {STORAGE_DTYPES}; got {storage_dtype!r}")
    recipe, modules = checkpoint_modules(checkpoint, run_file, weights)
    if recipe.export_reads_data:
        recipe.train_dataset()

    staging = output_dir.with_name(f".tmp-{output_dir.name}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        recipe.export(staging, modules)
        if storage_dtype == "float16":
            store_in_half_precision(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(output_dir, ignore_errors=True)
    staging.rename(output_dir)
    return output_dir


def store_in_half_precision(folder: str | Path) -> None:
    """Rewrites the float32 tensors of every safetensors file under ``folder`` as float16, in place.

    Each model folder's ``config.json`` is set to ``dtype: float32`` so that loading casts the weights
    back (with ``dtype="auto"``, transformers' default, a config without it would load float16).
    A weight beyond float16's range raises ``ValueError`` before any file is rewritten.
    """
    files = sorted(Path(folder).rglob("*.safetensors"))
    halves = {}
    for path in files:
        tensors = load_file(path)
        for name, tensor in tensors.items():
            if tensor.dtype == torch.float32:
                half = tensor.half()
                if not torch.equal(half.isfinite(), tensor.isfinite()):
                    raise ValueError(f"{path.name}: {name} has values beyond float16's range (max "
                                     f"{tensor.abs().max().item():.3g}); export it with storage_dtype='float32'")
                tensors[name] = half
        halves[path] = tensors
    for path, tensors in halves.items():
        with safe_open(path, "pt") as handle:
            metadata = handle.metadata()
        with atomic_path(path) as partial:
            save_file(tensors, partial, metadata=metadata)
        _keep_float32_on_load(path.parent / CONFIG_NAME)


def _keep_float32_on_load(config_file: Path) -> None:
    if not config_file.is_file():
        return
    config = json.loads(config_file.read_text())
    if config.get("dtype") != "float32":
        config["dtype"] = "float32"
        with atomic_path(config_file) as partial:
            Path(partial).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
