import numpy as np
import pytest

from hfsynth.audio.cqt import cqt, cqt_magnitude, icqt, log_cqt

# librosa notes that its lowest, most downsampled octaves are shorter than one frame for short clips.
pytestmark = pytest.mark.filterwarnings("ignore:n_fft=.* is too large for input signal")

SR, HOP, N_BINS = 16000, 256, 72  # 6 octaves from C1 (32.7 Hz) up to ~1 kHz


def _note(f0=220.0, seconds=1.0):
    t = np.arange(int(SR * seconds)) / SR
    return (0.3 * sum(np.sin(2 * np.pi * f0 * k * t + k) / k for k in range(1, 5))).astype(np.float32)


def _snr_db(reference, estimate):
    return 10 * np.log10(np.sum(reference**2) / np.sum((reference - estimate) ** 2))


@pytest.fixture(scope="module")
def note_cqt():
    return cqt(_note(), SR, HOP, N_BINS)


def test_cqt_shape_dtype_and_pitch_bin(note_cqt):
    assert note_cqt.shape == (N_BINS, SR // HOP + 1) and note_cqt.dtype == np.complex64
    # 220 Hz is A3, 12 * log2(220 / 32.70) = 33 semitones above C1; its partials 440, 660 and 880 Hz
    # sit 12, 19 and 24 semitones higher.
    level = np.abs(note_cqt).mean(-1)
    assert np.argmax(level) == 33
    peaks = [k for k in range(1, N_BINS - 1) if level[k] > max(level[k - 1], level[k + 1], 0.1 * level.max())]
    assert peaks == [33, 45, 52, 57]


def test_magnitude_and_log_versions():
    note = _note(seconds=0.5)
    magnitude = cqt_magnitude(note, SR, HOP, N_BINS)
    np.testing.assert_allclose(magnitude, np.abs(cqt(note, SR, HOP, N_BINS)), rtol=1e-6)
    log_spec = log_cqt(note, SR, HOP, N_BINS, eps=1e-4)
    np.testing.assert_allclose(log_spec, np.log(np.maximum(magnitude, 1e-4)), rtol=1e-5, atol=1e-5)
    assert log_cqt(np.zeros(4000, np.float32), SR, HOP, N_BINS).max() == pytest.approx(np.log(1e-6))


def test_stereo_gives_a_leading_channel_axis():
    note = _note(seconds=0.5)
    spec = cqt(np.stack([note, 0.5 * note]), SR, HOP, N_BINS)
    assert spec.shape == (2, N_BINS, 8000 // HOP + 1)
    np.testing.assert_allclose(np.abs(spec[1]), 0.5 * np.abs(spec[0]), rtol=1e-3, atol=1e-6)


def test_icqt_reconstructs_the_note(note_cqt):
    note = _note()
    restored = icqt(note_cqt, SR, HOP, length=len(note))
    assert restored.shape == note.shape and restored.dtype == np.float32
    # librosa's CQT is not a tight frame: measured 9.8 dB overall, 11.7 dB away from the edges.
    assert _snr_db(note, restored) > 8.0
    inner = slice(2000, -2000)
    assert _snr_db(note[inner], restored[inner]) > 10.0


def test_bad_settings_raise():
    with pytest.raises(ValueError, match="must lie below Nyquist"):
        cqt(_note(seconds=0.1), SR, HOP, n_bins=120)
    with pytest.raises(ValueError, match="fmin must be > 0"):
        cqt(_note(seconds=0.1), SR, HOP, N_BINS, fmin=0.0)
    with pytest.raises(ValueError, match="hop_length must be a positive integer"):
        cqt(_note(seconds=0.1), SR, -1, N_BINS)
    with pytest.raises(ValueError, match="empty"):
        cqt(np.zeros(0, np.float32), SR, HOP, N_BINS)
    with pytest.raises(ValueError, match="complex CQT"):
        icqt(np.ones((N_BINS, 10), np.float32), SR, HOP)
