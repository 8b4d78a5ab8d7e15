"""What each hfsynth Space shows: its task, controls, limits and examples, and where its model lives.

A :class:`SpaceSpec` is data, not UI: the builders in :mod:`hfsynth.spaces.builders` turn it into a
Gradio app, so adding a model family's Space means adding one entry to :data:`SPACES`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..validation import check_number

TEXT_TO_AUDIO = "text-to-audio"
AUDIO_TO_AUDIO = "audio-to-audio"
AUDIO_CLASSIFICATION = "audio-classification"


@dataclass(frozen=True)
class Control:
    """One extra slider of a text-to-audio Space.

    Its value goes to the pipeline as ``forward_params[name]`` or, with ``prompt_template``
    (``"note {value} {prompt}"``), is written into the prompt for models that read it from there.
    """

    name: str
    label: str
    minimum: float
    maximum: float
    value: float
    step: float = 1.0
    prompt_template: str | None = None
    info: str | None = None
    config_range: tuple[str, str] | None = None

    def for_config(self, config: object) -> Control:
        """This control with its range read from the model config (``config_range`` names the fields)."""
        if self.config_range is None or not all(hasattr(config, key) for key in self.config_range):
            return self
        low, high = (getattr(config, key) for key in self.config_range)
        return replace(self, minimum=low, maximum=high, value=min(max(self.value, low), high))

    def check(self, value: object) -> float:
        """``value`` as a number inside ``[minimum, maximum]``, else ``ValueError`` naming the range."""
        try:
            value = check_number(value, self.label)
        except ValueError:
            raise ValueError(f"{self.label} must be a number from {self.minimum:g} to {self.maximum:g}; "
                             f"got {value!r}") from None
        if not self.minimum <= value <= self.maximum:
            raise ValueError(f"{self.label} must be from {self.minimum:g} to {self.maximum:g}; got {value:g}")
        return int(value) if float(self.step).is_integer() else float(value)


@dataclass(frozen=True)
class SpaceSpec:
    """A model family's Space.

    ``task`` is a pipeline task, or a function of the model's config choosing one (a WaveNet
    vocoder is audio-to-audio, a class-conditioned WaveNet text-to-audio). ``examples`` rows are
    ``(prompt, seed, seconds, *control values)`` for text-to-audio; audio Spaces get rendered example
    clips. ``max_seconds`` bounds generated length (text-to-audio) or input length (audio Spaces).
    """

    name: str
    title: str
    description: str
    task: str | Callable[[object], str]
    train_command: str
    model_types: tuple[str, ...]
    default_seconds: float = 1.0
    max_seconds: float = 4.0
    controls: tuple[Control, ...] = ()
    examples: tuple[tuple, ...] = ()
    prompt_placeholder: str = "a bright piano note"
    #: The folder under ``pipelines/`` its model ships in (``None``: the Space's name).
    model_folder: str | None = None

    def task_for(self, config: object) -> str:
        return self.task(config) if callable(self.task) else self.task

    @property
    def default_folder(self) -> Path:
        """``pipelines/<folder>`` of the directory the app runs in (a checkout of hfsynth): never a
        path inside the installed package. A published Space names its model by Hub id instead."""
        return Path.cwd() / "pipelines" / (self.model_folder or self.name)

    @property
    def env_var(self) -> str:
        """Environment variable naming this Space's model in the combined app (``HFSYNTH_MODEL_GANSYNTH``)."""
        return "HFSYNTH_MODEL_" + self.name.upper().replace("-", "_")


def _wavenet_task(config: object) -> str:
    """A mel-conditioned WaveNet is a vocoder (audio in); otherwise it generates from a prompt."""
    return getattr(config, "pipeline_task", TEXT_TO_AUDIO)


SEED = Control("seed", "Seed", 0, 2**31 - 1, 0, 1, info="same seed, same audio")

SPACES: dict[str, SpaceSpec] = {
    spec.name: spec
    for spec in (
        SpaceSpec(
            name="gansynth",
            model_folder="gansynth-small",
            title="GANSynth",
            description="Pitch-conditioned notes from a progressive GAN over instantaneous-frequency spectrograms "
            "(Engel et al., 2019). The timbre comes from the seed (the latent), the pitch from the slider.",
            task=TEXT_TO_AUDIO,
            train_command="hfsynth train --config configs/gansynth_small.yaml",
            model_types=("hfsynth_gansynth",),
            default_seconds=1.0,
            max_seconds=4.0,
            controls=(Control("pitch", "Pitch (MIDI)", 24, 96, 60, 1, prompt_template="note {value} {prompt}",
                              info="60 = C4", config_range=("pitch_min", "pitch_max")),),
            examples=(("a bright piano note", 0, 1.0, 60), ("a soft string note", 7, 1.0, 48),
                      ("a synth lead", 3, 1.0, 72)),
        ),
        SpaceSpec(
            name="audiogen",
            model_folder="audiogen-tiny",
            title="AudioGen",
            description="Text-conditioned audio from a delay-pattern transformer over EnCodec-style codes "
            "(Kreuk et al., 2023), with classifier-free guidance.",
            task=TEXT_TO_AUDIO,
            train_command="hfsynth train --config configs/audiogen_codec_tiny.yaml, then configs/audiogen_tiny.yaml",
            model_types=("hfsynth_audiogen",),
            default_seconds=2.0,
            max_seconds=5.0,
            controls=(Control("guidance_scale", "Guidance scale", 1.0, 10.0, 3.0, 0.5,
                              info="1 turns classifier-free guidance off"),),
            examples=(("a soft piano note", 0, 2.0, 3.0), ("loud brass playing a melody", 1, 2.0, 4.0),
                      ("strings and piano", 2, 2.0, 2.0)),
        ),
        SpaceSpec(
            name="wavenet",
            model_folder="wavenet-vocoder-tiny",
            title="WaveNet",
            description="WaveNet (van den Oord et al., 2016): a mel-conditioned vocoder (hfsynth's, or r9y9's "
            "converted with `hfsynth convert wavenet`) resynthesises the uploaded audio; a class-conditioned "
            "WaveNet plays the instrument its prompt names.",
            task=_wavenet_task,
            train_command="hfsynth train --config configs/wavenet_vocoder_tiny.yaml",
            model_types=("hfsynth_wavenet",),
            default_seconds=0.5,
            max_seconds=1.0,  # generation runs one sample at a time
            examples=(("a piano note", 0, 0.5), ("a string note", 1, 0.5)),
        ),
        SpaceSpec(
            name="musika",
            model_folder="musika-small",
            title="Musika",
            description="Fast infinite-length music generation with a GAN over autoencoder latents "
            "(Pasini & Schlüter, 2022). The prompt may set the tempo (\"120 bpm\") and the note density (\"dense\", \"sparse\").",
            task=TEXT_TO_AUDIO,
            train_command="hfsynth train --config configs/musika_ae_small.yaml, then configs/musika_small.yaml",
            model_types=("hfsynth_musika", "hfsynth_musika_release"),  # the release: hfsynth convert musika
            default_seconds=4.0,
            max_seconds=12.0,
            controls=(Control("truncation", "Truncation", 0.1, 2.0, 0.8, 0.1,
                              info="spread of the latent anchors: smaller is safer, larger more varied"),),
            examples=(("120 bpm", 0, 4.0, 0.8), ("dense, 90 bpm", 1, 4.0, 0.8), ("sparse", 2, 4.0, 1.2)),
            prompt_placeholder="120 bpm, dense",
        ),
        SpaceSpec(
            name="style-transfer",
            model_folder="styletransfer-piano-to-strings",
            title="Style transfer",
            description="Timbre/style transfer between instrumentations (MelGAN-VC / CycleGAN on spectrograms, "
            "or the Universal Music Translation network in the time domain, converted with `hfsynth convert umt`): "
            "upload audio, hear it played in the other style.",
            task=AUDIO_TO_AUDIO,
            train_command="hfsynth train --config configs/styletransfer_melganvc_small.yaml "
            "(or styletransfer_cyclegan_small.yaml)",
            model_types=("hfsynth_melganvc", "hfsynth_cyclegan", "hfsynth_music_translation"),
            max_seconds=10.0,
        ),
        SpaceSpec(
            name="separation",
            model_folder="separation-small",
            title="Source separation",
            description="Splits a mixture into its stems.",
            task=AUDIO_TO_AUDIO,
            train_command="hfsynth train --config configs/separation_small.yaml",
            model_types=("hfsynth_separation",),
            max_seconds=10.0,
        ),
        SpaceSpec(
            name="note-classifier",
            title="Note classifier",
            description="hfsynth's reference evaluator: instrument family of a single note (16 kHz), "
            "trained on rendered notes.",
            task=AUDIO_CLASSIFICATION,
            train_command="hfsynth train --config configs/note_classifier.yaml",
            model_types=("hfsynth_note_classifier",),
            max_seconds=10.0,
        ),
    )
}


def get_spec(name: str) -> SpaceSpec:
    """The Space called ``name``, or ``ValueError`` listing the Spaces that exist."""
    if name not in SPACES:
        raise ValueError(f"unknown space {name!r}; choose one of: {', '.join(SPACES)}")
    return SPACES[name]


@dataclass(frozen=True)
class ModelLocation:
    """Where a Space's model was looked for, and whether it is there."""

    source: str  # local folder or Hub id handed to pipeline()
    found: bool
    how: str = field(default="default")  # "argument", "environment" or "default"


def locate_model(spec: SpaceSpec, model: str | os.PathLike | None = None) -> ModelLocation:
    """The model folder for ``spec``: ``model`` if given, else ``$HFSYNTH_MODEL_<NAME>``, else
    ``pipelines/<name>`` of the current directory. An explicit value that is not a local folder is taken
    as a Hub id (pipeline() resolves it); a missing default folder is reported as not found.
    """
    if model is not None and str(model):
        return ModelLocation(str(model), True, "argument")
    if os.environ.get(spec.env_var):
        return ModelLocation(os.environ[spec.env_var], True, "environment")
    folder = spec.default_folder
    return ModelLocation(str(folder), (folder / "config.json").is_file(), "default")


def missing_model_message(spec: SpaceSpec, location: ModelLocation) -> str:
    """Markdown telling the user why the Space has no model and how to give it one."""
    return (
        f"**No {spec.title} model yet.** This Space looks for it in `{location.source}`, which has no "
        f"`config.json`. Train one (`{spec.train_command}`) and export it there, or point the Space at a "
        f"folder or Hub id: `hfsynth space {spec.name} --model PATH`, or set `HFSYNTH_MODEL` "
        f"(single Space) / `{spec.env_var}` (combined Space)."
    )
