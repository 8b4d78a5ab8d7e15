"""Which pitch a spectrogram plays, at any progressive stage, without turning it into audio.

A lower stage's spectrogram cannot be heard: its IF is pooled, and upsampling it does not give a
valid top-stage IF. Its log-magnitude profile over frequency rows still says which pitch it plays,
as far as the stage's rows resolve: each pitch's *template* is the mean profile of the real notes
of that pitch, pooled to the stage's rows, and a spectrogram is given the pitch of the closest
template (cosine of mean-removed profiles). The real notes' own accuracy is the ceiling at that
stage. Logged during training, generated vs real shows at which stage a generator stops playing
the pitch it was asked for, hours before the top stage can be measured with pYIN.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def magnitude_profile(spectrograms: torch.Tensor) -> torch.Tensor:
    """(B, 2, rows, frames) normalised log magnitude + IF -> (B, rows) log magnitude averaged over frames."""
    return spectrograms[:, 0].mean(dim=-1)


def pool_rows(profiles: torch.Tensor, rows: int) -> torch.Tensor:
    """(..., R) -> (..., rows): means of R / rows adjacent rows (what 2x2 average pooling does to a profile)."""
    factor = profiles.shape[-1] // rows
    if factor * rows != profiles.shape[-1]:
        raise ValueError(f"{profiles.shape[-1]} rows do not pool evenly to {rows}")
    return profiles.unflatten(-1, (rows, factor)).mean(dim=-1)


def centred_unit(profiles: torch.Tensor) -> torch.Tensor:
    return F.normalize(profiles - profiles.mean(dim=-1, keepdim=True), dim=-1)


class PitchTemplates:
    """Mean real magnitude profile of each pitch class, at the top stage's rows.

    Args:
        profiles: (N, rows) top-stage magnitude profiles of real notes (:func:`magnitude_profile`).
        labels: (N,) their pitch classes in ``0 .. num_pitches - 1``.
        num_pitches: how many pitch classes the model has; a class without notes never wins.
    """

    def __init__(self, profiles: torch.Tensor, labels: torch.Tensor, num_pitches: int):
        sums = torch.zeros(num_pitches, profiles.shape[-1]).index_add_(0, labels, profiles.float())
        counts = torch.bincount(labels, minlength=num_pitches).float()
        self.present = counts > 0
        self.templates = sums / counts.clamp_min(1.0)[:, None]
        self.profiles, self.labels = profiles.float(), labels

    def classify(self, profiles: torch.Tensor) -> torch.Tensor:
        """(B, rows) magnitude profiles at any stage's rows -> (B,) pitch classes of the closest template."""
        templates = centred_unit(pool_rows(self.templates, profiles.shape[-1]))
        similarity = centred_unit(profiles.float()) @ templates.T
        return similarity.masked_fill(~self.present, float("-inf")).argmax(dim=-1)

    def accuracy(self, spectrograms: torch.Tensor, labels: torch.Tensor) -> float:
        """Fraction of (B, 2, rows, frames) spectrograms at any stage classified as their (B,) labels."""
        predicted = self.classify(magnitude_profile(spectrograms.detach().cpu()))
        return float((predicted == labels.cpu()).float().mean())

    def ceiling(self, rows: int) -> float:
        """The real notes' own accuracy with profiles pooled to ``rows``: the best a stage allows."""
        return float((self.classify(pool_rows(self.profiles, rows)) == self.labels).float().mean())
