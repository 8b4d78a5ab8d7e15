"""Published checkpoints -> hfsynth model folders: ``hfsynth convert <family>``.

One module per source format, each of the same shape (see :mod:`hfsynth.conversion.base`): a
``CONVERTER`` naming its command-line arguments and a ``convert(...)`` function that reads the
original files without running their code, maps every tensor by a table (an unmapped or missing
tensor is an error naming it), and writes an ordinary, Hub-ready folder that loads with
``from_pretrained`` / ``pipeline()`` and needs nothing of this package.
"""

from __future__ import annotations

import importlib

from .base import Converter

#: Family (the ``hfsynth convert`` subcommand) -> (module of this package, what it converts). The
#: modules are imported only when their family is converted: ``hfsynth --help`` stays light.
FAMILIES: dict[str, tuple[str, str]] = {
    "audiogen": ("audiogen", "audiocraft's exported AudioGen (facebook/audiogen-medium)"),
    "openunmix": ("openunmix", "Open-Unmix separators (umxhq, umxl, umxse)"),
    "wavenet": ("wavenet_r9y9", "r9y9's wavenet_vocoder checkpoints"),
    "gansynth": ("gansynth_magenta", "magenta's GANSynth TensorFlow checkpoints (or their tfjs copy)"),
    "musika": ("musika", "Musika's Keras .h5 releases"),
    "umt": ("music_translation", "the Universal Music Translation network's checkpoints"),
}


def converter(family: str) -> Converter:
    """The converter of ``family``; ``ValueError`` naming the families for anything else."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; hfsynth converts {', '.join(FAMILIES)}")
    return importlib.import_module(f"{__name__}.{FAMILIES[family][0]}").CONVERTER


__all__ = ["FAMILIES", "Converter", "converter"]
