"""What every benchmark script shares: the --threads/--quick flags and the line naming the machine.

Scripts run as ``python bench/<name>.py``, so this module is imported as ``_common``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import torch

from hfsynth.files import atomic_path


def bench_parser(doc: str, quick_help: str | None = None, report: bool = False) -> argparse.ArgumentParser:
    """A parser with ``--threads`` (torch threads, default 2), ``--quick`` given its help, and with
    ``report``, ``--report FILE`` (the metrics as a model-card evaluation report, :func:`write_report`)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    if quick_help is not None:
        parser.add_argument("--quick", action="store_true", help=quick_help)
    if report:
        parser.add_argument("--report", help="write the numbers as a model-card evaluation report (JSON)")
    return parser


def parse_bench_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parses the arguments and applies ``--threads``."""
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    return args


def machine() -> str:
    """CPU model, cores, torch threads and version, e.g. for bench/RESULTS.md."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, torch {torch.__version__}"


def machine_line() -> str:
    return f"machine: {machine()}; {datetime.date.today()}"


def write_report(path: str | os.PathLike, model: str | os.PathLike, data: str, task: str, examples: int,
                 metrics: dict[str, float]) -> None:
    """A model-card evaluation report (the format of ``hfsynth evaluate``: model, data, task, examples,
    metrics), written atomically; ``tests/test_model_cards.py`` checks that the card shows its metrics."""
    report = {"model": str(model), "data": data, "task": task, "examples": examples,
              "metrics": {name: float(value) for name, value in metrics.items()}}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        Path(temporary).write_text(json.dumps(report, indent=2) + "\n")
    print(f"report written to {path}")


def best_time(run: Callable[[], object], repeats: int, warm_up: bool = True) -> float:
    """The fastest of ``repeats`` runs, in seconds, after one untimed warm-up run unless ``warm_up`` is False."""
    if warm_up:
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)
