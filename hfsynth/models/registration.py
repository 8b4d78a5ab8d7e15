"""One place that tells transformers about hfsynth's models.

Each model folder's ``__init__`` calls :func:`register_model` once, so that ``AutoConfig``,
``AutoModel`` (and ``AutoModelForTextToWaveform`` for generators) resolve ``hfsynth_<name>``
checkpoints, and so that ``transformers.pipeline(...)`` can load them.
"""

from __future__ import annotations

from pathlib import Path

from transformers import AutoConfig, AutoModel, AutoModelForTextToWaveform, PretrainedConfig, PreTrainedModel

MODEL_TYPE_PREFIX = "hfsynth_"

#: Every model type hfsynth registered, mapped to its model class (for error messages and the CLI).
REGISTERED_MODELS: dict[str, type[PreTrainedModel]] = {}


def register_model(
    config_class: type[PretrainedConfig],
    model_class: type[PreTrainedModel],
    *,
    generator: bool = False,
    extra_auto_classes: tuple[type, ...] = (),
) -> None:
    """Registers ``config_class``/``model_class`` with the Auto classes.

    Args:
        generator: also register with ``AutoModelForTextToWaveform``, the class the
            ``text-to-audio`` pipeline tries first.
        extra_auto_classes: further Auto classes (e.g. ``AutoModelForAudioClassification``).
    """
    model_type = config_class.model_type
    if not model_type.startswith(MODEL_TYPE_PREFIX):
        raise ValueError(f"hfsynth model types start with {MODEL_TYPE_PREFIX!r}; got {model_type!r}")
    if model_class.config_class is not config_class:
        raise ValueError(f"{model_class.__name__}.config_class must be {config_class.__name__}")
    AutoConfig.register(model_type, config_class, exist_ok=True)
    auto_classes = (AutoModel, *((AutoModelForTextToWaveform,) if generator else ()), *extra_auto_classes)
    for auto_class in auto_classes:
        auto_class.register(config_class, model_class, exist_ok=True)
    REGISTERED_MODELS.setdefault(model_type, model_class)


#: The public contract's tasks, as ``pipeline()`` names them.
TASKS = ("text-to-audio", "audio-to-audio", "audio-classification")


def task_of(source: str) -> str:
    """The public-contract task of a model folder or Hub id (from its config alone).

    ``ValueError`` for a local-looking path that is no model folder, or a config transformers
    cannot read, naming what was given and what a model source is.
    """
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING,
        MODEL_FOR_TEXT_TO_WAVEFORM_MAPPING,
    )

    path = Path(source).expanduser()
    looks_local = path.is_absolute() or str(source).startswith((".", "~")) or str(source).count("/") != 1
    if looks_local and not (path / "config.json").is_file():
        raise ValueError(f"no model folder at {source} (a folder with config.json, or a Hub id 'user/name')")
    try:
        config = AutoConfig.from_pretrained(str(source))
    except (OSError, ValueError, KeyError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"cannot read the model config of {source}: {reason}") from error
    if hasattr(config, "pipeline_task"):  # a family whose task depends on its conditioning
        return config.pipeline_task
    if type(config) in MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING:
        return "audio-classification"
    if type(config) in MODEL_FOR_TEXT_TO_WAVEFORM_MAPPING:
        return "text-to-audio"
    return "audio-to-audio"


def check_task(source: str, task: str, command: str) -> str:
    """``source`` when its model answers ``task``; else a ``ValueError`` saying what it does instead."""
    found = task_of(source)
    if found != task:
        raise ValueError(f"{source} holds a model for {found}; {command} needs one for {task}")
    return source
