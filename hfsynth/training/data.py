"""Deterministic, resumable, process-sharded batches.

The order of examples is a pure function of ``(seed, epoch)``; a position is ``(epoch, micro-batches
consumed)``. That is what makes resuming exact: a resumed run rebuilds the same permutation and
starts at the saved position, without replaying or loading the skipped examples.

Sharding: each epoch's permutation is cut into *global batches* of
``batch_size * num_processes * accumulation`` examples, one per optimizer step (a ragged tail is
dropped). Micro-batch ``j`` of process ``r`` takes the ``(j * num_processes + r)``-th slice of
``batch_size`` examples of its global batch. So one step sees the same examples whatever the split
into processes and micro-batches: 2 processes x batch B cover exactly the examples 1 process x 2B
covers, and so do 2 micro-batches of B; with mean losses their averaged gradients are equal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler


@dataclasses.dataclass
class DataPosition:
    """Where the stream stands: the epoch, and micro-batches this process has consumed in it."""

    epoch: int = 0
    batches_in_epoch: int = 0


@dataclasses.dataclass(frozen=True)
class ShardLayout:
    """How one optimizer step's global batch is split over processes and micro-batches."""

    batch_size: int
    num_processes: int
    process_index: int
    accumulation: int

    @property
    def global_batch(self) -> int:
        return self.batch_size * self.num_processes * self.accumulation

    def steps_per_epoch(self, dataset_size: int) -> int:
        return dataset_size // self.global_batch


def derive_seed(*parts: int) -> int:
    """A 32-bit seed mixed from several integers (e.g. ``(seed, epoch)``), so derived streams never coincide."""
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0])


def epoch_permutation(dataset_size: int, seed: int, epoch: int) -> np.ndarray:
    """The example order of ``epoch``: a permutation drawn from its own ``(seed, epoch)`` generator."""
    return np.random.default_rng([seed, epoch]).permutation(dataset_size)


class ShardedBatchSampler(Sampler[list[int]]):
    """This process's micro-batches of one epoch, starting ``start`` micro-batches in."""

    def __init__(self, dataset_size: int, layout: ShardLayout, seed: int, epoch: int, start: int = 0) -> None:
        self.dataset_size, self.layout, self.seed, self.epoch, self.start = dataset_size, layout, seed, epoch, start

    def __len__(self) -> int:
        return self.layout.steps_per_epoch(self.dataset_size) * self.layout.accumulation - self.start

    def __iter__(self) -> Iterator[list[int]]:
        order = epoch_permutation(self.dataset_size, self.seed, self.epoch)
        layout = self.layout
        for micro in range(self.start, self.start + len(self)):
            step, slot = divmod(micro, layout.accumulation)
            begin = (
                step * layout.global_batch + (slot * layout.num_processes + layout.process_index) * layout.batch_size
            )
            yield order[begin : begin + layout.batch_size].tolist()


class BatchStream:
    """Endless micro-batches for this process, epoch after epoch, tracking its ``DataPosition``."""

    def __init__(
        self,
        dataset: Dataset,
        layout: ShardLayout,
        *,
        seed: int,
        collate_fn: Callable[[list[Any]], Any] | None,
        num_workers: int,
        pin_memory: bool,
        position: DataPosition | None = None,
    ) -> None:
        self.dataset_size = _dataset_size(dataset)
        if layout.steps_per_epoch(self.dataset_size) == 0:
            raise ValueError(
                f"the training dataset has {self.dataset_size} examples, fewer than one global batch "
                f"(batch_size {layout.batch_size} x {layout.num_processes} processes x "
                f"{layout.accumulation} accumulation steps = {layout.global_batch})"
            )
        self.dataset, self.layout, self.seed = dataset, layout, seed
        self.loader_options = {"collate_fn": collate_fn, "num_workers": num_workers, "pin_memory": pin_memory}
        self.position = position or DataPosition()
        self._iterator: Iterator[Any] | None = None

    def next_micro_batches(self) -> list[Any]:
        """The ``accumulation`` micro-batches of this process for the next optimizer step."""
        return [self._next() for _ in range(self.layout.accumulation)]

    def _next(self) -> Any:
        if self._iterator is None:
            self._iterator = iter(self._loader())
        try:
            batch = next(self._iterator)
        except StopIteration:
            self.position = DataPosition(self.position.epoch + 1, 0)
            self._iterator = iter(self._loader())
            batch = next(self._iterator)
        self.position.batches_in_epoch += 1
        return batch

    def _loader(self) -> DataLoader:
        position = self.position
        sampler = ShardedBatchSampler(
            self.dataset_size, self.layout, self.seed, position.epoch, position.batches_in_epoch
        )
        # DataLoader draws its workers' base seed from ``generator``, or else from torch's global RNG,
        # which would shift the recipe's random numbers whenever a new epoch (or a resume) starts.
        generator = torch.Generator().manual_seed(derive_seed(self.seed, position.epoch))
        return DataLoader(self.dataset, batch_sampler=sampler, generator=generator, **self.loader_options)


def _dataset_size(dataset: Dataset) -> int:
    try:
        size = len(dataset)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(
            f"the training dataset ({type(dataset).__name__}) has no length; the trainer needs a map-style "
            "dataset (len and integer indexing) to shard and resume it exactly"
        ) from None
    return int(size)
