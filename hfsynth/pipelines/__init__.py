"""Pipelines: the public contract's helpers, the ``audio-to-audio`` task for transformers'
``pipeline()`` (and ``audio-classification`` resampling without torchaudio), and the base of
hfsynth's own (diffusers-style) pipelines."""

from .audio_classification import ResamplingAudioClassificationPipeline
from .audio_to_audio import AudioToAudioPipeline, parse_audio_input
from .contract import finalize_audio
from .pipeline_utils import AudioPipelineOutput, HFSynthPipeline, conform_audio

__all__ = [
    "AudioPipelineOutput",
    "AudioToAudioPipeline",
    "HFSynthPipeline",
    "ResamplingAudioClassificationPipeline",
    "conform_audio",
    "finalize_audio",
    "parse_audio_input",
]
