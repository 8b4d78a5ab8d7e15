from ..registration import register_model
from .configuration_music_translation import MusicTranslationConfig
from .modeling_music_translation import (
    MusicTranslationAudioOutput,
    MusicTranslationEncoder,
    MusicTranslationModel,
    MusicTranslationOutput,
)
from .pipeline_music_translation import MusicTranslationPipeline

# AutoModel: the class the audio-to-audio pipeline loads.
register_model(MusicTranslationConfig, MusicTranslationModel)

__all__ = [
    "MusicTranslationAudioOutput",
    "MusicTranslationConfig",
    "MusicTranslationEncoder",
    "MusicTranslationModel",
    "MusicTranslationOutput",
    "MusicTranslationPipeline",
]
