"""AudioGen decoding speed: hfsynth's AudioGen vs transformers' MusicGen built with the same sizes.

Both models get the same text encoder (the tiny T5), the same codec (the small 16 kHz EnCodec,
4 codebooks) and decoders of the same width, depth and codebooks, randomly initialised; both
sample with top-k 250 and classifier-free guidance 3 (a doubled batch) for the same number of
decoder steps. Then hfsynth's real-time factor for 10 s of audio (beyond one 5 s window, so the
sliding window is included).

    python bench/audiogen_speed.py [--threads 2] [--quick] [--compile] [--int8] [--repeats 3]
    python bench/audiogen_speed.py --size medium [--reference-python /work/venvs/audiocraft/bin/python]

``--compile`` adds both decoders compiled with ``torch.compile(dynamic=True)`` (what a user gets
with ``model.decoder.compile(dynamic=True)``), timed after a first call that compiles; that first
call's time is printed too. ``--int8`` adds both decoders with their linear layers quantised to
dynamic int8 (``hfsynth.models.audiogen.quantize_decoder_int8``: per-channel fbgemm weights in the
decoder blocks, float heads; a decode step is bound by reading the weights, and int8 reads a
quarter of the bytes). Every row is the fastest of ``--repeats`` calls,
all in one process; every variant is applied to both models, so each ratio compares like with like.

Prints a Markdown table: decoder steps per second (generation time without the final codec
decode), the whole call's time, and the real-time factor (generation time / audio duration;
below 1 is faster than real time). ``--quick`` finishes in well under a minute.

``--size medium`` times audiogen-medium's architecture (1.8 B decoder parameters, random weights:
speed does not depend on them) instead, one model in memory at a time: hfsynth's converted
AudioGen in float32 and with int8 decoder weights (with the int8 model's fidelity: the mean KL
divergence per code from the float32 predictions on teacher-forced codes), audiocraft's own LM
(``bench/audiogen_reference_speed.py``, run in audiocraft's side venv) and transformers' MusicGen
at the same size, at batch 1 and 4 with guidance (a doubled batch inside). Each row also shows the
memory-bandwidth floor: a decode step reads every decoder weight once, so no step is faster than
(bytes of weights) / (copy bandwidth measured here).
"""

from __future__ import annotations

import copy
import functools
import gc
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear
from _common import bench_parser, best_time, machine_line, parse_bench_args
from transformers import MusicgenConfig, MusicgenDecoderConfig, MusicgenForConditionalGeneration
from transformers.utils import logging

from hfsynth.conversion.audiogen import audiogen_medium_config
from hfsynth.models.audiogen import AudioGenConfig, AudioGenForConditionalGeneration, quantize_decoder_int8
from hfsynth.models.audiogen.configuration_audiogen import TINY_T5
from hfsynth.modules.packed_linear import int8_linear_modules

REFERENCE_SCRIPT = Path(__file__).with_name("audiogen_reference_speed.py")


def musicgen_like(audiogen: AudioGenForConditionalGeneration) -> MusicgenForConditionalGeneration:
    """transformers' MusicGen with ``audiogen``'s decoder sizes, text encoder and codec."""
    decoder = audiogen.config.decoder
    musicgen_decoder = MusicgenDecoderConfig(
        vocab_size=decoder.codebook_size, num_codebooks=decoder.num_codebooks, hidden_size=decoder.hidden_size,
        num_hidden_layers=decoder.num_hidden_layers, num_attention_heads=decoder.num_attention_heads,
        ffn_dim=decoder.ffn_dim, max_position_embeddings=2048, pad_token_id=decoder.codebook_size,
        bos_token_id=decoder.codebook_size,
    )
    musicgen = MusicgenForConditionalGeneration(MusicgenConfig(
        text_encoder=audiogen.config.text_encoder, audio_encoder=audiogen.config.audio_encoder,
        decoder=musicgen_decoder,
    )).eval()
    for part in ("text_encoder", "audio_encoder"):  # same weights, so only the decoders differ
        getattr(musicgen, part).load_state_dict(getattr(audiogen, part).state_dict())
    return musicgen


def build_models() -> tuple[AudioGenForConditionalGeneration, MusicgenForConditionalGeneration]:
    audiogen = AudioGenForConditionalGeneration(AudioGenConfig()).eval()
    return audiogen, musicgen_like(audiogen)


def quantized_decoder(model: torch.nn.Module, inplace: bool = False) -> torch.nn.Module:
    """``model`` (a copy unless ``inplace``) with its decoder blocks' linear layers dynamic int8:
    :func:`hfsynth.models.audiogen.quantize_decoder_int8` (per-channel weights, float heads), and
    the same recipe for MusicGen's decoder layers."""
    model = model if inplace else copy.deepcopy(model)
    if isinstance(model, AudioGenForConditionalGeneration):
        return quantize_decoder_int8(model)
    stack = model.decoder.model.decoder                                      # MusicGen
    stack.layers = int8_linear_modules(stack.layers)
    return model


def compiled_decoder(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``model`` with its decoder under ``torch.compile(dynamic=True)``."""
    model = copy.deepcopy(model)
    model.decoder.compile(dynamic=True)
    return model


#: name -> what turns a plain model into that variant (None: the model as built).
VARIANTS: dict[str, Callable[[torch.nn.Module], torch.nn.Module] | None] = {
    "": None, "decoder compiled": compiled_decoder, "decoder int8": quantized_decoder,
}


@torch.inference_mode()
def codec_decode_seconds(model: AudioGenForConditionalGeneration, frames: int) -> float:
    codes = torch.randint(0, model.config.decoder.codebook_size, (1, model.config.decoder.num_codebooks, frames))
    return best_time(lambda: model.decode_audio(codes), repeats=3)        # warm: it is subtracted from warm calls


# ------------------------------------------------------------------------------ medium size
def copy_bandwidth(megabytes: int = 1024) -> float:
    """Bytes per second that a large tensor copy reads and writes (best of three)."""
    source = torch.ones(megabytes * 2**20 // 4)
    target = torch.empty_like(source)
    seconds = best_time(lambda: target.copy_(source), repeats=3)
    return 2 * source.numel() * 4 / seconds


def decoder_weight_bytes(decoder: torch.nn.Module) -> int:
    """Bytes a decode step reads: every parameter, and int8 linear weights at one byte each."""
    total = sum(p.numel() * p.element_size() for p in decoder.parameters())
    for module in decoder.modules():
        if isinstance(module, DynamicInt8Linear):                     # (its packed params are a child module)
            weight, bias = module.weight(), module.bias()              # the packed int8 weight, float bias
            total += weight.numel() + (0 if bias is None else bias.numel() * 4)
    return total


@torch.inference_mode()
def teacher_forced_log_probs(model: AudioGenForConditionalGeneration, frames: int = 48) -> torch.Tensor:
    """Log-probabilities of every code (1, K, steps, V) for fixed random codes and one random prompt."""
    generator = torch.Generator().manual_seed(1)
    decoder = model.config.decoder
    codes = torch.randint(0, decoder.codebook_size, (1, decoder.num_codebooks, frames), generator=generator)
    input_ids = torch.randint(3, 100, (1, 12), generator=generator)
    return model(input_ids=input_ids, audio_codes=codes).logits.log_softmax(-1)


@torch.no_grad()
def peaked_weights_(model: AudioGenForConditionalGeneration, head_gain: float = 3.0) -> None:
    """Decoder weights at a trained model's scale (variance-preserving layers, unit embeddings, a
    sharper output head), so that its next-code distributions are peaked like a trained model's
    and the int8 model's KL means something: the default init gives nearly uniform predictions."""
    for module in model.decoder.modules():
        if isinstance(module, torch.nn.Linear):
            module.weight.normal_(0.0, module.in_features ** -0.5)
        elif isinstance(module, torch.nn.Embedding):
            module.weight.normal_(0.0, 1.0)
    model.decoder.heads.weight.mul_(head_gain)


def entropy_per_code(log_p: torch.Tensor) -> float:
    return float(-(log_p.exp() * log_p).sum(-1).mean())


def kl_per_code(log_p: torch.Tensor, log_q: torch.Tensor) -> float:
    """Mean KL(p || q) in nats per code."""
    return float((log_p.exp() * (log_p - log_q)).sum(-1).mean())


def time_generate(model: torch.nn.Module, batch: int, steps: int, repeats: int) -> float:
    """Decoder steps per second of ``model.generate`` (top-k 250, guidance 3), codec decode excluded."""
    input_ids = torch.randint(3, 100, (batch, 12))
    call = functools.partial(model.generate, input_ids, do_sample=True, top_k=250, guidance_scale=3.0,
                             max_new_tokens=steps)
    with torch.inference_mode():
        model.generate(input_ids, do_sample=True, top_k=250, guidance_scale=3.0, max_new_tokens=4)  # warm-up
        decode = best_time(lambda: model.audio_encoder.decode(
            torch.zeros(1, batch, model.config.decoder.num_codebooks, steps, dtype=torch.long), [None]),
            repeats=1, warm_up=False)
        seconds = best_time(call, repeats, warm_up=False)
    return steps / max(seconds - decode, 1e-9)


def reference_row(python: str, batch: int, steps: int, repeats: int, threads: int) -> dict:
    """audiocraft's LM, timed in its own venv (``bench/audiogen_reference_speed.py``)."""
    command = [python, str(REFERENCE_SCRIPT), "--steps", str(steps - 3), "--batch", str(batch),
               "--repeats", str(repeats), "--threads", str(threads)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def medium(args) -> None:
    bandwidth = copy_bandwidth()
    print(machine_line())
    print(f"audiogen-medium decoders (48 x 1536, 4 x 2048 codes), random weights; {args.steps} decode steps, "
          f"top-k 250, guidance 3; best of {args.repeats}; copy bandwidth {bandwidth / 1e9:.1f} GB/s\n")
    print("| model | batch | decode steps/s | x audiocraft | weights read per step (GB) | floor (steps/s) "
          "| of floor | KL per code |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    rows = []

    def emit(name: str, batch: int, rate: float, weight_bytes: int | None, kl: str = "") -> None:
        rows.append((name, batch, rate))
        base = next((r for n, b, r in rows if n.startswith("audiocraft") and b == batch), None)
        ratio = f"{rate / base:.2f}x" if base else ""
        floor = "" if weight_bytes is None else f"{bandwidth / weight_bytes:.2f}"
        share = "" if weight_bytes is None else f"{rate * weight_bytes / bandwidth:.0%}"
        gigabytes = "" if weight_bytes is None else f"{weight_bytes / 1e9:.2f}"
        print(f"| {name} | {batch} | {rate:.2f} | {ratio} | {gigabytes} | {floor} | {share} | {kl} |", flush=True)

    for batch in args.batches:
        if args.reference_python:
            row = reference_row(args.reference_python, batch, args.steps, args.repeats, args.threads)
            weights = row["parameters"] * 4
            emit("audiocraft LMModel, float32", batch, row["steps_per_s"], weights)
    model = AudioGenForConditionalGeneration(audiogen_medium_config(TINY_T5)).eval()
    peaked_weights_(model)
    float_bytes = decoder_weight_bytes(model.decoder)
    for batch in args.batches:
        emit("hfsynth AudioGen, float32", batch, time_generate(model, batch, args.steps, args.repeats), float_bytes)
    float_log_probs = teacher_forced_log_probs(model)
    int8 = quantized_decoder(model, inplace=True)               # in place: one 7 GB model in memory
    kl = (f"{kl_per_code(float_log_probs, teacher_forced_log_probs(int8)):.4f} "
          f"(entropy {entropy_per_code(float_log_probs):.2f} nats)")
    for batch in args.batches:
        emit("hfsynth AudioGen, int8 decoder", batch, time_generate(int8, batch, args.steps, args.repeats),
             decoder_weight_bytes(int8.decoder), kl)
    musicgen = musicgen_like(int8)
    del int8
    gc.collect()
    for batch in args.batches:
        emit("transformers MusicGen, float32", batch, time_generate(musicgen, batch, args.steps, args.repeats),
             decoder_weight_bytes(musicgen.decoder))


def main() -> None:
    parser = bench_parser(__doc__, "fewer steps and a shorter RTF clip (a smoke run)")
    parser.add_argument("--compile", action="store_true", help="also time both decoders under torch.compile")
    parser.add_argument("--int8", action="store_true", help="also time both decoders quantised to dynamic int8")
    parser.add_argument("--repeats", type=int, default=1, help="time each model this many times; keep the fastest")
    parser.add_argument("--size", choices=("small", "medium"), default="small",
                        help="small: the CPU-sized defaults (above); medium: audiogen-medium's architecture")
    parser.add_argument("--steps", type=int, default=20, help="decode steps per call at --size medium")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4], help="batch sizes at --size medium")
    parser.add_argument("--reference-python", default=None,
                        help="audiocraft's venv python, for its LM's row at --size medium (omitted without)")
    args = parse_bench_args(parser)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1; got {args.repeats}")
    torch.manual_seed(0)
    logging.set_verbosity_error()  # MusicGen's config warns that its pad id (= vocab size) is outside the vocab
    if args.size == "medium":
        medium(args)
        return
    small(args)


def small(args) -> None:
    steps, rtf_seconds = (40, 2.0) if args.quick else (253, 10.0)
    audiogen, musicgen = build_models()
    input_ids = torch.randint(3, audiogen.config.text_encoder.vocab_size, (1, 12))
    sampling = dict(do_sample=True, top_k=250, guidance_scale=3.0, max_new_tokens=steps)
    frames = steps - audiogen.config.decoder.num_codebooks + 1
    decode = codec_decode_seconds(audiogen, frames)
    print(machine_line())
    print(f"{steps} decoder steps ({frames} frames, {frames / audiogen.config.frame_rate:.2f} s), batch 1, "
          f"guidance 3 (batch 2 inside), top-k 250; codec decode {decode:.2f} s; best of {args.repeats}\n")
    print("| model | decoder params | whole call (s) | decoder steps/s |")
    print("| --- | --- | --- | --- |")
    models = (("hfsynth AudioGen", audiogen), ("transformers MusicGen", musicgen))
    chosen = [""] + ["decoder compiled"] * args.compile + ["decoder int8"] * args.int8
    for variant in chosen:
        for name, plain in models:
            model = plain if VARIANTS[variant] is None else VARIANTS[variant](plain)
            generate = functools.partial(model.generate, input_ids, **sampling)
            if variant:
                name += f", {variant}"
            if variant == "decoder compiled":
                name += f" (first call {best_time(generate, repeats=1, warm_up=False):.0f} s)"
            params = sum(p.numel() for p in plain.decoder.parameters()) / 1e6
            seconds = best_time(generate, args.repeats, warm_up=variant != "decoder compiled")
            rate = f"{steps / (seconds - decode):.0f}" if seconds > decode else "n/a (within the decode's noise)"
            print(f"| {name} | {params:.2f}M | {seconds:.2f} | {rate} |", flush=True)
    rtf_call = functools.partial(audiogen.generate, input_ids, audio_length_in_s=rtf_seconds)
    seconds = best_time(rtf_call, args.repeats, warm_up=False)
    print(f"\nhfsynth AudioGen, {rtf_seconds:g} s of audio "
          f"(default sampling, guidance 3): {seconds:.2f} s, real-time factor {seconds / rtf_seconds:.2f}")



if __name__ == "__main__":
    main()
