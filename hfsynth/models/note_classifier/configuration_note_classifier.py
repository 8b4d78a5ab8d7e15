"""Configuration of the reference note classifier (hfsynth's offline stand-in for the pretrained
pitch/instrument classifiers that GANSynth and AudioGen are evaluated with)."""

from __future__ import annotations

from transformers import PretrainedConfig

from ...data.instruments import INSTRUMENT_FAMILIES

HEADS = ("pitch", "instrument_family", "velocity")


class NoteClassifierConfig(PretrainedConfig):
    r"""
    Args:
        sampling_rate (`int`, 16000): rate of the waveform the model takes.
        n_fft (`int`, 2048) / hop_length (`int`, 256) / n_mels (`int`, 128) / f_min (`float`, 30.0):
            the log-mel front end. A long window resolves low pitches (7.8 Hz bins at 16 kHz).
        pitch_min / pitch_max (`int`, 24 / 96): MIDI pitches the pitch head covers (inclusive).
        velocity_bins (`list[int]`): upper edges of the velocity classes, e.g. [40, 80, 127]
            means soft (<= 40), medium (<= 80), loud.
        channels (`list[int]`): output channels of the convolutional blocks.
        embedding_size (`int`, 256): size of the embedding used for Fréchet distances.
        dropout (`float`, 0.2): dropout before the heads.
        analysis_seconds (`float`, 1.0): the window the model looks at, starting at the note's onset
            (first sample within 20 dB of the peak). Notes are told apart by their attack and
            sustain; a long release tail would otherwise dilute the time pooling. `None` uses all.
        pipeline_head (`str`, "instrument_family"): which head answers the `audio-classification`
            pipeline (`config.id2label` names its classes); the others are returned by `forward`.
    """

    model_type = "hfsynth_note_classifier"

    def __init__(
        self,
        sampling_rate: int = 16000,
        n_fft: int = 2048,
        hop_length: int = 256,
        n_mels: int = 128,
        f_min: float = 30.0,
        pitch_min: int = 24,
        pitch_max: int = 96,
        velocity_bins: list[int] | None = None,
        channels: list[int] | None = None,
        embedding_size: int = 256,
        dropout: float = 0.2,
        pipeline_head: str = "instrument_family",
        analysis_seconds: float | None = 1.0,
        **kwargs,
    ):
        if not 0 <= pitch_min <= pitch_max <= 127:
            raise ValueError(f"need 0 <= pitch_min <= pitch_max <= 127; got {pitch_min}, {pitch_max}")
        if pipeline_head not in HEADS:
            raise ValueError(f"pipeline_head must be one of {HEADS}; got {pipeline_head!r}")
        self.sampling_rate = sampling_rate
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.f_min = f_min
        self.pitch_min = pitch_min
        self.pitch_max = pitch_max
        self.velocity_bins = list(velocity_bins or [45, 90, 127])
        self.channels = list(channels or [32, 64, 96, 128])
        self.embedding_size = embedding_size
        self.dropout = dropout
        self.pipeline_head = pipeline_head
        if analysis_seconds is not None and not analysis_seconds > 0:
            raise ValueError(f"analysis_seconds must be > 0 or None; got {analysis_seconds}")
        self.analysis_seconds = analysis_seconds
        self.instrument_families = list(INSTRUMENT_FAMILIES)
        kwargs.setdefault("id2label", {i: name for i, name in enumerate(self.head_labels(pipeline_head))})
        super().__init__(**kwargs)

    @property
    def num_pitches(self) -> int:
        return self.pitch_max - self.pitch_min + 1

    def head_labels(self, head: str) -> list[str]:
        """Class names of a head, in logit order."""
        from ...audio.pitch import midi_to_note

        if head == "pitch":
            return [midi_to_note(p) for p in range(self.pitch_min, self.pitch_max + 1)]
        if head == "instrument_family":
            return list(self.instrument_families)
        if head == "velocity":
            edges = [0, *self.velocity_bins]
            return [f"velocity {lo + (i > 0)}-{hi}" for i, (lo, hi) in enumerate(zip(edges, edges[1:]))]
        raise ValueError(f"unknown head {head!r}; heads: {HEADS}")
