"""Running sums of logged numbers, averaged over steps and processes when a log line is due.

The sums are part of the checkpoint, so a resumed run writes the same log lines as an
uninterrupted one even when a checkpoint falls between two log steps.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import torch


class MetricAccumulator:
    """Sums ``{name: value}`` per step; ``average`` returns the per-name means across processes."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def add(self, values: dict[str, float]) -> None:
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + float(value)
            self.counts[name] = self.counts.get(name, 0) + 1

    def average(self, mean_across_processes: Callable[[torch.Tensor], torch.Tensor]) -> dict[str, float]:
        """Means since the last call, averaged over processes (every process must call it together)."""
        names = sorted(self.sums)
        if not names:
            return {}
        local = torch.tensor([self.sums[name] / self.counts[name] for name in names], dtype=torch.float64)
        means = mean_across_processes(local).tolist()
        self.sums, self.counts = {}, {}
        return dict(zip(names, means))

    def state_dict(self) -> dict[str, dict]:
        return {"sums": dict(self.sums), "counts": dict(self.counts)}

    def load_state_dict(self, state: dict[str, dict]) -> None:
        self.sums, self.counts = dict(state["sums"]), dict(state["counts"])


def append_log_line(path: Path, entry: dict[str, float]) -> None:
    with path.open("a") as stream:
        stream.write(json.dumps({key: _jsonable(value) for key, value in entry.items()}) + "\n")


def read_log(path: Path) -> list[dict[str, float]]:
    """The entries of a ``log.jsonl`` file, oldest first."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def truncate_log(path: Path, last_step: int) -> None:
    """Drops lines logged after ``last_step`` (written after the checkpoint a run resumes from)."""
    if not path.is_file():
        return
    kept = [entry for entry in read_log(path) if entry.get("step", 0) <= last_step]
    path.write_text("".join(json.dumps(entry) + "\n" for entry in kept))


def _jsonable(value: float) -> float | str:
    return value if not isinstance(value, float) or math.isfinite(value) else str(value)
