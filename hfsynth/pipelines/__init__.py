"""transformers pipeline support: the public contract's helpers and the ``audio-to-audio`` task."""

from .audio_to_audio import AudioToAudioPipeline, parse_audio_input
from .contract import finalize_audio

__all__ = ["AudioToAudioPipeline", "finalize_audio", "parse_audio_input"]
