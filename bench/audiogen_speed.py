"""AudioGen decoding speed: hfsynth's AudioGen vs transformers' MusicGen built with the same sizes.

Both models get the same text encoder (the tiny T5), the same codec (the small 16 kHz EnCodec,
4 codebooks) and decoders of the same width, depth and codebooks, randomly initialised; both
sample with top-k 250 and classifier-free guidance 3 (a doubled batch) for the same number of
decoder steps. Then hfsynth's real-time factor for 10 s of audio (beyond one 5 s window, so the
sliding window is included).

    python bench/audiogen_speed.py [--threads 2] [--quick] [--compile] [--int8] [--repeats 3]

``--compile`` adds both decoders compiled with ``torch.compile(dynamic=True)`` (what a user gets
with ``model.decoder.compile(dynamic=True)``), timed after a first call that compiles; that first
call's time is printed too. ``--int8`` adds both decoders with their linear layers quantised to
int8 by ``torch.ao.quantization.quantize_dynamic`` (fbgemm; a decode step is bound by reading the
weights, and int8 reads a quarter of the bytes). Every row is the fastest of ``--repeats`` calls,
all in one process; every variant is applied to both models, so each ratio compares like with like.

Prints a Markdown table: decoder steps per second (generation time without the final codec
decode), the whole call's time, and the real-time factor (generation time / audio duration;
below 1 is faster than real time). ``--quick`` finishes in well under a minute.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable

import torch
from _common import bench_parser, best_time, machine_line, parse_bench_args
from transformers import MusicgenConfig, MusicgenDecoderConfig, MusicgenForConditionalGeneration
from transformers.utils import logging

from hfsynth.models.audiogen import AudioGenConfig, AudioGenForConditionalGeneration


def build_models() -> tuple[AudioGenForConditionalGeneration, MusicgenForConditionalGeneration]:
    audiogen = AudioGenForConditionalGeneration(AudioGenConfig()).eval()
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
    return audiogen, musicgen


def quantized_decoder(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``model`` whose decoder's linear layers are dynamic int8 (weights int8, activations
    quantised per call)."""
    model = copy.deepcopy(model)
    with warnings.catch_warnings():  # torch.ao.quantization is deprecated in favour of torchao
        warnings.simplefilter("ignore")
        model.decoder = torch.ao.quantization.quantize_dynamic(model.decoder, {torch.nn.Linear}, torch.qint8)
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
    return best_time(lambda: model.decode_audio(codes), repeats=1, warm_up=False)


def main() -> None:
    parser = bench_parser(__doc__, "fewer steps and a shorter RTF clip (a smoke run)")
    parser.add_argument("--compile", action="store_true", help="also time both decoders under torch.compile")
    parser.add_argument("--int8", action="store_true", help="also time both decoders quantised to dynamic int8")
    parser.add_argument("--repeats", type=int, default=1, help="time each model this many times; keep the fastest")
    args = parse_bench_args(parser)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1; got {args.repeats}")
    torch.manual_seed(0)
    logging.set_verbosity_error()  # MusicGen's config warns that its pad id (= vocab size) is outside the vocab
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
            print(f"| {name} | {params:.2f}M | {seconds:.2f} | {steps / max(seconds - decode, 1e-9):.0f} |", flush=True)
    rtf_call = functools.partial(audiogen.generate, input_ids, audio_length_in_s=rtf_seconds)
    seconds = best_time(rtf_call, args.repeats, warm_up=False)
    print(f"\nhfsynth AudioGen, {rtf_seconds:g} s of audio "
          f"(default sampling, guidance 3): {seconds:.2f} s, real-time factor {seconds / rtf_seconds:.2f}")


if __name__ == "__main__":
    main()
