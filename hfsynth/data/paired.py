"""Paired domains for style transfer: the same score, clip for clip, with two instrument sets.

``audio_a`` and ``audio_b`` play the same notes at the same times, so a transfer model's output
for ``audio_a`` can be compared with ``audio_b``, the ground truth. Each rendering is normalised
to the same ``peak`` per piece.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import datasets
from tqdm.auto import tqdm

from .audio_column import AUDIO_FEATURE, encode_audio
from .building import build_dataset
from .ensembles import Instruments, check_instruments, instruments_label
from .music import ScoreDatasetConfig, aligned_clips, clip_caption, render_score
from .scores import clip_prefix, load_score

PAIRED_FEATURES = datasets.Features(
    {
        "clip_id": datasets.Value("string"),
        "audio_a": AUDIO_FEATURE,
        "audio_b": AUDIO_FEATURE,
        "instruments_a": datasets.Value("string"),
        "instruments_b": datasets.Value("string"),
        "programs_a": datasets.List(datasets.Value("int64")),
        "programs_b": datasets.List(datasets.Value("int64")),
        "caption_a": datasets.Value("string"),
        "caption_b": datasets.Value("string"),
        "sampling_rate": datasets.Value("int64"),
        "tempo": datasets.Value("float64"),
        "source": datasets.Value("string"),
        "start_in_s": datasets.Value("float64"),
    }
)


@dataclass
class PairedDatasetConfig(ScoreDatasetConfig):
    """:class:`~hfsynth.data.music.ScoreDatasetConfig` plus the two instrument sets, each an
    ensemble name, programs top voice first or a part-name mapping (default: piano vs string quartet).
    """

    instruments_a: Instruments = "piano"
    instruments_b: Instruments = "string_quartet"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.instruments_a = check_instruments(self.instruments_a)
        self.instruments_b = check_instruments(self.instruments_b)
        if self.instruments_a is None or self.instruments_b is None:
            raise ValueError("instruments_a and instruments_b must each name instruments (None keeps the score's)")
        if self.instruments_a == self.instruments_b:
            raise ValueError(f"instruments_a and instruments_b are the same ({self.instruments_a!r}); pick two domains")


def build_paired_dataset(
    config: PairedDatasetConfig | None = None, cache_dir: str | os.PathLike | None = None, progress: bool = False
) -> datasets.Dataset:
    """Renders each score with both instrument sets into aligned clips (columns :data:`PAIRED_FEATURES`).

    A clip is kept only when neither rendering of it is silent, so rows always pair up.
    """
    config = config or PairedDatasetConfig()
    sources = config.sources()

    def rows(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for source in tqdm(sources, desc="rendering score pairs", unit="score", disable=not progress):
            score = load_score(source, config.bpm, config.velocity)
            rendered_a = render_score(score, config.instruments_a, config)
            rendered_b = render_score(score, config.instruments_b, config)
            for clip_a, clip_b in aligned_clips([rendered_a, rendered_b], config):
                clip_id = f"{clip_prefix(score.source)}_{clip_a.index:03d}"
                yield {
                    "clip_id": clip_id,
                    "audio_a": encode_audio(clip_a.mixture, config.sampling_rate, f"{clip_id}_a"),
                    "audio_b": encode_audio(clip_b.mixture, config.sampling_rate, f"{clip_id}_b"),
                    "instruments_a": instruments_label(config.instruments_a),
                    "instruments_b": instruments_label(config.instruments_b),
                    "programs_a": rendered_a.programs,
                    "programs_b": rendered_b.programs,
                    "caption_a": clip_caption(rendered_a, clip_a, config.instruments_a, config.seed),
                    "caption_b": clip_caption(rendered_b, clip_b, config.instruments_b, config.seed),
                    "sampling_rate": config.sampling_rate,
                    "tempo": score.bpm,
                    "source": score.source,
                    "start_in_s": clip_a.start_in_s,
                }

    return build_dataset("paired", config.cache_config(sources), rows, PAIRED_FEATURES, cache_dir)
