"""A local Hugging Face cache holding a repo at one snapshot, with the Hub switched offline: what a
user who downloaded ``user/name`` once has, so Hub ids are tested with no network."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from huggingface_hub import constants

REVISION = "0123456789abcdef0123456789abcdef01234567"


def populate_hub_cache(monkeypatch: pytest.MonkeyPatch, cache: Path, repo_id: str, files: dict[str, Path]) -> Path:
    """Puts ``files`` (name in the repo -> local file or folder) in ``cache`` as the snapshot of
    ``repo_id`` and points huggingface_hub at it, offline. Returns the snapshot folder."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / REVISION
    for name, source in files.items():
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if Path(source).is_dir() else shutil.copy)(source, target)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(REVISION)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads both at import; transformers reads the module attributes at call time.
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return snapshot
