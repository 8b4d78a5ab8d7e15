"""Musika's Keras ``.h5`` releases -> an hfsynth folder holding :class:`MusikaReleaseGenerator`.

Source: the authors' Hugging Face repos (github.com/marcoppasini/musika, ``models.py``
``download_networks``): ``marcop/musika_ae`` holds the universal autoencoder (``enc.h5``,
``enc2.h5``, ``dec.h5``, ``dec2.h5``), and ``marcop/musika_techno``, ``musika_misc`` and
``musika_misc_small`` each a generator: ``gen_ema.h5`` is the EMA generator that the authors'
generation loads; ``gen.h5``, ``critic.h5`` and the ``.npy`` optimizer pickles are training state
and are not read. ``--autoencoder`` and ``--generator`` take those repo ids (through the Hub cache)
or local folders such as the authors' ``checkpoints/ae`` and ``checkpoints/techno``.

Format: Keras 2 ``Model.save_weights`` HDF5, read with h5py (no TensorFlow): the root attribute
``layer_names``, and per layer a group whose ``weight_names`` attribute names its arrays.

Mapping: Keras' ``load_weights`` matches layers by position. The generator's layers have explicit
names (``00d``, ``0c``, ``0r``, ``0ai``, ``res1c``, ... ``9c``; ``0_small...`` in ``musika_misc_small``),
mapped by :data:`GENERATOR_NAMES`. The autoencoders' layers are auto-numbered (``conv2d_17``,
``conv2d_transpose_3``, ``add_noise_12``; the numbers depend on what the authors' process had built
before), so each is mapped by its rank among the layers of its kind (numeric suffix order =
creation order) onto the roles in :data:`AUTOENCODER_ROLES`, which list what the authors'
``build_*`` create, in order, minus the branch of ``build_decoder`` that Keras leaves out of the
model. Kernels change layout (Keras (1, k, in, out) / (1, k, out, in) -> torch (out, in, k) /
(in, out, k); Dense (in, out) -> (out, in)); every array must find its place and every weight of
the model must be filled, or the file and the arrays at fault are named.

The settings the weights do not record are the authors' ``parse/parse_generate.py`` defaults:
44.1 kHz, mu / sigma -25 / 75, truncation 2; the widths are read off the arrays.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch

from ..models.musika import MusikaReleaseConfig, MusikaReleaseGenerator
from ..models.musika.configuration_musika_release import ANCHOR_RANDOM_CHANNELS
from ..models.musika.pipeline_musika import MusikaReleasePipeline
from .base import Converter, KeyMapping, model_card, resolve_source, write_folder

AUTOENCODER_FILES = ("enc.h5", "dec.h5", "enc2.h5", "dec2.h5")
GENERATOR_FILE = "gen_ema.h5"

#: Autoencoder file -> (its module in the model, {Keras kind: roles in creation order}, {layer name: role}).
AUTOENCODER_ROLES: dict[str, tuple[str, dict[str, list[str]], dict[str, str]]] = {
    "enc.h5": ("autoencoder.encoder", {"conv2d": [*(f"layers.{i}.conv" for i in range(5)), "output"]}, {}),
    "dec.h5": ("autoencoder.decoder", {
        "conv2d": [*(f"down.{i}.conv" for i in range(4)), "magnitude", "phase"],
        "conv2d_transpose": [*(f"up.{i}.conv" for i in range(3)), "phase_up.0.conv", "phase_up.1.conv"],
        "add_noise": [*(f"down.{i}.noise" for i in range(4)), *(f"up.{i}.noise" for i in range(3)),
                      "phase_up.0.noise", "phase_up.1.noise"],
    }, {}),
    "enc2.h5": ("autoencoder.encoder2", {"conv2d": [f"layers.{i}.conv" for i in range(7)]}, {"cbottle": "bottleneck"}),
    "dec2.h5": ("autoencoder.decoder2", {
        "conv2d": [f"layers.{i}.conv" for i in (0, 2, 4)],
        "conv2d_transpose": [f"layers.{i}.conv" for i in (1, 3, 5, 6)],
        "add_noise": [f"layers.{i}.noise" for i in range(7)],
    }, {"cout": "output"}),
}


def generator_names(small: bool) -> dict[str, str]:
    """The generator's Keras layer names -> their modules (``conv_util_gen(name=n)`` makes ``nc``, ``nr``, ``nai``)."""
    names = {"00d": "dense", "00n": "dense_noise", "00ai": "dense_adain.project", "9c": "output"}
    blocks = {"8": "last"}
    for stage in range(4):
        first, second = (f"{stage * 2}_small", f"{stage * 2 + 1}_small") if small and stage == 0 else (
            str(stage * 2), str(stage * 2 + 1))
        blocks |= {first: f"stages.{stage}.first", second: f"stages.{stage}.second"}
        names[f"res{stage + 1}c" + ("_small" if small and stage == 0 else "")] = f"stages.{stage}.shortcut"
    for block, module in blocks.items():
        names |= {f"{block}c": f"{module}.conv", f"{block}r": f"{module}.noise", f"{block}ai": f"{module}.adain.project"}
    return {name: f"generator.{module}" for name, module in names.items()}


#: Keras weight -> torch parameter of the module it maps to.
PARAMETER_NAMES = {"kernel": "weight", "bias": "bias", "noise_weight": "weight"}
_AUTO_NAMED = re.compile(r"(conv2d_transpose|conv2d|add_noise|dense|batch_normalization)(?:_(\d+))?")


@dataclass
class KerasWeights:
    """One ``save_weights`` file: layer name -> {weight name as stored, e.g. ``conv2d_6/kernel:0``: array}."""

    path: Path
    layers: dict[str, dict[str, np.ndarray]]

    def array(self, layer: str, kind: str) -> np.ndarray:
        for name, value in self.layers.get(layer, {}).items():
            if weight_kind(name) == kind:
                return value
        raise ValueError(f"{self.path}: layer {layer!r} has no {kind!r} (layers: {', '.join(self.layers)})")


def weight_kind(name: str) -> str:
    """``conv2d_6/kernel:0`` -> ``kernel``."""
    return name.rsplit("/", 1)[-1].split(":", 1)[0]


def read_keras_weights(path: Path) -> KerasWeights:
    """The arrays of a Keras 2 ``save_weights`` HDF5 file, by layer, in the file's layer order."""
    if not path.is_file():
        raise ValueError(f"Musika weights not found: {path}")
    try:
        with h5py.File(path, "r") as file:
            if "layer_names" not in file.attrs:
                raise ValueError(f"{path} is not a Keras save_weights file (no 'layer_names' attribute)")
            layers = {}
            for layer in (_text(name) for name in file.attrs["layer_names"]):
                names = [_text(name) for name in file[layer].attrs.get("weight_names", [])]
                if names:
                    layers[layer] = {name: np.asarray(file[layer][name][()], dtype=np.float32) for name in names}
    except (OSError, KeyError) as error:
        raise ValueError(f"{path} is truncated or not a Keras HDF5 weights file ({error})") from error
    return KerasWeights(path, layers)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def torch_layout(array: np.ndarray) -> torch.Tensor:
    """Keras kernel layouts -> torch's: (1, k, a, b) -> (b, a, k); Dense (in, out) -> (out, in)."""
    tensor = torch.from_numpy(np.ascontiguousarray(array))
    if tensor.ndim == 4:
        return tensor[0].permute(2, 1, 0).contiguous()
    return tensor.T.contiguous() if tensor.ndim == 2 else tensor


def autoencoder_layer_modules(weights: KerasWeights) -> dict[str, str]:
    """Layer name -> module, for one autoencoder file: each auto-numbered layer by its rank within its kind."""
    prefix, roles, named = AUTOENCODER_ROLES[weights.path.name]
    if any(name.startswith("batch_normalization") for name in weights.layers):
        raise ValueError(f"{weights.path} has batch-norm layers: it is not the 44.1 kHz release (the authors' "
                         "22kHz/ networks are a different architecture, which this converter does not read)")
    ranked: dict[str, list[tuple[int, str]]] = {}
    for layer in weights.layers:
        match = _AUTO_NAMED.fullmatch(layer)
        if match and layer not in named:
            ranked.setdefault(match[1], []).append((int(match[2] or 0), layer))
    modules = {layer: f"{prefix}.{role}" for layer, role in named.items()}
    for kind, layers in ranked.items():
        for role, (_, layer) in zip(roles.get(kind, []), sorted(layers)):
            modules[layer] = f"{prefix}.{role}"
    return modules


def key_mapping(weights: KerasWeights, modules: dict[str, str]) -> KeyMapping:
    """Renames ``<layer>/.../<kind>:0`` to ``<module>.<parameter>`` for the layers given a module."""
    return KeyMapping(renames=[
        (re.escape(name), f"{modules[layer]}.{PARAMETER_NAMES[weight_kind(name)]}")
        for layer, arrays in weights.layers.items() if layer in modules
        for name in arrays if weight_kind(name) in PARAMETER_NAMES
    ])


def map_file(weights: KerasWeights, modules: dict[str, str], state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """One file's tensors, in torch layout, under the model's keys; every array and parameter accounted for."""
    prefix = AUTOENCODER_ROLES[weights.path.name][0] if weights.path.name in AUTOENCODER_ROLES else "generator"
    target = {key: value for key, value in state.items() if key.startswith(prefix + ".")}
    source = {name: torch_layout(array) for arrays in weights.layers.values() for name, array in arrays.items()}
    return key_mapping(weights, modules).apply(source, target, str(weights.path))


def release_config(autoencoder: dict[str, KerasWeights], generator: KerasWeights, sampling_rate: int
                   ) -> MusikaReleaseConfig:
    """The configuration the arrays imply (widths, ``small``), with the release's defaults for the rest."""
    if "00d" not in generator.layers:
        raise ValueError(f"{generator.path} has no layer '00d': it is not a 44.1 kHz Musika generator (the "
                         f"22 kHz release's generator is a different architecture); layers: {', '.join(generator.layers)}")
    encoder = autoencoder["enc.h5"]
    first_layer = {module: layer for layer, module in autoencoder_layer_modules(encoder).items()}
    first = encoder.array(first_layer.get("autoencoder.encoder.layers.0.conv", ""), "kernel")  # (1, 1, bins, 4w)
    latent_channels = generator.array("9c", "kernel").shape[-1] // 2
    dense = generator.array("00d", "kernel").shape[-1]                      # 4 * 7 * base_channels
    if dense % 28:
        raise ValueError(f"{generator.path}: dense layer 00d has {dense} outputs, not 4 * 7 * base_channels")
    bottleneck = autoencoder["enc2.h5"].array("cbottle", "kernel").shape[-1]
    if bottleneck != latent_channels:
        raise ValueError(f"the autoencoder makes {bottleneck}-channel latents but the generator "
                         f"{generator.path} makes {latent_channels}: they do not belong together")
    return MusikaReleaseConfig(
        sampling_rate=sampling_rate, hop_length=(first.shape[2] - 1) // 2, autoencoder_width=first.shape[3] // 4,
        latent_channels=latent_channels, coordinate_channels=2 * latent_channels - ANCHOR_RANDOM_CHANNELS,
        base_channels=dense // 28, small="0_smallc" in generator.layers,
    )


# ------------------------------------------------------------------------------------ the command
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--autoencoder", required=True,
                        help="folder or Hub id holding enc.h5, enc2.h5, dec.h5, dec2.h5 (e.g. marcop/musika_ae)")
    parser.add_argument("--generator", required=True,
                        help="folder or Hub id holding gen_ema.h5 (e.g. marcop/musika_techno, marcop/musika_misc, "
                             "marcop/musika_misc_small)")
    parser.add_argument("--sampling-rate", type=int, default=44100,
                        help="the rate the weights were trained at (not stored in them; default 44100)")


def convert(autoencoder: str | Path, generator: str | Path, out: str | Path, sampling_rate: int = 44100) -> Path:
    """Reads the release's five weight files and writes a folder that ``pipeline("text-to-audio")`` loads."""
    ae_folder = resolve_source(autoencoder, AUTOENCODER_FILES, "the Musika autoencoder (enc.h5, enc2.h5, dec.h5, dec2.h5)")
    gen_folder = resolve_source(generator, [GENERATOR_FILE], "the Musika generator (gen_ema.h5)")
    if not (gen_folder / GENERATOR_FILE).is_file() and (gen_folder / "gen.h5").is_file():
        raise ValueError(f"{gen_folder} has gen.h5 but no {GENERATOR_FILE}: generation uses the EMA generator "
                         f"({GENERATOR_FILE}); gen.h5 is the raw training copy")
    ae_weights = {name: read_keras_weights(ae_folder / name) for name in AUTOENCODER_FILES}
    gen_weights = read_keras_weights(gen_folder / GENERATOR_FILE)
    config = release_config(ae_weights, gen_weights, sampling_rate)
    model = MusikaReleaseGenerator(config).eval()
    state = model.state_dict()
    mapped = map_file(gen_weights, generator_names(config.small), state)
    for weights in ae_weights.values():
        mapped |= map_file(weights, autoencoder_layer_modules(weights), state)
    model.load_state_dict(mapped, strict=True)
    card = release_card(str(autoencoder), str(generator), config)
    return write_folder(out, lambda folder: MusikaReleasePipeline(model).save_pretrained(folder), card)


def release_card(autoencoder: str, generator: str, config: MusikaReleaseConfig) -> str:
    name = Path(generator.rstrip("/")).name
    body = f"""
The published Musika (Pasini & Schlüter, ISMIR 2022, "Musika! Fast Infinite Waveform Music Generation"),
layer for layer in PyTorch: generator `{name}` ({'small, ' if config.small else ''}base channels
{config.base_channels}) and the two-level autoencoder, stereo at {config.sampling_rate} Hz.

```python
import hfsynth
from transformers import pipeline

tta = pipeline("text-to-audio", model="<this folder>")
out = tta("", forward_params={{"audio_length_in_s": 30.0, "seed": 0, "truncation": 2.0}})
out["audio"].shape      # (2, samples)
```

`hfsynth.models.musika.MusikaPipeline.from_pretrained(folder).stream(3600.0)` streams an hour in
flat memory. The generator is unconditional: prompts asking for a tempo or a density are refused.

Weights: autoencoder `{autoencoder}`, generator `{generator}` (the EMA generator, `gen_ema.h5`).
Code and weights: github.com/marcoppasini/musika (MIT License, Copyright (c) 2022 Marco Pasini;
the Hub repos marcop/musika_ae and marcop/musika_techno / musika_misc / musika_misc_small state MIT too).
"""
    return model_card(title=f"Musika ({name}), converted", license="mit",
                      source=f"the authors' Keras release ({autoencoder} + {generator})",
                      pipeline_tag="text-to-audio", body=body, tags=("musika", "music"))


CONVERTER = Converter("musika", add_arguments, convert)
