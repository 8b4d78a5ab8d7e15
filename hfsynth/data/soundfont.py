"""Which SoundFont renders our MIDI: the General MIDI one pretty_midi ships, or a user's ``.sf2``.

The renderer takes the SoundFont as bytes on every call, so the bytes are read once and cached.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import pretty_midi

#: TimGM6mb, a small General MIDI SoundFont bundled with pretty_midi (always available offline).
DEFAULT_SOUNDFONT: Path = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


def resolve_soundfont(path: str | os.PathLike | None = None) -> Path:
    """The SoundFont file to use: ``path``, or :data:`DEFAULT_SOUNDFONT` when it is ``None``.

    Raises ``ValueError`` naming the path when it is missing or not a SoundFont 2 file.
    """
    resolved = DEFAULT_SOUNDFONT if path is None else Path(path).expanduser()
    if not resolved.is_file():
        raise ValueError(f"SoundFont not found: {resolved} (pass the path of a .sf2 file)")
    try:
        with resolved.open("rb") as handle:
            header = handle.read(12)
    except OSError as error:
        raise ValueError(f"cannot read SoundFont {resolved}: {error}") from error
    # A SoundFont 2 file is a RIFF container of form type "sfbk".
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"sfbk":
        raise ValueError(f"not a SoundFont 2 (.sf2) file: {resolved}")
    return resolved


def load_soundfont(path: str | os.PathLike | None = None) -> bytes:
    """The bytes of the SoundFont at ``path`` (default: :data:`DEFAULT_SOUNDFONT`), cached per file version."""
    return _read_cached(*_file_version(path))


def soundfont_digest(path: str | os.PathLike | None = None) -> str:
    """SHA-256 of the SoundFont's bytes: part of every dataset cache key, since it changes the audio."""
    return _digest_cached(*_file_version(path))


def _file_version(path: str | os.PathLike | None) -> tuple[str, int, int]:
    # mtime and size are part of the cache keys below, so an edited file is read again.
    resolved = resolve_soundfont(path)
    stat = resolved.stat()
    return str(resolved.resolve()), stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=4)
def _digest_cached(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(_read_cached(path, mtime_ns, size)).hexdigest()


@functools.lru_cache(maxsize=4)
def _read_cached(path: str, mtime_ns: int, size: int) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read SoundFont {path}: {error}") from error
