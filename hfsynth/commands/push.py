"""``hfsynth push``: a shipped ``pipelines/<name>`` folder + its model card -> a Hub model repo."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("push", help="publish a model folder (or a Space serving a model) to the Hub")
    parser.add_argument("--model", required=True,
                        help="the model folder (config.json + *.safetensors); with --space, its Hub id")
    parser.add_argument("--repo", required=True, help="Hub repo id, 'user/name' (a Space repo with --space)")
    parser.add_argument("--space", default=None, metavar="NAME",
                        help="publish Space NAME (gansynth, audiogen, ...) serving the Hub model --model instead")
    parser.add_argument("--wheel", default=None, help="with --space: the hfsynth wheel to upload (default: built here)")
    parser.add_argument("--card", default=None, help="model card to upload as README.md (default: model_cards/<name>.md)")
    parser.add_argument("--private", action="store_true", help="create the repo as private")
    parser.add_argument("--dry-run", action="store_true", help="check and list what would go up; no network")
    parser.add_argument("--endpoint", default=None, help="Hub address (default: huggingface_hub's HF_ENDPOINT)")
    parser.set_defaults(func=run)


#: Exit code when the Hub or the network fails (bad input exits with 2, from the CLI).
HUB_ERROR = 1


def run(args: argparse.Namespace) -> int:
    import sys

    from huggingface_hub.errors import HfHubHTTPError

    from ..hub import push_space, push_to_hub

    options = dict(private=args.private, dry_run=args.dry_run, endpoint=args.endpoint)
    try:
        if args.space:
            result = push_space(args.space, args.repo, model=args.model, wheel=args.wheel, **options)
        else:
            result = push_to_hub(args.model, args.repo, card=args.card, **options)
    except (HfHubHTTPError, OSError) as error:  # auth, permissions, network: not the user's input
        print(f"hfsynth push: the Hub refused or could not be reached: {error}", file=sys.stderr)
        return HUB_ERROR
    for item in result.files:
        print(f"{item.path_in_repo}\t{item.size} bytes\t<- {item.local_path or 'written by hfsynth'}")
    total = sum(item.size for item in result.files)
    verb = "would upload" if args.dry_run else "uploaded"
    print(f"{verb} {len(result.files)} files ({total} bytes) to {result.url}")
    return 0
