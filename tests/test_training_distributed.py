"""Two processes (torchrun, gloo on CPU) must train exactly like one process with twice the batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from test_training_recipes import EXAMPLE_CONFIG, checkpoint_tensors

from hfsynth.training import Trainer, latest_checkpoint
from hfsynth.training.checkpoint import read_state
from hfsynth.training.metrics import read_log
from hfsynth.training.train import build_recipe, load_run_config

TESTS_DIR = Path(__file__).resolve().parent
# Latents come from the data (noise=data), so the result cannot depend on how a batch is split.
SETTINGS = {
    "max_steps": "6",
    "save_every": "3",
    "log_every": "1",
    "cpu": "true",
    "recipe_args.noise": "data",
    "recipe_args.examples": "48",
}


#: Seconds a test run may take; a worker waits at most PROCESS_GROUP_TIMEOUT_S for its peer, so a
#: dead worker fails the run (with both workers' output) well before the test's own limit.
RUN_TIMEOUT_S, PROCESS_GROUP_TIMEOUT_S = 300, 60


def torchrun(output_dir: Path, **overrides: str) -> None:
    settings = {**SETTINGS, "output_dir": str(output_dir), "process_group_timeout_s": str(PROCESS_GROUP_TIMEOUT_S),
                **overrides}
    logs = output_dir.parent / f"torchrun-logs-{output_dir.name}"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "--log-dir", str(logs), "--redirects", "3"]
    command += ["-m", "hfsynth.training.train", "--config", str(EXAMPLE_CONFIG),
                *(f"--{key}={value}" for key, value in settings.items())]
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        output = f"killed after {RUN_TIMEOUT_S} s\n{output}"
    assert process.returncode == 0, f"{output[-3000:]}\n{worker_logs(logs)}"


def worker_logs(folder: Path) -> str:
    """Every worker's stdout and stderr (torchrun's --log-dir), each file's end, named by rank."""
    files = sorted(folder.rglob("std*.log"))
    return "\n".join(f"--- {path.relative_to(folder)}\n{path.read_text()[-2000:]}" for path in files)


def one_process_run(output_dir: Path, batch_size: int) -> None:
    overrides = {**SETTINGS, "output_dir": str(output_dir), "batch_size": str(batch_size)}
    run = load_run_config(EXAMPLE_CONFIG, list(overrides.items()))
    Trainer(build_recipe(run.recipe, run.recipe_args), run.training).train()


def assert_same_training(two_processes: Path, one_process: Path) -> None:
    expected, got = checkpoint_tensors(latest_checkpoint(one_process)), checkpoint_tensors(
        latest_checkpoint(two_processes)
    )
    assert latest_checkpoint(two_processes).name == "step-00000006" and expected.keys() == got.keys()
    for name, tensor in expected.items():
        torch.testing.assert_close(got[name], tensor, rtol=0, atol=1e-6, msg=name)
    log_1, log_2 = read_log(one_process / "log.jsonl"), read_log(two_processes / "log.jsonl")
    assert [entry["step"] for entry in log_2] == [1, 2, 3, 4, 5, 6]
    for key in ("discriminator/loss", "generator/loss", "discriminator/grad_norm"):
        np.testing.assert_allclose([e[key] for e in log_2], [e[key] for e in log_1], rtol=1e-5)


def test_two_processes_match_one_process_with_double_batch(tmp_path):
    torchrun(tmp_path / "two", batch_size="8")
    one_process_run(tmp_path / "one", batch_size=16)

    assert_same_training(tmp_path / "two", tmp_path / "one")
    checkpoint = latest_checkpoint(tmp_path / "two")
    rng_0, rng_1 = (read_state(checkpoint / f"rng.{rank}") for rank in (0, 1))
    assert not torch.equal(rng_0["torch"], rng_1["torch"])  # each process draws its own noise


def test_two_processes_resume_across_launches(tmp_path):
    torchrun(tmp_path / "two", batch_size="8", max_steps="3")
    torchrun(tmp_path / "two", batch_size="8", resume="true")
    one_process_run(tmp_path / "one", batch_size=16)

    assert_same_training(tmp_path / "two", tmp_path / "one")
