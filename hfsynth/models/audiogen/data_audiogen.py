"""Training audio for the codec and for AudioGen: rendered notes, rendered music or a user's folder,
read as float32 tensors at the model's rate; random crops, AudioGen's mixing augmentation and a
cache of the codes of unmixed crops."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import datasets
import torch
import torch.nn.functional as F

from ...data import as_torch, load_training_source

CAPTION_COLUMN = "caption"
#: Each clip's row number, so a crop's codes can be cached under (clip, start).
INDEX_COLUMN = "clip_index"


def load_clips(
    dataset: str, data: dict[str, Any], sampling_rate: int, cache_dir: str | None, with_captions: bool
) -> datasets.Dataset:
    """``dataset`` ("notes", "music" or "folder") as rows {"audio": (samples,) tensor, "clip_index"[, "caption"]}.

    ``data`` holds ``NoteDatasetConfig`` / ``MusicDatasetConfig`` keyword arguments (their rate
    defaults to ``sampling_rate``) or ``{"folder": path}``, whose ``metadata.csv`` must then have
    a ``caption`` column when ``with_captions``.
    """
    source = load_training_source(dataset, data, sampling_rate, cache_dir)
    columns = ["audio", INDEX_COLUMN]
    if with_captions:
        if CAPTION_COLUMN not in source.column_names:
            raise ValueError(
                f"AudioGen learns from captions, but the {dataset} dataset has no {CAPTION_COLUMN!r} column"
            )
        columns.append(CAPTION_COLUMN)
    source = source.add_column(INDEX_COLUMN, list(range(len(source))))
    return as_torch(source, sampling_rate=sampling_rate, columns=columns)


def random_crops(clips: Sequence[torch.Tensor], length: int, hop: int = 1) -> tuple[torch.Tensor, list[int]]:
    """One random ``length``-sample window of each (samples,) clip, starting on a multiple of ``hop``.

    Returns (crops (batch, length), start of each crop in hops). Clips shorter than ``length`` are
    completed with silence (and start at 0).
    """
    crops, starts = [], []
    for clip in clips:
        clip = F.pad(clip, (0, max(0, length - clip.shape[-1])))
        start = int(torch.randint(0, (clip.shape[-1] - length) // hop + 1, ()))
        crops.append(clip[start * hop : start * hop + length])
        starts.append(start)
    return torch.stack(crops), starts


class CodeCache:
    """Codes of crops the frozen codec has already encoded, keyed by (clip, start).

    With the tiny codec, encoding a batch costs about as much as the decoder's whole training
    step, and the same unmixed crop always has the same codes, so they are kept (on the CPU, as
    int16) after the first epoch. Mixed crops are new audio every time (key ``None``) and are
    always encoded. When clips are much longer than the crop, most (clip, start) pairs are seen
    once; ``max_entries`` bounds the memory then (each entry is K x frames x 2 bytes).
    """

    def __init__(self, max_entries: int = 50_000):
        self.max_entries = max_entries
        self.entries: dict[Hashable, torch.Tensor] = {}

    def codes(
        self, keys: Sequence[Hashable | None], audio: torch.Tensor, encode: Callable[[torch.Tensor], torch.Tensor]
    ) -> torch.Tensor:
        """(batch, K, frames) codes of (batch, samples) ``audio``, encoding only the rows not cached."""
        missing = [row for row, key in enumerate(keys) if key is None or key not in self.entries]
        encoded = dict(zip(missing, encode(audio[missing]))) if missing else {}
        for row, key in enumerate(keys):
            if row in encoded and key is not None and len(self.entries) < self.max_entries:
                self.entries[key] = encoded[row].to("cpu", torch.int16)
        rows = [encoded[row] if row in encoded else self.entries[key].to(audio.device, torch.long)
                for row, key in enumerate(keys)]
        return torch.stack(rows)
