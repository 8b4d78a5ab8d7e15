"""Configuration of the music source separators: hfsynth's spectrogram-mask model, and Open-Unmix.

``architecture`` picks the network: ``"mask"`` (hfsynth's own, trained here: one network, a softmax
over stems) or ``"openunmix"`` (Stöter et al. 2019: one network per stem and a Wiener post-filter;
``hfsynth convert openunmix`` writes these from the published weights). The STFT, channel and width
options are shared; each architecture's own options say so.
"""

from __future__ import annotations

from transformers import PretrainedConfig

from ...audio.validation import check_stft_sizes
from ...validation import check_int, check_positive_int, check_positive_seconds, check_sampling_rate

#: MUSDB18's stems minus drums: the Bach-chorale training data has no percussion part.
DEFAULT_STEM_NAMES = ("vocals", "bass", "other")
ARCHITECTURES = ("mask", "openunmix")


def check_post_filter(
    niter: object, wiener_win_len: object, residual: object, stem_names: list[str]
) -> tuple[int, int | None, str | None]:
    """Open-Unmix's post-filter settings, checked: EM iterations >= 0, a positive window in frames
    (``None`` or 0: the whole signal, as in Open-Unmix) and the residual stem (``None`` or a stem name)."""
    niter = check_int(niter, "niter", minimum=0)
    wiener_win_len = None if wiener_win_len in (None, 0) else check_positive_int(wiener_win_len, "wiener_win_len")
    if residual is not None and residual not in stem_names:
        raise ValueError(f"residual must be None or one of the stems {stem_names}; got {residual!r}")
    return niter, wiener_win_len, residual


class SeparationConfig(PretrainedConfig):
    r"""
    Args:
        stem_names (`list[str]`, ["vocals", "bass", "other"]): the stems the model answers, in the
            order of its output's stem axis. With the mask architecture the masks over them sum to
            one, so the stems sum to the mixture.
        sampling_rate (`int`, 16000): rate of the waveform the model takes and returns.
        audio_channels (`int`, 1): channels the model expects (the audio-to-audio pipeline down-mixes
            or duplicates to this). The mask network treats each channel as a mono signal; an
            Open-Unmix network reads all channels at once (1 or 2; Open-Unmix's umxhq/umxl are stereo).
        n_fft (`int`, 1024) / hop_length (`int`, 256): the STFT (periodic Hann, centred, reflect
            padding) the model works on; a 64 ms window resolves the harmonics of a bass line (15.6 Hz
            bins at 16 kHz). Open-Unmix's music models use 4096 / 1024 at 44.1 kHz.
        hidden_size (`int`, 256): width of the frame encoder, the recurrent layers and the decoder
            (Open-Unmix: 512 for umxhq, 1024 for umxl).
        lstm_layers (`int`, 2): LSTM layers over time (Open-Unmix uses 3).
        dropout (`float`, 0.1): dropout between LSTM layers (Open-Unmix: 0.4).
        architecture (`str`, "mask"): `"mask"` or `"openunmix"` (see the module docstring).

        Mask architecture only:
        chunk_in_s (`float`, 8.0) / overlap_in_s (`float`, 1.0): long inputs are separated in chunks
            of this length that overlap by this much and are cross-faded, so memory stays bounded.
        input_rms (`float`, 0.1): inputs are scaled to this RMS before separation (and the stems
            scaled back), so the masks see the levels they were trained on.

        Open-Unmix architecture only (every input is separated in one pass, at its own level):
        max_bin (`int`, None): the networks read the magnitudes of the first `max_bin` bins (a
            bandwidth limit: umxhq's 1487 of 2049 bins are 0-16 kHz) and answer every bin; None: all.
        bidirectional (`bool`, True): LSTMs read the frames both ways (`hidden_size / 2` units per
            direction); False is Open-Unmix's causal `unidirectional` variant.
        niter (`int`, 1): EM iterations of the multichannel Wiener filter (0: each stem is its
            magnitude estimate with the mixture's phase). A default: calls may pass `niter=`.
        wiener_win_len (`int`, 300): frames per window of the Wiener filter (spatial covariances are
            estimated per window); None: the whole input. Calls may pass `wiener_win_len=`.
        residual (`str`, None): the stem computed as the mixture minus the other stems (before the
            Wiener filter) instead of by its network: Open-Unmix's `residual`. A stem of the model
            (e.g. "other"); a stem named here has no network of its own. Calls may pass `residual=`.
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
        architecture: str = "mask",
        max_bin: int | None = None,
        bidirectional: bool = True,
        niter: int = 1,
        wiener_win_len: int | None = 300,
        residual: str | None = None,
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
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}; got {architecture!r}")
        if architecture == "openunmix" and self.audio_channels > 2:
            raise ValueError(f"Open-Unmix separates one or two channels; got audio_channels={audio_channels}")
        self.architecture = architecture
        bins = n_fft // 2 + 1
        self.max_bin = None if max_bin is None else check_int(max_bin, "max_bin", 1, bins, " (the STFT's bins)")
        self.bidirectional = bool(bidirectional)
        if check_positive_int(hidden_size, "hidden_size") % 2 and self.bidirectional:
            raise ValueError(f"hidden_size must be even (split over the two LSTM directions); got {hidden_size}")
        self.hidden_size = int(hidden_size)
        self.lstm_layers = check_positive_int(lstm_layers, "lstm_layers")
        self.dropout = float(dropout)
        self.chunk_in_s = chunk_in_s
        self.overlap_in_s = overlap_in_s
        self.input_rms = check_positive_seconds(input_rms, "input_rms")
        self.niter, self.wiener_win_len, self.residual = check_post_filter(niter, wiener_win_len, residual, stem_names)
        super().__init__(**kwargs)

    @property
    def num_stems(self) -> int:
        return len(self.stem_names)

    @property
    def network_stems(self) -> list[str]:
        """Open-Unmix: the stems with a network of their own (all but the configured residual)."""
        return [name for name in self.stem_names if name != self.residual]

    @property
    def min_input_samples(self) -> int:
        """Shortest input the model separates: one STFT window."""
        return self.n_fft
