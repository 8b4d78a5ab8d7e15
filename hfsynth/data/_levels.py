"""Level measurements the data engine needs (silence checks, loudness words, gains)."""

from __future__ import annotations

import numpy as np
import torch

from ..audio.loudness import rms_db

#: Renders quieter than this (RMS, dBFS) count as silent: the program cannot play that note.
SILENCE_DB = -60.0


def level_db(audio: np.ndarray) -> float:
    """RMS level of all of ``audio`` (every channel) in dBFS; silence reads -120."""
    return float(rms_db(torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)).reshape(-1)))


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def peak_gain(signals: list[np.ndarray], target_peak: float) -> float:
    """The one gain that brings the loudest sample among ``signals`` to ``target_peak`` (1.0 if all silent)."""
    peak = max((float(np.max(np.abs(signal))) for signal in signals), default=0.0)
    return target_peak / peak if peak > 0 else 1.0
