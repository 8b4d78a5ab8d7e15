"""Musika's Keras ``.h5`` releases (44.1 kHz, and the repository's ``22kHz/`` one) -> an hfsynth folder
holding :class:`MusikaReleaseGenerator`.

Source: the authors' Hugging Face repos (github.com/marcoppasini/musika, ``models.py``
``download_networks``): ``marcop/musika_ae`` holds the universal autoencoder (``enc.h5``,
``enc2.h5``, ``dec.h5``, ``dec2.h5``), and ``marcop/musika_techno``, ``musika_misc`` and
``musika_misc_small`` each a generator: ``gen_ema.h5`` is the EMA generator that the authors'
generation loads; ``gen.h5``, ``critic.h5`` and the ``.npy`` optimizer pickles are training state
and are not read. ``--autoencoder`` and ``--generator`` take those repo ids (through the Hub cache)
or local folders such as the authors' ``checkpoints/ae`` and ``checkpoints/techno``. The 22 kHz
release lives in the repository itself (``22kHz/checkpoints/ae`` and ``22kHz/checkpoints/techno``);
its ``techno`` folder also holds ``dec.h5`` / ``dec2.h5``, which the authors' generation does not
read (``load()`` takes the decoders from ``dec_path``, ``checkpoints/ae``), and neither does this.

Which release a file is comes from its layers: the 22 kHz autoencoders have batch-norm layers
(``batch_normalization_N``), the 44.1 kHz ones none; the 44.1 kHz generator's layers are named
(``00d`` ...), the 22 kHz one's auto-numbered (``dense_N``, ``conv2d_N``, ...). Files of different
releases are refused together.

Format: Keras 2 ``Model.save_weights`` HDF5, read with h5py (no TensorFlow): the root attribute
``layer_names``, and per layer a group whose ``weight_names`` attribute names its arrays.

Mapping: Keras' ``load_weights`` matches layers by position. The generator's layers have explicit
names (``00d``, ``0c``, ``0r``, ``0ai``, ``res1c``, ... ``9c``; ``0_small...`` in ``musika_misc_small``),
mapped by :data:`GENERATOR_NAMES`. The autoencoders' layers are auto-numbered (``conv2d_17``,
``conv2d_transpose_3``, ``add_noise_12``; the numbers depend on what the authors' process had built
before), so each is mapped by its rank among the layers of its kind (numeric suffix order =
creation order) onto the roles in :data:`AUTOENCODER_ROLES` (:data:`AUTOENCODER_ROLES_22KHZ`),
which list what the authors' ``build_*`` create, in order, minus the branch of the 44.1 kHz
``build_decoder`` that Keras leaves out of the model. The 22 kHz generator is mapped the same way
(:func:`generator_roles_22khz`: Python builds an ``se_layer`` gate before the block it is passed to). Kernels change layout (Keras (1, k, in, out) / (1, k, out, in) -> torch (out, in, k) /
(in, out, k); Dense (in, out) -> (out, in)); every array must find its place and every weight of
the model must be filled, or the file and the arrays at fault are named.

The settings the weights do not record are the authors' ``parse/parse_generate.py`` defaults:
44.1 kHz, mu / sigma -25 / 75, truncation 2 (22 kHz: ``22kHz/parse_test.py``, 22050 Hz, mu / sigma
-25 / 75, and the demo's default truncation 0.885); the widths are read off the arrays.
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
from ..models.musika.modeling_musika_22khz import ENCODER_WIDTHS, GENERATOR_BLOCKS
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


def norm_roles(roles: list[str]) -> list[str]:
    """A 22 kHz ``conv_util``'s batch norm for each of its convolutions ``<block>.conv``."""
    return [role.replace(".conv", ".norm") for role in roles]


_ENC_22 = [f"layers.{i}.conv" for i in range(5)]
_DEC_22_CONV, _DEC_22_UP = [*(f"down.{i}.conv" for i in range(4)), "fuse.conv"], [f"up.{i}.conv" for i in range(3)]
_DEC_22_BLOCKS = [*(f"down.{i}.conv" for i in range(4)), *_DEC_22_UP, "fuse.conv"]
_ENC2_22 = [f"layers.{i}.conv" for i in range(6)]
_DEC2_22 = [f"layers.{i}.conv" for i in range(5)]
#: The same for the 22 kHz release (its ``cout`` is unnamed: the last Conv2D of DEC2).
AUTOENCODER_ROLES_22KHZ: dict[str, tuple[str, dict[str, list[str]], dict[str, str]]] = {
    "enc.h5": ("autoencoder.encoder", {"conv2d": [*_ENC_22, "output"], "batch_normalization": norm_roles(_ENC_22)}, {}),
    "dec.h5": ("autoencoder.decoder", {
        "conv2d": [*_DEC_22_CONV, "output"], "conv2d_transpose": _DEC_22_UP,
        "add_noise": [role.replace(".conv", ".noise") for role in _DEC_22_BLOCKS],
        "batch_normalization": norm_roles(_DEC_22_BLOCKS),
    }, {}),
    "enc2.h5": ("autoencoder.encoder2", {"conv2d": _ENC2_22, "batch_normalization": norm_roles(_ENC2_22)},
                {"cbottle": "bottleneck"}),
    "dec2.h5": ("autoencoder.decoder2", {
        "conv2d": ["layers.0.conv", "layers.3.conv", "output"],
        "conv2d_transpose": [f"layers.{i}.conv" for i in (1, 2, 4)],
        "add_noise": [role.replace(".conv", ".noise") for role in _DEC2_22],
        "batch_normalization": norm_roles(_DEC2_22),
    }, {}),
}
ROLES = {"44khz": AUTOENCODER_ROLES, "22khz": AUTOENCODER_ROLES_22KHZ}


def generator_roles_22khz() -> dict[str, list[str]]:
    """The 22 kHz generator's layers by kind, in the order ``build_generator`` creates them: per block,
    its gate's two convolutions (an argument, so built first), its convolution, its AdaIN projection."""
    conv2d, transposed, noise = ["dense_adain.project"], [], ["dense_noise"]
    for index, (_, _, _, upsample, _, gated_by) in enumerate(GENERATOR_BLOCKS):
        block = f"blocks.{index}"
        if gated_by is not None:
            conv2d += [f"{block}.gate.squeeze", f"{block}.gate.excite"]
        (transposed if upsample else conv2d).append(f"{block}.conv")
        noise.append(f"{block}.noise")
        conv2d.append(f"{block}.adain.project")
    return {"dense": ["dense"], "conv2d": [*conv2d, "output"], "conv2d_transpose": transposed, "add_noise": noise}


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
PARAMETER_NAMES = {"kernel": "weight", "bias": "bias", "noise_weight": "weight", "gamma": "weight", "beta": "bias",
                   "moving_mean": "running_mean", "moving_variance": "running_var"}
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


def autoencoder_variant(weights: KerasWeights) -> str:
    """``22khz`` for an autoencoder file with batch norm (the 22 kHz ``conv_util``), else ``44khz``."""
    return "22khz" if any(name.startswith("batch_normalization") for name in weights.layers) else "44khz"


def generator_variant(weights: KerasWeights) -> str:
    """``44khz`` for the named generator layers (``00d`` ...), ``22khz`` for auto-numbered ones (``dense_N``)."""
    if "00d" in weights.layers:
        return "44khz"
    if any((match := _AUTO_NAMED.fullmatch(name)) and match[1] == "dense" for name in weights.layers):
        return "22khz"
    raise ValueError(f"{weights.path} is not a Musika generator: it has neither layer '00d' (44.1 kHz release) nor "
                     f"an auto-named dense layer (22 kHz release); layers: {', '.join(weights.layers)}")


def autoencoder_layer_modules(weights: KerasWeights, variant: str = "44khz") -> dict[str, str]:
    """Layer name -> module, for one autoencoder file: each auto-numbered layer by its rank within its kind."""
    prefix, roles, named = ROLES[variant][weights.path.name]
    return ranked_modules(weights, prefix, roles, named)


def ranked_modules(weights: KerasWeights, prefix: str, roles: dict[str, list[str]], named: dict[str, str]
                   ) -> dict[str, str]:
    """Layer name -> ``prefix.role``: named layers by name, auto-numbered ones by their rank within their kind."""
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


def map_file(weights: KerasWeights, prefix: str, modules: dict[str, str], state: dict[str, torch.Tensor]
             ) -> dict[str, torch.Tensor]:
    """One file's tensors, in torch layout, under the model's keys (those of ``prefix``); every array
    and parameter accounted for."""
    target = {key: value for key, value in state.items() if key.startswith(prefix + ".")}
    source = {name: torch_layout(array) for arrays in weights.layers.values() for name, array in arrays.items()}
    return key_mapping(weights, modules).apply(source, target, str(weights.path))


def file_modules(weights: KerasWeights, variant: str, small: bool) -> tuple[str, dict[str, str]]:
    """(module prefix, layer name -> module) of one release file."""
    if weights.path.name in AUTOENCODER_FILES:
        return ROLES[variant][weights.path.name][0], autoencoder_layer_modules(weights, variant)
    if variant == "22khz":
        return "generator", ranked_modules(weights, "generator", generator_roles_22khz(), {})
    return "generator", generator_names(small)


def release_variant(autoencoder: dict[str, KerasWeights], generator: KerasWeights) -> str:
    """The release all five files belong to; files of both releases are refused together."""
    variants = {weights.path.name: autoencoder_variant(weights) for weights in autoencoder.values()}
    variants[generator.path.name] = generator_variant(generator)
    if len(set(variants.values())) > 1:
        found = ", ".join(f"{name}: {VARIANT_NAMES[variant]}" for name, variant in variants.items())
        raise ValueError(f"these files mix the 44.1 kHz and the 22 kHz release ({found}); the autoencoder "
                         "(with batch norm at 22 kHz) and the generator must come from the same one")
    return variants[generator.path.name]


VARIANT_NAMES = {"44khz": "44.1 kHz", "22khz": "22 kHz"}


def first_kernel(weights: KerasWeights, variant: str) -> np.ndarray:
    """ENC's first convolution kernel (1, 1, bins, width)."""
    layer = {module: name for name, module in autoencoder_layer_modules(weights, variant).items()}
    return weights.array(layer.get("autoencoder.encoder.layers.0.conv", ""), "kernel")


def generator_sizes(generator: KerasWeights, variant: str) -> tuple[int, int, int]:
    """(coordinate channels it reads, latent channels per audio channel it makes, base_channels)."""
    modules = {module: name for name, module in file_modules(generator, variant, False)[1].items()}
    dense = generator.array(modules.get("generator.dense", ""), "kernel")    # (2 frames * inputs, 4 * 7 b)
    output = generator.array(modules.get("generator.output", ""), "kernel")  # (1, k, 2b, 2 L)
    if dense.shape[-1] % 28:
        raise ValueError(f"{generator.path}: the dense layer has {dense.shape[-1]} outputs, not 4 * 7 * base_channels")
    return dense.shape[0] // 2, output.shape[-1] // 2, dense.shape[-1] // 28


def release_config(autoencoder: dict[str, KerasWeights], generator: KerasWeights, sampling_rate: int | None = None
                   ) -> MusikaReleaseConfig:
    """The configuration the arrays imply (release, widths, ``small``), with the release's defaults for the rest."""
    variant = release_variant(autoencoder, generator)
    first = first_kernel(autoencoder["enc.h5"], variant)
    inputs, latent_channels, base_channels = generator_sizes(generator, variant)
    if inputs != 2 * latent_channels:
        raise ValueError(
            f"{generator.path} reads {inputs} coordinate channels, not 2 * {latent_channels}: the authors' generation "
            "(get_noise_interp_multi) feeds 128; a 22 kHz generator built with its parse default conditional=False "
            "expects 129 and cannot be run by their code either")
    bottleneck = autoencoder["enc2.h5"].array("cbottle", "kernel").shape[-1]
    if bottleneck != latent_channels:
        raise ValueError(f"the autoencoder makes {bottleneck}-channel latents but the generator "
                         f"{generator.path} makes {latent_channels}: they do not belong together")
    # the width unit: hop (4 x ENC's width) at 44.1 kHz; hop / 16 (ENC's first width / 34) at 22 kHz
    width, multiple = first.shape[3], (4 if variant == "44khz" else ENCODER_WIDTHS[0])
    if width % multiple:
        raise ValueError(f"{autoencoder['enc.h5'].path}: the encoder's first layer has {width} channels, "
                         f"not a multiple of {multiple}")
    return MusikaReleaseConfig(
        variant=variant, sampling_rate=sampling_rate,
        hop_length=(first.shape[2] - 1) // 2, autoencoder_width=width // multiple,
        latent_channels=latent_channels, coordinate_channels=2 * latent_channels - ANCHOR_RANDOM_CHANNELS,
        base_channels=base_channels, small="0_smallc" in generator.layers,
    )


# ------------------------------------------------------------------------------------ the command
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--autoencoder", required=True,
                        help="folder or Hub id holding enc.h5, enc2.h5, dec.h5, dec2.h5 (e.g. marcop/musika_ae; "
                             "the 22 kHz release: the repository's 22kHz/checkpoints/ae)")
    parser.add_argument("--generator", required=True,
                        help="folder or Hub id holding gen_ema.h5 (e.g. marcop/musika_techno, marcop/musika_misc, "
                             "marcop/musika_misc_small; the 22 kHz release: 22kHz/checkpoints/techno)")
    parser.add_argument("--sampling-rate", type=int, default=None,
                        help="the rate the weights were trained at (not stored in them; default: the release's, "
                             "44100 or 22050)")


def convert(autoencoder: str | Path, generator: str | Path, out: str | Path, sampling_rate: int | None = None) -> Path:
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
    mapped = {}
    for weights in (gen_weights, *ae_weights.values()):
        mapped |= map_file(weights, *file_modules(weights, config.variant, config.small), state)
    model.load_state_dict(mapped, strict=True)
    card = release_card(str(autoencoder), str(generator), config)
    return write_folder(out, lambda folder: MusikaReleasePipeline(model).save_pretrained(folder), card)


def release_card(autoencoder: str, generator: str, config: MusikaReleaseConfig) -> str:
    name = Path(generator.rstrip("/")).name
    body = f"""
The published Musika (Pasini & Schlüter, ISMIR 2022, "Musika! Fast Infinite Waveform Music Generation"),
layer for layer in PyTorch ({VARIANT_NAMES[config.variant]} release): generator `{name}`
({'small, ' if config.small else ''}base channels {config.base_channels}) and the two-level autoencoder, stereo at
{config.sampling_rate} Hz; default truncation (the bound of the style's and anchors' truncated normal) {config.truncation}.

```python
import hfsynth
from transformers import pipeline

tta = pipeline("text-to-audio", model="<this folder>")
out = tta("", forward_params={{"audio_length_in_s": 30.0, "seed": 0, "truncation": {config.truncation}}})
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
