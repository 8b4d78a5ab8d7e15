"""The MR-STFT training loss: the evaluation's distance for one clip, finite on silent crops."""

import pytest
import torch

from hfsynth.evaluation._spectra import Spectra
from hfsynth.evaluation.spectral import mr_stft_kernel
from hfsynth.modules.spectral_losses import FFT_SIZES, multi_scale_stft_loss


def test_single_clip_loss_is_the_reported_distance():
    target = torch.randn(1, 4000, generator=torch.Generator().manual_seed(0))
    estimate = target + 0.1 * torch.randn(1, 4000, generator=torch.Generator().manual_seed(1))
    reported = mr_stft_kernel(Spectra(target), Spectra(estimate), FFT_SIZES, 0.25)
    torch.testing.assert_close(multi_scale_stft_loss(target, estimate), reported[0])


def test_silent_crop_stays_on_the_scale_of_the_others():
    """Per clip, a silent target's spectral convergence divides by ~0; pooled over the batch it cannot."""
    target = torch.randn(4, 4000, generator=torch.Generator().manual_seed(0))
    target[0] = 0.0
    estimate = target + 0.01 * torch.randn(4, 4000, generator=torch.Generator().manual_seed(1))
    loss = multi_scale_stft_loss(target, estimate)
    assert torch.isfinite(loss) and loss < 10.0
    per_clip = mr_stft_kernel(Spectra(target), Spectra(estimate), FFT_SIZES, 0.25)
    assert per_clip[0] > 1e6  # what the loss used to be


def test_gradient_reaches_the_estimate():
    target = torch.randn(2, 2000)
    estimate = torch.zeros(2, 2000, requires_grad=True)
    multi_scale_stft_loss(target, estimate + 0.01 * target).backward()
    assert estimate.grad is not None and estimate.grad.abs().sum() > 0


def test_shape_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match="must be equal"):
        multi_scale_stft_loss(torch.zeros(2, 100), torch.zeros(2, 101))


def test_a_relative_floor_ignores_what_lies_far_below_the_clip():
    """Noise 100 dB under a tone costs nothing with a 60 dB range; with the absolute floor it dominates."""
    time = torch.arange(8000) / 16000
    tone = 0.1 * torch.sin(2 * torch.pi * 440 * time)[None]
    hiss = tone + 1e-6 * torch.randn(1, 8000, generator=torch.Generator().manual_seed(0))
    assert multi_scale_stft_loss(tone, hiss, dynamic_range_db=60.0) < 1e-3
    assert multi_scale_stft_loss(tone, hiss) > 0.2                                  # the hiss dominates
    assert multi_scale_stft_loss(tone, 0.5 * tone, dynamic_range_db=60.0) > 0.5   # the tone itself still counts


def test_a_non_positive_dynamic_range_is_a_value_error():
    with pytest.raises(ValueError, match="dynamic_range_db must be > 0"):
        multi_scale_stft_loss(torch.zeros(1, 100), torch.zeros(1, 100), dynamic_range_db=0.0)
