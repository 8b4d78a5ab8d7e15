"""The Universal Music Translation network's checkpoints -> one hfsynth folder (``hfsynth convert umt``).

Source: a checkpoint folder of facebookresearch/music-translation (CC-BY-NC 4.0), e.g. the released
``pretrained_musicnet`` (six MusicNet domains): ``args.pth`` (``torch.save([argparse.Namespace,
epoch])``, the training arguments, with ``pathlib`` paths) and, per domain id ``<i>``, the
``lastmodel_<i>.pth`` (what the release ships) or ``bestmodel_<i>.pth`` its ``train.py`` writes:
``{"encoder_state", "decoder_state", "discriminator_state", "model_optimizer_state",
"d_optimizer_state", "dataset"}`` (``dataset`` is the domain id). A local folder or a Hub id.

Reading: ``args.pth`` with exactly ``argparse.Namespace`` and ``pathlib.PosixPath`` allowed through
torch's safe globals, every model file with ``torch.load(weights_only=True)``; nothing else is
unpickled. The encoder is taken from the first domain's file (a distributed run keeps it identical
in all, and the original's ``run_on_files.py`` takes the first); the domain classifier and the
optimizer states are not converted (training only).

Mapping: the encoder's tensors keep their names. Each decoder becomes a WaveNetModel: its first
causal conv is the input convolution, ``skip_conv`` the input skip, ``fc`` / ``condition`` /
``logits`` the head; per layer the causal and conditioning convolutions have their two halves
swapped (the original gates with the first half, hfsynth with the second), the conditioning biases
join the convolutions' biases (they are summed), and the residual and skip 1x1s are stacked into
one output 1x1.
"""

from __future__ import annotations

import argparse
import pathlib
import re
from pathlib import Path
from typing import Any

import torch

from ..models.music_translation import MusicTranslationConfig, MusicTranslationModel, MusicTranslationPipeline
from .base import Converter, KeyMapping, load_torch_checkpoint, model_card, resolve_source, write_folder

#: The only classes ``args.pth`` may build.
ARGS_GLOBALS = (argparse.Namespace, pathlib.PosixPath)
CHECKPOINT_NAMES = ("lastmodel", "bestmodel")
#: The argument defaults of the original's train.py, for the few a Namespace may lack.
ARGS_DEFAULTS = {"encoder_pool": 800, "encoder_func": "relu", "kernel_size": 2}

DECODER_RENAMES = [
    (r"first_conv\.(weight|bias)", r"input_conv.\1"),
    (r"skip_conv\.(weight|bias)", r"input_skip.\1"),
    (r"fc\.weight", "head_hidden.weight"),
    (r"condition\.weight", "head_condition.weight"),
    (r"logits\.(weight|bias)", r"head_out.\1"),
]


# ------------------------------------------------------------------------------------ sources
def read_args(folder: Path) -> dict[str, Any]:
    """The training arguments of ``folder/args.pth`` as a dict (``ValueError`` naming the file)."""
    path = folder / "args.pth"
    if not path.is_file():
        raise ValueError(f"{folder} has no args.pth (the training arguments a music-translation checkpoint "
                         "folder holds)")
    loaded = load_torch_checkpoint(path, allowed_globals=ARGS_GLOBALS)
    if not (isinstance(loaded, (list, tuple)) and loaded and isinstance(loaded[0], argparse.Namespace)):
        raise ValueError(f"{path} is not the original's args.pth: expected [argparse.Namespace, epoch], "
                         f"got {type(loaded).__name__}")
    args = {**ARGS_DEFAULTS, **vars(loaded[0])}
    needed = ["data", "n_datasets", "latent_d", "encoder_channels", "encoder_blocks", "encoder_layers", "blocks",
              "layers", "residual_channels", "skip_channels"]
    missing = [name for name in needed if name not in args]
    if missing:
        raise ValueError(f"{path} lacks the arguments {', '.join(missing)}")
    return args


def domain_files(folder: Path, name: str | None) -> dict[int, Path]:
    """Domain id -> its ``<name>_<id>.pth`` (``name`` None: lastmodel if present, else bestmodel)."""
    found = {candidate: {int(match[1]): path for path in folder.iterdir()
                         if (match := re.fullmatch(rf"{candidate}_(\d+)\.pth", path.name))}
             for candidate in CHECKPOINT_NAMES}
    if name is None:
        name = next((candidate for candidate in CHECKPOINT_NAMES if found[candidate]), CHECKPOINT_NAMES[0])
    if name not in found:
        raise ValueError(f"--name must be one of {CHECKPOINT_NAMES}; got {name!r}")
    if not found[name]:
        raise ValueError(f"{folder} has no {name}_<domain>.pth files")
    return dict(sorted(found[name].items()))


def read_checkpoint(path: Path, domain: int) -> dict[str, Any]:
    checkpoint = load_torch_checkpoint(path)
    missing = [key for key in ("encoder_state", "decoder_state") if not isinstance(
        checkpoint.get(key) if isinstance(checkpoint, dict) else None, dict)]
    if missing:
        found = sorted(checkpoint) if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise ValueError(f"{path} is not a music-translation checkpoint: it lacks {', '.join(missing)} (found {found})")
    if isinstance(checkpoint.get("dataset"), int) and checkpoint["dataset"] != domain:
        raise ValueError(f"{path} holds the decoder of domain {checkpoint['dataset']}, not {domain}")
    return checkpoint


# ------------------------------------------------------------------------------------- config
def translation_config(args: dict[str, Any], domains: list[int]) -> MusicTranslationConfig:
    """hfsynth's config of the networks the original builds from ``args``, for the chosen domains."""
    names = [Path(str(path)).name for path in args["data"]]
    if len(names) != args["n_datasets"]:
        names = [f"domain_{i}" for i in range(args["n_datasets"])]
    if args["encoder_func"] not in ("relu", "tanh"):
        raise ValueError(f"encoder_func {args['encoder_func']!r} is not supported (relu or tanh)")
    return MusicTranslationConfig(
        domains=[names[i] for i in domains], encoder_blocks=args["encoder_blocks"],
        encoder_layers=args["encoder_layers"], encoder_channels=args["encoder_channels"],
        latent_channels=args["latent_d"], encoder_pool=args["encoder_pool"], encoder_activation=args["encoder_func"],
        decoder_blocks=args["blocks"], decoder_layers=args["layers"], decoder_kernel_size=args["kernel_size"],
        residual_channels=args["residual_channels"], skip_channels=args["skip_channels"],
    )


# ------------------------------------------------------------------------------------ mapping
def swap_halves(tensor: torch.Tensor) -> torch.Tensor:
    """(2R, ...) -> the last R rows first: the original gates with the first half, hfsynth with the second."""
    first, second = tensor.chunk(2, dim=0)
    return torch.cat([second, first])


def decoder_mapping(layers: int) -> KeyMapping:
    derived: dict[str, tuple[tuple[str, ...], Any]] = {
        "head_hidden.bias": (("fc.bias", "condition.bias"), lambda t: t["fc.bias"] + t["condition.bias"]),
    }
    for i in range(layers):
        source, target = f"layers.{i}", f"layers.{i}"
        causal, condition = f"{source}.causal", f"{source}.condition"
        derived[f"{target}.dilated.weight"] = ((f"{causal}.weight",), lambda t, k=f"{causal}.weight": swap_halves(t[k]))
        derived[f"{target}.dilated.bias"] = ((f"{causal}.bias", f"{condition}.bias"),
                                             lambda t: swap_halves(sum(t.values())))
        derived[f"{target}.local.weight"] = ((f"{condition}.weight",),
                                             lambda t, k=f"{condition}.weight": swap_halves(t[k]))
        for kind in ("weight", "bias"):
            keys = (f"{source}.residual.{kind}", f"{source}.skip.{kind}")
            derived[f"{target}.out.{kind}"] = (keys, lambda t, keys=keys: torch.cat([t[keys[0]], t[keys[1]]]))
    return KeyMapping(renames=DECODER_RENAMES, derived=derived)


ENCODER_MAPPING = KeyMapping(renames=[(r"(.+)", r"\1")])


# -------------------------------------------------------------------------------------- entry
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="the checkpoint folder (args.pth + lastmodel_<i>.pth or "
                                                            "bestmodel_<i>.pth, e.g. pretrained_musicnet) or a Hub id")
    parser.add_argument("--name", choices=CHECKPOINT_NAMES, help="which files to read (default: lastmodel if "
                                                                 "present, else bestmodel)")
    parser.add_argument("--domains", type=lambda text: [int(i) for i in text.split(",")],
                        help="comma-separated domain ids to convert (default: every domain of args.pth)")


def convert(checkpoint: str | Path, out: str | Path, name: str | None = None, domains: list[int] | None = None
            ) -> Path:
    """Converts a music-translation checkpoint folder into one hfsynth folder at ``out``; returns ``out``."""
    folder = resolve_source(checkpoint, ["args.pth", "*model_*.pth"], "music-translation checkpoint folder")
    args = read_args(folder)
    files = domain_files(folder, name)
    wanted = list(range(args["n_datasets"])) if domains is None else list(domains)
    absent = [i for i in wanted if i not in files]
    if absent:
        known = ", ".join(f"{i}: {Path(str(args['data'][i])).name}" if i < len(args["data"]) else str(i)
                          for i in absent)
        found = ", ".join(path.name for path in files.values())
        raise ValueError(f"{folder} has no file for domain(s) {known} (found {found})")
    config = translation_config(args, wanted)
    model = MusicTranslationModel(config).eval()
    checkpoints = {i: read_checkpoint(files[i], i) for i in wanted}
    first = files[wanted[0]]
    model.encoder.load_state_dict(ENCODER_MAPPING.apply(
        checkpoints[wanted[0]]["encoder_state"], model.encoder.state_dict(), f"{first} (encoder_state)"), strict=True)
    mapping = decoder_mapping(config.decoder_config.layers)
    for decoder, i in zip(model.decoders, wanted):
        state = mapping.apply(checkpoints[i]["decoder_state"], decoder.state_dict(), f"{files[i]} (decoder_state)")
        decoder.load_state_dict(state, strict=True)
    card = model_card(
        title=f"Universal Music Translation ({folder.name}: {', '.join(config.domains)})", license="cc-by-nc-4.0",
        source=f"facebookresearch/music-translation's `{folder.name}` "
               f"({first.name.split('_')[0]}_<domain>.pth, args.pth)",
        pipeline_tag="audio-to-audio", tags=["music-translation", "wavenet"], body=card_body(config),
    )
    return write_folder(out, lambda target: MusicTranslationPipeline(model).save_pretrained(target), card)


def card_body(config: MusicTranslationConfig) -> str:
    domains = "\n".join(f"- {i}: `{name}`" for i, name in enumerate(config.domains))
    return f"""
A Universal Music Translation network (Mor, Wolf, Polyak & Taigman, ICLR 2019): one encoder shared by
every domain ({config.encoder_blocks} x {config.encoder_layers} dilated layers, a {config.latent_channels}-channel
latent every {config.encoder_pool} samples) and one WaveNet decoder per domain ({config.decoder_blocks} x
{config.decoder_layers} layers, {config.residual_channels} channels) on 8-bit mu-law audio at {config.sampling_rate} Hz.
Domains (`target_domain` by name or index):

{domains}

```python
import hfsynth
from transformers import pipeline

translate = pipeline("audio-to-audio", model="path/to/this/folder")
out = translate({{"raw": wave, "sampling_rate": sr}}, target_domain="{config.domains[-1]}")
```

Translation decodes one sample at a time, in chunks of {config.chunk_frames} latent frames as the original
does. The weights keep the original's licence: CC-BY-NC 4.0, non-commercial use only.
"""


CONVERTER = Converter("umt", add_arguments, convert)
