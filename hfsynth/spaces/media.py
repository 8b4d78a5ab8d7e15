"""What a Space shows besides the player: a log-mel spectrogram picture, WAV files to download and
example clips rendered offline (no bundled media)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from ..audio.io import write_audio
from ..audio.mel import log_mel_spectrogram
from ..audio.resample import to_channels

#: Anchor colours of the picture's colour map (black -> purple -> orange -> pale yellow, like "magma").
_COLOURS = np.array([[0, 0, 4], [80, 18, 123], [182, 54, 121], [251, 136, 97], [252, 253, 191]], dtype=np.float32)
_DYNAMIC_RANGE_DB = 80.0


def colourise(values: np.ndarray) -> np.ndarray:
    """(H, W) values in [0, 1] -> (H, W, 3) uint8 RGB along :data:`_COLOURS`."""
    position = np.clip(values, 0.0, 1.0) * (len(_COLOURS) - 1)
    low = np.floor(position).astype(int).clip(0, len(_COLOURS) - 2)
    fraction = (position - low)[..., None]
    rgb = (1.0 - fraction) * _COLOURS[low] + fraction * _COLOURS[low + 1]
    return rgb.round().astype(np.uint8)


def spectrogram_image(audios: Sequence[np.ndarray], sampling_rate: int, n_mels: int = 80, gap: int = 4) -> np.ndarray:
    """Log-mel pictures of one or more clips (stems), stacked top to bottom: (H, W, 3) uint8.

    Low frequencies at the bottom, 80 dB of range below each clip's loudest bin; stereo is averaged.
    """
    n_fft = 1024 if sampling_rate >= 16000 else 512
    hop = n_fft // 4
    pictures = []
    for audio in audios:
        mono = to_channels(np.asarray(audio, dtype=np.float32), 1)
        if mono.shape[-1] < n_fft:
            mono = np.pad(mono, (0, n_fft - mono.shape[-1]))
        log_mel = log_mel_spectrogram(torch.from_numpy(mono), sampling_rate, n_fft, hop, n_mels).numpy()
        db = 20.0 * log_mel / np.log(10.0)                                       # (n_mels, frames)
        scaled = (db - (db.max() - _DYNAMIC_RANGE_DB)) / _DYNAMIC_RANGE_DB
        pictures.append(colourise(scaled[::-1]))
    width = max(picture.shape[1] for picture in pictures)
    rows = []
    for index, picture in enumerate(pictures):
        if index:
            rows.append(np.full((gap, width, 3), 255, np.uint8))
        rows.append(np.pad(picture, ((0, 0), (0, width - picture.shape[1]), (0, 0))))
    image = np.concatenate(rows, axis=0)
    return np.repeat(np.repeat(image, 3, axis=0), max(1, 600 // max(width, 1)), axis=1)  # readable size


def save_wav(folder: Path, stem: str, audio: np.ndarray, sampling_rate: int) -> str:
    """Writes ``audio`` to a uniquely named 16-bit WAV in ``folder`` (concurrent requests never collide)."""
    folder.mkdir(parents=True, exist_ok=True)
    return str(write_audio(folder / f"{stem}-{uuid.uuid4().hex[:10]}.wav", audio, sampling_rate))


def example_clips(folder: Path, sampling_rate: int, seconds: float = 2.0) -> list[str]:
    """Two rendered example inputs for audio Spaces: a piano C4 note and a bass + piano + strings chord.

    Rendered offline from the bundled General MIDI SoundFont at the model's rate, ``seconds`` long
    (at most 2), so that an example never exceeds the Space's input limit.
    """
    seconds = min(seconds, 2.0)
    import pretty_midi

    from ..data.render import render_midi

    clips = {"piano-c4": [(0, [60])], "bass-piano-strings": [(33, [36]), (0, [60, 64, 67]), (48, [72])]}
    paths = []
    for name, parts in clips.items():
        path = folder / f"{name}-{sampling_rate}-{seconds:g}s.wav"
        paths.append(str(path))
        if path.is_file():
            continue
        score = pretty_midi.PrettyMIDI()
        for program, pitches in parts:
            instrument = pretty_midi.Instrument(program=program)
            end = 0.75 * seconds
            instrument.notes.extend(pretty_midi.Note(velocity=100, pitch=p, start=0.0, end=end) for p in pitches)
            score.instruments.append(instrument)
        audio = render_midi(score, sampling_rate, 1, seconds, None)
        folder.mkdir(parents=True, exist_ok=True)
        write_audio(path, 0.5 * audio / max(float(np.abs(audio).max()), 1e-6), sampling_rate)
    return paths
