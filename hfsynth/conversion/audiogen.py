"""audiocraft's exported AudioGen (``facebook/audiogen-medium``) -> an hfsynth AudioGen folder.

An exported audiocraft package is two pickles (``audiocraft/utils/export.py``):

* ``state_dict.bin``: ``{"best_state": LM state dict, "xp.cfg": YAML of the training config,
  "version", "exported"}``. The LM holds the T5 conditioner's projection (``output_proj``) but not
  T5 itself, which audiocraft loads by name (``t5-large``);
* ``compression_state_dict.bin``: the same for the 16 kHz EnCodec (SEANet + residual VQ).

The architecture is read from each ``xp.cfg``; every switch hfsynth cannot express is refused by
name rather than converted approximately. The LM maps onto :class:`AudioGenDecoder` (one fused
QKV per self-attention, the cross-attention's packed projection split into query and key/value,
the K output heads stacked into one), the conditioner's projection onto ``text_projection``, and
SEANet onto transformers' ``EncodecModel``. The resulting config says what audiocraft does
differently from hfsynth's own models: padded text is zeroed and attended to, not masked
(``mask_padded_text=False``), no biases in attention and feed-forward layers, 10 s windows with a
2 s long-form stride; ``generation_config.json`` holds AudioGen's sampling defaults.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import torch
import yaml
from transformers import EncodecConfig, GenerationConfig, T5Config, T5EncoderModel, T5Tokenizer

from ..models.audiogen import AudioGenConfig, AudioGenForConditionalGeneration, AudioGenPipeline, AudioGenProcessor
from ..models.audiogen.configuration_audiogen import encodec_bandwidth
from ..models.audiogen.processing_audiogen import feature_extractor_for
from ..training.export import store_in_half_precision
from .base import Converter, KeyMapping, load_torch_checkpoint, model_card, resolve_source, write_folder

LM_FILE, CODEC_FILE = "state_dict.bin", "compression_state_dict.bin"
#: audiocraft names its T5 by the original Google names; the Hub keeps them under ``google-t5/``.
T5_HUB_IDS = {name: f"google-t5/{name}" for name in ("t5-small", "t5-base", "t5-large", "t5-3b", "t5-11b")}
#: AudioGen's generation defaults (``audiocraft/models/audiogen.py``): sampling, top-k 250, guidance
#: 3 (``classifier_free_guidance.inference_coef``), 10 s windows advancing by 2 s, 5 s by default.
TOP_K, EXTEND_STRIDE_IN_S, DEFAULT_DURATION_IN_S = 250, 2.0, 5.0
#: The longest prompt T5 was trained on; audiocraft itself never truncates.
MAX_TEXT_TOKENS = 512
LICENSE = "cc-by-nc-4.0"

# --------------------------------------------------------------------------- the key tables
LAYER = r"transformer\.layers\.(\d+)\."
BLOCK = r"decoder.blocks.\1."
LM_RENAMES = [
    (r"condition_provider\.conditioners\.description\.output_proj\.(weight|bias)", r"text_projection.\1"),
    (r"emb\.(\d+)\.weight", r"decoder.embeddings.\1.weight"),
    (LAYER + r"self_attn\.in_proj_weight", BLOCK + "self_attention.qkv.weight"),
    (LAYER + r"self_attn\.out_proj\.(weight|bias)", BLOCK + r"self_attention.out.\2"),
    (LAYER + r"cross_attention\.out_proj\.(weight|bias)", BLOCK + r"cross_attention.out.\2"),
    (LAYER + r"norm1\.(weight|bias)", BLOCK + r"self_attention_norm.\2"),
    (LAYER + r"norm_cross\.(weight|bias)", BLOCK + r"cross_attention_norm.\2"),
    (LAYER + r"norm2\.(weight|bias)", BLOCK + r"feed_forward_norm.\2"),
    (LAYER + r"linear1\.(weight|bias)", BLOCK + r"feed_forward.0.\2"),
    (LAYER + r"linear2\.(weight|bias)", BLOCK + r"feed_forward.2.\2"),
    (r"out_norm\.(weight|bias)", r"decoder.norm.\1"),
]
#: A weight-normed convolution's tensors: audiocraft keeps ``weight_g``/``weight_v``, transformers
#: the same two under ``parametrizations`` (the norm is not folded: EncodecModel applies it).
CONV_TENSORS = {"bias": "bias", "weight_g": "parametrizations.weight.original0",
                "weight_v": "parametrizations.weight.original1"}


def conv_renames(source: str, target: str) -> list[tuple[str, str]]:
    return [(rf"{source}\.{name}", f"{target}.{new}") for name, new in CONV_TENSORS.items()]


CODEC_RENAMES = [
    *conv_renames(r"(encoder|decoder)\.model\.(\d+)\.(?:conv\.conv|convtr\.convtr)", r"audio_encoder.\1.layers.\2.conv"),
    *conv_renames(r"(encoder|decoder)\.model\.(\d+)\.(block\.\d+|shortcut)\.conv\.conv",
                  r"audio_encoder.\1.layers.\2.\3.conv"),
    (r"(encoder|decoder)\.model\.(\d+)\.lstm\.(.*)", r"audio_encoder.\1.layers.\2.lstm.\3"),
    (r"quantizer\.vq\.layers\.(\d+)\._codebook\.(inited|cluster_size|embed|embed_avg)",
     r"audio_encoder.quantizer.layers.\1.codebook.\2"),
]
CODEC_MAPPING = KeyMapping(renames=CODEC_RENAMES)

def lm_mapping(num_layers: int, num_codebooks: int) -> KeyMapping:
    """The LM table, with the tensors whose layout differs: each layer's packed cross-attention
    projection (queries from the audio, keys/values from the text) and the K output heads."""

    def query(name: str):
        return lambda tensors: tensors[name].chunk(3)[0]

    def key_value(name: str):
        return lambda tensors: torch.cat(tensors[name].chunk(3)[1:])

    derived = {}
    for layer in range(num_layers):
        packed = f"transformer.layers.{layer}.cross_attention.in_proj_weight"
        derived[f"decoder.blocks.{layer}.cross_attention.query.weight"] = ((packed,), query(packed))
        derived[f"decoder.blocks.{layer}.cross_attention.key_value.weight"] = ((packed,), key_value(packed))
    heads = tuple(f"linears.{k}.weight" for k in range(num_codebooks))
    derived["decoder.heads.weight"] = (heads, lambda tensors: torch.cat([tensors[name] for name in heads]))
    return KeyMapping(renames=LM_RENAMES, derived=derived)


# ------------------------------------------------------------------------------- packages
def read_package(path: Path, solver: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """An exported package -> (best_state, parsed xp.cfg); ``ValueError`` for anything else."""
    package = load_torch_checkpoint(path)
    if not isinstance(package, dict) or "best_state" not in package or "xp.cfg" not in package:
        if isinstance(package, dict) and "pretrained" in package:
            raise ValueError(f"{path} only names a pretrained codec ({package['pretrained']!r}), as MusicGen's "
                             "packages do; AudioGen ships its own 16 kHz EnCodec weights")
        keys = sorted(package)[:8] if isinstance(package, dict) else type(package).__name__
        raise ValueError(f"{path} is not an exported audiocraft package (best_state + xp.cfg); it holds {keys}")
    config = yaml.safe_load(package["xp.cfg"])
    if config.get("solver") != solver:
        raise ValueError(f"{path} was exported by audiocraft's {config.get('solver')!r} solver; an AudioGen "
                         f"checkpoint's {path.name} comes from {solver!r}")
    return dict(package["best_state"]), config


def require(config: dict[str, Any], key: str, allowed: object, where: str) -> Any:
    """``config[key]`` (a dotted path) when it is ``allowed``, else a ``ValueError`` naming it."""
    value: Any = config
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value != allowed:
        raise ValueError(f"{where}: {key} is {value!r}; hfsynth's AudioGen supports {allowed!r}")
    return value


def decoder_settings(config: dict[str, Any], frame_rate: int, where: str) -> dict[str, Any]:
    """AudioGenDecoderConfig settings from the LM's xp.cfg."""
    lm = config["transformer_lm"]
    for key, allowed in (("activation", "gelu"), ("norm_first", True), ("positional_embedding", "sin"),
                         ("causal", True), ("layer_scale", None), ("xpos", False), ("qk_layer_norm", False),
                         ("qk_layer_norm_cross", False), ("kv_repeat", 1), ("norm", "layer_norm"),
                         ("past_context", None), ("bias_proj", False), ("bias_attn", lm["bias_ff"])):
        require(config, f"transformer_lm.{key}", allowed, where)
    require(config, "codebooks_pattern.modeling", "delay", where)
    require(config, "codebooks_pattern.delay.delays", list(range(lm["n_q"])), where)
    require(config, "fuser.cross", ["description"], where)
    require(config, "fuser.cross_attention_pos_emb", False, where)
    window = int(config["dataset"]["segment_duration"] * frame_rate)
    return dict(
        num_hidden_layers=lm["num_layers"], num_attention_heads=lm["num_heads"], hidden_size=lm["dim"],
        ffn_dim=int(lm["hidden_scale"] * lm["dim"]), num_codebooks=lm["n_q"], codebook_size=lm["card"],
        max_position_embeddings=window + lm["n_q"] - 1, dropout=0.0, bias=bool(lm["bias_ff"]),
    )


def codec_config(config: dict[str, Any], where: str) -> EncodecConfig:
    """transformers' EncodecConfig for audiocraft's SEANet + RVQ codec."""
    for key, allowed in (("compression_model", "encodec"), ("encodec.autoencoder", "seanet"),
                         ("encodec.quantizer", "rvq"), ("seanet.activation", "ELU"),
                         ("seanet.activation_params", {"alpha": 1.0}), ("seanet.norm", "weight_norm"),
                         ("seanet.disable_norm_outer_blocks", 0), ("seanet.decoder.final_activation", None),
                         ("channels", 1)):
        require(config, key, allowed, where)
    seanet, rvq = config["seanet"], config["rvq"]
    if rvq["bins"] < 2 or rvq["bins"] & (rvq["bins"] - 1):
        raise ValueError(f"{where}: rvq.bins is {rvq['bins']}; transformers' EncodecModel needs a power of two")
    frame_rate = math.ceil(config["sample_rate"] / math.prod(seanet["ratios"]))
    return EncodecConfig(
        sampling_rate=config["sample_rate"], audio_channels=1, num_filters=seanet["n_filters"],
        hidden_size=seanet["dimension"], num_residual_layers=seanet["n_residual_layers"],
        upsampling_ratios=list(seanet["ratios"]), norm_type="weight_norm", kernel_size=seanet["kernel_size"],
        last_kernel_size=seanet["last_kernel_size"], residual_kernel_size=seanet["residual_kernel_size"],
        dilation_growth_rate=seanet["dilation_base"], use_causal_conv=bool(config["encodec"]["causal"]),
        pad_mode=seanet["pad_mode"], compress=seanet["compress"], num_lstm_layers=seanet["lstm"],
        trim_right_ratio=seanet["decoder"]["trim_right_ratio"], codebook_size=rvq["bins"],
        codebook_dim=seanet["dimension"], use_conv_shortcut=not seanet["true_skip"],
        normalize=bool(config["encodec"]["renormalize"]), chunk_length_s=None,
        target_bandwidths=[encodec_bandwidth(rvq["n_q"], rvq["bins"], frame_rate)],
    )


# ----------------------------------------------------------------------------- full size
#: audiogen-medium's architecture (audiocraft's ``model_scale=medium`` AudioGen LM and its 16 kHz
#: EnCodec), for building it without its weights: speed benchmarks, parameter counts.
MEDIUM_DECODER = dict(num_hidden_layers=48, num_attention_heads=24, hidden_size=1536, ffn_dim=6144, num_codebooks=4,
                      codebook_size=2048, max_position_embeddings=500 + 3, dropout=0.0, bias=False)
MEDIUM_CODEC = dict(sampling_rate=16000, audio_channels=1, num_filters=64, hidden_size=128, num_residual_layers=1,
                    upsampling_ratios=[8, 5, 4, 2], norm_type="weight_norm", kernel_size=7, last_kernel_size=7,
                    residual_kernel_size=3, dilation_growth_rate=2, use_causal_conv=False, pad_mode="constant",
                    compress=2, num_lstm_layers=2, trim_right_ratio=1.0, codebook_size=2048, codebook_dim=128,
                    use_conv_shortcut=False, normalize=False, chunk_length_s=None,
                    target_bandwidths=[encodec_bandwidth(4, 2048, 50)])
#: Google's T5-large encoder, audiogen-medium's text encoder.
T5_LARGE = dict(vocab_size=32128, d_model=1024, d_kv=64, d_ff=4096, num_layers=24, num_heads=16)


def audiogen_medium_config(text_encoder: dict | T5Config = T5_LARGE) -> AudioGenConfig:
    """The converted audiogen-medium's config (another ``text_encoder`` keeps the rest: a small T5
    makes a model whose decoding steps cost what the real one's do)."""
    return AudioGenConfig(text_encoder=text_encoder, audio_encoder=EncodecConfig(**MEDIUM_CODEC),
                          decoder=MEDIUM_DECODER, text_projection=True, mask_padded_text=False,
                          long_form_stride_in_s=EXTEND_STRIDE_IN_S, audio_length_in_s=DEFAULT_DURATION_IN_S,
                          max_text_length=MAX_TEXT_TOKENS)


# ------------------------------------------------------------------------------- convert
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True,
                        help="folder or Hub id holding state_dict.bin and compression_state_dict.bin "
                             "(e.g. facebook/audiogen-medium)")
    parser.add_argument("--text-encoder", default=None,
                        help="T5 folder or Hub id (default: the T5 the package names, e.g. google-t5/t5-large)")
    parser.add_argument("--storage-dtype", choices=("float32", "float16"), default="float32",
                        help="precision of the written weights (float16 halves the folder; loads as float32)")


def convert(checkpoint: str, out: str, text_encoder: str | None = None, storage_dtype: str = "float32") -> Path:
    """Converts an exported AudioGen package (and its T5) into a folder that
    ``pipeline("text-to-audio", model=out)`` loads; returns ``out``."""
    source = resolve_source(checkpoint, [LM_FILE, CODEC_FILE], "AudioGen checkpoint")
    lm_state, lm_config = read_package(source / LM_FILE, "audiogen")
    codec_state, codec_xp = read_package(source / CODEC_FILE, "compression")
    text_name = text_encoder or lm_config["conditioners"]["description"]["t5"]["name"]
    text_folder = resolve_source(T5_HUB_IDS.get(text_name, text_name),
                                 ["*.json", "*.safetensors", "spiece.model"], "T5 text encoder")
    t5 = T5EncoderModel.from_pretrained(text_folder)
    tokenizer = T5Tokenizer.from_pretrained(text_folder)
    codec = codec_config(codec_xp, str(source / CODEC_FILE))
    config = AudioGenConfig(
        text_encoder=T5Config.from_pretrained(text_folder), audio_encoder=codec,
        decoder=decoder_settings(lm_config, codec.frame_rate, str(source / LM_FILE)),
        text_projection=True, mask_padded_text=False, long_form_stride_in_s=EXTEND_STRIDE_IN_S,
        max_text_length=min(tokenizer.model_max_length, MAX_TEXT_TOKENS), audio_length_in_s=DEFAULT_DURATION_IN_S,
        condition_dropout=lm_config["classifier_free_guidance"]["training_dropout"],
    )
    model = AudioGenForConditionalGeneration(config).eval()
    model.text_encoder.load_state_dict(t5.state_dict())
    target = model.state_dict()
    decoder_target = {k: v for k, v in target.items() if not k.startswith(("text_encoder.", "audio_encoder."))}
    codec_target = {k: v for k, v in target.items() if k.startswith("audio_encoder.")}
    state = lm_mapping(config.decoder.num_hidden_layers, config.decoder.num_codebooks).apply(
        lm_state, decoder_target, str(source / LM_FILE))
    state.update(CODEC_MAPPING.apply(codec_state, codec_target, str(source / CODEC_FILE)))
    model.load_state_dict({**{k: v for k, v in target.items() if k.startswith("text_encoder.")}, **state})
    model.generation_config = GenerationConfig(
        do_sample=True, top_k=TOP_K, temperature=1.0,
        guidance_scale=float(lm_config["classifier_free_guidance"]["inference_coef"]),
    )
    tokenizer.model_max_length = config.max_text_length                # T5 folders often leave it unbounded
    processor = AudioGenProcessor(feature_extractor_for(config.sampling_rate), tokenizer)

    def save(folder: Path) -> None:
        AudioGenPipeline(model, processor).save_pretrained(folder)
        if storage_dtype == "float16":
            store_in_half_precision(folder)

    return write_folder(out, save, card(checkpoint, text_name, config))


def card(checkpoint: str, text_name: str, config: AudioGenConfig) -> str:
    decoder = config.decoder
    size = f"{decoder.num_hidden_layers} layers x {decoder.hidden_size}, {decoder.num_codebooks} x {decoder.codebook_size} codes"
    body = f"""
AudioGen (Kreuk et al., 2022, "AudioGen: Textually Guided Audio Generation") as published by Meta
in audiocraft: a {size} transformer over a {config.sampling_rate // 1000} kHz EnCodec, conditioned on
{text_name} through cross-attention. The weights are audiocraft's, mapped one to one; hfsynth's
parity tests check that they give audiocraft's logits, greedy codes and audio.

## How to use

```python
import hfsynth
from transformers import pipeline

tta = pipeline("text-to-audio", model="<this folder or Hub id>")
out = tta("a dog barking in the rain", forward_params={{"audio_length_in_s": 5.0}})
out["audio"], out["sampling_rate"]
```

Sampling follows audiocraft's defaults (top-k 250, classifier-free guidance 3); audio longer than
{decoder.max_window_frames / config.frame_rate:g} s is generated in windows {config.long_form_stride_in_s:g} s apart,
as audiocraft's `extend_stride`.

## Licence

The weights are released by Meta under CC-BY-NC 4.0 (non-commercial use); this folder keeps that
licence. The T5 text encoder is Google's, under Apache-2.0.
"""
    return model_card(title=f"AudioGen ({checkpoint}) for hfsynth", license=LICENSE,
                      source=f"audiocraft's exported `{checkpoint}`", pipeline_tag="text-to-audio", body=body,
                      tags=("audiogen", "audiocraft", "text-to-audio"))


CONVERTER = Converter("audiogen", add_arguments, convert)
