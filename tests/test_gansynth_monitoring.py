"""The pitch monitor: nearest-template pitch of magnitude profiles, at any stage's rows."""

import pytest
import torch

from hfsynth.models.gansynth.monitoring_gansynth import PitchTemplates, magnitude_profile, pool_rows


def peaked_spectrograms(labels: torch.Tensor, rows: int = 32, frames: int = 4) -> torch.Tensor:
    """(B, 2, rows, frames): pitch class k has its energy at rows 4k and 4k + 1 (a 'harmonic' pair)."""
    spectrograms = torch.full((len(labels), 2, rows, frames), -1.0)
    for index, label in enumerate(labels.tolist()):
        spectrograms[index, 0, 4 * label : 4 * label + 2] = 0.8
    return spectrograms + 0.01 * torch.randn_like(spectrograms)


def test_pooling_a_profile_averages_adjacent_rows():
    assert pool_rows(torch.arange(8.0), 4).tolist() == [0.5, 2.5, 4.5, 6.5]
    assert pool_rows(torch.arange(8.0)[None], 1).tolist() == [[3.5]]
    with pytest.raises(ValueError, match="pool evenly"):
        pool_rows(torch.arange(6.0), 4)


def test_templates_recognise_each_pitch_and_lose_it_when_rows_get_coarse():
    torch.manual_seed(0)
    labels = torch.arange(8).repeat(3)
    templates = PitchTemplates(magnitude_profile(peaked_spectrograms(labels)), labels, num_pitches=10)
    probe = torch.arange(8)
    assert templates.accuracy(peaked_spectrograms(probe), probe) == 1.0
    assert templates.ceiling(32) == 1.0
    assert templates.ceiling(2) < 0.5                       # 2 rows cannot tell 8 pitches apart
    wrong = peaked_spectrograms((probe + 1) % 8)             # every note a step off
    assert templates.accuracy(wrong, probe) == 0.0
    assert set(templates.classify(torch.randn(50, 32)).tolist()) <= set(range(8))   # classes 8, 9 had no notes
