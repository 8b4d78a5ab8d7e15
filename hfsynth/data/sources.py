"""Training sources by name, so every recipe reads its audio the same way.

``"notes"`` (:func:`build_note_dataset`), ``"music"`` (:func:`build_music_dataset`, its
``mixture``) or ``"folder"`` (:func:`load_audio_folder`), each returned with its audio in a column
named ``audio``; ``"mixed"`` concatenates several of them (their ``audio`` columns only), so a
vocoder or codec can learn from isolated notes and ensembles at once.
"""

from __future__ import annotations

from typing import Any

import datasets

#: Where each source keeps the audio a model trains on.
SOURCE_AUDIO_COLUMNS = {"notes": "audio", "music": "mixture", "folder": "audio"}
#: Every source name a recipe accepts.
SOURCES = (*SOURCE_AUDIO_COLUMNS, "mixed")


def check_training_source(source: str, data: dict[str, Any]) -> None:
    """Raises ``ValueError`` unless ``source`` is known and ``data`` fits it."""
    if source not in SOURCES:
        raise ValueError(f"dataset must be one of {sorted(SOURCES)}; got {source!r}")
    if source == "folder" and set(data) != {"folder"}:
        raise ValueError(f'a folder dataset takes data: {{"folder": path}}; got keys {sorted(data)}')
    if source == "mixed":
        parts = data.get("parts")
        if set(data) != {"parts"} or not isinstance(parts, list) or not parts:
            raise ValueError(
                'a mixed dataset takes data: {"parts": [{"source": "notes", "data": {...}}, ...]}; '
                f"got {data!r}"
            )
        for part in parts:
            if not isinstance(part, dict) or set(part) - {"source", "data"} or part.get("source") == "mixed":
                raise ValueError(f'each part is {{"source": notes|music|folder, "data": {{...}}}}; got {part!r}')
            check_training_source(part.get("source"), dict(part.get("data") or {}))


def load_training_source(
    source: str, data: dict[str, Any], sampling_rate: int, cache_dir: str | None = None
) -> datasets.Dataset:
    """Builds (or loads from ``cache_dir``) the named source; ``data`` holds the dataset config's
    keyword arguments (rate defaulting to ``sampling_rate``) or ``{"folder": path}``."""
    from .folder import load_audio_folder
    from .music import MusicDatasetConfig, build_music_dataset
    from .notes import NoteDatasetConfig, build_note_dataset

    check_training_source(source, data)
    if source == "mixed":
        parts = [
            load_training_source(part["source"], dict(part.get("data") or {}), sampling_rate, cache_dir)
            for part in data["parts"]
        ]
        return datasets.concatenate_datasets([part.select_columns(["audio"]) for part in parts])
    if source == "folder":
        return load_audio_folder(data["folder"], sampling_rate=sampling_rate)
    settings = {"sampling_rate": sampling_rate, **data}
    if source == "notes":
        return build_note_dataset(NoteDatasetConfig(**settings), cache_dir=cache_dir, progress=True)
    music = build_music_dataset(MusicDatasetConfig(**settings), cache_dir=cache_dir, progress=True)
    return music.rename_column(SOURCE_AUDIO_COLUMNS["music"], "audio")
