"""Audio DSP on torch and librosa: I/O, resampling, validation, spectral features and their inverses."""

from .cqt import cqt, cqt_magnitude, icqt, log_cqt
from .emphasis import de_emphasis, pre_emphasis
from .griffin_lim import griffin_lim
from .io import decode_audio_bytes, encode_wav_bytes, read_audio, write_audio
from .loudness import (
    integrated_loudness,
    k_weighting_filters,
    normalize_loudness,
    normalize_lufs,
    normalize_peak,
    rms_db,
)
from .mel import (
    MelScale,
    MelSpectrogram,
    log_mel_spectrogram,
    mel_filterbank,
    mel_spectrogram,
    mel_to_linear,
    nonnegative_inverse,
)
from .metrics import snr_db, spectral_convergence
from .mulaw import mulaw_compress, mulaw_decode, mulaw_encode, mulaw_expand
from .phase import (
    audio_from_mag_if,
    audio_from_mel_if,
    instantaneous_frequency,
    mag_if_from_audio,
    mel_if_from_audio,
    mel_warp_matrices,
    phase_from_instantaneous_frequency,
    unwrap_phase,
    wrap_phase,
)
from .resample import resample, to_channels
from .spectral import get_window, istft, log_magnitude, magnitude_phase, polar_spectrogram, stft
from .validation import check_audio_tensor, check_frequency_range, check_stft_sizes, check_waveform

__all__ = [
    "MelScale",
    "MelSpectrogram",
    "audio_from_mag_if",
    "audio_from_mel_if",
    "check_audio_tensor",
    "check_frequency_range",
    "check_stft_sizes",
    "check_waveform",
    "cqt",
    "cqt_magnitude",
    "de_emphasis",
    "decode_audio_bytes",
    "encode_wav_bytes",
    "get_window",
    "griffin_lim",
    "icqt",
    "instantaneous_frequency",
    "integrated_loudness",
    "istft",
    "k_weighting_filters",
    "log_cqt",
    "log_magnitude",
    "log_mel_spectrogram",
    "mag_if_from_audio",
    "magnitude_phase",
    "mel_filterbank",
    "mel_if_from_audio",
    "mel_spectrogram",
    "mel_to_linear",
    "mel_warp_matrices",
    "mulaw_compress",
    "mulaw_decode",
    "mulaw_encode",
    "mulaw_expand",
    "normalize_loudness",
    "normalize_lufs",
    "nonnegative_inverse",
    "normalize_peak",
    "phase_from_instantaneous_frequency",
    "polar_spectrogram",
    "pre_emphasis",
    "read_audio",
    "resample",
    "rms_db",
    "snr_db",
    "spectral_convergence",
    "stft",
    "to_channels",
    "unwrap_phase",
    "wrap_phase",
    "write_audio",
]
