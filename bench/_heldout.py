"""Held-out audio for benchmarks: notes of General MIDI programs no note model trained on, and Bach
chorales that a training config never rendered.

Scripts run as ``python bench/<name>.py``, so this module is imported as ``_heldout``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import yaml

from hfsynth.data import NoteDatasetConfig, as_torch, build_music_dataset, build_note_dataset
from hfsynth.data.music import MusicDatasetConfig
from hfsynth.data.scores import resolve_sources


def training_music(config_path: str | Path) -> tuple[set[str], list[str]]:
    """(score files the config's music renders, its ensembles); ``mixed`` configs are searched part by part."""
    args = yaml.safe_load(Path(config_path).read_text())["recipe_args"]
    parts = args["data"]["parts"] if args["dataset"] == "mixed" else [{"source": args["dataset"], "data": args["data"]}]
    seen, ensembles = set(), []
    for part in parts:
        if part["source"] == "music":
            data = part["data"]
            seen.update(resolve_sources(data["scores"], data.get("max_scores"), data.get("seed", 0)))
            ensembles.append(data.get("instruments", "string_quartet"))
    return seen, ensembles or ["string_quartet"]


def held_out_clips(config_path: str | Path, count: int, seconds: float, sampling_rate: int, seed: int,
                   bpm: float | None = None) -> torch.Tensor:
    """(count, samples) clips, one per chorale the config never rendered, its ensembles taken in turn."""
    seen, ensembles = training_music(config_path)
    unseen = [source for source in resolve_sources(["bach"]) if source not in seen]
    picked = np.random.default_rng(seed).choice(len(unseen), size=count, replace=False)
    clips = []
    for index, source_index in enumerate(picked):
        config = MusicDatasetConfig(
            scores=[unseen[source_index]], instruments=ensembles[index % len(ensembles)], clip_in_s=seconds,
            max_clips_per_score=1, sampling_rate=sampling_rate, seed=seed, bpm=bpm,
        )
        dataset = as_torch(build_music_dataset(config, cache_dir=None), sampling_rate, columns=["mixture"])
        clips.append(dataset[0]["mixture"])
    return torch.stack(clips)


#: One neighbour of each program in hfsynth.data.notes.DEFAULT_PROGRAMS (what the note models train on), same family.
HELD_OUT_PROGRAMS = (34, 57, 72, 25, 1, 12, 19, 66, 41, 81, 53)


def held_out_notes(count: int, seconds: float, sampling_rate: int, seed: int) -> tuple[torch.Tensor, list[int]]:
    """(count, samples) notes and their instrument families."""
    config = NoteDatasetConfig(programs=HELD_OUT_PROGRAMS, pitches=(36, 84), velocities=(75,),
                               duration_in_s=(0.75 * seconds, seconds), max_examples=count,
                               sampling_rate=sampling_rate, seed=seed)
    notes = as_torch(build_note_dataset(config, cache_dir=None), sampling_rate, columns=["audio", "instrument_family"])
    rows = [notes[index] for index in range(len(notes))]
    return torch.stack([row["audio"] for row in rows]), [int(row["instrument_family"]) for row in rows]
