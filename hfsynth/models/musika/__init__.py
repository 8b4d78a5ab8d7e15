from ..registration import register_model
from .configuration_musika import MusikaAutoencoderConfig, MusikaConfig
from .configuration_musika_release import MusikaReleaseConfig
from .modeling_musika import (
    MusikaAutoencoder,
    MusikaAutoencoderOutput,
    MusikaGenerationOutput,
    MusikaGenerator,
    MusikaGeneratorOutput,
    MusikaLatentDiscriminator,
)
from .modeling_musika_release import MusikaReleaseGenerator
from .pipeline_musika import MusikaPipeline, MusikaReleasePipeline

# The generator (which holds its autoencoder) is what text-to-audio loads; the autoencoder alone is
# an AutoModel too (its folder is what the latent GAN's recipe reads), and the audio-to-audio
# pipeline runs it as a reconstruction.
register_model(MusikaConfig, MusikaGenerator, generator=True)
register_model(MusikaAutoencoderConfig, MusikaAutoencoder)
# The published Musika (converted with `hfsynth convert musika`): the authors' networks, layer for layer.
register_model(MusikaReleaseConfig, MusikaReleaseGenerator, generator=True)

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
    "MusikaReleaseConfig",
    "MusikaReleaseGenerator",
    "MusikaReleasePipeline",
]
