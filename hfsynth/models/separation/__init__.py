from ..registration import register_model
from .configuration_separation import DEFAULT_STEM_NAMES, SeparationConfig
from .modeling_separation import SeparationAudioOutput, SeparationModel, SeparationOutput
from .pipeline_separation import SeparationPipeline

# AutoModel: the class the audio-to-audio pipeline loads.
register_model(SeparationConfig, SeparationModel)

__all__ = [
    "DEFAULT_STEM_NAMES",
    "SeparationAudioOutput",
    "SeparationConfig",
    "SeparationModel",
    "SeparationOutput",
    "SeparationPipeline",
]
