"""Turning a stream of rendered examples into a ``datasets.Dataset``, cached on disk by config.

A cache entry is ``<cache_dir>/<kind>-<hash of the config>``. It is built in a temporary folder
and renamed into place, so a killed build never leaves a half-written cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import datasets
from datasets.exceptions import DatasetGenerationError

#: Bump when the rendering or the column layout changes, so old caches are not reused.
FORMAT_VERSION = 1

Rows = Callable[[dict[str, Any]], Iterator[dict[str, Any]]]


def cache_key(kind: str, config: dict[str, Any]) -> str:
    """``<kind>-<16 hex digits>`` from the config (JSON, keys sorted) and :data:`FORMAT_VERSION`."""
    text = json.dumps({"kind": kind, "format": FORMAT_VERSION, "config": config}, sort_keys=True, default=str)
    return f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def build_dataset(
    kind: str,
    config: dict[str, Any],
    rows: Rows,
    features: datasets.Features,
    cache_dir: str | os.PathLike | None = None,
) -> datasets.Dataset:
    """Builds (or loads from ``cache_dir``) the dataset of the examples ``rows(report)`` yields.

    Args:
        kind: the builder's name ("notes", "music", ...), part of the cache key.
        config: everything the audio depends on (JSON-able); identical configs share a cache entry.
        rows: called once with an empty ``report`` dict it may fill (e.g. skipped notes); yields
            examples matching ``features``.
        cache_dir: folder for cache entries; ``None`` builds in memory.

    ``kind``, ``config`` and the report are stored in ``dataset.info.description`` as JSON (see
    :func:`build_info`), so a saved or pushed dataset says how it was made.
    """
    key = cache_key(kind, config)
    final = None if cache_dir is None else Path(cache_dir) / key
    if final is not None and final.is_dir():
        return datasets.load_from_disk(str(final))
    work_parent = Path(cache_dir) if cache_dir is not None else None
    if work_parent is not None:
        work_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_parent, prefix=f".{key}.") as work, quiet_datasets():
        report: dict[str, Any] = {}
        # datasets cannot encode Audio values without torchcodec; write the same struct as plain
        # {bytes, path} columns, then cast (a relabelling of the Arrow type, no re-encoding).
        try:
            dataset = datasets.Dataset.from_generator(
                lambda: _nonempty(kind, rows, report),  # a closure: datasets may copy gen_kwargs, losing the report
                features=_storage_features(features),
                cache_dir=str(Path(work) / "generator"),
                keep_in_memory=final is None,
                fingerprint=key,
            )
        except DatasetGenerationError as error:
            # datasets wraps what the generator raised; bad input should still read as a ValueError.
            if isinstance(error.__cause__, ValueError):
                raise ValueError(str(error.__cause__)) from error.__cause__
            raise
        dataset = dataset.cast(features)
        dataset.info.description = json.dumps({"kind": kind, "config": config, **report}, default=str)
        if final is None:
            return dataset
        staged = Path(work) / "dataset"
        dataset.save_to_disk(str(staged))
        del dataset
        try:
            os.rename(staged, final)
        except OSError:
            if not final.is_dir():  # not another build finishing first: a real error
                raise
    return datasets.load_from_disk(str(final))


def build_info(dataset: datasets.Dataset) -> dict[str, Any]:
    """How a data-engine dataset was made: ``{"kind", "config", ...report}`` (empty for other datasets)."""
    try:
        info = json.loads(dataset.info.description or "")
    except json.JSONDecodeError:
        return {}
    return info if isinstance(info, dict) else {}


def check_new_folder(out: str | os.PathLike) -> Path:
    """Returns ``out`` as a Path, or raises ``ValueError`` if it exists (we never overwrite data)."""
    out = Path(out)
    if out.exists():
        raise ValueError(f"output folder already exists: {out} (choose a new --out or remove it)")
    return out


def save_dataset(dataset: datasets.Dataset, out: str | os.PathLike) -> Path:
    """``save_to_disk`` into ``out`` (which must not exist yet), atomically: whole or not at all."""
    out = check_new_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.parent / f".{out.name}.{uuid.uuid4().hex}.tmp"  # not mkdtemp: keep the umask's permissions
    try:
        with quiet_datasets():
            dataset.save_to_disk(str(staged))
        os.rename(staged, out)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return out


def _nonempty(kind: str, rows: Rows, report: dict[str, Any]) -> Iterator[dict[str, Any]]:
    count = 0
    for row in rows(report):
        count += 1
        yield row
    if count == 0:
        details = json.dumps(report, default=str)[:300]
        raise ValueError(f"nothing to build: the {kind} config gives no examples (every one empty or skipped: {details})")


def _storage_features(features: datasets.Features) -> datasets.Features:
    struct = {"bytes": datasets.Value("binary"), "path": datasets.Value("string")}

    def plain(feature: Any) -> Any:
        if isinstance(feature, datasets.Audio):
            return struct
        if isinstance(feature, datasets.List):
            return datasets.List(plain(feature.feature))
        return feature

    return datasets.Features({name: plain(feature) for name, feature in features.items()})


@contextlib.contextmanager
def quiet_datasets() -> Iterator[None]:
    # Our own progress bars count rendered examples; datasets' "Generating"/"Casting" bars add noise.
    was_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if was_enabled:
            datasets.enable_progress_bars()

