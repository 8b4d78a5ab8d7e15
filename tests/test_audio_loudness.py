import math

import numpy as np
import pytest
import torch

from hfsynth.audio.loudness import (
    integrated_loudness,
    k_weighting_filters,
    normalize_loudness,
    normalize_lufs,
    normalize_peak,
    rms_db,
)


def _sine(frequency=997.0, sampling_rate=48000, seconds=1.0, amplitude=1.0):
    t = np.arange(int(sampling_rate * seconds)) / sampling_rate
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def test_rms_db_of_known_signals():
    assert rms_db(torch.from_numpy(_sine())).item() == pytest.approx(-3.0103, abs=1e-3)
    assert rms_db(torch.full((100,), 0.1)).item() == pytest.approx(-20.0, abs=1e-4)
    assert rms_db(torch.zeros(100)).item() == -120.0
    assert rms_db(torch.ones(2, 3, 10)).shape == (2, 3)
    assert rms_db(torch.ones(2, 3, 10), dim=(-2, -1), keepdim=True).shape == (2, 1, 1)


def test_normalize_peak_and_silence():
    audio = torch.tensor([[0.1, -0.4, 0.2], [0.0, 0.0, 0.0]])
    out = normalize_peak(audio, peak=0.8)
    torch.testing.assert_close(out[0], torch.tensor([0.2, -0.8, 0.4]))
    assert torch.equal(out[1], torch.zeros(3))
    # Joint over channels keeps their balance.
    stereo = normalize_peak(torch.tensor([[0.1, 0.2], [0.4, 0.0]]), peak=1.0, dim=(-2, -1))
    torch.testing.assert_close(stereo, torch.tensor([[0.25, 0.5], [1.0, 0.0]]))


def test_normalize_loudness_hits_the_target_and_skips_silence():
    audio = torch.randn(3, 2000, generator=torch.Generator().manual_seed(0)) * torch.tensor([[0.01], [0.3], [0.0]])
    out = normalize_loudness(audio, target_db=-20.0)
    torch.testing.assert_close(rms_db(out[:2]), torch.full((2,), -20.0), atol=1e-4, rtol=0)
    assert torch.equal(out[2], torch.zeros(2000))
    assert torch.isfinite(out).all()


def test_gains_are_differentiable_and_finite_on_silence():
    audio = torch.cat([torch.randn(1, 500), torch.zeros(1, 500)]).requires_grad_(True)
    (normalize_loudness(audio).sum() + normalize_peak(audio).sum() + rms_db(audio).sum()).backward()
    assert torch.isfinite(audio.grad).all()


def test_k_weighting_matches_the_bs1770_coefficients_at_48k():
    (shelf_b, shelf_a), (highpass_b, highpass_a) = k_weighting_filters(48000)
    # ITU-R BS.1770-4, tables 1 and 2.
    np.testing.assert_allclose(shelf_b, [1.53512485958697, -2.69169618940638, 1.19839281085285], atol=1e-8)
    np.testing.assert_allclose(shelf_a, [1.0, -1.69065929318241, 0.73248077421585], atol=1e-8)
    np.testing.assert_allclose(highpass_b, [1.0, -2.0, 1.0])
    np.testing.assert_allclose(highpass_a, [1.0, -1.99004745483398, 0.99007225036621], atol=1e-8)


@pytest.mark.parametrize("sampling_rate", [48000, 16000])
def test_integrated_loudness_of_a_full_scale_sine(sampling_rate):
    # BS.1770's reference: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS.
    sine = _sine(sampling_rate=sampling_rate)
    assert integrated_loudness(sine, sampling_rate) == pytest.approx(-3.01, abs=0.05)
    # Two identical channels add their powers: +3.01 LU.
    assert integrated_loudness(np.stack([sine, sine]), sampling_rate) == pytest.approx(0.0, abs=0.05)


def test_gating_ignores_silence_and_floor_on_silence():
    sampling_rate = 16000
    sine = _sine(sampling_rate=sampling_rate, amplitude=0.1)
    padded = np.concatenate([sine, np.zeros(2 * sampling_rate, np.float32)])
    # Silent blocks are gated out; of the 10 blocks that touch the sine, 7 are full and 3 straddle its end
    # (75 %, 50 %, 25 % filled), so the gated mean power is 8.5 / 10 of the sine's.
    expected = integrated_loudness(sine, sampling_rate) + 10 * math.log10(0.85)
    assert integrated_loudness(padded, sampling_rate) == pytest.approx(expected, abs=0.02)
    assert integrated_loudness(np.zeros(sampling_rate, np.float32), sampling_rate) == -120.0


def test_normalize_lufs():
    sampling_rate = 16000
    out = normalize_lufs(_sine(sampling_rate=sampling_rate, amplitude=0.05), sampling_rate, target_lufs=-16.0)
    assert integrated_loudness(out, sampling_rate) == pytest.approx(-16.0, abs=1e-3)
    silence = np.zeros(sampling_rate, np.float32)
    assert np.array_equal(normalize_lufs(silence, sampling_rate), silence)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="at least 0.4 s"):
        integrated_loudness(np.ones(100, np.float32), 16000)
    with pytest.raises(ValueError, match="peak must be > 0"):
        normalize_peak(torch.ones(3), peak=0.0)
    with pytest.raises(ValueError, match="target_db must be a finite number"):
        normalize_loudness(torch.ones(3), target_db=math.inf)
    with pytest.raises(ValueError, match="empty"):
        rms_db(torch.zeros(0))
    with pytest.raises(ValueError, match="sampling_rate must be a positive integer"):
        k_weighting_filters(0)
