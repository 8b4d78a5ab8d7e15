"""From what a user types to Musika's conditioning: "120 bpm" sets the tempo, "sparse"/"dense" the
note density; an empty prompt (or one naming neither) leaves both free.

Values given as arguments go through the same checks (:func:`check_tempo`, :func:`check_density`),
so a tempo outside the trained range or an unknown density word is a ``ValueError`` either way.
"""

from __future__ import annotations

import math
import re

from ...validation import check_number, check_positive_number
from .configuration_musika import MusikaConfig

#: Density words and the config field holding the onset rate (onsets per second) each stands for.
DENSITY_WORDS = {"sparse": "density_sparse", "dense": "density_dense"}
_TEMPO = re.compile(r"(-?\d+(?:\.\d+)?)\s*(?:bpm|beats per minute)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+")


def check_tempo(tempo: float | None, config: MusikaConfig) -> float | None:
    """A tempo (quarter notes per minute) inside the config's range, or None."""
    if tempo is None:
        return None
    tempo = check_number(tempo, "tempo", hint=" of beats per minute")
    if not config.tempo_min <= tempo <= config.tempo_max:
        raise ValueError(f"tempo {tempo:g} bpm is outside this model's range {config.tempo_min:g}-{config.tempo_max:g} bpm")
    return float(tempo)


def check_density(density: float | str | None, config: MusikaConfig) -> float | None:
    """"sparse", "dense", a positive onset rate (onsets per second) or None -> onsets per second or None."""
    if density is None:
        return None
    if isinstance(density, str):
        word = density.strip().lower()
        if word not in DENSITY_WORDS:
            raise ValueError(f"unknown density {density!r}; use one of {sorted(DENSITY_WORDS)} or onsets per second")
        return float(getattr(config, DENSITY_WORDS[word]))
    return check_positive_number(density, "density", hint=" of onsets per second, or 'sparse' or 'dense'")


def conditioning_from_prompt(prompt: str, config: MusikaConfig) -> tuple[float | None, float | None]:
    """(tempo, density) a prompt sets: "a dense piece at 120 bpm" -> (120.0, config.density_dense).

    Raises ``ValueError`` for a tempo outside the range or a prompt asking for both densities.
    """
    tempi = _TEMPO.findall(prompt)
    if len(set(tempi)) > 1:
        raise ValueError(f"the prompt {prompt!r} names several tempi {tempi}; name one")
    tempo = check_tempo(float(tempi[0]), config) if tempi else None
    words = sorted(set(_WORD.findall(prompt.lower())) & set(DENSITY_WORDS))
    if len(words) > 1:
        raise ValueError(f"the prompt {prompt!r} asks for both {words}; choose one")
    return tempo, check_density(words[0], config) if words else None


def names_conditioning(prompt: str) -> list[str]:
    """What of tempo and density ``prompt`` asks for, e.g. ``["a tempo", "a density"]``; for models
    without that conditioning, which must refuse such prompts rather than ignore them."""
    named = ["a tempo"] if _TEMPO.search(prompt) else []
    return named + (["a density"] if set(_WORD.findall(prompt.lower())) & set(DENSITY_WORDS) else [])
