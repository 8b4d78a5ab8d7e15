"""``hfsynth generate``: text-to-audio through transformers' pipeline, written to an audio file."""

from __future__ import annotations

import argparse

from ..validation import check_positive_seconds


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("generate", help="generate audio from a prompt with a text-to-audio model")
    parser.add_argument("--model", required=True, help="pipelines/<name> folder or Hub id")
    parser.add_argument("--prompt", default="", help="text prompt (what it may say depends on the model)")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of the audio in seconds")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same audio)")
    parser.add_argument("--out", required=True, help="output audio file (.wav, .flac or .ogg)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..audio.io import audio_format, write_audio
    from ..models.registration import check_task
    import torch
    from transformers import pipeline

    seconds = check_positive_seconds(args.seconds, "--seconds")
    audio_format(args.out)
    generator = pipeline("text-to-audio", model=check_task(args.model, "text-to-audio", "hfsynth generate"))
    torch.manual_seed(args.seed)
    out = generator(args.prompt, forward_params={"audio_length_in_s": seconds})
    path = write_audio(args.out, out["audio"], out["sampling_rate"])
    print(f"wrote {path} ({out['audio'].shape[-1] / out['sampling_rate']:.2f} s at {out['sampling_rate']} Hz)")
    return 0
