"""Rendered notes of one fixed length, for the benches that score a model on real notes.

Scripts run as ``python bench/<name>.py``, so this module is imported as ``_notes``.
"""

from __future__ import annotations

import datasets
import torch
import torch.nn.functional as F

from hfsynth.data import NoteDatasetConfig, as_torch, build_note_dataset
from hfsynth.data.notes import DEFAULT_PROGRAMS


def fixed_length_notes(count: int, sampling_rate: int, seconds: float, columns: list[str],
                       seed: int = 1) -> tuple[torch.Tensor, datasets.Dataset]:
    """``count`` notes (C3-C5, velocities 50 and 100, one program per NSynth family, a seeded subset)
    as ((count, samples) audio cut or padded to ``seconds``, their rows with ``columns``)."""
    config = NoteDatasetConfig(programs=DEFAULT_PROGRAMS, pitches=(48, 72), velocities=(50, 100),
                               duration_in_s=(seconds, seconds), sampling_rate=sampling_rate,
                               max_examples=count, seed=seed)
    rows = as_torch(build_note_dataset(config, cache_dir=None), sampling_rate, columns=["audio", *columns])
    length = round(seconds * sampling_rate)
    audio = torch.stack([F.pad(row["audio"], (0, length))[:length] for row in rows])
    return audio, rows
