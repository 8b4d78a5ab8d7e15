"""transformers' ``audio-classification`` pipeline, able to resample without torchaudio.

transformers resamples a ``{"raw", "sampling_rate"}`` input at another rate than the feature
extractor's with torchaudio, and raises ``ImportError`` where torchaudio is not installed (it is
not a dependency of hfsynth, and does not install everywhere). ``import hfsynth`` registers this
subclass for the task: where torchaudio is missing it resamples with :func:`hfsynth.audio.resample`
first. A model whose front end is DSP (hfsynth's note classifier) says so with ``input_dtype``:
its audio then stays float32 when the weights are half precision, as a half-precision waveform
would bury the quiet bands its log-mel reads under quantisation noise. Everything else is
transformers' own behaviour, for every model.
"""

from __future__ import annotations

from typing import Any

from transformers import AudioClassificationPipeline, AutoModelForAudioClassification
from transformers.pipelines import PIPELINE_REGISTRY
from transformers.utils import is_torchaudio_available, logging

TASK = "audio-classification"


class ResamplingAudioClassificationPipeline(AudioClassificationPipeline):
    def preprocess(self, inputs: Any):
        rate = self.feature_extractor.sampling_rate
        if isinstance(inputs, dict) and inputs.get("sampling_rate", rate) != rate and not is_torchaudio_available():
            from ..audio.resample import resample
            from .audio_to_audio import parse_audio_input

            audio, source_rate = parse_audio_input(inputs, rate)
            inputs = {"raw": resample(audio, source_rate, rate), "sampling_rate": rate}
        return super().preprocess(inputs)

    @property
    def dtype(self):
        """The dtype ``preprocess`` casts the features to: the model's ``input_dtype`` where it has one."""
        return getattr(self.model, "input_dtype", None) or super().dtype


_registry_logger = logging.get_logger("transformers.pipelines.base")
_level = _registry_logger.level
_registry_logger.setLevel(logging.ERROR)  # taking over a built-in task is the point: no "Overwriting" warning
try:
    PIPELINE_REGISTRY.register_pipeline(TASK, pipeline_class=ResamplingAudioClassificationPipeline,
                                        pt_model=AutoModelForAudioClassification, type="audio")
finally:
    _registry_logger.setLevel(_level)
