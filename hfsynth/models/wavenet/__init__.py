from ..registration import register_model
from .configuration_wavenet import WaveNetConfig
from .modeling_wavenet import WaveNetAudioOutput, WaveNetModel, WaveNetOutput
from .pipeline_wavenet import WaveNetPipeline

# One class for AutoModel (audio-to-audio) and AutoModelForTextToWaveform (text-to-audio).
register_model(WaveNetConfig, WaveNetModel, generator=True)

__all__ = [
    "WaveNetAudioOutput",
    "WaveNetConfig",
    "WaveNetModel",
    "WaveNetOutput",
    "WaveNetPipeline",
]
