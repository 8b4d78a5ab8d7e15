from ..registration import register_model
from .configuration_style_transfer import CycleGANConfig, MelGANVCConfig, StyleTransferConfig
from .modeling_cyclegan import CycleGANDiscriminators, CycleGANModel
from .modeling_melganvc import MelGANVCDiscriminator, MelGANVCModel, MelGANVCSiamese
from .modeling_style_transfer import StyleTransferOutput, StyleTransferPreTrainedModel
from .pipeline_style_transfer import StyleTransferPipeline
from .spectral_style_transfer import StyleSpectrogram, transfer_in_chunks

# The generators are what users load (AutoModel, served by the audio-to-audio pipeline); the
# discriminators and MelGAN-VC's siamese network live only in training checkpoints.
register_model(MelGANVCConfig, MelGANVCModel)
register_model(CycleGANConfig, CycleGANModel)

__all__ = [
    "CycleGANConfig",
    "CycleGANDiscriminators",
    "CycleGANModel",
    "MelGANVCConfig",
    "MelGANVCDiscriminator",
    "MelGANVCModel",
    "MelGANVCSiamese",
    "StyleSpectrogram",
    "StyleTransferConfig",
    "StyleTransferOutput",
    "StyleTransferPipeline",
    "StyleTransferPreTrainedModel",
    "transfer_in_chunks",
]
