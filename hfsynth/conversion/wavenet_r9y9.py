"""r9y9's ``wavenet_vocoder`` checkpoints -> hfsynth WaveNet vocoder folders (``hfsynth convert wavenet``).

Source: the files r9y9's ``train.py`` writes (github.com/r9y9/wavenet_vocoder, MIT licence):
``checkpoint_step<N>.pth`` = ``{"state_dict", "optimizer", "global_step", "global_epoch", ...}``
and, when training kept an exponential moving average, its twin ``checkpoint_step<N>_ema.pth``
holding the averaged weights (what r9y9 publishes and synthesises with; used here when it lies
beside the file given), plus the hparams JSON the model was trained with (a file, or the name of
one of r9y9's presets). Two generations of the code, told apart by the state dict:

* **v0.1** (the PyPI package 0.1.1 and ``presets/*.json``; the published LJSpeech and CMU ARCTIC
  models): a ``ConvTranspose2d`` + ReLU upsampler, the "legacy" skip sum (rescaled by sqrt(1/2)
  after every layer), biased conditioning 1x1s, Tacotron's dB mel with ``lws`` framing, mu-law
  with mu = 256, mixture draws with the log-scale floored, ``np.random.choice`` for mu-law draws.
* **v0.2** (GitHub master, ``egs/*/conf/*.json``): ``ConvInUpsampleNetwork``, one sqrt(1/layers)
  skip scale, ESPnet's standardised log10 mel after a 70 Hz low cut (the per-band mean and scale of
  the training set come from ``--mel-stats``), pre-emphasis and a gain on the waveform, mu = 255,
  unfloored mixture draws, ``OneHotCategorical`` for mu-law draws.

The mapping: every weight-normalised ``(weight_g, weight_v)`` pair is folded into its weight
(``g v / ||v||``), then the tensors move by the tables below. Derived tensors: the one-hot input
1x1 becomes an embedding (its bias added to every row), the conditioning biases are added to the
dilated convolution's bias (they are summed before the gate), and each layer's residual and skip
1x1s are stacked into hfsynth's one output 1x1 (the skip rows scaled by the layer's weight in
v0.1's legacy skip sum). Pickles are read with ``torch.load(weights_only=True)`` only.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..models.wavenet import WaveNetConfig, WaveNetModel, WaveNetPipeline
from .base import Converter, KeyMapping, fold_weight_norm, load_torch_checkpoint, model_card, write_folder

#: The hparams.py defaults of each generation, for the keys the converter reads (a preset JSON
#: overrides them; v0.1's presets leave out ``legacy``).
HPARAMS_DEFAULTS: dict[str, dict[str, Any]] = {
    "v0.1": {
        "input_type": "raw", "quantize_channels": 65536, "out_channels": 30, "layers": 24, "stacks": 4,
        "residual_channels": 512, "gate_channels": 512, "skip_out_channels": 256, "kernel_size": 3,
        "dropout": 1 - 0.95, "weight_normalization": True, "legacy": True, "cin_channels": 80, "gin_channels": -1,
        "n_speakers": 7, "upsample_conditional_features": True, "upsample_scales": [4, 4, 4, 4],
        "freq_axis_kernel_size": 3, "log_scale_min": float(np.log(1e-14)), "sample_rate": 22050, "num_mels": 80,
        "fft_size": 1024, "hop_size": 256, "frame_shift_ms": None, "fmin": 125, "fmax": 7600,
        "min_level_db": -100, "ref_level_db": 20, "rescaling": True, "rescaling_max": 0.999,
    },
    "v0.2": {
        "input_type": "raw", "quantize_channels": 65536, "out_channels": 30, "layers": 24, "stacks": 4,
        "residual_channels": 128, "gate_channels": 256, "skip_out_channels": 128, "kernel_size": 3, "dropout": 0.0,
        "cin_channels": 80, "cin_pad": 2, "gin_channels": -1, "n_speakers": 7, "upsample_conditional_features": True,
        "upsample_net": "ConvInUpsampleNetwork", "upsample_params": {"upsample_scales": [4, 4, 4, 4]},
        "output_distribution": "Logistic", "log_scale_min": -16.0, "sample_rate": 22050, "num_mels": 80,
        "fft_size": 1024, "hop_size": 256, "frame_shift_ms": None, "win_length": 1024, "win_length_ms": -1.0,
        "window": "hann", "fmin": 125, "fmax": 7600, "highpass_cutoff": 70.0, "preprocess": "", "postprocess": "",
        "global_gain_scale": 1.0,
    },
}

#: r9y9's presets by name: (generation, what the preset changes in that generation's defaults).
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "ljspeech_mixture": ("v0.1", {}),
    "cmu_arctic_8bit": ("v0.1", {"input_type": "mulaw-quantize", "quantize_channels": 256, "out_channels": 256,
                                 "sample_rate": 16000}),
    "multispeaker_cmu_arctic_mixture": ("v0.1", {"sample_rate": 16000, "gin_channels": 16}),
    "mol_wavenet": ("v0.2", {"preprocess": "preemphasis", "postprocess": "inv_preemphasis",
                             "global_gain_scale": 0.55}),
    "mulaw256_wavenet": ("v0.2", {"input_type": "mulaw-quantize", "quantize_channels": 256, "out_channels": 256,
                                  "layers": 30, "stacks": 3, "log_scale_min": -9.0, "preprocess": "preemphasis",
                                  "postprocess": "inv_preemphasis", "global_gain_scale": 0.55}),
}

#: The pre-emphasis coefficient of v0.2's ``preprocess: "preemphasis"`` (``audio.preemphasis``).
PREEMPHASIS = 0.85

#: State-dict renames, after weight norm is folded (the trunk and head; both generations).
TRUNK_RENAMES = [
    (r"first_conv\.(weight|bias)", r"input_conv.\1"),
    (r"conv_layers\.(\d+)\.conv\.weight", r"layers.\1.dilated.weight"),
    (r"conv_layers\.(\d+)\.conv1x1c\.weight", r"layers.\1.local.weight"),
    (r"embed_speakers\.weight", r"class_embedding.weight"),
    (r"last_conv_layers\.1\.(weight|bias)", r"head_hidden.\1"),
    (r"last_conv_layers\.3\.(weight|bias)", r"head_out.\1"),
]
#: The upsamplers: v0.1's ConvTranspose2d / ReLU list keeps its indices; v0.2's (stretch, conv) pairs
#: become hfsynth's list of smoothing convs.
UPSAMPLER_RENAMES = {
    "v0.1": [(r"upsample_conv\.(\d+)\.(weight|bias)", r"upsampler.layers.\1.\2")],
    "v0.2": [
        (r"upsample_net\.conv_in\.weight", "upsampler.conv_in.weight"),
        (r"upsample_net\.upsample\.up_layers\.(\d+)\.weight",
         lambda match: f"upsampler.smoothers.{int(match[1]) // 2}.weight"),
    ],
}


# ------------------------------------------------------------------------------------ sources
def checkpoint_file(checkpoint: str | Path, weights: str) -> Path:
    """The file to read: the given one, or with ``weights="ema"`` its ``_ema`` twin when one lies beside it."""
    path = Path(checkpoint)
    if not path.is_file():
        raise ValueError(f"checkpoint file not found: {path}")
    twin = path.with_name(f"{path.stem}_ema{path.suffix}")
    return twin if weights == "ema" and not path.stem.endswith("_ema") and twin.is_file() else path


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The ``state_dict`` of an r9y9 checkpoint file, weight norm folded; ``ValueError`` naming the file."""
    checkpoint = load_torch_checkpoint(path)
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("state_dict"), dict):
        found = sorted(checkpoint) if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise ValueError(f"{path} is not an r9y9 wavenet_vocoder checkpoint: it has no 'state_dict' (found {found})")
    state = checkpoint["state_dict"]
    if not any(key.startswith(("first_conv.", "conv_layers.")) for key in state):
        raise ValueError(f"{path} holds no r9y9 WaveNet: its state_dict has {', '.join(list(state)[:5])}, ... "
                         "(a WaveNet has first_conv.* and conv_layers.*)")
    return fold_weight_norms(state, path)


def fold_weight_norms(state: dict[str, torch.Tensor], where: Path) -> dict[str, torch.Tensor]:
    """Every ``<name>.weight_g`` / ``<name>.weight_v`` pair -> ``<name>.weight``; other keys as they are."""
    folded = {}
    for key, tensor in state.items():
        name, _, kind = key.rpartition(".")
        if kind not in ("weight_g", "weight_v"):
            folded[key] = tensor
            continue
        partner = f"{name}.weight_{'v' if kind == 'weight_g' else 'g'}"
        if partner not in state:
            raise ValueError(f"{where}: {key} has no {partner} (a weight-normalised weight needs both)")
        if kind == "weight_g":
            folded[f"{name}.weight"] = fold_weight_norm(tensor, state[partner])
    return folded


def generation_of(state: dict[str, torch.Tensor], path: Path) -> str:
    """"v0.1" or "v0.2", from the upsampler's keys."""
    if any(key.startswith("upsample_net.") for key in state):
        return "v0.2"
    if any(key.startswith("upsample_conv.") for key in state):
        return "v0.1"
    raise ValueError(f"{path} has no upsampler (upsample_conv.* or upsample_net.*): hfsynth converts mel-conditioned "
                     "vocoders whose mel is upsampled (upsample_conditional_features=True)")


def read_hparams(hparams: str | Path, generation: str) -> dict[str, Any]:
    """The hparams of a JSON file or a preset name, over the generation's defaults."""
    path = Path(hparams)
    if path.is_file():
        try:
            values = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"{path} is not an hparams JSON file ({error})") from error
        if not isinstance(values, dict):
            raise ValueError(f"{path} is not an hparams JSON file: it holds a {type(values).__name__}, not an object")
        if ("upsample_net" in values) != (generation == "v0.2"):
            raise ValueError(f"{path} is a {'v0.2' if 'upsample_net' in values else 'v0.1'} hparams file; the "
                             f"checkpoint is a {generation} model")
        source = "json"
    elif str(hparams) in PRESETS:
        source, values = PRESETS[str(hparams)]
        if source != generation:
            raise ValueError(f"preset {hparams!r} is a {source} preset; the checkpoint is a {generation} model")
    else:
        raise ValueError(f"--hparams {hparams}: no such file, and not a preset ({', '.join(PRESETS)})")
    resolved = {**HPARAMS_DEFAULTS[generation], **values}
    if generation == "v0.2":
        resolved["upsample_params"] = {**HPARAMS_DEFAULTS["v0.2"]["upsample_params"], **resolved["upsample_params"]}
    return resolved


def read_mel_stats(path: str | Path | None, bands: int) -> tuple[list[float], list[float]]:
    """Per-band (mean, scale) of v0.2's log10 mel from an ``.npz`` holding ``mean`` and ``scale`` (or ``var``)."""
    if path is None:
        raise ValueError(
            "a v0.2 checkpoint needs --mel-stats: the per-band mean and scale its features were standardised "
            "with (r9y9's meanvar.joblib, a pickled sklearn StandardScaler; export it once with "
            "np.savez('meanvar.npz', mean=scaler.mean_, scale=scaler.scale_))"
        )
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as stats:
            mean = np.asarray(stats["mean"], dtype=np.float64)
            scale = np.asarray(stats["scale"] if "scale" in stats else np.sqrt(stats["var"]), dtype=np.float64)
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"{path}: expected an .npz with arrays 'mean' and 'scale' (or 'var') ({error})") from error
    if mean.shape != (bands,) or scale.shape != (bands,):
        raise ValueError(f"{path}: mean and scale must have one value per mel band ({bands}); got {mean.shape}, "
                         f"{scale.shape}")
    return mean.tolist(), np.where(scale == 0, 1.0, scale).tolist()  # sklearn's scale_ is 1 for constant bands


# ------------------------------------------------------------------------------------- config
def hop_size(hparams: dict[str, Any]) -> int:
    if hparams["hop_size"] is not None:
        return int(hparams["hop_size"])
    return int(hparams["frame_shift_ms"] / 1000 * hparams["sample_rate"])


def wavenet_config(hparams: dict[str, Any], generation: str, mel_stats: str | Path | None) -> WaveNetConfig:
    """hfsynth's config of the model r9y9's ``build_model()`` makes from ``hparams``."""
    mulaw = hparams["input_type"] == "mulaw-quantize"
    if hparams["input_type"] not in ("raw", "mulaw-quantize"):
        raise ValueError(f"input_type {hparams['input_type']!r} is not supported (hfsynth converts 'raw' mixture "
                         "of logistics and 'mulaw-quantize' models)")
    if generation == "v0.2" and not mulaw and hparams["output_distribution"] != "Logistic":
        raise ValueError(f"output_distribution {hparams['output_distribution']!r} is not supported (only Logistic)")
    if not hparams["upsample_conditional_features"] or hparams["cin_channels"] <= 0:
        raise ValueError("hfsynth converts mel-conditioned vocoders with an upsampler (cin_channels > 0, "
                         "upsample_conditional_features=True)")
    if hparams["num_mels"] != hparams["cin_channels"]:
        raise ValueError(f"num_mels ({hparams['num_mels']}) must equal cin_channels ({hparams['cin_channels']}): "
                         "the mel is the local conditioning")
    speakers = hparams["gin_channels"] > 0
    common = dict(
        layers=hparams["layers"], stacks=hparams["stacks"], residual_channels=hparams["residual_channels"],
        gate_channels=hparams["gate_channels"], skip_channels=hparams["skip_out_channels"],
        kernel_size=hparams["kernel_size"], dropout=hparams["dropout"],
        output_distribution="mulaw256" if mulaw else "mol",
        quantization_channels=hparams["quantize_channels"] if mulaw else 256,
        mixture_components=1 if mulaw else hparams["out_channels"] // 3,
        global_cond_classes=hparams["n_speakers"] if speakers else 0,
        global_cond_channels=hparams["gin_channels"] if speakers else 16,
        local_cond_channels=hparams["cin_channels"], mel_n_fft=hparams["fft_size"], mel_fmin=hparams["fmin"],
        mel_fmax=hparams["fmax"], sampling_rate=hparams["sample_rate"], log_scale_min=hparams["log_scale_min"],
        scalar_input=not mulaw, mulaw_rounding="floor",
    )
    scales = hparams["upsample_scales"] if generation == "v0.1" else hparams["upsample_params"]["upsample_scales"]
    if math.prod(scales) != hop_size(hparams):
        raise ValueError(f"the upsample scales {scales} multiply to {math.prod(scales)}, not the hop size "
                         f"{hop_size(hparams)}")
    if generation == "v0.1":
        return WaveNetConfig(
            **common, upsample_scales=scales, upsample_net="transposed",
            upsample_freq_kernel_size=hparams["freq_axis_kernel_size"], skip_scale=1.0 if hparams["legacy"] else None,
            mulaw_mu=hparams["quantize_channels"], sampling="inverse_cdf" if mulaw else "gumbel_logistic",
            mel_frontend="db_normalized", mel_min_level_db=hparams["min_level_db"],
            mel_ref_level_db=hparams["ref_level_db"],
            mel_rescale_peak=hparams["rescaling_max"] if hparams["rescaling"] else None,
        )
    upsample = hparams["upsample_params"]
    if hparams["upsample_net"] != "ConvInUpsampleNetwork" or upsample.get("upsample_activation", "none") != "none" \
            or upsample.get("mode", "nearest") != "nearest":
        raise ValueError(f"upsampler {hparams['upsample_net']} with {upsample} is not supported (only "
                         "ConvInUpsampleNetwork, nearest stretching, no activation)")
    if hparams["window"] != "hann":
        raise ValueError(f"window {hparams['window']!r} is not supported (only hann)")
    if hparams["preprocess"] not in ("", "none", "preemphasis", None):
        raise ValueError(f"preprocess {hparams['preprocess']!r} is not supported ('' or 'preemphasis')")
    win_length = hparams["win_length"]
    if win_length < 0:
        win_length = int(hparams["win_length_ms"] / 1000 * hparams["sample_rate"])
    mean, std = read_mel_stats(mel_stats, hparams["cin_channels"])
    return WaveNetConfig(
        **common, upsample_scales=scales, upsample_net="conv_in",
        upsample_freq_kernel_size=upsample.get("freq_axis_kernel_size", 1), upsample_context=hparams["cin_pad"],
        mulaw_mu=hparams["quantize_channels"] - 1,
        sampling="exponential_race" if mulaw else "gumbel_logistic_unclamped",
        mel_frontend="standardized_log10", mel_win_length=win_length,
        mel_highpass_hz=hparams["highpass_cutoff"] if hparams["highpass_cutoff"] > 0 else None, mel_mean=mean,
        mel_std=std, pre_emphasis=PREEMPHASIS if hparams["preprocess"] == "preemphasis" else 0.0,
        audio_gain=hparams["global_gain_scale"] if hparams["global_gain_scale"] > 0 else 1.0,
    )


# ------------------------------------------------------------------------------------ mapping
def key_mapping(config: WaveNetConfig, generation: str) -> KeyMapping:
    """The tables above plus the derived tensors of ``config``'s layers."""
    derived: dict[str, tuple[tuple[str, ...], Any]] = {}
    if not config.uses_scalar_input:  # one-hot input 1x1 (R, Q, 1) + bias -> embedding (Q, R)
        derived["input_embedding.weight"] = (("first_conv.weight", "first_conv.bias"),
                                             lambda t: t["first_conv.weight"][:, :, 0].T + t["first_conv.bias"])
    conditionings = ("conv1x1c", "conv1x1g") if config.global_cond_classes else ("conv1x1c",)
    for i in range(config.layers):
        source = f"conv_layers.{i}"
        biases = [f"{source}.conv.bias"]
        if generation == "v0.1":  # v0.1's conditioning 1x1s have biases, v0.2's do not
            biases += [f"{source}.{name}.bias" for name in conditionings]
        derived[f"layers.{i}.dilated.bias"] = (tuple(biases), lambda t: sum(t.values()))
        factor = legacy_skip_weight(i, config.layers) if config.skip_scale == 1.0 else 1.0
        for kind in ("weight", "bias"):
            keys = (f"{source}.conv1x1_out.{kind}", f"{source}.conv1x1_skip.{kind}")
            derived[f"layers.{i}.out.{kind}"] = (keys, lambda t, keys=keys, factor=factor: torch.cat(
                [t[keys[0]], t[keys[1]] * factor]))
        if config.global_cond_classes:  # 1x1 over the expanded speaker embedding -> a linear map
            key = f"{source}.conv1x1g.weight"
            derived[f"layers.{i}.global_.weight"] = ((key,), lambda t, key=key: t[key][:, :, 0])
    return KeyMapping(renames=TRUNK_RENAMES + UPSAMPLER_RENAMES[generation], derived=derived)


def legacy_skip_weight(layer: int, layers: int) -> float:
    """Layer ``layer``'s weight in v0.1's legacy skip sum ``s = h_0; s = (s + h_i) sqrt(1/2)``:
    sqrt(1/2) to the power of the rescalings it goes through (the first two layers go through as many)."""
    return math.sqrt(0.5) ** (layers - max(layer, 1))


# -------------------------------------------------------------------------------------- entry
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="r9y9's checkpoint_step<N>.pth (its _ema twin is used "
                                                            "when it lies beside it, unless --weights raw)")
    parser.add_argument("--hparams", required=True, help=f"the hparams JSON it was trained with, or a preset: "
                                                         f"{', '.join(PRESETS)}")
    parser.add_argument("--weights", choices=("ema", "raw"), default="ema",
                        help="ema (default): the averaged weights of the _ema twin when present; raw: the file given")
    parser.add_argument("--mel-stats", help="v0.2 only: .npz with the per-band 'mean' and 'scale' of the training "
                                            "features (from r9y9's meanvar.joblib)")


def convert(checkpoint: str | Path, hparams: str | Path, out: str | Path, weights: str = "ema",
            mel_stats: str | Path | None = None) -> Path:
    """Converts one r9y9 checkpoint into a WaveNet vocoder folder at ``out``; returns ``out``."""
    if weights not in ("ema", "raw"):
        raise ValueError(f"weights must be 'ema' or 'raw'; got {weights!r}")
    path = checkpoint_file(checkpoint, weights)
    state = read_state_dict(path)
    generation = generation_of(state, path)
    config = wavenet_config(read_hparams(hparams, generation), generation, mel_stats)
    model = WaveNetModel(config).eval()
    model.load_state_dict(key_mapping(config, generation).apply(state, model.state_dict(), str(path)), strict=True)
    card = model_card(
        title=f"WaveNet vocoder ({path.name})", license="mit", pipeline_tag="audio-to-audio",
        source=f"r9y9's wavenet_vocoder ({generation}) checkpoint `{path.name}` "
               f"with hparams `{Path(str(hparams)).name}`",
        tags=["wavenet", "vocoder", "r9y9"],
        body=card_body(config, path, generation),
    )
    return write_folder(out, lambda folder: WaveNetPipeline(model).save_pretrained(folder), card)


def card_body(config: WaveNetConfig, path: Path, generation: str) -> str:
    output = "8-bit mu-law softmax" if config.output_distribution == "mulaw256" else (
        f"mixture of {config.mixture_components} logistics")
    return f"""
A mel-conditioned WaveNet ({config.layers} layers in {config.stacks} stacks, {config.residual_channels} residual /
{config.gate_channels} gate / {config.skip_channels} skip channels, {output}) at {config.sampling_rate} Hz, from
`{path.name}`{" (exponential-moving-average weights)" if path.stem.endswith("_ema") else ""}. It reproduces r9y9's
network, its {config.mel_frontend.replace("_", " ")} mel front end and its sampling exactly (hfsynth's parity tests).

```python
import hfsynth
from transformers import pipeline

vocoder = pipeline("audio-to-audio", model="path/to/this/folder")
out = vocoder({{"raw": wave, "sampling_rate": sr}})      # re-synthesised from its mel, one sample at a time
```

Generation is sample by sample ({config.sampling_rate} steps per second of audio): slow on a CPU. The
wavenet_vocoder code is MIT-licensed; check the terms of the checkpoint you converted (and of its
training data) before publishing it.
"""


CONVERTER = Converter("wavenet", add_arguments, convert)
