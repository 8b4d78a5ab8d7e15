"""Audio DSP on torch and librosa: I/O, resampling, validation, spectral features and their inverses.

Names are imported on first use (``from hfsynth.audio import stft``), so a module that needs one
function does not pay for the others.
"""

from .._lazy import lazy_exports

_EXPORTS = {
    "cqt": "cqt",
    "cqt_magnitude": "cqt",
    "icqt": "cqt",
    "log_cqt": "cqt",
    "de_emphasis": "emphasis",
    "pre_emphasis": "emphasis",
    "griffin_lim": "griffin_lim",
    "decode_audio_bytes": "io",
    "encode_wav_bytes": "io",
    "read_audio": "io",
    "write_audio": "io",
    "integrated_loudness": "loudness",
    "k_weighting_filters": "loudness",
    "normalize_loudness": "loudness",
    "normalize_lufs": "loudness",
    "normalize_peak": "loudness",
    "rms_db": "loudness",
    "MelScale": "mel",
    "MelSpectrogram": "mel",
    "log_mel_spectrogram": "mel",
    "mel_filterbank": "mel",
    "mel_spectrogram": "mel",
    "mel_to_linear": "mel",
    "nonnegative_inverse": "mel",
    "snr_db": "metrics",
    "spectral_convergence": "metrics",
    "mulaw_compress": "mulaw",
    "mulaw_decode": "mulaw",
    "mulaw_encode": "mulaw",
    "mulaw_expand": "mulaw",
    "audio_from_mag_if": "phase",
    "audio_from_mel_if": "phase",
    "instantaneous_frequency": "phase",
    "mag_if_from_audio": "phase",
    "mel_if_from_audio": "phase",
    "mel_warp_matrices": "phase",
    "phase_from_instantaneous_frequency": "phase",
    "unwrap_phase": "phase",
    "wrap_phase": "phase",
    "resample": "resample",
    "to_channels": "resample",
    "get_window": "spectral",
    "istft": "spectral",
    "log_magnitude": "spectral",
    "magnitude_phase": "spectral",
    "polar_spectrogram": "spectral",
    "stft": "spectral",
    "check_audio_tensor": "validation",
    "check_frequency_range": "validation",
    "check_stft_sizes": "validation",
    "check_waveform": "validation",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
