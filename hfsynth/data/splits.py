"""Deterministic train / held-out splits that do not move when a dataset grows or is re-rendered."""

from __future__ import annotations

import hashlib

import datasets


def in_holdout(key: str, fraction: float, salt: str = "hfsynth") -> bool:
    """Whether ``key`` (e.g. a note id) falls in the held-out ``fraction``, decided by its hash alone."""
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split_by_key(
    dataset: datasets.Dataset, fraction: float, key_column: str = "note_id", salt: str = "hfsynth"
) -> tuple[datasets.Dataset, datasets.Dataset]:
    """Returns ``(train, holdout)``; an example's side depends only on its key, never on order."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"holdout fraction must be in [0, 1); got {fraction}")
    if key_column not in dataset.column_names:
        raise ValueError(f"dataset has no {key_column!r} column to split on; columns: {dataset.column_names}")
    held = [in_holdout(key, fraction, salt) for key in dataset[key_column]]
    holdout_rows = [i for i, flag in enumerate(held) if flag]
    train_rows = [i for i, flag in enumerate(held) if not flag]
    return dataset.select(train_rows), dataset.select(holdout_rows)
