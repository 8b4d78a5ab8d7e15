"""Publishing a shipped ``pipelines/<name>`` folder to the Hugging Face Hub.

A Hub repo is what users load with ``pipeline(..., model="user/name")``, so we only let a folder go
up when it is loadable (``config.json`` + safetensors weights) and documented (its
``model_cards/<name>.md`` becomes the repo's ``README.md``). Pickle-based weights (``.bin``, ``.pt``,
``.pkl``) are refused: they execute code on load, and hfsynth ships safetensors only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CARD_NAME_IN_REPO = "README.md"
WEIGHTS_PATTERN = "*.safetensors"
PICKLE_SUFFIXES = (".bin", ".pt", ".pkl")
# Hub ids: "user/name", letters, digits, '-', '_', '.'; no leading/trailing separator, no '--' or '..'.
_REPO_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
REPO_ID_PATTERN = re.compile(rf"^{_REPO_PART}/{_REPO_PART}$")


@dataclass(frozen=True)
class PlannedFile:
    """One file of a push: where it lands in the repo, where it comes from, and its size (for dry runs)."""

    path_in_repo: str
    local_path: Path
    size: int


@dataclass(frozen=True)
class PushResult:
    """What a push did (or, for a dry run, would do)."""

    repo_id: str
    files: list[PlannedFile]
    url: str


def default_card_path(folder: str | Path) -> Path:
    """``pipelines/<name>`` -> ``model_cards/<name>.md`` beside ``pipelines/``: the repo's card convention."""
    folder = Path(folder).resolve()
    return folder.parent.parent / "model_cards" / f"{folder.name}.md"


def validate_repo_id(repo_id: str) -> str:
    """Refuses ids the Hub would reject, before any request, so the user sees why at once."""
    if not REPO_ID_PATTERN.fullmatch(repo_id or "") or "--" in repo_id or ".." in repo_id:
        raise ValueError(f"--repo must look like 'user/name' (letters, digits, '-', '_', '.'); got {repo_id!r}")
    return repo_id


def _folder_files(folder: Path) -> list[Path]:
    """Every file of the folder, skipping dot-paths (``.cache/`` from Hub downloads, ``.DS_Store``)."""
    return sorted(
        path for path in folder.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def _check_contents(folder: Path, files: list[Path]) -> None:
    """Raises ``ValueError`` naming the first missing or forbidden piece of a publishable folder."""
    relative = [path.relative_to(folder) for path in files]
    pickles = [str(path) for path in relative if path.suffix in PICKLE_SUFFIXES]
    if pickles:
        raise ValueError(f"{folder} contains pickle weights {', '.join(pickles)}; hfsynth ships safetensors only")
    if Path("config.json") not in relative:
        raise ValueError(f"{folder} has no config.json; save the model with save_pretrained first")
    if not any(path.match(WEIGHTS_PATTERN) for path in relative):
        raise ValueError(f"{folder} has no weights ({WEIGHTS_PATTERN}); save the model with save_pretrained first")
    if Path(CARD_NAME_IN_REPO) in relative:
        raise ValueError(f"{folder} already has a {CARD_NAME_IN_REPO}; the card comes from model_cards/ (use --card)")


def check_publishable(folder: str | Path, card: str | Path | None = None) -> list[Path]:
    """The local files a push would upload: the folder's files, then the card (uploaded as README.md).

    Raises ``ValueError`` naming what is missing: the folder, ``config.json``, the weights, the card,
    or naming a pickle file that must not be published.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"model folder {folder} not found")
    card_path = Path(card) if card is not None else default_card_path(folder)
    files = _folder_files(folder)
    _check_contents(folder, files)
    if not card_path.is_file():
        raise ValueError(f"model card {card_path} not found; write it (see model_cards/) or pass --card")
    return [*files, card_path]


def plan_upload(folder: str | Path, card: str | Path | None = None) -> list[PlannedFile]:
    """Checks the folder and maps each file to its path in the repo (the card last, as README.md)."""
    folder = Path(folder)
    *files, card_path = check_publishable(folder, card)
    planned = [PlannedFile(path.relative_to(folder).as_posix(), path, path.stat().st_size) for path in files]
    return [*planned, PlannedFile(CARD_NAME_IN_REPO, card_path, card_path.stat().st_size)]


def _repo_url(repo_id: str, endpoint: str | None) -> str:
    """The repo's web address without asking the Hub (dry runs must not touch the network)."""
    from huggingface_hub import constants

    return f"{(endpoint or constants.ENDPOINT).rstrip('/')}/{repo_id}"


def push_to_hub(
    folder: str | Path,
    repo_id: str,
    card: str | Path | None = None,
    token: str | None = None,
    private: bool = False,
    dry_run: bool = False,
    endpoint: str | None = None,
) -> PushResult:
    """Uploads a checked pipeline folder and its card to ``repo_id`` in one commit.

    One ``create_commit`` with an explicit file list (rather than ``upload_folder``) uploads exactly
    what :func:`check_publishable` approved, puts the card at ``README.md`` without copying the
    weights into a staging folder, and leaves the repo with no half-published state between commits.
    ``dry_run`` validates and lists without importing the client or opening a connection.
    """
    validate_repo_id(repo_id)
    planned = plan_upload(folder, card)
    if dry_run:
        return PushResult(repo_id, planned, _repo_url(repo_id, endpoint))
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi(endpoint=endpoint, token=token)
    # private=None (not False) when not asked: an organization whose default is private stays private.
    repo_url = api.create_repo(repo_id, exist_ok=True, private=True if private else None, repo_type="model")
    operations = [CommitOperationAdd(path_in_repo=item.path_in_repo, path_or_fileobj=str(item.local_path))
                  for item in planned]
    api.create_commit(repo_id, operations=operations, repo_type="model",
                      commit_message=f"Upload {Path(folder).name} with hfsynth push")
    return PushResult(repo_id, planned, str(repo_url))
