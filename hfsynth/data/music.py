"""A music set with stems: scores rendered part by part, the mixture being the sum of the parts.

Each part is rendered alone, so ``stems`` are true sources and ``mixture`` is exactly their sum
(both stored as 32-bit float WAV, which keeps the sum exact). Loudness: one gain per piece
brings its loudest sample (mixture or stem) to ``peak``, keeping the dynamics inside the piece.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import datasets
import numpy as np
from tqdm.auto import tqdm

from ..validation import check_positive_number, check_positive_seconds, check_sampling_rate
from ._levels import SILENCE_DB, level_db, peak_gain
from .audio_column import AUDIO_FEATURE, encode_audio
from .building import build_dataset
from .captions import music_caption
from .ensembles import Instruments, check_instruments, ensemble_description, instruments_label, resolve_programs
from .instruments import family_of_program
from .render import RELEASE_TAIL_IN_S, fit_length, render_midi
from .scores import Score, clip_prefix, load_score, resolve_sources, source_digest
from .soundfont import resolve_soundfont, soundfont_digest

MUSIC_FEATURES = datasets.Features(
    {
        "clip_id": datasets.Value("string"),
        "mixture": AUDIO_FEATURE,
        "stems": datasets.List(AUDIO_FEATURE),
        "stem_names": datasets.List(datasets.Value("string")),
        "stem_programs": datasets.List(datasets.Value("int64")),
        "stem_families": datasets.List(datasets.Value("string")),
        "sampling_rate": datasets.Value("int64"),
        "tempo": datasets.Value("float64"),
        "instruments": datasets.Value("string"),
        "caption": datasets.Value("string"),
        "source": datasets.Value("string"),
        "start_in_s": datasets.Value("float64"),
    }
)


@dataclass
class ScoreDatasetConfig:
    """What to render and how to cut it, shared by the music and paired sets.

    Args:
        scores: score/MIDI files, folders of them, music21 corpus paths ("bach/bwv66.6") or
            composers in the music21 corpus ("bach").
        max_scores: keep a seeded random subset of this many scores; ``None`` keeps all.
        bpm: play every score at this tempo; ``None`` keeps each score's own (the ``tempo`` label
            is always the tempo played).
        velocity: MIDI velocity of notes the score gives no dynamics (most MusicXML).
        sampling_rate: Hz.
        clip_in_s: clip length; a piece is cut into back-to-back clips, the last partial one dropped
            (a piece shorter than one clip is zero-padded). Silent clips are dropped.
        max_clips_per_score: keep at most this many clips (the first ones) per score.
        channels: 1 (mono) or 2.
        peak: each piece's loudest sample after its gain.
        seed: picks the ``max_scores`` subset and the caption wording.
        soundfont: ``.sf2`` path; ``None`` uses the General MIDI SoundFont bundled with pretty_midi.
    """

    scores: Sequence[str] = ("bach/bwv66.6",)
    max_scores: int | None = None
    bpm: float | None = None
    velocity: int = 80
    sampling_rate: int = 16000
    clip_in_s: float = 4.0
    max_clips_per_score: int | None = None
    channels: int = 1
    peak: float = 0.9
    seed: int = 0
    soundfont: str | None = None

    def __post_init__(self) -> None:
        self.scores = (self.scores,) if isinstance(self.scores, (str, os.PathLike)) else tuple(self.scores)
        self.scores = tuple(str(score) for score in self.scores)
        if not self.scores:
            raise ValueError("scores is empty; name score files, folders, corpus paths or composers")
        if self.bpm is not None:
            self.bpm = check_positive_number(self.bpm, "bpm", hint=" of quarter notes per minute")
        if not 1 <= self.velocity <= 127:
            raise ValueError(f"velocity must be a MIDI velocity in 1..127; got {self.velocity}")
        self.sampling_rate = check_sampling_rate(self.sampling_rate)
        self.clip_in_s = check_positive_seconds(self.clip_in_s, "clip_in_s")
        if self.channels not in (1, 2):
            raise ValueError(f"channels must be 1 or 2; got {self.channels!r}")
        if not 0 < self.peak <= 1:
            raise ValueError(f"peak must be in (0, 1]; got {self.peak}")
        for name in ("max_scores", "max_clips_per_score"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1 or None; got {getattr(self, name)}")
        if self.soundfont is not None:
            self.soundfont = str(resolve_soundfont(self.soundfont))

    def sources(self) -> list[str]:
        """The score files this config renders."""
        return resolve_sources(self.scores, self.max_scores, self.seed)

    def cache_config(self, sources: Sequence[str]) -> dict[str, Any]:
        """The config as JSON-able values, with the sources and SoundFont named by content."""
        values = dataclasses.asdict(self)
        values["soundfont"] = os.path.basename(self.soundfont) if self.soundfont else "TimGM6mb.sf2"
        values["soundfont_sha256"] = soundfont_digest(self.soundfont)
        values["source_sha256"] = [source_digest(source) for source in sources]
        return values


@dataclass
class MusicDatasetConfig(ScoreDatasetConfig):
    """:class:`ScoreDatasetConfig` plus ``instruments``: an ensemble name from
    :data:`hfsynth.data.ensembles.ENSEMBLES`, General MIDI programs top voice first, a mapping
    from part name to program, or ``None`` for each score's own programs.
    """

    instruments: Instruments = "string_quartet"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.instruments = check_instruments(self.instruments)


@dataclass
class RenderedScore:
    """A score's stems at the dataset's rate and gain: ``stems`` is (parts, samples) or (parts, 2, samples)."""

    score: Score
    programs: list[int]
    stems: np.ndarray


@dataclass
class Clip:
    """One clip of a rendered score; ``mixture`` is the sum of ``stems``."""

    index: int
    start_in_s: float
    stems: np.ndarray
    mixture: np.ndarray
    playing: list[int]  # indices of the parts with notes in the clip
    mean_pitch: float

    @property
    def silent(self) -> bool:
        return level_db(self.mixture) < SILENCE_DB


def render_score(score: Score, instruments: Instruments, config: ScoreDatasetConfig) -> RenderedScore:
    """Renders each part of ``score`` alone, with the programs ``instruments`` gives (drums keep theirs)."""
    pitched = [part for part in score.parts if not part.is_drum]
    chosen = iter(resolve_programs(instruments, [part.name for part in pitched], [part.program for part in pitched]))
    programs = [part.program if part.is_drum else next(chosen) for part in score.parts]
    length_in_s, soundfont = score.end_in_s + RELEASE_TAIL_IN_S, config.soundfont
    stems = np.stack(
        [
            render_midi(score.part_midi(index, program), config.sampling_rate, config.channels, length_in_s, soundfont)
            for index, program in enumerate(programs)
        ]
    )
    stems *= np.float32(peak_gain([stems.sum(axis=0), *stems], config.peak))
    return RenderedScore(score, programs, stems)


def iter_clips(rendered: RenderedScore, config: ScoreDatasetConfig) -> Iterator[Clip]:
    """Back-to-back clips of ``config.clip_in_s`` (silent ones included: callers choose)."""
    rate, clip_samples = config.sampling_rate, int(round(config.clip_in_s * config.sampling_rate))
    total = rendered.stems.shape[-1]
    starts = range(0, max(total - clip_samples, 0) + 1, clip_samples)
    for index, start in enumerate(starts):
        stems = fit_length(rendered.stems[..., start : start + clip_samples], clip_samples)
        begin, end = start / rate, (start + clip_samples) / rate
        playing, pitches = [], []
        for part_index, part in enumerate(rendered.score.parts):
            sounding = [note.pitch for note in part.notes if note.start < end and note.end > begin]
            if sounding:
                playing.append(part_index)
                pitches.extend(sounding if not part.is_drum else [])
        mean_pitch = float(np.mean(pitches)) if pitches else 60.0
        yield Clip(index, begin, stems, stems.sum(axis=0), playing, mean_pitch)


def aligned_clips(renderings: Sequence[RenderedScore], config: ScoreDatasetConfig) -> Iterator[tuple[Clip, ...]]:
    """Clips of one or more renderings of the same score, in step.

    A clip position is kept only when no rendering of it is silent, and at most
    ``config.max_clips_per_score`` positions are kept (the first ones).
    """
    kept = 0
    for clips in zip(*(iter_clips(rendered, config) for rendered in renderings)):
        if config.max_clips_per_score is not None and kept >= config.max_clips_per_score:
            return
        if not any(clip.silent for clip in clips):
            kept += 1
            yield clips


def clip_caption(rendered: RenderedScore, clip: Clip, instruments: Instruments, seed: int) -> str:
    """The caption of ``clip``: the instruments playing in it, tempo, register and level."""
    programs = [rendered.programs[i] for i in clip.playing if not rendered.score.parts[i].is_drum]
    return music_caption(
        programs,
        rendered.score.bpm,
        clip.mean_pitch,
        level_db(clip.mixture),
        ensemble=ensemble_description(instruments),
        seed=f"{seed}:{rendered.score.source}:{clip.index}",
    )


def build_music_dataset(
    config: MusicDatasetConfig | None = None, cache_dir: str | os.PathLike | None = None, progress: bool = False
) -> datasets.Dataset:
    """Renders ``config``'s scores into clips with columns :data:`MUSIC_FEATURES`.

    ``stems`` hold one clip per part (top voice first), ``mixture`` their sum. With ``cache_dir``
    the dataset is cached under a key from the config (and the sources' contents).
    """
    config = config or MusicDatasetConfig()
    sources = config.sources()

    def rows(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for source in tqdm(sources, desc="rendering scores", unit="score", disable=not progress):
            rendered = render_score(load_score(source, config.bpm, config.velocity), config.instruments, config)
            for (clip,) in aligned_clips([rendered], config):
                clip_id = f"{clip_prefix(rendered.score.source)}_{clip.index:03d}"
                yield {
                    "clip_id": clip_id,
                    "mixture": encode_audio(clip.mixture, config.sampling_rate, f"{clip_id}_mix", subtype="FLOAT"),
                    "stems": [
                        encode_audio(stem, config.sampling_rate, f"{clip_id}_stem{i}", subtype="FLOAT")
                        for i, stem in enumerate(clip.stems)
                    ],
                    "stem_names": [part.name for part in rendered.score.parts],
                    "stem_programs": rendered.programs,
                    "stem_families": [
                        "drums" if part.is_drum else family_of_program(program)
                        for part, program in zip(rendered.score.parts, rendered.programs)
                    ],
                    "sampling_rate": config.sampling_rate,
                    "tempo": rendered.score.bpm,
                    "instruments": instruments_label(config.instruments),
                    "caption": clip_caption(rendered, clip, config.instruments, config.seed),
                    "source": rendered.score.source,
                    "start_in_s": clip.start_in_s,
                }

    return build_dataset("music", config.cache_config(sources), rows, MUSIC_FEATURES, cache_dir)
