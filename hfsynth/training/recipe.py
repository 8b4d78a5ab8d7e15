"""``TrainingRecipe``: what a model family plugs into the shared :class:`~hfsynth.training.Trainer`.

A recipe says *what* to train (modules, optimizer groups, dataset) and *how to score a batch*
(``compute_loss``); the trainer owns everything else (devices, processes, precision, accumulation,
clipping, EMA, checkpoints, logging). Each model keeps its recipe in
``hfsynth/models/<name>/training_<name>.py``.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

#: In ``OptimizerGroup.modules``, stands for every module of the recipe.
ALL_MODULES = "*"


@dataclasses.dataclass(frozen=True)
class OptimizerGroup:
    """One AdamW optimizer over the parameters of ``modules``; ``None`` fields use the config's value.

    Groups are updated in the order the recipe lists them, each on the same batch: a GAN lists
    ``discriminator`` first, then ``generator``, so the generator is scored by the updated critic.
    ``modules=("*",)`` (``ALL_MODULES``) means every module of the recipe.
    """

    name: str
    modules: tuple[str, ...]
    learning_rate: float | None = None
    betas: tuple[float, float] | None = None
    weight_decay: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.modules, str):  # ("generator") is a common slip for ("generator",)
            object.__setattr__(self, "modules", (self.modules,))
        object.__setattr__(self, "modules", tuple(self.modules))
        if not self.name or not self.modules:
            raise ValueError(f"an optimizer group needs a name and at least one module; got {self!r}")


@dataclasses.dataclass
class LossOutput:
    """What ``compute_loss`` returns: the scalar to minimise and extra numbers to log.

    ``logs`` values are floats (or 0-dim tensors); the trainer prefixes them with the group name
    and averages them over micro-batches, processes and ``log_every`` steps.
    """

    loss: torch.Tensor
    logs: dict[str, float] = dataclasses.field(default_factory=dict)


class RecipeModules(Mapping[str, nn.Module]):
    """The modules ``compute_loss`` sees: ``models["generator"]`` or ``models.generator``.

    The group being optimised gets its *prepared* modules (wrapped in DistributedDataParallel when
    several processes train), so its gradients are averaged across processes. Every other module
    is the plain module with ``requires_grad`` switched off while the group's loss runs: gradients
    still flow *through* it (the generator learns from the critic's verdict) but never *into* it, so
    a generator loss cannot leave stale gradients on the critic (which would be added to the next
    critic update under gradient accumulation) and never triggers a DDP reduction for a module that
    is not being stepped. Call modules (``forward``); for attributes such as ``.config`` use
    ``models.unwrapped(name)``, because a DDP wrapper does not forward attribute access.
    """

    def __init__(self, callable_modules: dict[str, nn.Module], unwrapped_modules: dict[str, nn.Module]) -> None:
        self._callable = callable_modules
        self._unwrapped = unwrapped_modules

    def __getitem__(self, name: str) -> nn.Module:
        return self._callable[name]

    def __getattr__(self, name: str) -> nn.Module:
        try:
            return self.__dict__["_callable"][name]
        except KeyError:
            raise AttributeError(f"no module named {name!r}; modules: {sorted(self.__dict__['_callable'])}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._callable)

    def __len__(self) -> int:
        return len(self._callable)

    def unwrapped(self, name: str) -> nn.Module:
        """The plain module (no DDP wrapper), for reading attributes such as ``config``."""
        return self._unwrapped[name]


class TrainingRecipe(abc.ABC):
    """Base class of every model family's training recipe.

    Subclasses implement ``modules``, ``compute_loss`` and ``train_dataset``; the other methods
    have defaults that fit a single-model, single-optimizer recipe. ``modules`` and
    ``train_dataset`` are called once, in that order, after the trainer seeds every RNG.
    """

    #: Module that gets an exponential moving average when ``TrainingConfig.ema_decay`` is set.
    ema_module: str | None = None
    #: Set when some parameters take no part in a step (e.g. a progressive GAN's inactive stages):
    #: DistributedDataParallel must then look for unused parameters, at a small cost per step.
    find_unused_parameters: bool = False
    #: Set when ``export`` uses something ``train_dataset`` measures (e.g. statistics of the data
    #: stored in the exported config): exporting a checkpoint then builds the dataset first.
    export_reads_data: bool = False

    @abc.abstractmethod
    def modules(self) -> dict[str, nn.Module]:
        """Every module the recipe uses, by name: ``{"model": m}`` or ``{"generator": g, "discriminator": d}``.

        The trainer calls this once, after seeding, and every process must return identical initial
        weights: build modules here (or in ``__init__`` under the same seed, as ``train.py`` does).

        Modules that no optimizer group lists (e.g. a frozen feature extractor) are moved to the
        device and never trained.
        """

    def optimizer_groups(self) -> list[OptimizerGroup]:
        """Optimizer groups in update order; by default one group, ``"model"``, over every module."""
        return [OptimizerGroup("model", (ALL_MODULES,))]

    @abc.abstractmethod
    def compute_loss(self, group: str, batch: Any, models: RecipeModules, step: int) -> LossOutput:
        """The loss of optimizer group ``group`` on one micro-batch (already on the device).

        ``step`` counts the optimizer steps finished before this one (0 for the first). Randomness
        (noise, dropout) should come from torch's global RNG: the trainer seeds it per process and
        restores it on resume, so a resumed run draws the same numbers as an uninterrupted one.
        """

    @abc.abstractmethod
    def train_dataset(self) -> torch.utils.data.Dataset:
        """A map-style dataset (``len`` and integer indexing), e.g. a ``datasets.Dataset``."""

    def collate_fn(self) -> Callable[[list[Any]], Any] | None:
        """A ``DataLoader`` collate function; ``None`` uses torch's default collation."""
        return None

    def export(self, output_dir: Path, modules: dict[str, nn.Module]) -> None:
        """Writes the trained model(s) for use outside training (EMA weights already swapped in).

        The default saves each module with ``save_pretrained`` when it has one, else as
        ``<name>.safetensors``; a lone module goes straight into ``output_dir``, several go into
        ``output_dir/<name>/``. Model families override this to save their Hugging Face model.
        """
        from safetensors.torch import save_model

        output_dir = Path(output_dir)
        for name, module in modules.items():
            target = output_dir if len(modules) == 1 else output_dir / name
            target.mkdir(parents=True, exist_ok=True)
            if hasattr(module, "save_pretrained"):
                module.save_pretrained(target)
            else:
                save_model(module, str(target / f"{name}.safetensors"))
