import numpy as np
import pytest
import soundfile as sf

from hfsynth.audio.io import decode_audio_bytes, encode_wav_bytes, read_audio, write_audio

SR = 16000


def _tone(samples=1600, frequency=440.0):
    return (0.5 * np.sin(2 * np.pi * frequency * np.arange(samples) / SR)).astype(np.float32)


def test_pcm16_round_trip_is_within_one_quantisation_step(tmp_path):
    audio = _tone()
    path = write_audio(tmp_path / "sub" / "tone.wav", audio, SR)
    assert path == tmp_path / "sub" / "tone.wav" and path.is_file()  # parent folders are created
    restored, rate = read_audio(path)
    assert rate == SR and restored.dtype == np.float32 and restored.shape == audio.shape
    assert np.abs(restored - audio).max() <= 1 / 32768


def test_float_subtype_is_exact_and_stereo_layout_kept(tmp_path):
    stereo = np.stack([_tone(), -_tone()])
    path = write_audio(tmp_path / "stereo.wav", stereo, SR, subtype="FLOAT")
    restored, _ = read_audio(path, channels=None)
    np.testing.assert_array_equal(restored, stereo)
    mono, _ = read_audio(path, channels=1)
    np.testing.assert_allclose(mono, np.zeros_like(mono), atol=1e-7)  # the channels cancel in the down-mix


def test_flac_round_trip_and_clipping(tmp_path):
    loud = np.array([2.0, -3.0, 0.25] * 100, dtype=np.float32)
    restored, _ = read_audio(write_audio(tmp_path / "loud.flac", loud, SR))
    np.testing.assert_allclose(restored[:3], [32767 / 32768, -1.0, 0.25], atol=1 / 32768)


def test_read_resamples_and_changes_channels(tmp_path):
    path = write_audio(tmp_path / "tone.wav", _tone(SR), SR)
    audio, rate = read_audio(path, sampling_rate=8000, channels=2)
    assert rate == 8000 and audio.shape == (2, 8000)


def test_atomic_write_leaves_only_the_file(tmp_path):
    write_audio(tmp_path / "a.wav", _tone(), SR)
    write_audio(tmp_path / "a.wav", 0.5 * _tone(), SR)  # overwrite in place
    assert [p.name for p in tmp_path.iterdir()] == ["a.wav"]
    assert np.abs(read_audio(tmp_path / "a.wav")[0]).max() == pytest.approx(0.25, abs=1e-3)


def test_failed_write_keeps_the_old_file_and_no_temp_files(tmp_path):
    write_audio(tmp_path / "a.wav", _tone(), SR)
    before = (tmp_path / "a.wav").read_bytes()
    with pytest.raises(ValueError, match="Invalid combination"):
        write_audio(tmp_path / "a.wav", np.zeros(100, np.float32), SR, subtype="VORBIS")
    assert [p.name for p in tmp_path.iterdir()] == ["a.wav"]
    assert (tmp_path / "a.wav").read_bytes() == before


def test_bad_files_raise_value_error(tmp_path):
    with pytest.raises(ValueError, match="audio file not found"):
        read_audio(tmp_path / "missing.wav")
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00not really a wave file" * 4)
    with pytest.raises(ValueError, match="cannot read audio file"):
        read_audio(corrupt)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros((0, 1), np.float32), SR)
    with pytest.raises(ValueError, match="is empty"):
        read_audio(empty)


def test_bad_write_arguments_raise(tmp_path):
    with pytest.raises(ValueError, match="sampling_rate must be a positive integer"):
        write_audio(tmp_path / "a.wav", _tone(), 0)
    with pytest.raises(ValueError, match="NaN or infinite"):
        write_audio(tmp_path / "a.wav", np.array([0.0, np.nan], np.float32), SR)
    assert list(tmp_path.iterdir()) == []


def test_wav_bytes_round_trip():
    data = encode_wav_bytes(_tone(), SR)
    assert data[:4] == b"RIFF"
    audio, rate = decode_audio_bytes(data)
    assert rate == SR and np.abs(audio - _tone()).max() <= 1 / 32768
    with pytest.raises(ValueError, match="cannot decode audio bytes"):
        decode_audio_bytes(b"not audio")
