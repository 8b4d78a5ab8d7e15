"""The ``audio-to-audio`` task: vocoders, style transfer and source separation.

transformers has no such task, so hfsynth registers one. The pipeline is model-agnostic: it
validates and conforms the input (sample rate, channels), calls the model's
``audio_to_audio(input_values=...)`` and shapes the result into the public contract:

    {"audio": float32 (samples,) or (channels, samples), "sampling_rate": int}
    {"stems": {name: float32 audio, ...}, "sampling_rate": int}      # separation models

A model joins the task by implementing ``audio_to_audio`` returning a ``ModelOutput`` with an
``audio`` (batch, [channels,] samples) or ``stems`` (batch, stems, samples) field; stem names
come from ``config.stem_names`` and the expected layout from ``config.sampling_rate`` and
``config.audio_channels`` (default 1).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
import torch
from transformers import AutoModel, Pipeline
from transformers.pipelines import PIPELINE_REGISTRY

from ..audio.io import read_audio
from ..audio.validation import check_waveform
from ..validation import check_sampling_rate
from .contract import finalize_audio
from .pipeline_utils import conform_audio

logger = logging.getLogger(__name__)

TASK = "audio-to-audio"


def parse_audio_input(inputs: Any, default_rate: int) -> tuple[np.ndarray, int]:
    """Accepts ``{"raw"|"array": wave, "sampling_rate": sr}``, a bare array (at the model's rate)
    or a file path, and returns a validated ``(audio, sampling_rate)``."""
    if isinstance(inputs, (str, os.PathLike)):
        return read_audio(inputs, channels=None)
    if isinstance(inputs, dict):
        key = next((k for k in ("raw", "array") if k in inputs), None)
        if key is None or "sampling_rate" not in inputs:
            raise ValueError(f"audio input dict needs 'raw' (or 'array') and 'sampling_rate'; got keys {sorted(inputs)}")
        return check_waveform(inputs[key]), check_sampling_rate(inputs["sampling_rate"])
    if isinstance(inputs, (np.ndarray, torch.Tensor, list)):
        array = inputs.detach().cpu().numpy() if isinstance(inputs, torch.Tensor) else inputs
        return check_waveform(array), default_rate
    raise ValueError(f"audio-to-audio takes a dict {{'raw', 'sampling_rate'}}, an array or a path; got {type(inputs).__name__}")


class AudioToAudioPipeline(Pipeline):
    """Audio in, audio (or stems) out, through any model implementing ``audio_to_audio``."""

    _load_tokenizer = False
    _load_feature_extractor = False
    _load_processor = False
    _load_image_processor = False
    _load_video_processor = False

    def _sanitize_parameters(self, **kwargs: Any) -> tuple[dict, dict, dict]:
        return {}, kwargs, {}

    @property
    def sampling_rate(self) -> int:
        return int(self.model.config.sampling_rate)

    def preprocess(self, inputs: Any) -> dict[str, torch.Tensor]:
        audio, rate = parse_audio_input(inputs, self.sampling_rate)
        channels = int(getattr(self.model.config, "audio_channels", 1))
        audio, notes = conform_audio(audio, rate, self.sampling_rate, channels)
        for note in notes:
            logger.info("audio-to-audio: %s", note)
        return {"input_values": torch.from_numpy(audio).reshape(1, channels, -1)}  # (batch=1, channels, samples)

    def _forward(self, model_inputs: dict[str, torch.Tensor], **forward_params: Any) -> Any:
        return self.model.audio_to_audio(**model_inputs, **forward_params)

    def postprocess(self, model_outputs: Any) -> dict[str, Any]:
        if model_outputs.get("stems") is not None:
            stems = finalize_audio(model_outputs["stems"])[0]  # (stems, [channels,] samples)
            names = list(self.model.config.stem_names)
            return {
                "stems": {name: stems[i].cpu().numpy() for i, name in enumerate(names)},
                "sampling_rate": self.sampling_rate,
            }
        audio = finalize_audio(model_outputs["audio"])[0]  # ([channels,] samples)
        if audio.ndim == 2 and audio.shape[0] == 1:
            audio = audio[0]  # mono models answer (samples,)
        return {"audio": audio.cpu().numpy(), "sampling_rate": self.sampling_rate}


PIPELINE_REGISTRY.register_pipeline(TASK, pipeline_class=AudioToAudioPipeline, pt_model=AutoModel, type="audio")
