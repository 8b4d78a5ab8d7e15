"""AudioGen decoding speed: hfsynth's AudioGen vs transformers' MusicGen built with the same sizes.

Both models get the same text encoder (the tiny T5), the same codec (the small 16 kHz EnCodec,
4 codebooks) and decoders of the same width, depth and codebooks, randomly initialised; both
sample with top-k 250 and classifier-free guidance 3 (a doubled batch) for the same number of
decoder steps. Then hfsynth's real-time factor for 10 s of audio (beyond one 5 s window, so the
sliding window is included).

    python bench/audiogen_speed.py [--threads 2] [--quick]

Prints a Markdown table: decoder steps per second (generation time without the final codec
decode), the whole call's time, and the real-time factor (generation time / audio duration;
below 1 is faster than real time). ``--quick`` finishes in well under a minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from _common import bench_parser, machine_line, parse_bench_args
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


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


@torch.inference_mode()
def codec_decode_seconds(model: AudioGenForConditionalGeneration, frames: int) -> float:
    codes = torch.randint(0, model.config.decoder.codebook_size, (1, model.config.decoder.num_codebooks, frames))
    return timed(lambda: model.decode_audio(codes))


def main() -> None:
    args = parse_bench_args(bench_parser(__doc__, "fewer steps and a shorter RTF clip (a smoke run)"))
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
          f"guidance 3 (batch 2 inside), top-k 250; codec decode {decode:.2f} s\n")
    print("| model | decoder params | whole call (s) | decoder steps/s |")
    print("| --- | --- | --- | --- |")
    for name, model in (("hfsynth AudioGen", audiogen), ("transformers MusicGen", musicgen)):
        params = sum(p.numel() for p in model.decoder.parameters()) / 1e6
        seconds = timed(lambda: model.generate(input_ids, **sampling))
        print(f"| {name} | {params:.2f}M | {seconds:.2f} | {steps / max(seconds - decode, 1e-9):.0f} |", flush=True)
    seconds = timed(lambda: audiogen.generate(input_ids, audio_length_in_s=rtf_seconds))
    print(f"\nhfsynth AudioGen, {rtf_seconds:g} s of audio (default sampling, guidance 3): {seconds:.2f} s, "
          f"real-time factor {seconds / rtf_seconds:.2f}")


if __name__ == "__main__":
    main()
