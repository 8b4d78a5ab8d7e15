"""A user's own audio folder as a dataset, in the same layout as the rendered sets.

Like datasets' ``audiofolder``: every audio file under the folder (recursively) is a row, and an
optional ``metadata.csv`` with a ``file_name`` column adds columns (e.g. ``caption``). The files'
bytes are stored as they are; ``Audio(sampling_rate=...)`` makes :func:`~hfsynth.data.as_torch`
resample on decode.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import datasets
import pandas as pd

from ..audio.io import read_audio
from ..validation import check_sampling_rate
from .building import build_dataset

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aiff", ".aif")
METADATA_FILE = "metadata.csv"


def load_audio_folder(folder: str | os.PathLike, sampling_rate: int | None = None) -> datasets.Dataset:
    """Reads every audio file under ``folder`` into a dataset.

    Columns: ``audio`` (``Audio(sampling_rate=sampling_rate, decode=False)``), ``file_name``
    (path relative to ``folder``), ``duration_in_s``, and the columns of ``metadata.csv`` if present.

    Raises ``ValueError`` for a missing or empty folder, an unreadable audio file, or a metadata
    file without a ``file_name`` column or naming files that are not there.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ValueError(f"audio folder not found: {root}")
    if sampling_rate is not None:
        sampling_rate = check_sampling_rate(sampling_rate)
    files = sorted(path for path in root.rglob("*") if path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise ValueError(f"no audio files ({', '.join(AUDIO_SUFFIXES)}) in folder {root}")
    names = [path.relative_to(root).as_posix() for path in files]
    metadata = _read_metadata(root, set(names))
    metadata_columns = [column for column in metadata.columns if column != "file_name"]
    features = datasets.Features(
        {
            "audio": datasets.Audio(sampling_rate=sampling_rate, decode=False),
            "file_name": datasets.Value("string"),
            "duration_in_s": datasets.Value("float64"),
            **{column: _feature_of(metadata[column]) for column in metadata_columns},
        }
    )
    by_name = metadata.set_index("file_name").to_dict("index") if metadata_columns else {}

    def rows(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for path, name in zip(files, names):
            audio, rate = read_audio(path, channels=None)  # checks the file decodes; ValueError names it
            data = path.read_bytes()
            extra = by_name.get(name, {})
            yield {
                "audio": {"bytes": data, "path": name},
                "file_name": name,
                "duration_in_s": audio.shape[-1] / rate,
                **{column: _cell(extra.get(column)) for column in metadata_columns},
            }

    return build_dataset("folder", {"folder": str(root.resolve())}, rows, features)


def _read_metadata(root: Path, names: set[str]) -> pd.DataFrame:
    path = root / METADATA_FILE
    if not path.is_file():
        return pd.DataFrame({"file_name": sorted(names)})
    try:
        metadata = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read {path}: {error}") from error
    if "file_name" not in metadata.columns:
        raise ValueError(f"{path} needs a 'file_name' column naming each audio file; found {list(metadata.columns)}")
    metadata["file_name"] = metadata["file_name"].astype(str).map(lambda name: Path(name).as_posix())
    duplicated = sorted(set(metadata["file_name"][metadata["file_name"].duplicated()]))
    if duplicated:
        raise ValueError(f"{path} lists these files more than once: {', '.join(duplicated[:5])}")
    reserved = sorted({"audio", "duration_in_s"} & set(metadata.columns))
    if reserved:
        raise ValueError(f"{path} has columns the loader writes itself: {', '.join(reserved)}; rename them")
    missing = sorted(set(metadata["file_name"]) - names)
    if missing:
        raise ValueError(f"{path} names audio files that are not in {root}: {', '.join(missing[:5])}")
    return metadata


def _feature_of(column: pd.Series) -> datasets.Value:
    if pd.api.types.is_bool_dtype(column):
        return datasets.Value("bool")
    if pd.api.types.is_integer_dtype(column):
        return datasets.Value("int64")
    if pd.api.types.is_float_dtype(column):
        return datasets.Value("float64")
    return datasets.Value("string")


def _cell(value: Any) -> Any:
    """A metadata value as a plain Python value (NaN and missing become None)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value
