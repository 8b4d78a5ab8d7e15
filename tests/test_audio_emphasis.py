"""Pre-emphasis and de-emphasis: exact inverses, the noise shaping they exist for, clear errors."""

import pytest
import torch

from hfsynth.audio.emphasis import de_emphasis, pre_emphasis


def test_de_emphasis_inverts_pre_emphasis():
    audio = 0.3 * torch.randn(2, 3, 1000)
    for coefficient in (0.0, 0.5, 0.85, 0.97):
        assert torch.allclose(de_emphasis(pre_emphasis(audio, coefficient), coefficient), audio, atol=1e-6)
    assert pre_emphasis(audio, 0.0) is audio


def test_pre_emphasis_is_the_first_difference_filter():
    steady = torch.ones(5)
    assert torch.allclose(pre_emphasis(steady, 0.85), torch.tensor([1.0, 0.15, 0.15, 0.15, 0.15]))


def test_de_emphasis_moves_white_noise_to_the_low_frequencies():
    """Gain 1 / (1 - a) at DC and 1 / (1 + a) at Nyquist: the shaping that hides 8-bit noise under music."""
    noise = torch.randn(64, 4096, generator=torch.Generator().manual_seed(0))
    power = torch.fft.rfft(de_emphasis(noise, 0.85)).abs().pow(2).mean(dim=0)
    white = torch.fft.rfft(noise).abs().pow(2).mean(dim=0)
    gain = power / white
    assert gain[1:20].mean().item() == pytest.approx(1 / 0.15**2, rel=0.1)
    assert gain[-20:].mean().item() == pytest.approx(1 / 1.85**2, rel=0.1)


@pytest.mark.parametrize("coefficient", [-0.1, 1.0, float("nan")])
def test_bad_coefficients_are_refused(coefficient):
    with pytest.raises(ValueError, match="pre_emphasis"):
        pre_emphasis(torch.zeros(4), coefficient)
