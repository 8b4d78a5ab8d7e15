"""magenta's GANSynth spectrograms (hfsynth.audio.magenta_specgrams) against magenta's own code.

tests/fixtures/gansynth_magenta/frontend.safetensors holds magenta 2.1.4's ``waves_to_data`` and
``data_to_waves`` of a 4 s test note and its STFT and linear spectrograms' first frames (README.md
there). float32 FFTs differ in rounding, and ``log(|X| + 1e-6)`` magnifies that in quiet bins, so
log magnitudes agree to ~1e-4 with a few quiet bins at 2e-4 (a float64 run here is no closer).
"""

import math

import pytest
import torch
from safetensors.torch import load_file

from hfsynth.audio.magenta_specgrams import MagentaSpecgrams, instantaneous_frequency, integrate, unwrap
from hfsynth.audio.phase import unwrap_phase
from test_convert_gansynth import FIXTURE


@pytest.fixture(scope="module")
def frontend() -> dict[str, torch.Tensor]:
    return load_file(FIXTURE / "frontend.safetensors")


@pytest.fixture(scope="module")
def helper() -> MagentaSpecgrams:
    return MagentaSpecgrams(num_samples=64000, frames=128)        # the published 2048 / 512 at 16 kHz


def time_major(spectrogram: torch.Tensor) -> torch.Tensor:
    """hfsynth's (..., bins, frames) -> magenta's (..., frames, bins)."""
    return spectrogram.transpose(-1, -2)


def test_the_padding_goes_in_front(helper):
    assert (helper.padding, helper.bins) == (3072, 1024)


def test_the_stft_is_magenta_s(helper, frontend):
    spec = time_major(helper.stft(frontend["waves"][:, :, 0]))[:, :6]          # peak magnitude 121
    torch.testing.assert_close(spec.real, frontend["intermediate.stft_real_first6"], atol=2e-5, rtol=0)
    torch.testing.assert_close(spec.imag, frontend["intermediate.stft_imag_first6"], atol=2e-5, rtol=0)


def test_silent_frames_have_zero_phase(helper, frontend):
    """Frames 0-2 are all padding: magenta (TensorFlow) gives their phase 0, torch's angle pi."""
    log_magnitude, if_ = helper.specgrams(helper.stft(frontend["waves"][:, :, 0]))
    linear = frontend["intermediate.linear_specgrams_first6"]
    assert torch.equal(time_major(if_)[:, :3], linear[:, :3, :, 1]) and linear[:, :3, :, 1].abs().max() == 0
    torch.testing.assert_close(time_major(log_magnitude)[:, :6], linear[..., 0], atol=2e-4, rtol=0)
    torch.testing.assert_close(time_major(if_)[:, :6], linear[..., 1], atol=1e-4, rtol=0)


def test_waves_to_data_is_magenta_s(helper, frontend):
    log_mel, mel_if = helper.analyze(frontend["waves"][:, :, 0])
    data = frontend["data"]
    magnitude = (time_major(log_mel) - data[..., 0]).abs()
    audible = data[..., 0] > -10                                  # |X| above ~5e-5: rounding not magnified
    assert magnitude[audible].amax() < 3e-4 and (magnitude > 1e-4).float().mean() < 1e-3
    assert magnitude.amax() < 2e-3                                # quiet bins: 8.5e-4 on an AVX2 CPU
    assert (time_major(mel_if) - data[..., 1]).abs().amax() < 2e-4


def test_data_to_waves_is_magenta_s(helper, frontend):
    data = frontend["data"]
    waves = helper.synthesize(time_major(data[..., 0]), time_major(data[..., 1]))
    torch.testing.assert_close(waves, frontend["resynthesized_waves"][:, :, 0], atol=1e-6, rtol=0)


def test_magenta_s_unwrap_is_the_usual_unwrap_up_to_rounding():
    phase = torch.cumsum(torch.rand(3, 50, dtype=torch.float64) * 3.0, dim=-1)
    wrapped = torch.remainder(phase + math.pi, 2 * math.pi) - math.pi
    torch.testing.assert_close(unwrap(wrapped), unwrap_phase(wrapped))
    torch.testing.assert_close(integrate(instantaneous_frequency(wrapped)), unwrap(wrapped))


def test_shapes_are_checked(helper):
    with pytest.raises(ValueError, match="a note has 64000 samples"):
        helper.stft(torch.zeros(1, 100))
    with pytest.raises(ValueError, match=r"\(\.\.\., 1024, 128\)"):
        helper.synthesize(torch.zeros(1, 1024, 127), torch.zeros(1, 1024, 127))
    with pytest.raises(ValueError, match="fewer than the note's 64000"):
        MagentaSpecgrams(num_samples=64000, frames=120)
