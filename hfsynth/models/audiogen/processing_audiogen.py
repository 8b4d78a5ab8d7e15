"""``AudioGenProcessor``: prompts and audio prompts in, ``generate`` keyword arguments out.

Like ``MusicgenProcessor`` it puts a tokenizer and a feature extractor (``EncodecFeatureExtractor``,
which pads a batch of waveforms and returns a padding mask) behind one object, saved and loaded
with the model folder. transformers' ``text-to-audio`` pipeline loads it too (through
``AutoProcessor``) and tokenizes prompts with it, so prompts over the length limit are cut with a
warning on every path. Its output feeds ``generate`` directly::

    inputs = processor(text=["rain on a tin roof"], audio=recording, sampling_rate=44100)
    audio_values = model.generate(**inputs, audio_length_in_s=5.0)     # (batch, 1, samples)
    processor.batch_decode(audio_values)                                # a list of (1, samples) arrays
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from transformers import BatchFeature, EncodecFeatureExtractor, PreTrainedTokenizerBase, ProcessorMixin
from transformers.utils import logging

from ...audio.resample import resample
from ...audio.validation import check_waveform
from ...validation import check_sampling_rate
from .tokenization_audiogen import truncate_prompt_ids

logger = logging.get_logger(__name__)


def feature_extractor_for(sampling_rate: int) -> EncodecFeatureExtractor:
    """Mono waveforms at ``sampling_rate``, zero-padded to the longest of a batch."""
    return EncodecFeatureExtractor(feature_size=1, sampling_rate=sampling_rate, padding_value=0.0)


class AudioGenProcessor(ProcessorMixin):
    """Tokenizes prompts and prepares audio prompts for :meth:`AudioGenForConditionalGeneration.generate`."""

    def __init__(self, feature_extractor: EncodecFeatureExtractor, tokenizer: PreTrainedTokenizerBase):
        super().__init__(feature_extractor, tokenizer)

    @property
    def sampling_rate(self) -> int:
        return self.feature_extractor.sampling_rate

    def __call__(
        self,
        text: str | Sequence[str] | None = None,
        audio: np.ndarray | Sequence[np.ndarray] | None = None,
        sampling_rate: int | None = None,
        return_tensors: str | None = "pt",
        **kwargs,
    ) -> BatchFeature:
        """Returns PyTorch tensors: ``input_ids``/``attention_mask`` (batch, tokens) for ``text``;
        ``input_values`` (batch, 1, samples) and ``padding_mask`` (batch, samples) for ``audio``, as
        MusicGen's processor does.

        Args:
            text: one prompt or a list; an empty list is a ``ValueError``. Prompts longer than the
                tokenizer's ``model_max_length`` (the model's ``max_text_length``) are cut, with a warning.
            audio: one waveform (samples,) or a list of them, mono.
            sampling_rate: the audio's rate (default the model's); other rates are resampled
                (with a warning).
            kwargs: the tokenizer's (``padding=True`` is the default; ``max_length`` etc. pass through).
        """
        if return_tensors not in ("pt", None):
            raise ValueError(f"AudioGenProcessor returns PyTorch tensors (return_tensors='pt'); got {return_tensors!r}")
        if text is None and audio is None:
            raise ValueError("pass text (prompts), audio (an audio prompt) or both")
        outputs = BatchFeature(tensor_type="pt")
        if text is not None:
            outputs.update(self.tokenize(text, **kwargs))
        if audio is not None:
            outputs.update(self.prepare_audio(audio, sampling_rate))
        elif sampling_rate is not None:
            raise ValueError("sampling_rate describes an audio prompt, but no audio was given")
        return outputs

    def tokenize(self, text: str | Sequence[str], **kwargs) -> dict:
        """Prompts -> right-padded ``input_ids``/``attention_mask``, cut to the tokenizer's limit."""
        prompts = [text] if isinstance(text, str) else list(text)
        if not prompts:
            raise ValueError("no prompts: the prompt list is empty")
        if not all(isinstance(prompt, str) for prompt in prompts):
            raise ValueError(f"prompts must be strings; got {[type(prompt).__name__ for prompt in prompts]}")
        kwargs.setdefault("padding", True)
        tokens = self.tokenizer(prompts, return_tensors="pt", **kwargs)
        input_ids, attention_mask = truncate_prompt_ids(
            tokens["input_ids"], tokens["attention_mask"], self.tokenizer.model_max_length, self.tokenizer.eos_token_id
        )
        return {"input_ids": input_ids, "attention_mask": attention_mask}

    def prepare_audio(self, audio: np.ndarray | Sequence[np.ndarray], sampling_rate: int | None) -> dict:
        """Waveforms -> ``input_values`` (batch, 1, samples) at the model's rate and its padding mask.

        ``audio``: one (samples,) waveform, a (batch, samples) array or tensor, or a list of waveforms.
        """
        if isinstance(audio, (list, tuple)):
            waveforms = list(audio)
        else:
            array = np.asarray(audio, dtype=np.float32)
            waveforms = [array] if array.ndim == 1 else list(array)
        if not waveforms:
            raise ValueError("no audio prompts: the audio list is empty")
        waveforms = [check_waveform(waveform, "audio") for waveform in waveforms]
        if any(waveform.ndim != 1 for waveform in waveforms):
            raise ValueError("audio prompts must be mono: (samples,) each")
        rate = self.sampling_rate if sampling_rate is None else check_sampling_rate(sampling_rate)
        if rate != self.sampling_rate:
            logger.warning(f"resampling the audio prompt(s) from {rate} Hz to the model's {self.sampling_rate} Hz")
            waveforms = [resample(waveform, rate, self.sampling_rate) for waveform in waveforms]
        features = self.feature_extractor(
            waveforms, sampling_rate=self.sampling_rate, padding=True, return_tensors="pt"
        )
        return {"input_values": features["input_values"], "padding_mask": features["padding_mask"]}

    def batch_decode(self, audio_values=None, padding_mask=None, **kwargs) -> list:
        """Generated audio (batch, 1, samples) -> a list of float32 (1, samples) arrays, as MusicGen's
        processor returns them; without ``audio_values``, the tokenizer's ``batch_decode``.

        ``padding_mask`` is accepted for MusicGen's call but removes nothing: AudioGen generates the
        frames over a prompt's padding (they continue the real prompt), so every sample is audio.
        """
        if audio_values is None:
            return self.tokenizer.batch_decode(**kwargs)
        audio = audio_values.detach().cpu().float().numpy() if hasattr(audio_values, "detach") else audio_values
        return list(np.asarray(audio, dtype=np.float32))
