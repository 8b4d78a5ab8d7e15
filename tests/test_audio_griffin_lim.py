import math

import pytest
import torch

from hfsynth.audio.griffin_lim import griffin_lim, spectral_convergence
from hfsynth.audio.mel import MelScale, mel_to_linear
from hfsynth.audio.spectral import stft

SR, N_FFT, HOP, SAMPLES = 16000, 256, 64, 4000


def _note():
    t = torch.arange(SAMPLES) / SR
    return sum(torch.sin(2 * math.pi * 220 * k * t + k) / k for k in range(1, 10)) * torch.exp(-3 * t)


def _convergence(magnitude, n_iter, momentum=0.99, seed=0):
    audio = griffin_lim(
        magnitude, N_FFT, HOP, n_iter=n_iter, momentum=momentum, length=SAMPLES,
        generator=torch.Generator().manual_seed(seed),
    )
    assert audio.shape == magnitude.shape[:-2] + (SAMPLES,)
    return spectral_convergence(magnitude, stft(audio, N_FFT, HOP).abs())


def test_spectral_convergence_definition():
    target = torch.ones(3, 4)
    assert spectral_convergence(target, target).item() == 0.0
    assert spectral_convergence(target, 0.5 * target).item() == pytest.approx(0.5)
    assert spectral_convergence(torch.zeros(2, 3, 4), torch.zeros(2, 3, 4)).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="differ"):
        spectral_convergence(target, torch.ones(4, 3))


def test_more_iterations_converge_further_and_momentum_helps():
    magnitude = stft(_note(), N_FFT, HOP).abs()
    fast = [_convergence(magnitude, n).item() for n in (4, 32, 64)]
    # measured (fast GL, momentum 0.99): 0.250, 0.089, 0.064
    assert fast[0] > fast[1] > fast[2]
    assert fast[0] < 0.35 and fast[2] < 0.1
    plain = _convergence(magnitude, 32, momentum=0.0).item()  # measured 0.152
    assert fast[1] < plain


def test_generator_makes_it_reproducible_and_batches_are_independent():
    magnitude = stft(torch.stack([_note(), 0.5 * _note()]), N_FFT, HOP).abs()
    first = griffin_lim(magnitude, N_FFT, HOP, n_iter=8, length=SAMPLES, generator=torch.Generator().manual_seed(3))
    again = griffin_lim(magnitude, N_FFT, HOP, n_iter=8, length=SAMPLES, generator=torch.Generator().manual_seed(3))
    assert torch.equal(first, again)
    other = griffin_lim(magnitude, N_FFT, HOP, n_iter=8, length=SAMPLES, generator=torch.Generator().manual_seed(4))
    assert not torch.allclose(first, other)


def test_griffin_lim_from_mel():
    magnitude = stft(_note(), N_FFT, HOP).abs()
    linear = mel_to_linear(MelScale(SR, N_FFT, 64)(magnitude), SR, N_FFT)
    audio = griffin_lim(linear, N_FFT, HOP, n_iter=32, length=SAMPLES, generator=torch.Generator().manual_seed(0))
    # The mel round trip blurs the magnitude, but the result still matches the original spectrum well.
    assert spectral_convergence(magnitude, stft(audio, N_FFT, HOP).abs()).item() < 0.2  # measured 0.094


def test_bad_inputs_raise():
    magnitude = stft(_note(), N_FFT, HOP).abs()
    with pytest.raises(ValueError, match="length=1000 gives 16 frames"):
        griffin_lim(magnitude, N_FFT, HOP, length=1000)
    with pytest.raises(ValueError, match="momentum must be in \\[0, 1\\)"):
        griffin_lim(magnitude, N_FFT, HOP, momentum=1.0)
    with pytest.raises(ValueError, match="n_iter must be a positive integer"):
        griffin_lim(magnitude, N_FFT, HOP, n_iter=0)
    with pytest.raises(ValueError, match="real and non-negative"):
        griffin_lim(stft(_note(), N_FFT, HOP), N_FFT, HOP)
    with pytest.raises(ValueError, match="129 frequency bins; n_fft=512 gives 257"):
        griffin_lim(magnitude, 512, HOP)
