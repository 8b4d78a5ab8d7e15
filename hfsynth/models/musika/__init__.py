from ..registration import register_model
from .configuration_musika import MusikaAutoencoderConfig, MusikaConfig
from .modeling_musika import (
    MusikaAutoencoder,
    MusikaAutoencoderOutput,
    MusikaGenerator,
    MusikaGeneratorOutput,
    MusikaLatentDiscriminator,
)
from .pipeline_musika import MusikaPipeline

# The generator (which holds its autoencoder) is what text-to-audio loads; the autoencoder alone is
# an AutoModel too (its folder is what the latent GAN's recipe reads), and the audio-to-audio
# pipeline runs it as a reconstruction.
register_model(MusikaConfig, MusikaGenerator, generator=True)
register_model(MusikaAutoencoderConfig, MusikaAutoencoder)

__all__ = [
    "MusikaAutoencoder",
    "MusikaAutoencoderConfig",
    "MusikaAutoencoderOutput",
    "MusikaConfig",
    "MusikaGenerator",
    "MusikaGenerationOutput",
    "MusikaGeneratorOutput",
    "MusikaLatentDiscriminator",
    "MusikaPipeline",
]
