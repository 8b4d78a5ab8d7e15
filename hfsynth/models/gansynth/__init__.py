from ..registration import register_model
from .configuration_gansynth import GANSynthConfig
from .modeling_gansynth import (
    GANSynthDiscriminator,
    GANSynthDiscriminatorOutput,
    GANSynthGenerator,
    GANSynthGenerationOutput,
    GANSynthGeneratorOutput,
)
from .pipeline_gansynth import GANSynthPipeline, slerp

# The generator is what users load (AutoModel and AutoModelForTextToWaveform); the discriminator
# shares the config but lives only in training checkpoints.
register_model(GANSynthConfig, GANSynthGenerator, generator=True)

__all__ = [
    "GANSynthConfig",
    "GANSynthDiscriminator",
    "GANSynthDiscriminatorOutput",
    "GANSynthGenerator",
    "GANSynthGenerationOutput",
    "GANSynthGeneratorOutput",
    "GANSynthPipeline",
    "slerp",
]
