"""magenta's published GANSynth -> an hfsynth GANSynth folder: ``hfsynth convert gansynth``.

Sources (a local folder or a Hub id), read without TensorFlow (:mod:`.tf_checkpoint`):

* magenta's checkpoint folder, as ``gansynth_generate.py --ckpt_dir`` takes it (the published
  ``acoustic_only`` and ``all_instruments``): ``experiment.json`` (the training flags) and
  ``stage_NNNNN/`` folders, the last of which holds the final ``tf.train.Saver`` checkpoint
  (``checkpoint``, ``model.ckpt-N.index``, ``model.ckpt-N.data-*``); it holds the whole training
  state, of which only the generator's ``ExponentialMovingAverage`` shadows are what magenta
  generates with;
* the TensorFlow.js copy magenta-js serves (``weights_manifest.json`` + shards): the EMA generator
  variables under their checkpoint names; its settings are magenta-js's fixed ones, the published
  flags.

The mapping: ``Generator/progressive_gan_generator/progressive_gan_block_N/<layer>/...`` ->
block 1's conv0 (the 'valid' convolution of the padded input) and conv1 -> ``input``; block N's
conv0 and conv1 -> ``blocks[N-2]``; every block's ``to_rgb`` -> ``to_spectrogram[N-1]``. Kernels
are HWIO (H = time, W = frequency) and un-scaled: the equalised learning rate multiplies them at
run time (sqrt(2 / fan_in), sqrt(1 / fan_in) for ``to_rgb``), as hfsynth's layers do, so they are
only transposed to hfsynth's (out, in, rows = frequency, frames = time). The raw generator
weights, the discriminator, the optimiser slots and the counters are dropped. The widths, latent
size, pitch count and first resolution come from the weights, the audio settings from the flags.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from ..models.gansynth import GANSynthConfig, GANSynthGenerator, GANSynthPipeline
from ..models.gansynth.configuration_gansynth import PUBLISHED
from .base import Converter, KeyMapping, model_card, resolve_source, write_folder
from .tf_checkpoint import TFCheckpoint, latest_checkpoint, read_tfjs_weights

GENERATOR = "Generator/progressive_gan_generator/"
EMA = "/ExponentialMovingAverage"
BLOCK = "progressive_gan_block_"
#: The files a Hub snapshot needs, for either source.
PATTERNS = ("experiment.json", "stage_*/*", "weights_manifest.json", "*.bin")
#: magenta's NSynth pitches (``datasets.py``): the one-hot covers MIDI 24..84.
PITCH_MIN, NUM_PITCHES = 24, 61
#: Checkpoint variables knowingly dropped: the raw generator weights (generation uses the EMA
#: shadows), the critic, Adam's slots and powers, the image counter and the training clock.
IGNORED = [rf"{re.escape(GENERATOR)}.*(?<!{re.escape(EMA)})", r"Discriminator/.*", r"progressive_gan_train_ops/.*",
           r"global_step", r"Variable"]
#: magenta's ``model.set_flags`` defaults of the flags read here (an ``experiment.json`` from an
#: older magenta may lack some).
MAGENTA_DEFAULTS = {
    "g_fn": "specgram", "data_type": "mel", "audio_length": 64000, "sample_rate": 16000,
    "data_normalizer": "specgrams_prespecified_normalizer", "mag_normalizer_a": 0.0661371661726,
    "mag_normalizer_b": 0.113718730221, "p_normalizer_a": 0.8, "p_normalizer_b": 0.0, "latent_vector_size": 256,
    "num_resolutions": 7, "scale_mode": "ALL", "scale_base": 2, "simple_arch": False, "to_rgb_activation": "tanh",
}
#: The flags GANSynth's generator must have for hfsynth's to be the same network.
REQUIRED_FLAGS = {"g_fn": "specgram", "data_normalizer": "specgrams_prespecified_normalizer", "scale_mode": "ALL",
                  "scale_base": 2, "simple_arch": False, "to_rgb_activation": "tanh"}
#: magenta's data types -> hfsynth representations (both IF spectrograms, mel or linear frequency).
REPRESENTATIONS = {"mel": "mel_if", "linear": "mag_if"}


def layer_names(num_blocks: int) -> dict[str, str]:
    """magenta's generator layers (under ``progressive_gan_generator/``) -> hfsynth's modules."""
    names = {f"{BLOCK}1/conv0": "input.padded_conv", f"{BLOCK}1/conv1": "input.conv"}
    for block in range(2, num_blocks + 1):
        names[f"{BLOCK}{block}/conv0"] = f"blocks.{block - 2}.conv1"
        names[f"{BLOCK}{block}/conv1"] = f"blocks.{block - 2}.conv2"
    for block in range(1, num_blocks + 1):
        names[f"{BLOCK}{block}/to_rgb"] = f"to_spectrogram.{block - 1}.conv"
    return names


def generator_mapping(num_blocks: int) -> KeyMapping:
    """The table: each layer's ``conv2d/kernel`` -> ``weight`` and its ``bias`` -> ``bias``."""
    renames = []
    for layer, module in layer_names(num_blocks).items():
        renames += [(re.escape(f"{layer}/conv2d/kernel"), f"{module}.weight"),
                    (re.escape(f"{layer}/bias"), f"{module}.bias")]
    return KeyMapping(renames=renames)


def variable_names(num_blocks: int) -> list[str]:
    """Every generator variable of a ``num_blocks`` GANSynth, below ``progressive_gan_generator/``."""
    return [f"{layer}/{part}" for layer in layer_names(num_blocks) for part in ("conv2d/kernel", "bias")]


def to_torch(value: np.ndarray) -> torch.Tensor:
    """HWIO kernels (H time, W frequency) -> (out, in, frequency, time); biases as they are."""
    return torch.from_numpy(np.ascontiguousarray(value.transpose(3, 2, 1, 0) if value.ndim == 4 else value))


def count_blocks(names: list[str], where: str) -> int:
    """The generator's blocks: the highest N of a ``progressive_gan_block_N`` variable."""
    blocks = [int(match.group(1)) for name in names if (match := re.match(rf"{BLOCK}(\d+)/", name))]
    if not blocks:
        raise ValueError(f"{where} holds no {GENERATOR}{BLOCK}N variables: not a GANSynth generator")
    return max(blocks)


# ------------------------------------------------------------------------------- sources
def ema_weights(names: list[str], read: Callable[[str], np.ndarray], where: str) -> dict[str, np.ndarray]:
    """The generator's EMA shadows, by name below ``progressive_gan_generator/``.

    Every other variable must be one GANSynth's training writes (:data:`IGNORED`), and every raw
    generator weight needs its shadow: ``ValueError`` naming the variable otherwise.
    """
    shadows = [name for name in names if name.startswith(GENERATOR) and name.endswith(EMA)]
    if not shadows:
        shown = ", ".join(names[:3])
        raise ValueError(f"{where} has no {GENERATOR}...{EMA} variables: not a GANSynth checkpoint "
                         f"(it holds {shown}, ...)")
    stray = [name for name in names if name not in shadows and not any(re.fullmatch(p, name) for p in IGNORED)]
    if stray:
        raise ValueError(f"{where} holds variables GANSynth's training does not write: {stray[:5]}")
    missing = [name for name in names if name.startswith(GENERATOR) and name not in shadows and name + EMA not in names]
    if missing:
        raise ValueError(f"{where} has no EMA copy of {missing[0]} ({missing[0]}{EMA}): magenta generates with the "
                         "generator's exponential moving average, which this checkpoint lacks")
    return {name[len(GENERATOR) : -len(EMA)]: read(name) for name in shadows}


def read_tensorflow(folder: Path) -> tuple[dict[str, np.ndarray], dict, str]:
    """magenta's checkpoint folder -> (EMA generator weights, flags, what was read)."""
    experiment = folder / "experiment.json"
    if not experiment.is_file():
        raise ValueError(f"{experiment} not found: magenta's GANSynth folder holds it beside its stage_* folders")
    try:
        flags = {**MAGENTA_DEFAULTS, **json.loads(experiment.read_text())}
    except ValueError as error:
        raise ValueError(f"{experiment} is not JSON ({error})") from error
    stages = sorted(path for path in folder.glob("stage_*") if path.is_dir())
    if not stages:
        raise ValueError(f"{folder} has no stage_* folder holding a checkpoint")
    final = 2 * flags["num_resolutions"] - 2
    if stages[-1].name != f"stage_{final:05d}":
        raise ValueError(f"{stages[-1]} is not the final stage (stage_{final:05d}) of a {flags['num_resolutions']}-"
                         "resolution GANSynth: only a finished training run generates at full resolution")
    checkpoint = TFCheckpoint(latest_checkpoint(stages[-1]))
    where = str(checkpoint.index_path)
    return ema_weights(list(checkpoint.entries), checkpoint.read, where), flags, where


def read_tfjs(folder: Path) -> tuple[dict[str, np.ndarray], dict, str]:
    """magenta-js's copy -> (EMA generator weights, the published flags, what was read).

    magenta-js reads only the last block's ``to_rgb``; a copy without the lower blocks' gets zeros
    there (they serve only the lower stages of training).
    """
    where = str(folder / "weights_manifest.json")
    stored = read_tfjs_weights(folder)
    weights = ema_weights(list(stored), stored.__getitem__, where)
    blocks = count_blocks(list(weights), where)
    lower_outputs = [name for name in variable_names(blocks - 1) if "/to_rgb/" in name]
    missing = [name for name in variable_names(blocks) if name not in weights and name not in lower_outputs]
    if missing:
        raise ValueError(f"{where} lacks {GENERATOR}{missing[0]}{EMA} (and {len(missing) - 1} more EMA weights)")
    for name in lower_outputs:
        channels = weights[f"{name.split('/')[0]}/conv1/conv2d/kernel"].shape[3]
        weights.setdefault(name, np.zeros((1, 1, channels, 2) if name.endswith("kernel") else (2,), np.float32))
    return weights, dict(MAGENTA_DEFAULTS), where


def read_source(folder: Path) -> tuple[dict[str, np.ndarray], dict, str]:
    """Either source -> (EMA generator weights by name below ``progressive_gan_generator/``, flags, where)."""
    if (folder / "weights_manifest.json").is_file():
        return read_tfjs(folder)
    if (folder / "experiment.json").is_file() or any(folder.glob("stage_*")):
        return read_tensorflow(folder)
    raise ValueError(f"{folder} is neither magenta's GANSynth checkpoint folder (experiment.json + stage_*/) nor its "
                     "TensorFlow.js copy (weights_manifest.json + shards)")


# -------------------------------------------------------------------------------- config
def config_from(flags: dict, weights: dict[str, np.ndarray], where: str) -> GANSynthConfig:
    """The hfsynth config of the generator: structure from the weights, audio from the flags."""
    for flag, value in REQUIRED_FLAGS.items():
        if flags[flag] != value:
            raise ValueError(f"{where}: {flag} is {flags[flag]!r}; hfsynth loads GANSynth with {flag}={value!r}")
    if flags["data_type"] not in REPRESENTATIONS:
        raise ValueError(f"{where}: data_type {flags['data_type']!r} is not an IF spectrogram "
                         f"({' or '.join(REPRESENTATIONS)}), which is what hfsynth's GANSynth generates")
    blocks = count_blocks(list(weights), where)
    first = weights.get(f"{BLOCK}1/conv0/conv2d/kernel")
    if first is None or first.ndim != 4:
        raise ValueError(f"{where} lacks {GENERATOR}{BLOCK}1/conv0/conv2d/kernel")
    frames, rows, inputs, _ = first.shape                                      # HWIO: time, frequency
    latent_size = int(flags["latent_vector_size"])
    if inputs - latent_size != NUM_PITCHES:
        raise ValueError(f"{where}: the first kernel reads {inputs} inputs, {latent_size} latents + "
                         f"{inputs - latent_size} pitches; magenta's GANSynth has {NUM_PITCHES} (MIDI 24-84)")
    channels = [int(weights[f"{BLOCK}{block}/conv1/conv2d/kernel"].shape[3]) for block in range(1, blocks + 1)]
    n_fft = 2 * rows * 2 ** (blocks - 1)                       # bins = rows of the top stage; DC dropped
    return GANSynthConfig.published(
        representation=REPRESENTATIONS[flags["data_type"]], sampling_rate=int(flags["sample_rate"]),
        audio_length_in_s=flags["audio_length"] / flags["sample_rate"], n_fft=n_fft // 2, hop_length=n_fft // 8,
        stage_resolutions=[[rows * 2**k, frames * 2**k] for k in range(blocks)], channels=channels,
        pitch_min=PITCH_MIN, pitch_max=PITCH_MIN + NUM_PITCHES - 1, latent_size=latent_size,
        normalizer_scale=[flags["mag_normalizer_a"], flags["p_normalizer_a"]],
        normalizer_offset=[flags["mag_normalizer_b"], flags["p_normalizer_b"]],
    )


# ------------------------------------------------------------------------------- convert
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True,
                        help="magenta's GANSynth folder (experiment.json + stage_*/, e.g. acoustic_only) or its "
                             "TensorFlow.js copy (weights_manifest.json + shards); a local folder or a Hub id")


def convert(checkpoint: str | Path, out: str | Path) -> Path:
    """Converts magenta's GANSynth at ``checkpoint`` into a folder at ``out`` (written whole or not at all)."""
    folder = resolve_source(checkpoint, PATTERNS, "magenta GANSynth checkpoint")
    weights, flags, where = read_source(folder)
    config = config_from(flags, weights, where)
    model = GANSynthGenerator(config).eval()
    tensors = {name: to_torch(value) for name, value in weights.items()}
    model.load_state_dict(generator_mapping(config.num_stages).apply(tensors, model.state_dict(), where), strict=True)
    name = Path(checkpoint).name if Path(checkpoint).exists() else str(checkpoint)      # a folder or a Hub id
    card = model_card(
        title=f"GANSynth ({name}, magenta)", license="apache-2.0",
        source=f"magenta's GANSynth `{name}`, `{Path(where).relative_to(folder)}` (the generator's exponential "
               "moving average)",
        pipeline_tag="text-to-audio", tags=("gansynth", "magenta"), body=_card_body(model),
    )
    return write_folder(out, lambda path: GANSynthPipeline(model).save_pretrained(path), card)


def _card_body(model: GANSynthGenerator) -> str:
    config = model.config
    parameters = sum(parameter.numel() for parameter in model.parameters())
    published = "the published size" if config.channels == PUBLISHED["channels"] else f"widths {config.channels}"
    return f"""
GANSynth (Engel et al., 2019: "GANSynth: Adversarial Neural Audio Synthesis") as magenta trained and
published it: a progressive GAN painting {config.audio_length_in_s:g} s notes at {config.sampling_rate} Hz as
{config.representation.replace('_', '-').upper()} spectrograms ({config.spectrogram_shape[0]} x
{config.spectrogram_shape[1]}), conditioned on MIDI pitch {config.pitch_min}-{config.pitch_max}; the latent is
the timbre. {parameters:,} generator parameters ({published}). hfsynth runs magenta's own spectral front end
(`spectral_frontend="magenta"`), so a latent and a pitch give the note magenta gives.

```python
import hfsynth, torch
from transformers import pipeline

torch.manual_seed(0)
note = pipeline("text-to-audio", model="<this folder>")("C4")        # {{"audio", "sampling_rate"}}

from hfsynth.models.gansynth import GANSynthPipeline
pipe = GANSynthPipeline.from_pretrained("<this folder>")
piece = pipe.render_midi("song.mid", generator=torch.Generator().manual_seed(0))
```

Audio comes back peak-normalised to 1 (hfsynth's contract), the last 20 ms faded out.
"""


CONVERTER = Converter("gansynth", add_arguments, convert)
