"""Training sources by name, so every recipe reads its audio the same way.

``"notes"`` (:func:`build_note_dataset`), ``"music"`` (:func:`build_music_dataset`, its
``mixture``) or ``"folder"`` (:func:`load_audio_folder`), each returned with its audio in a column
named ``audio``.
"""

from __future__ import annotations

from typing import Any

import datasets

#: Where each source keeps the audio a model trains on.
SOURCE_AUDIO_COLUMNS = {"notes": "audio", "music": "mixture", "folder": "audio"}


def check_training_source(source: str, data: dict[str, Any]) -> None:
    """Raises ``ValueError`` unless ``source`` is known and ``data`` fits it."""
    if source not in SOURCE_AUDIO_COLUMNS:
        raise ValueError(f"dataset must be one of {sorted(SOURCE_AUDIO_COLUMNS)}; got {source!r}")
    if source == "folder" and set(data) != {"folder"}:
        raise ValueError(f'a folder dataset takes data: {{"folder": path}}; got keys {sorted(data)}')


def load_training_source(
    source: str, data: dict[str, Any], sampling_rate: int, cache_dir: str | None = None
) -> datasets.Dataset:
    """Builds (or loads from ``cache_dir``) the named source; ``data`` holds the dataset config's
    keyword arguments (rate defaulting to ``sampling_rate``) or ``{"folder": path}``."""
    from .folder import load_audio_folder
    from .music import MusicDatasetConfig, build_music_dataset
    from .notes import NoteDatasetConfig, build_note_dataset

    check_training_source(source, data)
    if source == "folder":
        return load_audio_folder(data["folder"], sampling_rate=sampling_rate)
    settings = {"sampling_rate": sampling_rate, **data}
    if source == "notes":
        return build_note_dataset(NoteDatasetConfig(**settings), cache_dir=cache_dir, progress=True)
    music = build_music_dataset(MusicDatasetConfig(**settings), cache_dir=cache_dir, progress=True)
    return music.rename_column(SOURCE_AUDIO_COLUMNS["music"], "audio")
