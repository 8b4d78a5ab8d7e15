"""Training the reference note classifier on rendered notes, through the shared Trainer.

The recipe renders (or loads from cache) an NSynth-like note set, holds out a fixed fraction of
notes by id, and trains all three heads jointly on random crops with random gain, so the
classifier judges generated notes of any loudness and length. Optionally some crops also get white
noise, a low-pass filter or a round trip through a codec: generated audio comes through a codec or
a GAN, and a classifier trained on clean renders alone loses half its family accuracy at 30 dB SNR
(bench/note_classifier_robustness.py) and all of it on AudioGen's codec
(bench/audiogen_codec_quality.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from transformers import EncodecModel, Wav2Vec2FeatureExtractor

from ...data import NoteDatasetConfig, as_torch, build_note_dataset
from ...data.splits import split_by_key
from ...modules.augmentation import CodecRoundTrip, RandomRows, add_white_noise, low_pass
from ...training import LossOutput, TrainingRecipe
from ..audiogen.codec_audiogen import load_codec
from .configuration_note_classifier import NoteClassifierConfig
from .modeling_note_classifier import NoteClassifier


def feature_extractor_for(config: NoteClassifierConfig) -> Wav2Vec2FeatureExtractor:
    """Raw-waveform feature extractor: the model computes its own log-mel, so no normalisation."""
    return Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=config.sampling_rate, padding_value=0.0,
                                    do_normalize=False, return_attention_mask=False)


def load_note_splits(data: dict[str, Any], holdout_fraction: float, cache_dir: str | None):
    """(train, holdout) note datasets from ``NoteDatasetConfig`` keyword arguments."""
    notes = build_note_dataset(NoteDatasetConfig(**data), cache_dir=cache_dir, progress=True)
    return split_by_key(notes, holdout_fraction)


class NoteClassifierRecipe(TrainingRecipe):
    """Args:
        data: ``NoteDatasetConfig`` keyword arguments (programs, pitches, velocities, durations...).
        model: ``NoteClassifierConfig`` keyword arguments.
        crop_seconds: (shortest, longest) random crop; one length per batch.
        max_offset_seconds: crops start anywhere in [0, max_offset_seconds].
        gain_db: (low, high) random gain, so loudness alone never decides a class.
        noise_probability / noise_snr_db: how many crops get white noise, at an SNR drawn from (low, high) dB.
        low_pass_probability / low_pass_hz: how many crops are low-passed, at a cutoff drawn from (low, high) Hz.
        codec / codec_probability: an ``EncodecModel`` folder (or an AudioGen folder, for its codec) at
            the classifier's sampling rate, and
            how many crops are replaced by its reconstruction (before the other augmentations).
    """

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        model: dict[str, Any] | None = None,
        holdout_fraction: float = 0.1,
        cache_dir: str | None = "cache/datasets",
        crop_seconds: tuple[float, float] = (0.75, 1.5),
        max_offset_seconds: float = 0.25,
        gain_db: tuple[float, float] = (-12.0, 6.0),
        noise_probability: float = 0.0,
        noise_snr_db: tuple[float, float] = (20.0, 60.0),
        low_pass_probability: float = 0.0,
        low_pass_hz: tuple[float, float] = (3000.0, 7000.0),
        codec: str | None = None,
        codec_probability: float = 0.0,
    ):
        self.data = dict(data or {})
        self.config = NoteClassifierConfig(**(model or {}))
        self.holdout_fraction = holdout_fraction
        self.cache_dir = cache_dir
        self.crop_seconds = crop_seconds
        self.max_offset_seconds = max_offset_seconds
        self.gain_db = gain_db
        self.noise = RandomRows(noise_probability, noise_snr_db, ("noise_probability", "noise_snr_db"))
        self.low_pass = RandomRows(low_pass_probability, low_pass_hz, ("low_pass_probability", "low_pass_hz"))
        self.codec = CodecRoundTrip(self._load_codec(codec), codec_probability)
        self._model = NoteClassifier(self.config)

    def _load_codec(self, folder: str | None) -> EncodecModel | None:
        if folder is None:
            return None
        codec = load_codec(folder)
        if codec.config.sampling_rate != self.config.sampling_rate:
            raise ValueError(f"the codec {folder} runs at {codec.config.sampling_rate} Hz; the classifier "
                             f"needs {self.config.sampling_rate} Hz")
        return codec

    def modules(self) -> dict[str, torch.nn.Module]:
        return {"model": self._model}

    def train_dataset(self):
        train, _ = load_note_splits(self.data, self.holdout_fraction, self.cache_dir)
        return as_torch(train, sampling_rate=self.config.sampling_rate,
                        columns=["audio", "pitch", "instrument_family", "velocity"])

    def collate_fn(self):
        return self.collate

    def collate(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """Random crop (one length per batch, own offset per example), random gain, and codec round
        trips, low-pass filtering and noise on the chosen fractions of the batch."""
        rate = self.config.sampling_rate
        low, high = self.crop_seconds
        length = int(rate * (low + (high - low) * torch.rand(()).item()))
        crops = []
        for example in examples:
            audio = example["audio"]
            offset = int(torch.randint(0, int(self.max_offset_seconds * rate) + 1, ()).item())
            crop = audio[offset : offset + length]
            crops.append(torch.nn.functional.pad(crop, (0, length - crop.shape[-1])))
        audio = self.codec.apply(torch.stack(crops))
        audio = self.low_pass.apply(audio, lambda rows, cutoff: low_pass(rows, cutoff, rate))
        audio = self.noise.apply(audio, add_white_noise)
        gains_db = torch.empty(len(examples)).uniform_(*self.gain_db)
        batch = {"input_values": audio * (10 ** (gains_db / 20))[:, None]}
        for label in ("pitch", "instrument_family", "velocity"):
            batch[label] = torch.stack([torch.as_tensor(example[label]) for example in examples])
        return batch

    def compute_loss(self, group: str, batch: dict[str, torch.Tensor], models, step: int) -> LossOutput:
        out = models.model(**batch)
        model = models.unwrapped("model")
        pitch_hit = (out.pitch_logits.argmax(-1) == model.class_index("pitch", batch["pitch"])).float().mean()
        family_hit = (out.instrument_family_logits.argmax(-1) == batch["instrument_family"]).float().mean()
        return LossOutput(out.loss, {"pitch_accuracy": pitch_hit.item(), "family_accuracy": family_hit.item()})

    def export(self, output_dir: Path, modules: dict[str, torch.nn.Module]) -> None:
        modules["model"].save_pretrained(output_dir)
        feature_extractor_for(self.config).save_pretrained(output_dir)
