"""How well a separator does on held-out clips: SDR and SDR improvement per stem.

SDR is the plain energy ratio of the Music Demixing challenge (:func:`hfsynth.evaluation.sdr`);
the improvement is SDR(stem, estimate) - SDR(stem, mixture), i.e. what separating gained over
answering the mixture for every stem. A stem that is silent in a clip (RMS below ``SILENT_RMS``)
has no meaningful SDR and is left out of that clip's numbers, as in MUSDB evaluation; a clip with
fewer than two sounding stems (e.g. a one-part score) has nothing to separate (the mixture *is* the
stem, scoring +100 dB) and is skipped.

For scale, ``baseline_sdr_improvement`` is what answering ``mixture / K`` for every stem scores:
it is positive (a quiet stem is closer to a third of the mixture than to all of it), so a
separator's gain is best read against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ...evaluation.separation import sdr, sdr_improvement
from .data_separation import StemGrouping
from .modeling_separation import SeparationModel

SILENT_RMS = 1e-4


@dataclass
class SeparationScores:
    """Mean SDR / SDR improvement in dB per stem and over all (stem, clip) pairs, and the clip count."""

    sdr: dict[str, float]
    sdr_improvement: dict[str, float]
    mean_sdr: float
    mean_sdr_improvement: float
    baseline_sdr_improvement: float
    clips: int
    skipped: int = 0

    def lines(self) -> list[str]:
        rows = [f"{'stem':<10} {'SDR dB':>8} {'SDRi dB':>8}"]
        rows += [f"{name:<10} {self.sdr[name]:8.2f} {self.sdr_improvement[name]:8.2f}" for name in self.sdr]
        counts = f"({self.clips} clips, {self.skipped} skipped)"
        rows.append(f"{'mean':<10} {self.mean_sdr:8.2f} {self.mean_sdr_improvement:8.2f}   {counts}")
        baseline = "(baseline: every stem = mixture / K)"
        rows.append(f"{'mixture/K':<10} {'':>8} {self.baseline_sdr_improvement:8.2f}   {baseline}")
        return rows


@torch.no_grad()
def evaluate_separation(
    model: SeparationModel, clips, grouping: StemGrouping | None = None, max_clips: int | None = None
) -> SeparationScores:
    """Separates each clip's ``mixture`` and scores it against its grouped ``stems``.

    ``clips`` is a torch view of music-set rows (``mixture`` (samples,), ``stems`` (parts, samples),
    ``stem_families``), e.g. the held-out half of :func:`separation_splits`.
    """
    grouping = grouping or StemGrouping(model.config.stem_names)
    names = model.config.stem_names
    per_stem_sdr: dict[str, list[float]] = {name: [] for name in names}
    per_stem_gain: dict[str, list[float]] = {name: [] for name in names}
    baseline: list[float] = []
    model.eval()
    count = len(clips) if max_clips is None else min(max_clips, len(clips))
    skipped = 0
    for index in range(count):
        clip = clips[index]
        target = grouping(clip["stems"], clip["stem_families"])                  # (stems, samples)
        sounding = [k for k in range(len(names)) if target[k].square().mean().sqrt() >= SILENT_RMS]
        if len(sounding) < 2:
            skipped += 1
            continue
        mixture = clip["mixture"].reshape(1, 1, -1).to(model.device, model.dtype)
        estimate = model.separate(mixture)[0, :, 0].cpu()                        # (stems, samples)
        for k in sounding:
            name = names[k]
            per_stem_sdr[name].append(float(sdr(target[k], estimate[k])))
            per_stem_gain[name].append(float(sdr_improvement(target[k], clip["mixture"], estimate[k])))
            baseline.append(float(sdr_improvement(target[k], clip["mixture"], clip["mixture"] / len(names))))
    all_sdr = [value for values in per_stem_sdr.values() for value in values]
    all_gain = [value for values in per_stem_gain.values() for value in values]
    if not all_sdr:
        raise ValueError("no clip had two or more sounding stems to score")
    return SeparationScores(
        sdr={name: float(np.mean(v)) if v else float("nan") for name, v in per_stem_sdr.items()},
        sdr_improvement={name: float(np.mean(v)) if v else float("nan") for name, v in per_stem_gain.items()},
        mean_sdr=float(np.mean(all_sdr)),
        mean_sdr_improvement=float(np.mean(all_gain)),
        baseline_sdr_improvement=float(np.mean(baseline)),
        clips=count - skipped,
        skipped=skipped,
    )
