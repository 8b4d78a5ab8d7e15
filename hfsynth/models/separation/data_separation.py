"""Separation targets from the music set: score parts grouped into the model's stems, and held-out scores.

``build_music_dataset`` renders one stem per score part (Soprano, Alto, ...). A separator answers
fixed stems instead ("vocals", "bass", "other"), so parts are grouped by the instrument family
that played them (``stem_families``): a mapping names the family of each stem and every other
family goes to the default stem. Rendering the Bach chorales with choir aahs on the soprano, piano
on the inner voices and acoustic bass on the bass gives vocals / other / bass with distinct
timbres and registers.

Held-out scores: a clip's side is decided by its ``source`` (the score file), so no bar of a
held-out chorale is ever trained on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import datasets
import torch

from ...data import as_torch
from ...data.music import MusicDatasetConfig, build_music_dataset
from ...data.splits import split_by_key

#: The default grouping: family -> stem; families not listed go to the default stem.
DEFAULT_FAMILY_STEMS = {"vocal": "vocals", "bass": "bass"}
DEFAULT_STEM = "other"
#: Default rendering: Bach chorales, soprano on choir aahs (52), inner voices on piano (0), bass on acoustic bass (32).
DEFAULT_INSTRUMENTS = (52, 0, 0, 32)
HOLDOUT_SALT = "hfsynth-separation"


class StemGrouping:
    """Sums a clip's part stems into the model's stems by instrument family."""

    def __init__(
        self,
        stem_names: Sequence[str],
        family_stems: Mapping[str, str] | None = None,
        default_stem: str = DEFAULT_STEM,
    ):
        self.stem_names = list(stem_names)
        self.family_stems = dict(DEFAULT_FAMILY_STEMS if family_stems is None else family_stems)
        self.default_stem = default_stem
        unknown = sorted({*self.family_stems.values(), default_stem} - set(self.stem_names))
        if unknown:
            raise ValueError(
                f"stems {unknown} (from family_stems / default_stem) are not among the model's {self.stem_names}"
            )

    def index_of(self, family: str) -> int:
        return self.stem_names.index(self.family_stems.get(family, self.default_stem))

    def __call__(self, parts: torch.Tensor, families: Sequence[str]) -> torch.Tensor:
        """(parts, [channels,] samples) part stems -> (stems, [channels,] samples) model stems."""
        if len(families) != parts.shape[0]:
            raise ValueError(f"{parts.shape[0]} part stems but {len(families)} families")
        grouped = parts.new_zeros(len(self.stem_names), *parts.shape[1:])
        for part, family in zip(parts, families):
            grouped[self.index_of(family)] += part
        return grouped


def music_config(data: Mapping[str, Any] | None, sampling_rate: int) -> MusicDatasetConfig:
    """The music-set config: the Bach chorales in the default instruments unless ``data`` says otherwise."""
    settings = {"scores": ["bach"], "instruments": list(DEFAULT_INSTRUMENTS), "sampling_rate": sampling_rate}
    return MusicDatasetConfig(**{**settings, **dict(data or {})})


def separation_splits(
    data: Mapping[str, Any] | None,
    sampling_rate: int,
    holdout_fraction: float,
    cache_dir: str | None = None,
) -> tuple[datasets.Dataset, datasets.Dataset]:
    """(train, held-out) clips of the music set, split by score, as torch views with
    ``stems`` (parts, samples), ``mixture`` (samples,) and ``stem_families``."""
    music = build_music_dataset(music_config(data, sampling_rate), cache_dir=cache_dir, progress=True)
    train, holdout = split_by_key(music, holdout_fraction, key_column="source", salt=HOLDOUT_SALT)
    columns = ["stems", "mixture", "stem_families", "clip_id"]
    return tuple(as_torch(split, sampling_rate=sampling_rate, columns=columns) for split in (train, holdout))
