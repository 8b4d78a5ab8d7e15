"""Argument checks shared by every entry point, so bad input fails at the door with a message
naming the argument and what is allowed, not deep inside torch.

Python's ``bool`` is an ``int``; every check here refuses it, since ``batch_size=True`` is a
mistake, not a request for one item. Checks return the value in its plain Python type.
Audio-specific checks (waveforms, STFT sizes, frequency ranges) live in :mod:`hfsynth.audio.validation`.
"""

from __future__ import annotations

import math
import numbers
import re


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _bounds_text(minimum: float | None, maximum: float | None, exclusive_minimum: bool = False) -> str:
    if minimum is not None and maximum is not None:
        return f" in [{minimum:g}, {maximum:g}]"
    if minimum is not None:
        return f" {'>' if exclusive_minimum else '>='} {minimum:g}"
    if maximum is not None:
        return f" <= {maximum:g}"
    return ""


def check_int(
    value: object, name: str, minimum: int | None = None, maximum: int | None = None, hint: str = ""
) -> int:
    """``value`` as an int if it is an integer inside ``[minimum, maximum]`` (either bound optional),
    else ``ValueError``. ``hint`` is added to the message, e.g. " (the training set's size)"."""
    inside = _is_integer(value) and (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    if not inside:
        kind = "a positive integer" if (minimum, maximum) == (1, None) else f"an integer{_bounds_text(minimum, maximum)}"
        raise ValueError(f"{name} must be {kind}{hint}; got {value!r}")
    return int(value)


def check_positive_int(value: object, name: str) -> int:
    """``value`` as an int, or ``ValueError`` unless it is an integer > 0."""
    return check_int(value, name, minimum=1)


def check_number(
    value: object,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
    hint: str = "",
) -> float:
    """``value`` as a float if it is a finite real number inside the bounds, else ``ValueError``.

    ``exclusive_minimum`` makes the lower bound strict (``minimum=0, exclusive_minimum=True``: > 0).
    """
    inside = _is_real(value) and math.isfinite(value)
    if inside and minimum is not None:
        inside = value > minimum if exclusive_minimum else value >= minimum
    if inside and maximum is not None:
        inside = value <= maximum
    if not inside:
        bounds = _bounds_text(minimum, maximum, exclusive_minimum)
        raise ValueError(f"{name} must be a finite number{bounds}{hint}; got {value!r}")
    return float(value)


def check_finite_number(value: object, name: str) -> float:
    """``value`` as a float, or ``ValueError`` unless it is a finite real number."""
    return check_number(value, name)


def check_positive_number(value: object, name: str, hint: str = "") -> float:
    """``value`` as a float, or ``ValueError`` unless it is finite and > 0."""
    return check_number(value, name, minimum=0, exclusive_minimum=True, hint=hint)


def check_non_negative_number(value: object, name: str) -> float:
    """``value`` as a float, or ``ValueError`` unless it is finite and >= 0."""
    return check_number(value, name, minimum=0)


def check_positive_seconds(seconds: object, name: str = "audio_length_in_s") -> float:
    """``seconds`` as a float, or ``ValueError`` unless it is a finite number > 0."""
    if not _is_real(seconds) or not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{name} must be a positive, finite number of seconds; got {seconds!r}")
    return float(seconds)


def check_sampling_rate(sampling_rate: object, name: str = "sampling_rate") -> int:
    """``sampling_rate`` as an int, or ``ValueError`` unless it is a positive whole number of Hz
    (``16000.0`` is accepted: rates read from files and configs are often floats)."""
    whole = _is_real(sampling_rate) and math.isfinite(sampling_rate) and int(sampling_rate) == sampling_rate
    if not whole or sampling_rate <= 0:
        raise ValueError(f"{name} must be a positive integer (Hz); got {sampling_rate!r}")
    return int(sampling_rate)


def num_samples_for(seconds: object, sampling_rate: int, name: str = "audio_length_in_s") -> int:
    """Seconds -> samples at ``sampling_rate``, at least one; ``ValueError`` unless finite and > 0."""
    return max(1, round(check_positive_seconds(seconds, name) * sampling_rate))


# Hub ids: "user/name", letters, digits, '-', '_', '.'; no leading/trailing separator, no '--' or '..'.
_REPO_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
REPO_ID_PATTERN = re.compile(rf"^{_REPO_PART}/{_REPO_PART}$")


def check_repo_id(repo_id: object, name: str = "--repo") -> str:
    """Refuses ids the Hub would reject, before any request, so the user sees why at once."""
    if not isinstance(repo_id, str) or not REPO_ID_PATTERN.fullmatch(repo_id) or "--" in repo_id or ".." in repo_id:
        raise ValueError(f"{name} must look like 'user/name' (letters, digits, '-', '_', '.'); got {repo_id!r}")
    return repo_id
