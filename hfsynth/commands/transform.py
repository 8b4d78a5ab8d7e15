"""``hfsynth transform``: audio-to-audio (vocoder, style transfer, separation) on a file."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("transform", help="transform an audio file with an audio-to-audio model")
    parser.add_argument("--model", required=True, help="pipelines/<name> folder or Hub id")
    parser.add_argument("--in", dest="input", required=True, help="input audio file")
    parser.add_argument("--out", required=True, help="output file; separation writes <stem>_<stem name>.wav beside it")
    parser.add_argument("--target-domain", type=_domain, default=None,
                        help="music translation: the domain to translate to (a name or an index)")
    parser.set_defaults(func=run)


def _domain(value: str) -> str | int:
    """An index when the value is digits, else a domain name (the model checks either)."""
    return int(value) if value.isdigit() else value


def run(args: argparse.Namespace) -> int:
    from ..audio.io import audio_format, write_audio
    from ..models.registration import check_task
    from transformers import pipeline

    if not Path(args.input).is_file():
        raise ValueError(f"input audio file not found: {args.input}")
    audio_format(args.out)
    options = {} if args.target_domain is None else {"target_domain": args.target_domain}
    transform = pipeline("audio-to-audio", model=check_task(args.model, "audio-to-audio", "hfsynth transform"))
    out = transform(args.input, **options)
    if "stems" in out:
        out_path = Path(args.out)
        for name, audio in out["stems"].items():
            path = write_audio(out_path.with_name(f"{out_path.stem}_{name}{out_path.suffix}"), audio, out["sampling_rate"])
            print(f"wrote {path}")
        return 0
    print(f"wrote {write_audio(args.out, out['audio'], out['sampling_rate'])}")
    return 0
