"""Experiment trackers for the trainer: accelerate's own (``tensorboard``, ``wandb``, ``mlflow``,
...) by name, and ``csv``, a dependency-free one that writes ``metrics.csv`` beside ``log.jsonl``.

``log.jsonl`` is always written (resuming reads it); a tracker is an extra view of the same averages.
"""

from __future__ import annotations

import csv
from pathlib import Path

from accelerate.tracking import GeneralTracker

CSV_FILE = "metrics.csv"


class CSVTracker(GeneralTracker):
    """One row per logged step: ``step`` and every metric seen so far (new metrics widen the file)."""

    name = "csv"
    requires_logging_directory = True

    def __init__(self, run_name: str, logging_dir: str | Path):
        super().__init__()
        self.path = Path(logging_dir) / CSV_FILE
        self.rows: list[dict[str, float]] = []

    @property
    def tracker(self) -> Path:
        return self.path

    def log(self, values: dict, step: int | None = None, **kwargs) -> None:
        self.rows.append({"step": step, **{key: value for key, value in values.items() if isinstance(value, (int, float))}})
        columns = list(dict.fromkeys(key for row in self.rows for key in row))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(self.rows)


def trackers_for(names: list[str], output_dir: Path) -> list[str | GeneralTracker]:
    """What ``Accelerator(log_with=...)`` takes for ``names``: ``csv`` becomes a :class:`CSVTracker`."""
    return [CSVTracker("hfsynth", output_dir) if name == "csv" else name for name in names]
