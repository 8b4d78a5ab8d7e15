"""MIDI to audio: a SoundFont synthesiser (midirenderer) at 48 kHz, resampled and cut to length."""

from __future__ import annotations

import copy
import io
import os
from pathlib import Path

import numpy as np
import pretty_midi

from ..audio.io import decode_audio_bytes
from ..audio.resample import resample, to_channels
from ..validation import check_positive_seconds, check_sampling_rate
from .soundfont import load_soundfont

#: midirenderer always synthesises 48 kHz stereo.
RENDERER_SAMPLING_RATE = 48000
#: Seconds rendered after the last event when no length is asked for, so release tails are kept.
RELEASE_TAIL_IN_S = 1.0
# The renderer stops at the last MIDI event, cutting off release tails. An event on a controller
# General MIDI leaves undefined (CC 20) changes nothing audible but keeps the renderer running.
_PLACEHOLDER_CONTROLLER = 20

MidiLike = pretty_midi.PrettyMIDI | bytes | str | os.PathLike


def load_midi(midi: MidiLike) -> pretty_midi.PrettyMIDI:
    """A PrettyMIDI from a PrettyMIDI (copied, so callers' objects are never changed), MIDI bytes or a .mid path."""
    if isinstance(midi, pretty_midi.PrettyMIDI):
        return copy.deepcopy(midi)
    if isinstance(midi, (bytes, bytearray)):
        source, name = io.BytesIO(bytes(midi)), "MIDI bytes"
    elif isinstance(midi, (str, os.PathLike)):
        path = Path(midi)
        if not path.is_file():
            raise ValueError(f"MIDI file not found: {path}")
        source, name = str(path), f"MIDI file {path}"
    else:
        raise ValueError(f"midi must be a pretty_midi.PrettyMIDI, MIDI bytes or a .mid path; got {type(midi).__name__}")
    try:
        return pretty_midi.PrettyMIDI(source)
    except Exception as error:  # mido and pretty_midi raise many types (OSError, EOFError, KeyError...)
        raise ValueError(f"cannot parse {name}: {error}") from error


def midi_to_bytes(midi: pretty_midi.PrettyMIDI) -> bytes:
    """Standard MIDI file bytes of ``midi``."""
    buffer = io.BytesIO()
    midi.write(buffer)
    return buffer.getvalue()


def render_midi(
    midi: MidiLike,
    sampling_rate: int = 16000,
    channels: int = 1,
    duration_in_s: float | None = None,
    soundfont: str | os.PathLike | None = None,
) -> np.ndarray:
    """Renders MIDI with a SoundFont to float32 audio.

    Args:
        midi: a ``pretty_midi.PrettyMIDI``, MIDI file bytes or a ``.mid`` path.
        sampling_rate: output rate; the synthesiser's 48 kHz is resampled to it.
        channels: 1 gives (samples,) (the stereo render down-mixed), 2 gives (2, samples).
        duration_in_s: trim or zero-pad to exactly this length; ``None`` renders to the last event
            plus :data:`RELEASE_TAIL_IN_S`.
        soundfont: ``.sf2`` path; ``None`` uses the General MIDI SoundFont bundled with pretty_midi.

    The level is the synthesiser's own (quiet: a velocity-100 piano note peaks near 0.05); callers
    choose their gain. Raises ``ValueError`` for unreadable MIDI or SoundFont files.
    """
    sampling_rate = check_sampling_rate(sampling_rate)
    if channels not in (1, 2):
        raise ValueError(f"channels must be 1 (mono) or 2 (stereo); got {channels!r}")
    score = load_midi(midi)
    end = score.get_end_time()
    if duration_in_s is None:
        if not any(instrument.notes for instrument in score.instruments):
            raise ValueError("the MIDI has no notes to render; pass duration_in_s to get silence")
        duration_in_s = end + RELEASE_TAIL_IN_S
    duration_in_s = check_positive_seconds(duration_in_s, "duration_in_s")
    num_samples = int(round(duration_in_s * sampling_rate))
    if not any(instrument.notes for instrument in score.instruments):
        return np.zeros((num_samples,) if channels == 1 else (channels, num_samples), dtype=np.float32)
    if duration_in_s > end:
        score.instruments[-1].control_changes.append(
            pretty_midi.ControlChange(_PLACEHOLDER_CONTROLLER, 0, duration_in_s)
        )
    try:
        wav = _synthesiser().render_wave_from(load_soundfont(soundfont), midi_to_bytes(score))
    except (RuntimeError, ValueError) as error:
        raise ValueError(f"the synthesiser could not render this MIDI: {error}") from error
    audio, rate = decode_audio_bytes(wav)
    audio = resample(to_channels(audio, channels), rate, sampling_rate)
    return fit_length(audio, num_samples)


def fit_length(audio: np.ndarray, num_samples: int) -> np.ndarray:
    """Trims or zero-pads the last axis of ``audio`` to ``num_samples``."""
    if audio.shape[-1] >= num_samples:
        return np.ascontiguousarray(audio[..., :num_samples])
    padding = [(0, 0)] * (audio.ndim - 1) + [(0, num_samples - audio.shape[-1])]
    return np.pad(audio, padding)


def _synthesiser():
    """midirenderer, the ``data`` extra: rendering is for datasets, reading MIDI (GANSynth's pieces) is not."""
    try:
        import midirenderer
    except ImportError as error:
        raise ImportError('rendering MIDI needs midirenderer: pip install "hfsynth[data]"') from error
    return midirenderer
