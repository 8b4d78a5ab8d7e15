"""Input checks shared by every metric: a bad set fails here, with a message, not deep in torch.

A *set* of clips may be given as
  - one clip: a 1-D array/tensor of samples (the metric then returns a float),
  - a batch: a 2-D (N, samples) or 3-D (N, 1, samples) array/tensor,
  - a list of 1-D clips (lengths may differ where the metric allows it), or of Hugging Face
    ``datasets`` audio dicts ``{"array": ..., "sampling_rate": ...}``.
Metrics work on mono audio; mix multi-channel clips down first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..audio.validation import check_waveform
from ..validation import check_sampling_rate

AudioSet = np.ndarray | torch.Tensor | Sequence[object]

# Clips per torch call: keeps a (chunk, frequencies, frames) spectrogram of 4-s clips near 100 MB.
CHUNK_SIZE = 32


@dataclass
class ClipSet:
    """A checked set: mono float32 clips, whether a single clip was given, and its sampling rate if known."""

    clips: list[np.ndarray]
    single: bool
    sampling_rate: int | None = None

    def __len__(self) -> int:
        return len(self.clips)

    def lengths(self) -> list[int]:
        return [clip.shape[-1] for clip in self.clips]

    def output(self, values: np.ndarray) -> float | np.ndarray:
        """Per-clip values as given back to the caller: a float for a single clip, else an (N, ...) array."""
        if not self.single:
            return values
        return float(values[0]) if np.ndim(values) == 1 else values[0]


def _to_numpy(audio: object) -> object:
    if isinstance(audio, torch.Tensor):
        return audio.detach().to("cpu", torch.float32).numpy()
    return audio


def _mono(clip: np.ndarray, name: str) -> np.ndarray:
    if clip.ndim != 1:
        raise ValueError(f"{name} has {clip.shape[0]} channels; metrics take mono clips, mix down first")
    return clip


def _check_batch_array(array: np.ndarray, name: str) -> list[np.ndarray]:
    if array.ndim == 3:
        if array.shape[1] != 1:
            raise ValueError(f"{name} has shape {array.shape}: a 3-D batch must be (N, 1, samples), mono")
        array = array[:, 0]
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} is an empty set (shape {array.shape}); pass at least one non-empty clip")
    finite = np.isfinite(array).all(axis=1)
    if not finite.all():
        raise ValueError(f"{name}[{int(np.argmin(finite))}] contains NaN or infinite samples")
    return list(array)


def as_clip_set(audios: AudioSet, name: str = "audios") -> ClipSet:
    """Checks a set of clips (see the module docstring) and returns it as a :class:`ClipSet`.

    Raises ``ValueError`` for an empty set, an empty clip, NaN/inf samples, multi-channel clips, or
    audio dicts whose sampling rates differ within the set.
    """
    audios = _to_numpy(audios)
    if isinstance(audios, dict):
        audios = [audios]
    if isinstance(audios, np.ndarray) and audios.dtype != object:
        array = np.asarray(audios, dtype=np.float32)
        if array.ndim == 1:
            return ClipSet([_mono(check_waveform(array, name), name)], single=True)
        if array.ndim in (2, 3):
            return ClipSet(_check_batch_array(array, name), single=False)
        raise ValueError(f"{name} must be a clip (samples,) or a batch (N, samples); got shape {array.shape}")
    if not isinstance(audios, (list, tuple, np.ndarray)):
        raise ValueError(f"{name} must be an array, a tensor or a list of clips; got {type(audios).__name__}")
    if len(audios) == 0:
        raise ValueError(f"{name} is an empty set; pass at least one clip")
    clips, rates = [], set()
    for index, item in enumerate(audios):
        item_name = f"{name}[{index}]"
        if isinstance(item, dict):
            if "array" not in item:
                raise ValueError(f"{item_name} is a dict without an 'array' key")
            if item.get("sampling_rate") is not None:
                rates.add(check_sampling_rate(item["sampling_rate"], f"{item_name}['sampling_rate']"))
            item = item["array"]
        clips.append(_mono(check_waveform(_to_numpy(item), item_name), item_name))
    if len(rates) > 1:
        raise ValueError(f"{name} mixes sampling rates {sorted(rates)} Hz; resample the set to one rate first")
    return ClipSet(clips, single=False, sampling_rate=rates.pop() if rates else None)


def common_sampling_rate(sampling_rate: int | None, *sets: ClipSet, required: bool = True) -> int | None:
    """The one sampling rate shared by ``sampling_rate`` and the rates the sets carry.

    Raises ``ValueError`` when they disagree, or when ``required`` and none is known.
    """
    rates: dict[str, int] = {}
    if sampling_rate is not None:
        rates["sampling_rate"] = check_sampling_rate(sampling_rate)
    for index, clip_set in enumerate(sets):
        if clip_set.sampling_rate is not None:
            rates[f"set {index + 1}"] = clip_set.sampling_rate
    if len(set(rates.values())) > 1:
        described = ", ".join(f"{name}: {rate} Hz" for name, rate in rates.items())
        raise ValueError(f"sets have different sampling rates ({described}); resample them to one rate")
    if not rates:
        if required:
            raise ValueError("sampling_rate is required (the clips do not carry one)")
        return None
    return next(iter(rates.values()))


def check_paired(*sets: ClipSet, names: Sequence[str]) -> None:
    """Raises ``ValueError`` unless the sets have as many clips as each other and equal lengths pairwise."""
    counts = [len(clip_set) for clip_set in sets]
    if len(set(counts)) > 1:
        described = ", ".join(f"{name}: {count}" for name, count in zip(names, counts))
        raise ValueError(f"paired sets must have as many clips each; got {described}")
    for index, lengths in enumerate(zip(*(clip_set.lengths() for clip_set in sets))):
        if len(set(lengths)) > 1:
            described = ", ".join(f"{name}[{index}]: {length}" for name, length in zip(names, lengths))
            raise ValueError(f"paired clips must have the same length (time-aligned); got {described} samples")


def as_paired_sets(**sets: AudioSet) -> tuple[ClipSet, ...]:
    """Checks time-aligned sets given by name (``reference=..., estimate=...``), in that order."""
    clip_sets = tuple(as_clip_set(audios, name) for name, audios in sets.items())
    check_paired(*clip_sets, names=tuple(sets))
    return clip_sets


def equal_length_chunks(*sets: ClipSet, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[list[int], list[torch.Tensor]]]:
    """Yields (clip indices, one (B, samples) float32 tensor per set) over clips grouped by length.

    The sets must already be paired (:func:`check_paired`); a metric writes its results at the indices.
    """
    groups: dict[int, list[int]] = defaultdict(list)
    for index, length in enumerate(sets[0].lengths()):
        groups[length].append(index)
    for indices in groups.values():
        for start in range(0, len(indices), chunk_size):
            chunk = indices[start : start + chunk_size]
            yield chunk, [torch.from_numpy(np.stack([s.clips[i] for i in chunk])) for s in sets]


def map_chunks(
    function: Callable[..., torch.Tensor], *sets: ClipSet, chunk_size: int = CHUNK_SIZE
) -> np.ndarray | list[np.ndarray]:
    """Applies ``function(*tensors) -> (B, ...)`` over equal-length chunks and gathers the rows in order.

    Returns an (N,) float64 array for per-clip scalars, an (N, ...) array when all rows share a shape,
    else a list of per-clip arrays (e.g. frame-wise values of clips of different lengths).
    """
    rows: list[np.ndarray | None] = [None] * len(sets[0])
    with torch.inference_mode():
        for indices, tensors in equal_length_chunks(*sets, chunk_size=chunk_size):
            for index, row in zip(indices, function(*tensors).double().numpy()):
                rows[index] = row
    if len({row.shape for row in rows}) == 1:
        return np.stack(rows)
    return rows


def check_matrix(values: object, name: str, min_rows: int = 1) -> np.ndarray:
    """Returns ``values`` as a finite float64 (N, D) matrix with N >= ``min_rows``, else ``ValueError``."""
    array = np.asarray(_to_numpy(values), dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (N, D) array; got shape {array.shape}")
    if array.shape[0] < min_rows or array.shape[1] == 0:
        raise ValueError(f"{name} needs at least {min_rows} row(s) and one column; got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def check_probabilities(probs: object, name: str = "probs", atol: float = 1e-3) -> np.ndarray:
    """Returns ``probs`` as an (N, K) float64 matrix of distributions (rows >= 0, summing to 1)."""
    array = check_matrix(probs, name)
    if array.min() < 0 or not np.allclose(array.sum(axis=1), 1.0, atol=atol):
        raise ValueError(f"{name} rows must be probability distributions (>= 0, sum 1); apply softmax to logits")
    return array
