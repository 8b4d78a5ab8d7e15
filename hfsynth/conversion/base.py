"""The shape every converter has, and the pieces they share: reading sources safely, mapping
tensors by table, and writing the output folder whole or not at all."""

from __future__ import annotations

import argparse
import pickle
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import atomic_directory

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Converter:
    """One family's ``hfsynth convert <family>``.

    add_arguments: adds the family's options to its parser (``--out`` is added for every family).
    convert: ``convert(**options, out=...) -> Path``, the same function Python users call.
    """

    family: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    convert: Callable[..., Path]

    def parser(self, description: str) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog=f"hfsynth convert {self.family}", description=description)
        self.add_arguments(parser)
        parser.add_argument("--out", required=True, help="the folder to write (replaced only when conversion succeeds)")
        return parser


# -------------------------------------------------------------------------------- sources
def resolve_source(source: str | Path, patterns: Iterable[str], what: str) -> Path:
    """A local folder, or a Hub repo id downloaded (only ``patterns``) through huggingface_hub's
    cache; ``ValueError`` naming ``what`` was looked for when neither works."""
    path = Path(source)
    if path.exists():
        return path
    if str(source).count("/") != 1 or str(source).startswith((".", "/")):
        raise ValueError(f"{what} not found: {source} is neither a folder nor a Hub id ('user/name')")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(str(source), allow_patterns=list(patterns)))
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as error:
        raise ValueError(f"{what}: cannot get {source} from the Hub or its cache ({error})") from error


def load_torch_checkpoint(path: Path, allowed_globals: Iterable[type] = ()) -> Any:
    """A pickled torch checkpoint read with ``torch.load(weights_only=True)``: tensors, containers and
    plain values only (plus exactly ``allowed_globals``), never code. ``ValueError`` naming the file
    for one that tries to run code, is truncated, or is not a torch checkpoint."""
    import torch

    if not path.is_file():
        raise ValueError(f"checkpoint file not found: {path}")
    try:
        with torch.serialization.safe_globals(list(allowed_globals)):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        reason = _unpickler_reason(error)
        if _is_whole_pickle(path):    # it parses, so the safe unpickler refused what it asked to import
            raise ValueError(f"{path} asks to run code or build objects on load, which is refused ({reason})") from error
        raise ValueError(f"{path} is truncated or not a torch checkpoint ({reason})") from error
    except (EOFError, RuntimeError, zipfile.BadZipFile, OSError) as error:
        raise ValueError(f"{path} is truncated or not a torch checkpoint ({error})") from error


def _unpickler_reason(error: Exception) -> str:
    """The line of torch's refusal that says what was refused, without its paragraphs of advice."""
    advice = ("Weights only load failed", "Check the documentation", "Please file an issue")
    lines = [line.strip() for line in str(error).splitlines() if line.strip() and not line.strip().startswith(advice)]
    return (lines[0] if lines else str(error)).removeprefix("WeightsUnpickler error:").strip()


def _is_whole_pickle(path: Path) -> bool:
    """Whether the checkpoint's pickle (the file, or ``data.pkl`` of a zip checkpoint) parses to its
    end, without running any of it: it tells a refused import from junk or a cut-off file."""
    import io
    import pickletools

    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                name = next(n for n in archive.namelist() if n.endswith("data.pkl"))
                data = archive.read(name)
        else:
            data = path.read_bytes()
        for _ in pickletools.genops(io.BytesIO(data)):
            pass
    except (StopIteration, ValueError, zipfile.BadZipFile, OSError, EOFError):
        return False
    return True


# -------------------------------------------------------------------------------- mapping
Transform = Callable[[dict[str, "torch.Tensor"]], "torch.Tensor"]


@dataclass
class KeyMapping:
    """Source tensor names -> target names, as data.

    renames: (pattern, replacement) regexes tried in order; the first that matches a source key
        names its target (``re.fullmatch``, groups allowed).
    derived: target key -> (source keys it reads, function of those tensors): the few tensors that
        are fused, split, transposed or folded.
    ignored: patterns of source keys knowingly dropped (optimizer-only state, unused heads).
    """

    renames: list[tuple[str, str]] = field(default_factory=list)
    derived: dict[str, tuple[tuple[str, ...], Transform]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def apply(self, source: Mapping[str, torch.Tensor], target: Mapping[str, torch.Tensor], where: str
              ) -> dict[str, torch.Tensor]:
        """Maps ``source`` onto the keys and shapes of ``target`` (a model's ``state_dict()``).

        Every source key must be renamed, read by a derived tensor, or ignored; every target key
        must be filled; shapes must agree. Anything else is one ``ValueError`` naming ``where``
        and the keys at fault.
        """
        mapped: dict[str, torch.Tensor] = {}
        origin: dict[str, str] = {}                                     # target key -> the source key(s) it came from
        used: set[str] = set()
        for name, (inputs, function) in self.derived.items():
            missing = [key for key in inputs if key not in source]
            if missing:
                raise ValueError(f"{where}: {name} needs {missing}, which the checkpoint lacks")
            mapped[name] = function({key: source[key] for key in inputs})
            origin[name] = "+".join(inputs)
            used.update(inputs)
        unmapped = []
        for key, tensor in source.items():
            if key in used or any(re.fullmatch(pattern, key) for pattern in self.ignored):
                continue
            new = next((re.sub(pattern, replacement, key) for pattern, replacement in self.renames
                        if re.fullmatch(pattern, key)), None)
            if new is None:
                unmapped.append(key)
            else:
                mapped[new], origin[new] = tensor, key
        problems = []
        if unmapped:
            problems.append(f"no place for {_listing(unmapped)}")
        missing = [key for key in target if key not in mapped]
        if missing:
            problems.append(f"nothing for {_listing(missing)}")
        extra = [key for key in mapped if key not in target]
        if extra:
            problems.append(f"mapped to unknown {_listing(extra)}")
        shapes = [f"{origin[key]} {tuple(mapped[key].shape)} (as {key}, expected {tuple(target[key].shape)})"
                  for key in target if key in mapped and mapped[key].shape != target[key].shape]
        if shapes:
            problems.append(f"shapes differ: {_listing(shapes)}")
        if problems:
            raise ValueError(f"{where} does not fit the model: " + "; ".join(problems))
        return mapped


def _listing(names: list[str], most: int = 6) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def fold_weight_norm(g: torch.Tensor, v: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """``torch.nn.utils.weight_norm``'s weight: ``g * v / ||v||``, the norm over every axis but ``dim``."""
    import torch

    axes = [axis for axis in range(v.ndim) if axis != dim]
    return v * (g / torch.linalg.vector_norm(v, dim=axes, keepdim=True))  # torch's order of operations


# -------------------------------------------------------------------------------- output
def write_folder(out: str | Path, save: Callable[[Path], None], card: str) -> Path:
    """Runs ``save(folder)`` into a temporary folder beside ``out`` and writes ``card`` as its
    ``README.md``; the folder becomes ``out`` only when both succeed (no half-written output)."""
    out = Path(out)
    with atomic_directory(out) as folder:
        save(folder)
        (folder / "README.md").write_text(card)
    return out


def model_card(*, title: str, license: str, source: str, pipeline_tag: str, body: str, tags: Iterable[str] = ()
               ) -> str:
    """A Hub model card: YAML metadata (licence of the original weights, hfsynth, the task) and text."""
    tag_lines = "".join(f"- {tag}\n" for tag in ("hfsynth", "audio", *tags))
    return (
        f"---\nlibrary_name: hfsynth\nlicense: {license}\npipeline_tag: {pipeline_tag}\ntags:\n{tag_lines}---\n\n"
        f"# {title}\n\nConverted with `hfsynth convert` from {source}. The weights keep their original "
        f"licence ({license}).\n\n{body.strip()}\n"
    )
