"""Open-Unmix separators -> hfsynth separation folders: ``hfsynth convert openunmix``.

Source: Open-Unmix (sigsep/open-unmix-pytorch, PyPI ``openunmix``) keeps one network per target,
each a pickled ``state_dict``. Two layouts are read, from a local folder or a Hub repo id:

* a model folder as open-unmix's ``scripts/train.py`` writes it and ``openunmix.utils.load_separator``
  reads it: ``separator.json`` (``nfft``, ``nhop``, ``sample_rate``, ``nb_channels``), and per
  target ``<target>.json`` (training ``args``: ``nfft``, ``nb_channels``, ``hidden_size``,
  ``unidirectional``) and ``<target>.pth`` (or ``<target>-<hash>.pth``);
* the published weights alone (Zenodo: umxhq, umx, umxl as ``<target>-<8 hex>.pth``, umxse as
  ``<target>_<8 hex>.pth``), whose settings open-unmix hard-codes in ``openunmix/__init__.py``:
  ``--preset`` names them (:data:`PRESETS`).

Every ``.pth`` is read with ``torch.load(weights_only=True)``. ``max_bin`` is the length of
``input_mean`` (as open-unmix's loader takes it); three LSTM layers, as open-unmix always builds.
Each target's tensors map by :data:`TARGET_KEYS`, name for name, onto ``openunmix.targets.<target>``
of a ``SeparationModel(architecture="openunmix")``; open-unmix 1.0 also saved its STFT with the network
(``sample_rate``, ``stft.window``, ``transform.0.window``, found in the umx/umxhq releases), and
those are dropped: hfsynth rebuilds the same periodic Hann STFT from the settings.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from ..models.separation import SeparationConfig, SeparationModel, SeparationPipeline
from .base import Converter, KeyMapping, load_torch_checkpoint, model_card, resolve_source, write_folder

MUSIC_TARGETS = ("vocals", "drums", "bass", "other")
SPEECH_TARGETS = ("speech", "noise")
#: open-unmix's Separator defaults (``openunmix.umxhq(niter=1, wiener_win_len=300)``).
DEFAULT_NITER, DEFAULT_WIENER_WIN_LEN = 1, 300
LSTM_LAYERS, LSTM_DROPOUT = 3, 0.4

#: One target's ``OpenUnmix.state_dict()`` -> hfsynth's ``OpenUnmixNetwork``: the same names (the
#: network keeps Open-Unmix's layer names), and open-unmix 1.0's saved STFT dropped.
TARGET_KEYS = KeyMapping(
    renames=[
        (r"(input|output)_(mean|scale)", r"\g<0>"),
        (r"fc[123]\.weight", r"\g<0>"),
        (r"bn[123]\.(weight|bias|running_mean|running_var|num_batches_tracked)", r"\g<0>"),
        (r"lstm\.(weight|bias)_(ih|hh)_l\d+(_reverse)?", r"\g<0>"),
    ],
    ignored=[r"sample_rate", r"stft\.window", r"transform\.0\.window"],
)


@dataclass(frozen=True)
class Settings:
    """What the model is built from: the targets, the separator's STFT and channels, the networks' shape."""

    targets: tuple[str, ...]
    n_fft: int
    hop_length: int
    channels: int
    sampling_rate: int
    hidden_size: int
    bidirectional: bool = True


@dataclass(frozen=True)
class Preset(Settings):
    """The settings open-unmix hard-codes for one published model (``openunmix/__init__.py``), where
    its weights are, and their licence."""

    bandwidth: float = 16000.0
    record: str = ""
    license: str = "mit"

    @property
    def max_bin(self) -> int:
        """``openunmix.utils.bandwidth_to_max_bin``: the bins up to ``bandwidth`` Hz, inclusive."""
        frequencies = np.linspace(0, self.sampling_rate / 2, self.n_fft // 2 + 1)
        return int(np.flatnonzero(frequencies <= self.bandwidth).max()) + 1


ZENODO = "https://zenodo.org/records/"
PRESETS = {
    "umxhq": Preset(MUSIC_TARGETS, 4096, 1024, 2, 44100, 512, record=ZENODO + "3370489"),
    "umx": Preset(MUSIC_TARGETS, 4096, 1024, 2, 44100, 512, record=ZENODO + "3370486"),
    "umxl": Preset(MUSIC_TARGETS, 4096, 1024, 2, 44100, 1024, record=ZENODO + "5069601", license="cc-by-nc-sa-4.0"),
    "umxse": Preset(SPEECH_TARGETS, 1024, 512, 1, 16000, 256, record=ZENODO + "3786908"),
}


# -------------------------------------------------------------------------------- reading
def read_json(path: Path) -> dict:
    """A JSON file's content, or ``ValueError`` naming the file."""
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not readable JSON ({error})") from error


def json_int(settings: Mapping, key: str, path: Path) -> int:
    """``settings[key]`` as an int (an integral float such as 44100.0 too), else ``ValueError`` naming it."""
    value = settings.get(key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{path}: {key} must be an integer; got {value!r}")
    return value


def ordered_targets(names: set[str]) -> tuple[str, ...]:
    """Targets in open-unmix's order (vocals, drums, bass, other / speech, noise), then the rest by name."""
    known = [name for name in (*MUSIC_TARGETS, *SPEECH_TARGETS) if name in names]
    return tuple(known + sorted(names - set(known)))


def folder_settings(folder: Path, targets: tuple[str, ...] | None) -> Settings:
    """The settings of a folder written by open-unmix's train.py (``separator.json`` + ``<target>.json``)."""
    separator_path = folder / "separator.json"
    separator = read_json(separator_path)
    if targets is None:
        targets = ordered_targets({path.stem for path in folder.glob("*.json")} - {"separator"})
    if not targets:
        raise ValueError(f"{folder} has separator.json but no <target>.json")
    n_fft, hop = json_int(separator, "nfft", separator_path), json_int(separator, "nhop", separator_path)
    channels = json_int(separator, "nb_channels", separator_path)
    rate = json_int(separator, "sample_rate", separator_path)
    hidden_sizes, directions = set(), set()
    for target in targets:
        path = folder / f"{target}.json"
        if not path.is_file():
            raise ValueError(f"{folder}: no {target}.json for target {target!r}")
        args = read_json(path).get("args")
        if not isinstance(args, dict):
            raise ValueError(f"{path} has no 'args' (the training settings open-unmix reads)")
        for key, expected in (("nfft", n_fft), ("nb_channels", channels)):
            if json_int(args, key, path) != expected:
                raise ValueError(f"{path}: {key} {args[key]} differs from separator.json's {expected}")
        hidden_sizes.add(json_int(args, "hidden_size", path))
        directions.add(not args.get("unidirectional", False))
    if len(hidden_sizes) > 1 or len(directions) > 1:
        raise ValueError(f"{folder}: the targets differ in hidden_size / unidirectional ({sorted(hidden_sizes)}); "
                         "hfsynth's Open-Unmix shares one network shape")
    return Settings(targets, n_fft, hop, channels, rate, hidden_sizes.pop(), directions.pop())


def preset_settings(name: str, targets: tuple[str, ...] | None) -> Settings:
    """A preset's settings, for ``targets`` (default: all the preset's)."""
    return PRESETS[name] if targets is None else replace(PRESETS[name], targets=targets)


def weights_file(folder: Path, target: str) -> Path:
    """``<target>.pth`` or the published ``<target>-<8 hex>.pth`` / ``<target>_<8 hex>.pth``: exactly one."""
    pattern = re.compile(rf"{re.escape(target)}([-_][0-9a-f]{{8}})?\.pth")
    found = sorted(path for path in folder.glob("*.pth") if pattern.fullmatch(path.name))
    if len(found) != 1:
        what = "no" if not found else f"{len(found)} ({', '.join(path.name for path in found)})"
        raise ValueError(f"{folder}: {what} weights for target {target!r} ({target}.pth or {target}-<hash>.pth)")
    return found[0]


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """A target's state dict, read without running code; ``ValueError`` naming the file otherwise."""
    state = load_torch_checkpoint(path)
    if not isinstance(state, Mapping) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise ValueError(f"{path} is not an Open-Unmix state dict (a mapping of names to tensors)")
    if "input_mean" not in state:
        raise ValueError(f"{path} does not fit the model: nothing for input_mean (is it an Open-Unmix target?)")
    return dict(state)


# -------------------------------------------------------------------------------- conversion
def build_config(settings: Settings, max_bin: int, residual: str | None, niter: int,
                 wiener_win_len: int | None) -> SeparationConfig:
    """The hfsynth config of an Open-Unmix separator (3 LSTM layers and dropout 0.4, as open-unmix builds)."""
    return SeparationConfig(
        architecture="openunmix",
        stem_names=[*settings.targets, *([residual] if residual else [])],
        residual=residual,
        sampling_rate=settings.sampling_rate,
        audio_channels=settings.channels,
        n_fft=settings.n_fft,
        hop_length=settings.hop_length,
        max_bin=max_bin,
        hidden_size=settings.hidden_size,
        lstm_layers=LSTM_LAYERS,
        bidirectional=settings.bidirectional,
        dropout=LSTM_DROPOUT,
        niter=niter,
        wiener_win_len=wiener_win_len,
    )


def source_settings(folder: Path, preset: str | None, targets: tuple[str, ...] | None) -> Settings:
    """The folder's own settings (``separator.json``), or the named preset's for bare published weights."""
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    if (folder / "separator.json").is_file():
        if preset is not None:
            raise ValueError(f"{folder}: has separator.json; --preset is for folders of published weights alone")
        return folder_settings(folder, targets)
    if preset is None:
        raise ValueError(f"{folder}: no separator.json: name the published model's settings with --preset "
                         f"({', '.join(PRESETS)})")
    return preset_settings(preset, targets)


def shared_max_bin(folder: Path, states: Mapping[str, Mapping[str, torch.Tensor]], preset: str | None) -> int:
    """``len(input_mean)``, the bins every network reads (open-unmix's loader takes it from there)."""
    max_bins = {len(state["input_mean"]) for state in states.values()}
    if len(max_bins) > 1:
        raise ValueError(f"{folder}: the targets differ in max_bin (len(input_mean): {sorted(max_bins)})")
    max_bin = max_bins.pop()
    if preset is not None and max_bin != PRESETS[preset].max_bin:
        raise ValueError(f"{folder}: input_mean has {max_bin} bins; {preset} reads {PRESETS[preset].max_bin}")
    return max_bin


def convert(
    checkpoint: str,
    out: str | Path,
    preset: str | None = None,
    targets: str | list[str] | None = None,
    residual: str | None = None,
    niter: int = DEFAULT_NITER,
    wiener_win_len: int | None = DEFAULT_WIENER_WIN_LEN,
    license: str | None = None,
) -> Path:
    """Converts the Open-Unmix model at ``checkpoint`` (folder or Hub id) into an hfsynth folder ``out``.

    preset: the published model whose settings a folder of bare weights has (umxhq, umx, umxl, umxse);
        required without ``separator.json``, refused with it.
    targets: the targets to convert (comma-separated or a list; default: every ``<target>.json``,
        or the preset's).
    residual: the name of one more stem, the mixture minus the targets (open-unmix's ``residual``).
    niter / wiener_win_len: the folder's default Wiener post-filter (calls may override them).
    license: the weights' licence for the model card (default: the preset's, else "other").
    """
    folder = resolve_source(checkpoint, ["*.json", "*.pth"], "Open-Unmix checkpoint folder")
    if isinstance(targets, str):
        targets = [name.strip() for name in targets.split(",") if name.strip()]
    settings = source_settings(folder, preset, tuple(targets) if targets else None)
    if residual is not None and residual in settings.targets:
        raise ValueError(f"residual {residual!r} is a target; the residual stem is the mixture minus the targets")
    paths = {target: weights_file(folder, target) for target in settings.targets}
    states = {target: read_state_dict(path) for target, path in paths.items()}

    config = build_config(settings, shared_max_bin(folder, states, preset), residual, niter, wiener_win_len)
    model = SeparationModel(config).eval()
    mapped = {}
    for target, state in states.items():
        network = model.openunmix.targets[target]
        for key, tensor in TARGET_KEYS.apply(state, network.state_dict(), str(paths[target])).items():
            mapped[f"openunmix.targets.{target}.{key}"] = tensor
    model.load_state_dict(mapped, strict=True)

    card = model_card(
        title=f"Open-Unmix {preset or Path(str(checkpoint)).name} (hfsynth)",
        license=license or (PRESETS[preset].license if preset else "other"),
        source=f"Open-Unmix {preset} ({PRESETS[preset].record})" if preset else f"the Open-Unmix folder {checkpoint}",
        pipeline_tag="audio-to-audio",
        tags=["source-separation", "open-unmix"],
        body=card_body(config),
    )
    return write_folder(out, lambda folder: SeparationPipeline(model).save_pretrained(folder), card)


def card_body(config: SeparationConfig) -> str:
    """The card's text: the stems, the sizes and how to call the folder."""
    stems = ", ".join(f"`{name}`" for name in config.stem_names)
    residual = f" (`{config.residual}`: the mixture minus the others)" if config.residual else ""
    return f"""
Open-Unmix (Stöter, Uhlich, Liutkus & Mitsufuji, 2019): one LSTM network per stem over STFT
magnitudes, then a multichannel Wiener filter. Stems: {stems}{residual}.

{config.sampling_rate} Hz, {config.audio_channels} channel(s), STFT {config.n_fft} / {config.hop_length}, \
networks reading {config.max_bin} bins, hidden size {config.hidden_size}, {config.lstm_layers} LSTM layers. \
Wiener filter by default: `niter={config.niter}`, `wiener_win_len={config.wiener_win_len}`; pass them, or \
`residual=` (a stem to compute as the mixture minus the others), per call.

```python
import hfsynth
from transformers import pipeline

separate = pipeline("audio-to-audio", model="path/to/this/folder")
out = separate({{"raw": wave, "sampling_rate": {config.sampling_rate}}}, niter=0)
out["stems"]["{config.stem_names[0]}"], out["sampling_rate"]
```
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True,
                        help="an Open-Unmix model folder or Hub id (separator.json + <target>.json + <target>.pth, "
                             "or published <target>-<hash>.pth files with --preset)")
    parser.add_argument("--preset", choices=list(PRESETS),
                        help="the published model whose hard-coded settings bare weights have")
    parser.add_argument("--targets", help="comma-separated targets to convert (default: all found / the preset's)")
    parser.add_argument("--residual", help="add a stem of this name: the mixture minus the targets")
    parser.add_argument("--niter", type=int, default=DEFAULT_NITER, help="default Wiener EM iterations (0: none)")
    parser.add_argument("--wiener-win-len", type=int, default=DEFAULT_WIENER_WIN_LEN,
                        help="default frames per Wiener window (0: the whole input)")
    parser.add_argument("--license", help="licence of the weights for the model card (default: the preset's)")


CONVERTER = Converter("openunmix", add_arguments, convert)
