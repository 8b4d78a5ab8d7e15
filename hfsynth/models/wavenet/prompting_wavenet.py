"""From what a user types to what a WaveNet is conditioned on: prompts and class names -> class ids.

WaveNet has no text encoder. A class-conditioned WaveNet reads a prompt only for the class it
names ("a soft piano note" -> "keyboard"); an unconditional one ignores it. The byte tokenizer its
folders ship and the prompt decoding are shared with GANSynth (:mod:`hfsynth.models.prompting`).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Sequence

from ...validation import check_int
from ...data.captions import find_family
from ..prompting import BYTE_ID_OFFSET, byte_tokenizer, decode_byte_prompts  # noqa: F401  (re-exported)


def class_for_prompt(prompt: str, class_labels: Sequence[str]) -> int:
    """The index of the class a prompt names.

    An instrument family named in any of the caption words (``find_family``: "piano" ->
    "keyboard") wins when it is one of the classes; otherwise the class name appearing first in
    the prompt as a whole word ("synth_lead" may be written "synth lead"). Raises ``ValueError``,
    listing the classes, when the prompt names none.
    """
    family = find_family(prompt)
    if family in class_labels:
        return list(class_labels).index(family)
    lowered = prompt.lower()
    positions = {}
    for index, label in enumerate(class_labels):
        words = re.escape(label.lower()).replace("_", "[ _]")
        match = re.search(rf"\b{words}\b", lowered)
        if match:
            positions.setdefault(match.start(), index)
    if not positions:
        raise ValueError(f"the prompt {prompt!r} names none of this model's classes: {', '.join(class_labels)}")
    return positions[min(positions)]


def class_for_label(label: str | int, class_labels: Sequence[str] | None, num_classes: int) -> int:
    """A class given by name (one of ``class_labels``) or by index (0 .. num_classes - 1)."""
    if isinstance(label, str):
        if not class_labels or label not in class_labels:
            known = ", ".join(class_labels) if class_labels else "none (config.class_labels is not set)"
            raise ValueError(f"unknown class {label!r}; class names: {known}")
        return list(class_labels).index(label)
    return check_int(label, "a class index", minimum=0, maximum=num_classes - 1)
