"""Training checkpoints that never unpickle anything.

``accelerator.save_state`` pickles optimizer and RNG state, and loading a pickle runs arbitrary
code; our rule is to load only safetensors (and JSON). So each piece of state is split into its
tensors (one safetensors file) and the structure around them (one JSON file, tensors replaced by
named references). A checkpoint directory looks like::

    checkpoints/step-00001000/
        trainer_state.json                         step, data position, log sums, EMA count, names
        model.<module>.safetensors                 weights of each module (main process)
        optimizer.<group>.{json,safetensors}       AdamW state of each group (main process)
        ema.safetensors                            averaged weights, if EMA is on (main process)
        rng.<rank>.{json,safetensors}              python/numpy/torch RNG of each process

It is written under a temporary name and renamed when complete, so a run killed mid-save leaves
either the previous checkpoints or a complete new one, never a half-written ``step-*`` directory.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, load_model, save_file, save_model
from torch import nn

from ..files import replace_directory
from .ema import ExponentialMovingAverage

CHECKPOINTS_DIR = "checkpoints"
FORMAT_NAME = "hfsynth-training-checkpoint"
FORMAT_VERSION = 1
STATE_FILE = "trainer_state.json"
_STEP_DIR = re.compile(r"^step-(\d{8})$")


# ---- locating checkpoints -------------------------------------------------------------------


def checkpoint_path(output_dir: str | Path, step: int) -> Path:
    return Path(output_dir) / CHECKPOINTS_DIR / f"step-{step:08d}"


def list_checkpoints(output_dir: str | Path) -> list[Path]:
    """Complete checkpoint directories in ``output_dir``, oldest first (temporary ones are ignored)."""
    root = Path(output_dir) / CHECKPOINTS_DIR
    if not root.is_dir():
        return []
    found = [path for path in root.iterdir() if path.is_dir() and _STEP_DIR.match(path.name)]
    return sorted(found, key=lambda path: int(_STEP_DIR.match(path.name).group(1)))


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    checkpoints = list_checkpoints(output_dir)
    return checkpoints[-1] if checkpoints else None


def prune_checkpoints(output_dir: str | Path, keep_last: int) -> None:
    for path in list_checkpoints(output_dir)[:-keep_last]:
        shutil.rmtree(path)


@contextlib.contextmanager
def atomic_directory(final: Path, is_main: bool, wait_for_everyone: Callable[[], None]) -> Iterator[Path]:
    """Yields a temporary directory that every process writes into; it becomes ``final`` at the end.

    The barriers make the main process create the directory before anyone writes, and rename it
    only after every process has finished writing (the directory must be on a filesystem all
    processes share, as ``output_dir`` always is on one machine).
    """
    temporary = final.with_name(f".tmp-{final.name}")
    if is_main:
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir(parents=True)
    wait_for_everyone()
    yield temporary
    wait_for_everyone()
    if is_main:
        replace_directory(temporary, final)  # re-saving a step keeps one whole copy at every moment
    wait_for_everyone()


# ---- nested state <-> JSON + safetensors -----------------------------------------------------


def write_state(stem: Path, state: Any) -> None:
    """Writes ``state`` (dicts, lists, tuples, numbers, strings, tensors) as ``stem.json`` + ``stem.safetensors``."""
    tensors: dict[str, torch.Tensor] = {}
    structure = _encode(state, tensors)
    save_file(
        {key: tensor.detach().cpu().contiguous() for key, tensor in tensors.items()},
        str(_with_extension(stem, "safetensors")),
    )
    _with_extension(stem, "json").write_text(json.dumps(structure))


def read_state(stem: Path) -> Any:
    """Inverse of ``write_state``; a missing or damaged file raises ``ValueError``."""
    tensors = read_tensors(_with_extension(stem, "safetensors"))
    structure = _read_json(_with_extension(stem, "json"))
    return _decode(structure, tensors, stem)


def _with_extension(stem: Path, extension: str) -> Path:
    # Not ``with_suffix``: stems such as ``optimizer.generator`` already contain a dot.
    return stem.with_name(f"{stem.name}.{extension}")


def _encode(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    # JSON has no tuples, no tensors and only string keys, so those three get tagged wrappers.
    if isinstance(value, torch.Tensor):
        key = str(len(tensors))
        tensors[key] = value
        return {"__tensor__": key}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(item, tensors) for item in value]}
    if isinstance(value, list):
        return [_encode(item, tensors) for item in value]
    if isinstance(value, dict):
        return {"__dict__": [[_encode(key, tensors), _encode(item, tensors)] for key, item in value.items()]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(
        f"cannot store a {type(value).__name__} in a checkpoint (only tensors, numbers, strings, containers)"
    )


def _decode(value: Any, tensors: dict[str, torch.Tensor], source: Path) -> Any:
    if isinstance(value, list):
        return [_decode(item, tensors, source) for item in value]
    if not isinstance(value, dict):
        return value
    try:
        if "__tensor__" in value:
            return tensors[value["__tensor__"]]
        if "__tuple__" in value:
            return tuple(_decode(item, tensors, source) for item in value["__tuple__"])
        return {_decode(key, tensors, source): _decode(item, tensors, source) for key, item in value["__dict__"]}
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"checkpoint file {source}.json does not match its tensors ({error!r})") from error


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"checkpoint file {path} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"checkpoint file {path} is corrupt: {error}") from error


def read_tensors(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise ValueError(f"checkpoint file {path} is missing")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, RuntimeError) as error:
        raise ValueError(f"checkpoint file {path} is corrupt: {error}") from error


# ---- random number generators ---------------------------------------------------------------


def capture_rng_state() -> dict[str, Any]:
    """This process's python, numpy, torch CPU and (if present) CUDA generator states."""
    numpy_state = np.random.get_state(legacy=False)
    numpy_state["state"]["key"] = numpy_state["state"]["key"].tolist()
    state = {"python": random.getstate(), "numpy": numpy_state, "torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    numpy_state = dict(state["numpy"])
    numpy_state["state"] = {**numpy_state["state"], "key": np.asarray(numpy_state["state"]["key"], dtype=np.uint32)}
    random.setstate(state["python"])
    np.random.set_state(numpy_state)
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# ---- whole checkpoints ----------------------------------------------------------------------


def save_checkpoint(
    directory: Path,
    *,
    trainer_state: dict[str, Any],
    modules: dict[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    ema: ExponentialMovingAverage | None,
    process_index: int,
    is_main: bool,
) -> None:
    """Writes one checkpoint into ``directory`` (called by every process; see ``atomic_directory``).

    Weights and optimizer state are identical on every process after a synchronised step, so
    only the main process writes them; each process writes its own RNG state.
    """
    write_state(directory / f"rng.{process_index}", capture_rng_state())
    if not is_main:
        return
    for name, module in modules.items():
        save_model(module, str(directory / f"model.{name}.safetensors"))
    for name, optimizer in optimizers.items():
        write_state(directory / f"optimizer.{name}", optimizer.state_dict())
    if ema is not None:
        save_file(
            {key: value.detach().cpu().contiguous() for key, value in ema.state_dict().items()},
            str(directory / "ema.safetensors"),
        )
    header = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "modules": sorted(modules), "groups": list(optimizers)}
    # Written last: a checkpoint with trainer_state.json has every other file.
    (directory / STATE_FILE).write_text(json.dumps({**header, **trainer_state}, indent=1))


def load_checkpoint(
    directory: Path,
    *,
    modules: dict[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    ema: ExponentialMovingAverage | None,
    process_index: int,
    num_processes: int,
) -> dict[str, Any]:
    """Loads a checkpoint written by ``save_checkpoint`` in place and returns the trainer state.

    Restores this process's RNG last, so nothing after loading can disturb it. Raises
    ``ValueError`` when the directory is missing, incomplete, corrupt, or from a different setup.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"checkpoint directory {directory} does not exist")
    state = _read_json(directory / STATE_FILE)
    _check_header(state, directory, modules, optimizers, ema, num_processes)
    for name, module in modules.items():
        load_module_weights(module, directory / f"model.{name}.safetensors")
    for name, optimizer in optimizers.items():
        try:
            optimizer.load_state_dict(read_state(directory / f"optimizer.{name}"))
        except (KeyError, RuntimeError, TypeError) as error:
            raise ValueError(f"optimizer state of group {name!r} in {directory} does not fit: {error}") from error
    if ema is not None:
        ema.load_state_dict(read_tensors(directory / "ema.safetensors"), num_updates=state["ema_updates"])
    restore_rng_state(read_state(directory / f"rng.{process_index}"))
    return state


def _check_header(
    state: Any,
    directory: Path,
    modules: dict[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    ema: ExponentialMovingAverage | None,
    num_processes: int,
) -> None:
    if not isinstance(state, dict) or state.get("format") != FORMAT_NAME:
        raise ValueError(f"{directory / STATE_FILE} is not an hfsynth training checkpoint")
    if state.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"checkpoint {directory} has format version {state.get('version')}; this hfsynth reads {FORMAT_VERSION}"
        )
    expected = {"modules": sorted(modules), "groups": list(optimizers), "num_processes": num_processes}
    for key, value in expected.items():
        if state.get(key) != value:
            raise ValueError(
                f"checkpoint {directory} was written with {key}={state.get(key)!r} but this run has {value!r}; "
                "resuming exactly needs the same recipe and number of processes"
            )
    if (ema is None) != (state.get("ema_updates") is None):
        raise ValueError(
            f"checkpoint {directory} and this run disagree on EMA (ema_decay); set it as in the original run"
        )


def load_module_weights(module: nn.Module, path: Path) -> None:
    if not path.is_file():
        raise ValueError(f"checkpoint file {path} is missing")
    try:
        load_model(module, str(path), strict=True)
    except (SafetensorError, OSError, RuntimeError) as error:
        raise ValueError(f"checkpoint file {path} is corrupt or does not fit the module: {error}") from error


def load_matching_weights(module: nn.Module, path: str | Path) -> list[str]:
    """Copies into ``module`` the tensors of the safetensors file ``path`` whose names and shapes match;
    returns the names of the module's tensors left as they were, sorted.

    For warm starts: a model that differs from a trained one in a few layers (a wider block, a new
    head) takes every trained weight that still fits, and the changed layers start from their
    initialisation. A file that shares no tensor with the module raises ``ValueError``.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"weights file {path} is missing")
    try:
        trained = load_file(str(path))
    except (SafetensorError, OSError) as error:
        raise ValueError(f"weights file {path} is corrupt: {error}") from error
    own = module.state_dict()
    fitting = {name: tensor for name, tensor in trained.items() if name in own and own[name].shape == tensor.shape}
    if not fitting:
        raise ValueError(f"no tensor of {path} fits {type(module).__name__}: is it that model's weights file?")
    module.load_state_dict(fitting, strict=False)
    return sorted(set(own) - set(fitting))
