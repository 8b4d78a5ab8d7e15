from ..registration import register_model
from .configuration_gansynth import GANSynthConfig
from .modeling_gansynth import (
    GANSynthAudioOutput,
    GANSynthDiscriminator,
    GANSynthDiscriminatorOutput,
    GANSynthGenerator,
    GANSynthGeneratorOutput,
)
from .pipeline_gansynth import GANSynthPieceOutput, GANSynthPipeline, GANSynthPipelineOutput, slerp

# The generator is what users load (AutoModel and AutoModelForTextToWaveform); the discriminator
# shares the config but lives only in training checkpoints.
register_model(GANSynthConfig, GANSynthGenerator, generator=True)

__all__ = [
    "GANSynthAudioOutput",
    "GANSynthConfig",
    "GANSynthDiscriminator",
    "GANSynthDiscriminatorOutput",
    "GANSynthGenerator",
    "GANSynthGeneratorOutput",
    "GANSynthPieceOutput",
    "GANSynthPipeline",
    "GANSynthPipelineOutput",
    "slerp",
]
