from transformers import AutoProcessor

from ..registration import register_model
from .configuration_audiogen import AudioGenConfig, AudioGenDecoderConfig, small_encodec_config
from .delay_pattern_audiogen import apply_delay_pattern, build_delay_pattern, undo_delay_pattern
from .modeling_audiogen import AudioGenForConditionalGeneration, AudioGenGenerationOutput, AudioGenOutput
from .pipeline_audiogen import AudioGenPipeline
from .processing_audiogen import AudioGenProcessor
from .quantization_audiogen import quantize_decoder_int8
from .tokenization_audiogen import train_caption_tokenizer

register_model(AudioGenConfig, AudioGenForConditionalGeneration, generator=True)
# The text-to-audio pipeline tokenizes with the folder's processor when AutoProcessor resolves it.
AutoProcessor.register(AudioGenConfig, AudioGenProcessor, exist_ok=True)

__all__ = [
    "AudioGenConfig",
    "AudioGenDecoderConfig",
    "AudioGenForConditionalGeneration",
    "AudioGenGenerationOutput",
    "AudioGenOutput",
    "AudioGenPipeline",
    "AudioGenProcessor",
    "apply_delay_pattern",
    "build_delay_pattern",
    "quantize_decoder_int8",
    "small_encodec_config",
    "train_caption_tokenizer",
    "undo_delay_pattern",
]
