"""``hfsynth convert <family> ...``: a published checkpoint -> a Hub-ready hfsynth folder.

The family's own options are parsed by its converter (``hfsynth convert audiogen --help``), so only
the converter that runs is imported.
"""

from __future__ import annotations

import argparse

from ..conversion import FAMILIES


def register(subparsers: argparse._SubParsersAction) -> None:
    listing = "; ".join(f"{family}: {what}" for family, (_, what) in FAMILIES.items())
    parser = subparsers.add_parser(
        "convert", help="convert a published checkpoint into an hfsynth model folder",
        description=f"Families - {listing}. Run 'hfsynth convert FAMILY --help' for a family's options.",
    )
    parser.add_argument("family", choices=list(FAMILIES), metavar="FAMILY", help=", ".join(FAMILIES))
    parser.add_argument("options", nargs=argparse.REMAINDER, help="the family's options (see FAMILY --help)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..conversion import converter

    family = converter(args.family)
    options = vars(family.parser(FAMILIES[args.family][1]).parse_args(args.options))
    print(f"wrote {family.convert(**options)}")
    return 0
