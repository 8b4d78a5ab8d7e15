"""Writing files so that they appear whole or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yields a temporary file name beside ``path`` to write to.

    On success the file gets the usual mode (``mkstemp`` makes it 0600) and replaces ``path`` in
    one rename; on any error it is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        yield tmp_name
        os.chmod(tmp_name, 0o666 & ~_current_umask())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def replace_directory(temporary: Path, final: Path) -> None:
    """Renames the finished folder ``temporary`` to ``final``; an existing ``final`` is moved aside
    first and removed last, so one whole copy exists at every moment."""
    if not final.exists():
        temporary.rename(final)
        return
    stale = final.with_name(f".old-{final.name}")
    shutil.rmtree(stale, ignore_errors=True)
    final.rename(stale)
    temporary.rename(final)
    shutil.rmtree(stale)


@contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary folder beside ``path`` to fill; on success it becomes ``path`` (replacing
    an older one), on any error it is removed and ``path`` is left as it was."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.", suffix=".tmp"))
    try:
        yield temporary
        os.chmod(temporary, 0o777 & ~_current_umask())
        replace_directory(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
