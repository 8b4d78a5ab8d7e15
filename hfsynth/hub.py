"""Publishing model folders and Spaces to the Hugging Face Hub.

A Hub repo is what users load with ``pipeline(..., model="user/name")``, so we only let a folder go
up when it is loadable (``config.json`` + safetensors weights) and documented: a shipped
``pipelines/<name>`` takes ``model_cards/<name>.md`` as its ``README.md``; a folder that carries its
own card (``hfsynth convert`` writes one) keeps it. A card's ``USER/<name>`` placeholders become the
repo's id, so its "How to use" names the repo it is read in. Pickle-based weights (``.bin``, ``.pt``,
``.pkl``) are refused: they execute code on load, and hfsynth ships safetensors only. A Space goes up
with :func:`push_space` (app, requirements, README, the hfsynth wheel; see :mod:`hfsynth.spaces.publishing`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .validation import check_repo_id

CARD_NAME_IN_REPO = "README.md"
WEIGHTS_PATTERN = "*.safetensors"
PICKLE_SUFFIXES = (".bin", ".pt", ".pkl")


#: The card's stand-in for the repo it will be read in (``model="USER/gansynth-small"``).
REPO_PLACEHOLDER = re.compile(r"\bUSER/([A-Za-z0-9._-]+)")


def card_for_repo(card: str, folder_name: str, repo_id: str) -> str:
    """The card as read in ``repo_id``: ``USER/<folder_name>`` becomes the repo id, any other
    ``USER/<name>`` (a sibling model) the same owner's ``<name>``."""
    owner = repo_id.split("/")[0]
    return REPO_PLACEHOLDER.sub(lambda m: repo_id if m.group(1) == folder_name else f"{owner}/{m.group(1)}", card)


@dataclass(frozen=True)
class PlannedFile:
    """One file of a push: where it lands in the repo, where it comes from (a file, or ``content``
    written for the push), and its size (for dry runs)."""

    path_in_repo: str
    local_path: Path | None
    size: int
    content: bytes | None = None

    def source(self) -> str | bytes:
        return self.content if self.content is not None else str(self.local_path)


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


def check_publishable(folder: str | Path, card: str | Path | None = None) -> list[Path]:
    """The local files a push would upload: the folder's files, then the card (uploaded as README.md).

    Raises ``ValueError`` naming what is missing: the folder, ``config.json``, the weights, the card,
    or naming a pickle file that must not be published.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"model folder {folder} not found")
    files = _folder_files(folder)
    _check_contents(folder, files)
    own_card = folder / CARD_NAME_IN_REPO
    card_path = Path(card) if card is not None else own_card if own_card.is_file() else default_card_path(folder)
    if not card_path.is_file():
        raise ValueError(f"model card {card_path} not found; write it (see model_cards/) or pass --card")
    return [path for path in files if path != own_card] + [card_path]


def plan_upload(folder: str | Path, repo_id: str, card: str | Path | None = None) -> list[PlannedFile]:
    """Checks the folder and maps each file to its path in the repo (the card last, as README.md,
    with its ``USER/<name>`` placeholders replaced by ``repo_id``)."""
    folder = Path(folder)
    *files, card_path = check_publishable(folder, card)
    planned = [PlannedFile(path.relative_to(folder).as_posix(), path, path.stat().st_size) for path in files]
    card_text = card_for_repo(card_path.read_text(), folder.name, repo_id).encode()
    return [*planned, PlannedFile(CARD_NAME_IN_REPO, card_path, len(card_text), card_text)]


def _repo_url(repo_id: str, endpoint: str | None, repo_type: str = "model") -> str:
    """The repo's web address without asking the Hub (dry runs must not touch the network)."""
    from huggingface_hub import constants

    prefix = "spaces/" if repo_type == "space" else ""
    return f"{(endpoint or constants.ENDPOINT).rstrip('/')}/{prefix}{repo_id}"


def push_to_hub(
    folder: str | Path,
    repo_id: str,
    card: str | Path | None = None,
    token: str | None = None,
    private: bool = False,
    dry_run: bool = False,
    endpoint: str | None = None,
) -> PushResult:
    """Uploads a checked model folder and its card to ``repo_id`` in one commit.

    One ``create_commit`` with an explicit file list (rather than ``upload_folder``) uploads exactly
    what :func:`check_publishable` approved, puts the card at ``README.md`` without copying the
    weights into a staging folder, and leaves the repo with no half-published state between commits.
    ``dry_run`` validates and lists without importing the client or opening a connection.
    """
    check_repo_id(repo_id)
    planned = plan_upload(folder, repo_id, card)
    message = f"Upload {Path(folder).name} with hfsynth push"
    return _commit(repo_id, "model", planned, message, token, private, dry_run, endpoint)


def push_space(
    name: str,
    repo_id: str,
    model: str,
    wheel: str | Path | None = None,
    token: str | None = None,
    private: bool = False,
    dry_run: bool = False,
    endpoint: str | None = None,
) -> PushResult:
    """Uploads Space ``name`` serving the Hub model ``model`` to the Space repo ``repo_id``, with
    the hfsynth ``wheel`` (default: built from this checkout) it installs."""
    import tempfile

    from .spaces.publishing import build_wheel, plan_space

    check_repo_id(repo_id)
    with tempfile.TemporaryDirectory() as scratch:
        files = plan_space(name, model, wheel if wheel is not None else build_wheel(scratch))
    planned = [PlannedFile(item.path_in_repo, None, len(item.content), item.content) for item in files]
    return _commit(repo_id, "space", planned, f"Space {name} for {model}, with hfsynth push --space", token,
                   private, dry_run, endpoint)


def _commit(repo_id: str, repo_type: str, planned: list[PlannedFile], message: str, token: str | None,
            private: bool, dry_run: bool, endpoint: str | None) -> PushResult:
    """Creates the repo if needed and commits ``planned`` in one commit (or, dry, only lists it)."""
    if dry_run:
        return PushResult(repo_id, planned, _repo_url(repo_id, endpoint, repo_type))
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi(endpoint=endpoint, token=token)
    # private=None (not False) when not asked: an organization whose default is private stays private.
    repo_url = api.create_repo(repo_id, exist_ok=True, private=True if private else None, repo_type=repo_type,
                               **({"space_sdk": "gradio"} if repo_type == "space" else {}))
    operations = [CommitOperationAdd(path_in_repo=item.path_in_repo, path_or_fileobj=item.source())
                  for item in planned]
    api.create_commit(repo_id, operations=operations, repo_type=repo_type, commit_message=message)
    return PushResult(repo_id, planned, str(repo_url))
