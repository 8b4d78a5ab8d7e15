"""One place that tells transformers about hfsynth's models.

Each model folder's ``__init__`` calls :func:`register_model` once, so that ``AutoConfig``,
``AutoModel`` (and ``AutoModelForTextToWaveform`` for generators) resolve ``hfsynth_<name>``
checkpoints, and so that ``transformers.pipeline(...)`` can load them.
"""

from __future__ import annotations

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
