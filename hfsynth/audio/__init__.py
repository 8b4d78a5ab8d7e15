"""Audio DSP on torch and librosa: I/O, resampling, validation (more modules join here)."""

from .io import decode_audio_bytes, encode_wav_bytes, read_audio, write_audio
from .resample import resample, to_channels
from .validation import check_positive_seconds, check_sampling_rate, check_waveform

__all__ = [
    "check_positive_seconds",
    "check_sampling_rate",
    "check_waveform",
    "decode_audio_bytes",
    "encode_wav_bytes",
    "read_audio",
    "resample",
    "to_channels",
    "write_audio",
]
