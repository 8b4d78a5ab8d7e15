import math

import librosa
import numpy as np
import pytest
import torch

from hfsynth.audio.mel import (
    MelScale,
    MelSpectrogram,
    log_mel_spectrogram,
    mel_filterbank,
    mel_spectrogram,
    mel_to_linear,
)
from hfsynth.audio.spectral import stft

SR, N_FFT, HOP, N_MELS = 16000, 512, 128, 64


def _tone(frequencies=(220.0, 440.0, 880.0), samples=4000):
    t = torch.arange(samples) / SR
    return sum(torch.sin(2 * math.pi * f * t) / (i + 1) for i, f in enumerate(frequencies))


def test_filterbank_shape_and_slaney_area_normalisation():
    bank = mel_filterbank(SR, N_FFT, N_MELS)
    assert bank.shape == (N_MELS, N_FFT // 2 + 1) and bank.dtype == torch.float32
    assert bank.min().item() >= 0.0
    # Slaney norm: each triangle has area 1 in Hz, i.e. (sum of weights) * bin width ~ 1 (sampled triangles).
    areas = bank.sum(-1) * SR / N_FFT
    assert areas[N_MELS // 2 :].mean().item() == pytest.approx(1.0, rel=0.05)
    unit_peak = mel_filterbank(SR, N_FFT, N_MELS, norm=None)
    assert unit_peak.max().item() == pytest.approx(1.0, abs=0.05)


def test_mel_spectrogram_matches_librosa():
    audio = torch.randn(2, 4000, generator=torch.Generator().manual_seed(0))
    ours = mel_spectrogram(audio, SR, N_FFT, HOP, N_MELS, power=2.0)
    reference = librosa.feature.melspectrogram(
        y=audio.numpy(), sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, power=2.0, pad_mode="reflect"
    )
    assert ours.shape == (2, N_MELS, 4000 // HOP + 1)
    np.testing.assert_allclose(ours.numpy(), reference, rtol=1e-4, atol=1e-4 * reference.max())


def test_module_equals_functions_and_keeps_no_state():
    audio = _tone()
    module = MelSpectrogram(SR, N_FFT, HOP, N_MELS, clamp_min=1e-4)
    expected = log_mel_spectrogram(audio, SR, N_FFT, HOP, N_MELS, clamp_min=1e-4)
    torch.testing.assert_close(module(audio), expected)
    assert module.n_mels == N_MELS
    assert module.state_dict() == {}  # the filterbank is rebuilt from the config, not saved
    linear = MelSpectrogram(SR, N_FFT, HOP, N_MELS, log=False)(audio)
    torch.testing.assert_close(linear, mel_spectrogram(audio, SR, N_FFT, HOP, N_MELS))


def test_log_mel_of_silence_is_the_clamp():
    log_mel = log_mel_spectrogram(torch.zeros(2000), SR, N_FFT, HOP, N_MELS)
    assert torch.all(log_mel == math.log(1e-5))


def test_mel_peak_follows_the_tone():
    tone = _tone((1000.0,))
    band = mel_spectrogram(tone, SR, N_FFT, HOP, N_MELS).mean(-1).argmax().item()
    centres = librosa.mel_frequencies(N_MELS + 2, fmin=0.0, fmax=SR / 2)[1:-1]
    assert abs(centres[band] - 1000.0) < (centres[band + 1] - centres[band - 1])


def test_mel_spectrogram_is_differentiable():
    audio = _tone().requires_grad_(True)
    MelSpectrogram(SR, N_FFT, HOP, N_MELS)(audio).mean().backward()
    assert torch.isfinite(audio.grad).all() and audio.grad.abs().sum().item() > 0


def test_mel_to_linear_is_nonnegative_and_consistent():
    magnitude = stft(_tone() + 0.01 * torch.randn(4000, generator=torch.Generator().manual_seed(1)), N_FFT, HOP).abs()
    scale = MelScale(SR, N_FFT, N_MELS)
    mel = scale(magnitude)
    linear = mel_to_linear(mel, SR, N_FFT)
    assert linear.shape == magnitude.shape
    assert linear.min().item() >= 0.0
    # Projected back, it reproduces the mel spectrogram it came from (measured: 0.5 %).
    assert ((scale(linear) - mel).norm() / mel.norm()).item() < 0.01
    # Against the true magnitude it is close where mel bands are fine (measured: 10 %).
    assert ((linear - magnitude).norm() / magnitude.norm()).item() < 0.15
    torch.testing.assert_close(scale.inverse(mel), linear)
    # The pseudo-inverse alone goes negative between filters.
    assert (torch.linalg.pinv(scale.filterbank) @ mel).min().item() < 0


def test_mel_to_linear_beats_librosa_nnls_residual():
    magnitude = stft(_tone(), N_FFT, HOP).abs()
    mel = MelScale(SR, N_FFT, N_MELS)(magnitude)
    ours = mel_to_linear(mel, SR, N_FFT)
    theirs = torch.from_numpy(librosa.feature.inverse.mel_to_stft(mel.numpy(), sr=SR, n_fft=N_FFT, power=1.0))
    bank = mel_filterbank(SR, N_FFT, N_MELS)
    assert (bank @ ours - mel).norm().item() <= (bank @ theirs - mel).norm().item()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(fmin=5000.0, fmax=4000.0), "fmin < fmax"),
        (dict(fmax=9000.0), "sampling_rate / 2 = 8000"),
        (dict(fmin=-1.0), "0 <= fmin"),
        (dict(norm="htk"), "norm must be 'slaney' or None"),
    ],
)
def test_bad_filterbank_settings_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mel_filterbank(SR, N_FFT, N_MELS, **kwargs)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="n_mels must be a positive integer"):
        mel_filterbank(SR, N_FFT, 0)
    with pytest.raises(ValueError, match="sampling_rate must be a positive integer"):
        MelSpectrogram(-16000)
    with pytest.raises(ValueError, match="hop_length \\(1024\\) must not exceed n_fft \\(512\\)"):
        MelSpectrogram(SR, n_fft=512, hop_length=1024)
    with pytest.raises(ValueError, match="power must be > 0"):
        mel_spectrogram(_tone(), SR, N_FFT, HOP, N_MELS, power=0.0)
    with pytest.raises(ValueError, match="clamp_min must be > 0"):
        log_mel_spectrogram(_tone(), SR, N_FFT, HOP, N_MELS, clamp_min=0.0)
    with pytest.raises(ValueError, match="spectrogram has 100 frequency bins; n_fft=512 gives 257"):
        MelScale(SR, N_FFT, N_MELS)(torch.ones(100, 5))
    with pytest.raises(ValueError, match="mel has 10 bands; this MelScale has 64"):
        MelScale(SR, N_FFT, N_MELS).inverse(torch.ones(10, 5))
    with pytest.raises(ValueError, match="empty"):
        mel_spectrogram(torch.zeros(3, 0), SR, N_FFT, HOP, N_MELS)
