"""The codec AudioGen speaks, from either of the folders that hold one.

A codec comes as its own ``EncodecModel`` folder (``CodecRecipe``'s export) or inside a trained
AudioGen folder (``pipelines/audiogen-tiny`` keeps it under ``audio_encoder``). Accepting both lets
everything built on the codec (a new language model, the codec-aware note classifier, the codec
benches) start from the shipped model on a fresh clone, without first retraining the codec.
"""

from __future__ import annotations

from safetensors import safe_open
from transformers import AutoConfig, EncodecConfig, EncodecModel
from transformers.utils import SAFE_WEIGHTS_NAME, cached_file

from .configuration_audiogen import AudioGenConfig


def _folder_config(path: str) -> EncodecConfig | AudioGenConfig:
    try:
        config = AutoConfig.from_pretrained(path)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"cannot read the codec at {path} (an EncodecModel folder, e.g. CodecRecipe's export, or an AudioGen "
            f"folder): {error}"
        ) from error
    if not isinstance(config, (EncodecConfig, AudioGenConfig)):
        raise ValueError(
            f"{path} holds a {type(config).__name__}; a codec comes from an EncodecModel folder or an AudioGen folder"
        )
    return config


def load_codec_config(path: str) -> EncodecConfig:
    """The codec's ``EncodecConfig`` from an ``EncodecModel`` folder or an AudioGen folder."""
    config = _folder_config(path)
    return config.audio_encoder if isinstance(config, AudioGenConfig) else config


def load_codec(path: str) -> EncodecModel:
    """The codec itself (float32, eval mode) from an ``EncodecModel`` folder or an AudioGen folder.

    From an AudioGen folder only the codec's tensors (``audio_encoder.*``) are read: the text
    encoder and the decoder are neither built nor loaded.
    """
    config = _folder_config(path)
    if isinstance(config, EncodecConfig):
        return EncodecModel.from_pretrained(path).float().eval()
    prefix = "audio_encoder."
    with safe_open(cached_file(path, SAFE_WEIGHTS_NAME), framework="pt") as weights:
        state = {key[len(prefix):]: weights.get_tensor(key) for key in weights.keys() if key.startswith(prefix)}
    codec = EncodecModel(config.audio_encoder)
    codec.load_state_dict(state)
    return codec.float().eval()
