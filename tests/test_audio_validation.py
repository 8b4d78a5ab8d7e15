import math

import numpy as np
import pytest
import torch

from hfsynth.audio.validation import check_audio_tensor, check_frequency_range, check_stft_sizes, check_waveform


def test_check_waveform_shapes_and_errors():
    assert check_waveform([0.0, 0.5]).dtype == np.float32
    assert check_waveform(np.zeros((1, 5))).shape == (5,)  # (1, samples) squeezes to mono
    assert check_waveform(np.zeros((2, 5))).shape == (2, 5)
    with pytest.raises(ValueError, match="must have shape \\(samples,\\) or \\(channels, samples\\)"):
        check_waveform(np.zeros((2, 2, 5)))
    with pytest.raises(ValueError, match="is empty"):
        check_waveform(np.zeros((2, 0)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        check_waveform([0.0, math.inf])
    with pytest.raises(ValueError, match="must be an array of samples"):
        check_waveform({"not": "audio"})


def test_check_audio_tensor_keeps_tensors_and_converts_the_rest():
    audio = torch.zeros(2, 10, dtype=torch.float64, requires_grad=True)
    assert check_audio_tensor(audio) is audio  # no copy: gradients and dtype survive
    converted = check_audio_tensor([[1, 2, 3]])
    assert converted.dtype == torch.float32 and converted.shape == (1, 3)
    assert check_audio_tensor(torch.arange(4)).dtype == torch.float32
    with pytest.raises(ValueError, match="at least 2 dimension"):
        check_audio_tensor(torch.zeros(4), min_dim=2)
    with pytest.raises(ValueError, match="real-valued"):
        check_audio_tensor(torch.zeros(4, dtype=torch.complex64))
    with pytest.raises(ValueError, match="empty"):
        check_audio_tensor(torch.zeros(3, 0))
    with pytest.raises(ValueError, match="tensor or array of samples"):
        check_audio_tensor("noise")


def test_check_stft_sizes():
    assert check_stft_sizes(512, 128) == (512, 128, 512)
    assert check_stft_sizes(512, 128, 400) == (512, 128, 400)
    with pytest.raises(ValueError, match="hop_length \\(600\\) must not exceed n_fft \\(512\\)"):
        check_stft_sizes(512, 600)
    with pytest.raises(ValueError, match="win_length \\(1024\\) must not exceed n_fft"):
        check_stft_sizes(512, 128, 1024)
    with pytest.raises(ValueError, match="hop_length \\(300\\) must not exceed win_length \\(256\\)"):
        check_stft_sizes(512, 300, 256)
    with pytest.raises(ValueError, match="n_fft must be a positive integer"):
        check_stft_sizes(0, 128)


def test_check_frequency_range():
    assert check_frequency_range(16000, 0, None) == (16000, 0.0, 8000.0)
    assert check_frequency_range(16000, 20.0, 4000) == (16000, 20.0, 4000.0)
    with pytest.raises(ValueError, match="0 <= fmin < fmax <= sampling_rate / 2 = 8000.0"):
        check_frequency_range(16000, 100.0, 100.0)
