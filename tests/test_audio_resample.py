import numpy as np
import pytest

from hfsynth.audio.resample import resample, to_channels


def _tone(rate, frequency=440.0, seconds=0.5):
    return np.sin(2 * np.pi * frequency * np.arange(int(rate * seconds)) / rate).astype(np.float32)


@pytest.mark.parametrize(("orig", "target"), [(16000, 8000), (16000, 44100), (22050, 16000)])
def test_resample_changes_length_by_the_rate_ratio(orig, target):
    out = resample(_tone(orig), orig, target)
    assert out.dtype == np.float32
    assert out.shape == (int(np.ceil(orig * 0.5 * target / orig)),)


def test_resample_keeps_the_pitch_and_level():
    out = resample(_tone(16000), 16000, 22050)
    spectrum = np.abs(np.fft.rfft(out * np.hanning(len(out))))
    peak_hz = np.argmax(spectrum) * 22050 / len(out)
    assert peak_hz == pytest.approx(440.0, abs=22050 / len(out))
    assert np.sqrt(np.mean(out[1000:-1000] ** 2)) == pytest.approx(np.sqrt(0.5), rel=0.01)


def test_resample_is_batched_over_channels_and_identity_at_same_rate():
    stereo = np.stack([_tone(16000), _tone(16000, 880.0)])
    assert resample(stereo, 16000, 8000).shape == (2, 4000)
    np.testing.assert_array_equal(resample(stereo, 16000, 16000), stereo)


def test_resample_rejects_bad_rates():
    with pytest.raises(ValueError, match="orig_sr must be a positive integer"):
        resample(_tone(16000), 0, 8000)
    with pytest.raises(ValueError, match="target_sr must be a positive integer"):
        resample(_tone(16000), 16000, 44100.5)


def test_to_channels():
    mono = np.array([0.1, 0.2, 0.3], np.float32)
    stereo = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]], np.float32)
    np.testing.assert_array_equal(to_channels(stereo, 1), [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(to_channels(mono, 2), [mono, mono])
    assert to_channels(mono[None], 1).shape == (3,)  # (1, samples) counts as mono
    np.testing.assert_array_equal(to_channels(stereo, 2), stereo)
    np.testing.assert_array_equal(to_channels(stereo, 3), np.repeat([[0.5, 0.5, 0.0]], 3, axis=0))
    with pytest.raises(ValueError, match="channels must be >= 1"):
        to_channels(mono, 0)
