"""``hfsynth space``: run one model's Gradio app (or the combined one) on this machine."""

from __future__ import annotations

import argparse

from ..spaces.specs import SPACES

COMBINED = "hfsynth"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "space", help="run a model's Gradio Space locally",
        description="Runs spaces/<name>/app.py's app on this machine (127.0.0.1 unless --host says otherwise).",
    )
    parser.add_argument("name", help=f"which Space: {', '.join(SPACES)}, or '{COMBINED}' for all in tabs")
    parser.add_argument("--model", default=None,
                        help="model folder or Hub id (default: pipelines/<name>); not with the combined Space")
    parser.add_argument("--port", type=int, default=7860, help="port to serve on (default 7860)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--share", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.share:
        raise ValueError("public share links are not supported; serve on --host/--port and publish the "
                         "spaces/<name> folder as a Hugging Face Space instead")
    if args.name != COMBINED and args.name not in SPACES:
        raise ValueError(f"unknown space {args.name!r}; choose one of: {', '.join(SPACES)}, {COMBINED}")
    if args.name == COMBINED and args.model:
        raise ValueError("--model names one Space's model; for the combined Space set HFSYNTH_MODEL_<NAME>")
    if not 0 < args.port < 65536:
        raise ValueError(f"--port must be 1-65535; got {args.port}")
    try:
        from ..spaces import build_combined_space, build_space, launch
    except ImportError as error:
        raise ValueError(f"Spaces need gradio: pip install 'hfsynth[spaces]' ({error})") from error
    try:
        demo = build_combined_space() if args.name == COMBINED else build_space(args.name, model=args.model)
    except OSError as error:
        raise ValueError(f"could not load the model for {args.name!r}: {error}") from error
    print(f"serving the {args.name} Space at http://{args.host}:{args.port} (Ctrl+C stops it)")
    try:
        launch(demo, port=args.port, host=args.host)
    except OSError as error:
        raise ValueError(f"cannot serve on {args.host}:{args.port}: {error}") from error
    return 0
