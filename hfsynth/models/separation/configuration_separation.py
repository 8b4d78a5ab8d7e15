"""Configuration of the music source separator (a spectrogram-mask model after Open-Unmix)."""

from __future__ import annotations

from transformers import PretrainedConfig

from ...audio.validation import check_stft_sizes
from ...validation import check_positive_int, check_positive_seconds, check_sampling_rate

#: MUSDB18's stems minus drums: the Bach-chorale training data has no percussion part.
DEFAULT_STEM_NAMES = ("vocals", "bass", "other")


class SeparationConfig(PretrainedConfig):
    r"""
    Args:
        stem_names (`list[str]`, ["vocals", "bass", "other"]): the stems the model answers, in the
            order of its output's stem axis. The masks over them sum to one, so the stems sum to the
            mixture.
        sampling_rate (`int`, 16000): rate of the waveform the model takes and returns.
        audio_channels (`int`, 1): channels the model expects (the audio-to-audio pipeline down-mixes
            or duplicates to this); the network itself treats each channel as a mono signal.
        n_fft (`int`, 1024) / hop_length (`int`, 256): the STFT the masks live on; a 64 ms window
            resolves the harmonics of a bass line (15.6 Hz bins at 16 kHz).
        hidden_size (`int`, 256): width of the frame encoder, the recurrent layers and the decoder
            (Open-Unmix uses 512 at 44.1 kHz).
        lstm_layers (`int`, 2): bidirectional LSTM layers over time (Open-Unmix uses 3).
        dropout (`float`, 0.1): dropout between LSTM layers.
        chunk_in_s (`float`, 8.0) / overlap_in_s (`float`, 1.0): long inputs are separated in chunks
            of this length that overlap by this much and are cross-faded, so memory stays bounded.
        input_rms (`float`, 0.1): inputs are scaled to this RMS before separation (and the stems
            scaled back), so the masks see the levels they were trained on.
    """

    model_type = "hfsynth_separation"

    def __init__(
        self,
        stem_names: list[str] | None = None,
        sampling_rate: int = 16000,
        audio_channels: int = 1,
        n_fft: int = 1024,
        hop_length: int = 256,
        hidden_size: int = 256,
        lstm_layers: int = 2,
        dropout: float = 0.1,
        chunk_in_s: float = 8.0,
        overlap_in_s: float = 1.0,
        input_rms: float = 0.1,
        **kwargs,
    ):
        stem_names = list(DEFAULT_STEM_NAMES if stem_names is None else stem_names)
        if len(stem_names) < 2 or len(set(stem_names)) != len(stem_names) or not all(
            isinstance(name, str) and name for name in stem_names
        ):
            raise ValueError(f"stem_names must be at least two distinct non-empty names; got {stem_names!r}")
        n_fft, hop_length, _ = check_stft_sizes(n_fft, hop_length)
        chunk_in_s = check_positive_seconds(chunk_in_s, "chunk_in_s")
        overlap_in_s = float(overlap_in_s)
        if not 0.0 <= overlap_in_s < chunk_in_s / 2:
            raise ValueError(f"overlap_in_s must lie in [0, chunk_in_s / 2); got {overlap_in_s} for chunk {chunk_in_s}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1); got {dropout}")
        self.stem_names = stem_names
        self.sampling_rate = check_sampling_rate(sampling_rate)
        self.audio_channels = check_positive_int(audio_channels, "audio_channels")
        self.n_fft = n_fft
        self.hop_length = hop_length
        if check_positive_int(hidden_size, "hidden_size") % 2:
            raise ValueError(f"hidden_size must be even (split over the two LSTM directions); got {hidden_size}")
        self.hidden_size = int(hidden_size)
        self.lstm_layers = check_positive_int(lstm_layers, "lstm_layers")
        self.dropout = float(dropout)
        self.chunk_in_s = chunk_in_s
        self.overlap_in_s = overlap_in_s
        self.input_rms = check_positive_seconds(input_rms, "input_rms")
        super().__init__(**kwargs)

    @property
    def num_stems(self) -> int:
        return len(self.stem_names)

    @property
    def min_input_samples(self) -> int:
        """Shortest input the model separates: one STFT window."""
        return self.n_fft
