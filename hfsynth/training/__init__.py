"""The training engine every hfsynth model uses, built on ``accelerate``.

A model family writes a :class:`TrainingRecipe` (modules, optimizer groups, loss, dataset, export);
:class:`Trainer` runs it on one or many processes with mixed precision, gradient accumulation,
clipping, EMA, safetensors-only checkpoints and exact resume. Command line:
``hfsynth train --config configs/<model>.yaml`` or
``accelerate launch --multi_gpu --num_processes N -m hfsynth.training.train --config configs/<model>.yaml``;
``hfsynth export --checkpoint runs/<run>/checkpoints/step-N --out DIR`` turns any checkpoint into a model folder.
"""

from .checkpoint import latest_checkpoint, list_checkpoints, load_checkpoint, load_matching_weights, save_checkpoint
from .config import TrainingConfig
from .ema import ExponentialMovingAverage
from .export import checkpoint_modules, export_checkpoint, store_in_half_precision
from .recipe import ALL_MODULES, LossOutput, OptimizerGroup, RecipeModules, TrainingRecipe
from .trainer import Trainer, TrainerCallback, TrainingResult

__all__ = [
    "ALL_MODULES",
    "ExponentialMovingAverage",
    "LossOutput",
    "OptimizerGroup",
    "RecipeModules",
    "Trainer",
    "TrainerCallback",
    "TrainingConfig",
    "TrainingRecipe",
    "TrainingResult",
    "checkpoint_modules",
    "export_checkpoint",
    "latest_checkpoint",
    "list_checkpoints",
    "load_checkpoint",
    "load_matching_weights",
    "save_checkpoint",
    "store_in_half_precision",
]
