import math

import numpy as np
import pytest
import torch

from hfsynth.audio.metrics import snr_db
from hfsynth.audio.spectral import get_window, istft, log_magnitude, magnitude_phase, polar_spectrogram, stft

N_FFT, HOP = 256, 64


def test_stft_shape_batching_and_frames():
    audio = torch.randn(2, 3, 1000, generator=torch.Generator().manual_seed(0))
    spec = stft(audio, N_FFT, HOP)
    assert spec.shape == (2, 3, N_FFT // 2 + 1, 1000 // HOP + 1)
    assert spec.dtype == torch.complex64
    # Batching is only a reshape: each item equals its own transform.
    torch.testing.assert_close(spec[1, 2], stft(audio[1, 2], N_FFT, HOP))


def test_stft_puts_a_tone_in_its_bin():
    sampling_rate, bin_index = 8000, 20
    tone = torch.sin(2 * math.pi * bin_index * sampling_rate / N_FFT * torch.arange(4000) / sampling_rate)
    magnitude = stft(tone, N_FFT, HOP).abs()[:, 4:-4].mean(-1)  # inner frames: no edge padding
    assert magnitude.argmax().item() == bin_index
    # Periodic Hann: a bin-centred sinusoid of amplitude 1 peaks at n_fft / 4.
    assert magnitude[bin_index].item() == pytest.approx(N_FFT / 4, rel=0.02)


@pytest.mark.parametrize("window", ["hann", "hamming", "blackman"])
def test_istft_inverts_stft(window):
    audio = torch.randn(2, 2000, generator=torch.Generator().manual_seed(1))
    restored = istft(stft(audio, N_FFT, HOP, window=window), N_FFT, HOP, length=2000, window=window)
    assert restored.shape == audio.shape
    assert snr_db(audio, restored).min().item() > 100.0


def test_window_cache_returns_the_same_tensor():
    first = get_window("hann", 128)
    assert get_window("hann", 128) is first
    assert get_window("hann", 128, dtype=torch.float64) is not first
    assert first[0].item() == 0.0 and first[64].item() == pytest.approx(1.0)  # periodic: peak at n / 2


def test_magnitude_phase_round_trip_and_log_magnitude():
    spec = stft(torch.randn(1500, generator=torch.Generator().manual_seed(2)), N_FFT, HOP)
    magnitude, phase = magnitude_phase(spec)
    assert phase.abs().max().item() <= math.pi + 1e-6
    torch.testing.assert_close(polar_spectrogram(magnitude, phase), spec, atol=1e-4, rtol=1e-4)
    log_mag = log_magnitude(spec, eps=1e-3)
    torch.testing.assert_close(log_mag, magnitude.clamp(min=1e-3).log())
    assert log_magnitude(torch.zeros(5, 4)).min().item() == pytest.approx(math.log(1e-6))


def test_stft_is_differentiable():
    audio = torch.randn(1000, generator=torch.Generator().manual_seed(3), requires_grad=True)
    log_magnitude(stft(audio, N_FFT, HOP)).sum().backward()
    assert torch.isfinite(audio.grad).all() and audio.grad.abs().sum().item() > 0


def test_numpy_input_is_accepted():
    audio = np.random.default_rng(0).standard_normal(800).astype(np.float32)
    torch.testing.assert_close(stft(audio, N_FFT, HOP), stft(torch.from_numpy(audio), N_FFT, HOP))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(n_fft=64, hop_length=128), "hop_length \\(128\\) must not exceed n_fft \\(64\\)"),
        (dict(n_fft=-256, hop_length=64), "n_fft must be a positive integer"),
        (dict(n_fft=256, hop_length=0), "hop_length must be a positive integer"),
        (dict(n_fft=256, hop_length=64, win_length=512), "win_length \\(512\\) must not exceed n_fft"),
        (dict(n_fft=256, hop_length=128, win_length=64), "must not exceed win_length"),
        (dict(n_fft=256, hop_length=64, window="kaiser"), "unknown window 'kaiser'"),
    ],
)
def test_bad_frame_settings_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        stft(torch.zeros(1000), **kwargs)


def test_bad_audio_raises():
    with pytest.raises(ValueError, match="empty"):
        stft(torch.zeros(0), N_FFT, HOP)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        stft(torch.tensor(1.0), N_FFT, HOP)
    with pytest.raises(ValueError, match="reflect padding"):
        stft(torch.zeros(100), N_FFT, HOP)
    with pytest.raises(ValueError, match="center=False needs at least n_fft=256"):
        stft(torch.zeros(200), N_FFT, HOP, center=False)
    with pytest.raises(ValueError, match="real-valued"):
        stft(torch.zeros(1000, dtype=torch.complex64), N_FFT, HOP)


def test_istft_rejects_mismatched_spectrograms():
    spec = stft(torch.randn(1000), N_FFT, HOP)
    with pytest.raises(ValueError, match="129 frequency bins; n_fft=512 gives 257"):
        istft(spec, 512, HOP)
    with pytest.raises(ValueError, match="complex"):
        istft(spec.abs(), N_FFT, HOP)
    with pytest.raises(ValueError, match="\\(..., freq, frames\\)"):
        istft(spec[0, 0], N_FFT, HOP)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_the_dsp_stack_runs_on_cuda_and_matches_cpu():
    from hfsynth.audio.griffin_lim import griffin_lim
    from hfsynth.audio.mel import MelSpectrogram, mel_to_linear
    from hfsynth.audio.mulaw import mulaw_decode, mulaw_encode
    from hfsynth.audio.phase import audio_from_mel_if, mel_if_from_audio

    audio = torch.randn(2, 4000, generator=torch.Generator().manual_seed(0)) * 0.3
    cuda = audio.cuda()
    torch.testing.assert_close(stft(cuda, N_FFT, HOP).cpu(), stft(audio, N_FFT, HOP), atol=1e-3, rtol=1e-3)
    module = MelSpectrogram(16000, N_FFT, HOP, 64).cuda()
    torch.testing.assert_close(module(cuda).cpu(), MelSpectrogram(16000, N_FFT, HOP, 64)(audio), atol=1e-3, rtol=1e-3)
    linear = mel_to_linear(MelSpectrogram(16000, N_FFT, HOP, 64, log=False).cuda()(cuda), 16000, N_FFT)
    assert linear.is_cuda and linear.min().item() >= 0
    restored = griffin_lim(linear, N_FFT, HOP, n_iter=4, length=4000, generator=torch.Generator().manual_seed(0))
    assert restored.is_cuda and restored.shape == (2, 4000)
    mel_audio = audio_from_mel_if(*mel_if_from_audio(cuda, 16000, N_FFT, HOP), 16000, N_FFT, HOP, length=4000)
    assert mel_audio.is_cuda and torch.isfinite(mel_audio).all()
    assert torch.equal(mulaw_encode(cuda).cpu(), mulaw_encode(audio))
    assert mulaw_decode(mulaw_encode(cuda)).is_cuda


def test_windows_cached_under_inference_mode_still_train():
    from hfsynth.audio.spectral import _WINDOW_CACHE, stft

    _WINDOW_CACHE.clear()
    with torch.inference_mode():
        stft(torch.randn(1, 1000), n_fft=256, hop_length=64)   # caches the window in inference mode
    audio = torch.randn(1, 1000, requires_grad=True)
    stft(audio, n_fft=256, hop_length=64).abs().sum().backward()
    assert audio.grad is not None and torch.isfinite(audio.grad).all()
