"""How audio lives in our datasets, and how training code gets it back as arrays or tensors.

datasets 5 decodes ``Audio`` columns with torchcodec, which needs FFmpeg. Our columns are
``Audio(decode=False)``: each value is ``{"bytes": <WAV/FLAC bytes>, "path": "<name>.wav"}``,
decoded here with soundfile. An ``Audio(sampling_rate=sr)`` feature means "resample to sr on
decode", as in datasets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import datasets
import numpy as np

from ..audio.io import decode_audio_bytes, encode_wav_bytes, read_audio
from ..audio.resample import resample, to_channels

#: The feature of every audio column the data engine writes.
AUDIO_FEATURE = datasets.Audio(decode=False)


def encode_audio(audio: np.ndarray, sampling_rate: int, name: str, subtype: str = "PCM_16") -> dict[str, Any]:
    """A column value for ``audio``: WAV bytes (``subtype`` "PCM_16" or lossless "FLOAT") named ``<name>.wav``."""
    return {"bytes": encode_wav_bytes(audio, sampling_rate, subtype=subtype), "path": f"{name}.wav"}


def decode_audio(
    field: Mapping[str, Any], sampling_rate: int | None = None, channels: int | None = 1
) -> tuple[np.ndarray, int]:
    """Decodes one audio value (``{"bytes", "path"}``) to ``(float32 audio, sampling_rate)``.

    Args:
        sampling_rate: resample to this rate; ``None`` keeps the stored rate.
        channels: 1 gives (samples,), 2 gives (2, samples); ``None`` keeps the stored layout.

    Uses the bytes when present, else reads ``path``. Raises ``ValueError`` for values that are not
    audio, naming the path.
    """
    if not isinstance(field, Mapping) or not ({"bytes", "path"} & set(field)):
        raise ValueError(f"expected an audio value {{'bytes': ..., 'path': ...}}; got {type(field).__name__}")
    data, path = field.get("bytes"), field.get("path")
    if data is not None:
        try:
            audio, rate = decode_audio_bytes(data)
        except ValueError as error:
            raise ValueError(f"cannot decode audio {path or '<bytes>'}: {error}") from error
    elif path:
        audio, rate = read_audio(Path(path), channels=None)
    else:
        raise ValueError("audio value has neither bytes nor a path")
    if channels is not None:
        audio = to_channels(audio, channels)
    if sampling_rate is not None and sampling_rate != rate:
        audio, rate = resample(audio, rate, sampling_rate), sampling_rate
    return audio, rate


def audio_columns(features: datasets.Features) -> dict[str, datasets.Audio]:
    """Columns holding audio (``Audio`` or a list of ``Audio``, like ``stems``) and their feature."""
    found = {}
    for name, feature in features.items():
        inner = feature.feature if isinstance(feature, (datasets.List, datasets.LargeList)) else feature
        if isinstance(inner, datasets.Audio):
            found[name] = inner
    return found


def as_torch(
    dataset: datasets.Dataset,
    sampling_rate: int | None = None,
    channels: int = 1,
    columns: Sequence[str] | None = None,
) -> datasets.Dataset:
    """A view of ``dataset`` whose audio columns read as float32 torch tensors.

    Decoding happens on access (``with_transform``), so nothing is written. An audio column gives
    a (samples,) tensor (or (channels, samples)); a list-of-audio column (``stems``) gives
    (num_stems, samples). Numeric columns become tensors; text stays text.

    Args:
        sampling_rate: resample every audio column to this rate; ``None`` uses each column's
            ``Audio(sampling_rate=...)`` or, failing that, the stored rate.
        columns: the columns to return; ``None`` returns all.
    """
    targets = {
        name: sampling_rate if sampling_rate is not None else feature.sampling_rate
        for name, feature in audio_columns(dataset.features).items()
    }
    return dataset.with_transform(_DecodeBatch(targets, channels), columns=list(columns) if columns else None)


class _DecodeBatch:
    """The ``with_transform`` function of :func:`as_torch` (a class so DataLoader workers can pickle it)."""

    def __init__(self, targets: dict[str, int | None], channels: int):
        self.targets, self.channels = targets, channels

    def __call__(self, batch: dict[str, list]) -> dict[str, list]:
        import torch

        out = {}
        for name, values in batch.items():
            if name in self.targets:
                out[name] = [self._decode(value, self.targets[name]) for value in values]
            elif values and all(isinstance(value, (int, float, bool, np.number)) for value in values):
                out[name] = torch.tensor(values)
            else:
                out[name] = values
        return out

    def _decode(self, value: Any, rate: int | None):
        import torch

        if isinstance(value, Mapping):
            return torch.from_numpy(decode_audio(value, rate, self.channels)[0])
        return torch.stack([torch.from_numpy(decode_audio(item, rate, self.channels)[0]) for item in value])
