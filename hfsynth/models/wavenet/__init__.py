from ..registration import register_model
from .configuration_wavenet import WaveNetConfig
from .modeling_wavenet import WaveNetModel, WaveNetOutput

register_model(WaveNetConfig, WaveNetModel)

__all__ = ["WaveNetConfig", "WaveNetModel", "WaveNetOutput"]
