"""Opening a dataset folder, whichever way it was made: ``hfsynth data ... --out DIR`` or a folder of audio files."""

from __future__ import annotations

import os
from pathlib import Path

import datasets

from .building import quiet_datasets
from .folder import load_audio_folder


def load_saved_dataset(path: str | os.PathLike) -> datasets.Dataset:
    """Loads a dataset written by ``hfsynth data ... --out DIR`` (``save_to_disk``), or reads a
    folder of audio files like :func:`hfsynth.data.load_audio_folder`."""
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"dataset folder not found: {path}")
    if (path / "dataset_info.json").is_file() or (path / "state.json").is_file():
        with quiet_datasets():
            return datasets.load_from_disk(str(path))
    return load_audio_folder(path)
