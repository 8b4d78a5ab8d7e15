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
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
from transformers import AutoModel, Pipeline
from transformers.pipelines import PIPELINE_REGISTRY

from ..audio.io import read_audio
from ..audio.resample import resample
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

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not callable(getattr(self.model, "audio_to_audio", None)):
            raise ValueError(
                f"{type(self.model).__name__} ({self.model.config.model_type}) does not transform audio; "
                "the audio-to-audio task needs a vocoder, style-transfer or separation model"
            )

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
        waveform = torch.from_numpy(audio).reshape(channels, -1)
        # time on axis 1, where transformers' batching pads; the real length, to trim the padding off
        return {"input_values": waveform.T[None], "num_samples": torch.tensor([waveform.shape[-1]]),
                "input_rate": torch.tensor([rate])}

    def _forward(self, model_inputs: dict[str, torch.Tensor], **forward_params: Any) -> dict[str, torch.Tensor]:
        """Each clip of a batch at its own length (padding would change what models that look at the
        whole clip, such as a separator's level normalisation, make of it), re-padded to stack."""
        waveforms = model_inputs["input_values"].transpose(1, 2)                  # (batch, channels, samples)
        lengths = model_inputs["num_samples"].tolist()
        outputs = [self.model.audio_to_audio(input_values=waveforms[i : i + 1, :, :length], **forward_params)
                   for i, length in enumerate(lengths)]
        key = "stems" if outputs[0].get("stems") is not None else "audio"
        longest = max(out[key].shape[-1] for out in outputs)
        stacked = torch.cat([torch.nn.functional.pad(out[key], (0, longest - out[key].shape[-1])) for out in outputs])
        return {key: stacked, "num_samples": model_inputs["num_samples"], "input_rate": model_inputs["input_rate"]}

    def postprocess(self, model_outputs: dict[str, torch.Tensor]) -> dict[str, Any]:
        length = int(model_outputs["num_samples"].reshape(-1)[0])
        if "stems" in model_outputs:
            rate = int(model_outputs["input_rate"].reshape(-1)[0])
            stems = self._at_rate(model_outputs["stems"][..., :length], rate)               # (1, stems, [C,] T)
            stems = finalize_audio(stems)[0].cpu().numpy()           # one gain for all stems: their balance
            names = list(self.model.config.stem_names)
            return {"stems": {name: stems[i] for i, name in enumerate(names)}, "sampling_rate": rate}
        audio = finalize_audio(model_outputs["audio"][..., :length])[0]              # ([channels,] samples)
        if audio.ndim == 2 and audio.shape[0] == 1:
            audio = audio[0]  # mono models answer (samples,)
        return {"audio": audio.cpu().numpy(), "sampling_rate": self.sampling_rate}

    def _at_rate(self, stems: torch.Tensor, rate: int) -> torch.Tensor:
        """Stems go back to the rate of the mixture they came from, so that they line up with it."""
        if rate == self.sampling_rate:
            return stems
        return torch.from_numpy(resample(stems.detach().float().cpu().numpy(), self.sampling_rate, rate))

    def get_iterator(self, *args: Any, **kwargs: Any):
        """transformers batches only pipelines with a tokenizer or feature extractor, whose padding
        value and side it reads: audio is padded with silence on the right, then trimmed back."""
        self.feature_extractor = SILENCE_PADDING
        try:
            return super().get_iterator(*args, **kwargs)
        finally:
            self.feature_extractor = None

    def save_pretrained(self, save_directory: str | os.PathLike, **kwargs: Any) -> None:
        """The model folder alone: ``import hfsynth`` registers the task, so no pipeline code is saved."""
        self.model.save_pretrained(save_directory, **kwargs)


#: What transformers' ``pad_collate_fn`` reads from a feature extractor.
SILENCE_PADDING = SimpleNamespace(padding_value=0.0, padding_side="right")

PIPELINE_REGISTRY.register_pipeline(TASK, pipeline_class=AudioToAudioPipeline, pt_model=AutoModel, type="audio")
