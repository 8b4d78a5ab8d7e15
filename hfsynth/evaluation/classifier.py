"""Scores from the reference note classifier: what the pretrained-network metrics of the papers
(pitch accuracy, pitch entropy, Inception Score, FID/FAD) need, computed offline.

``ClassifierScores`` holds, for a set of clips, each head's probabilities and the embedding; the
metric functions of :mod:`hfsynth.evaluation` turn them into numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from transformers import AutoModelForAudioClassification

from ..audio.resample import resample
from ._inputs import as_clip_set, common_sampling_rate
from .distribution import frechet_distance, inception_score
from .pitch import pitch_accuracy_classifier, pitch_entropy


@dataclass
class ClassifierScores:
    """Per-clip outputs of the note classifier: (N, classes) probabilities per head, (N, D) embeddings."""

    pitch_probs: np.ndarray
    instrument_family_probs: np.ndarray
    velocity_probs: np.ndarray
    embeddings: np.ndarray
    pitch_classes: list[int]
    family_names: list[str]

    def pitch_accuracy(self, target_midi) -> float:
        return pitch_accuracy_classifier(self.pitch_probs, target_midi, classes=self.pitch_classes)

    def family_accuracy(self, target_families) -> float:
        """Fraction classified as the named families (names or indices into ``family_names``)."""
        targets = np.array([self.family_names.index(t) if isinstance(t, str) else int(t) for t in target_families])
        return float(np.mean(self.instrument_family_probs.argmax(axis=1) == targets))

    def summary(self, reference: ClassifierScores | None = None) -> dict[str, float]:
        """Pitch entropy and Inception Scores; with a reference set, the Fréchet distance too."""
        report = {
            "pitch_entropy": pitch_entropy(self.pitch_probs),
            "inception_score_pitch": inception_score(self.pitch_probs, splits=1).mean,
            "inception_score_family": inception_score(self.instrument_family_probs, splits=1).mean,
        }
        if reference is not None:
            report["frechet_distance"] = frechet_distance(self.embeddings, reference.embeddings)
        return report


class ClassifierEvaluator:
    """Runs a ``NoteClassifier`` over sets of clips in batches (resampling to its rate)."""

    def __init__(self, model, batch_size: int = 32):
        self.model = model.eval()
        self.batch_size = batch_size

    @classmethod
    def from_pretrained(cls, path: str, **kwargs) -> ClassifierEvaluator:
        """A note classifier folder (or Hub id), through transformers' Auto class (``import hfsynth``,
        which importing this module implies, registers hfsynth's classifier with it)."""
        return cls(AutoModelForAudioClassification.from_pretrained(path), **kwargs)

    @torch.inference_mode()
    def score(self, audios, sampling_rate: int | None = None) -> ClassifierScores:
        clips = as_clip_set(audios, "audios")
        source_rate = common_sampling_rate(sampling_rate, clips)
        rate = self.model.config.sampling_rate
        arrays = [resample(clip, source_rate, rate) for clip in clips.clips]
        outputs: dict[str, list[np.ndarray]] = {"pitch": [], "family": [], "velocity": [], "embedding": []}
        for start in range(0, len(arrays), self.batch_size):
            chunk = arrays[start : start + self.batch_size]
            length = max(len(a) for a in chunk)
            batch = torch.stack([torch.nn.functional.pad(torch.from_numpy(a), (0, length - len(a))) for a in chunk])
            out = self.model(batch.to(self.model.device))
            outputs["pitch"].append(out.pitch_logits.softmax(-1).cpu().numpy())
            outputs["family"].append(out.instrument_family_logits.softmax(-1).cpu().numpy())
            outputs["velocity"].append(out.velocity_logits.softmax(-1).cpu().numpy())
            outputs["embedding"].append(out.embeddings.cpu().numpy())
        config = self.model.config
        return ClassifierScores(
            pitch_probs=np.concatenate(outputs["pitch"]),
            instrument_family_probs=np.concatenate(outputs["family"]),
            velocity_probs=np.concatenate(outputs["velocity"]),
            embeddings=np.concatenate(outputs["embedding"]),
            pitch_classes=list(range(config.pitch_min, config.pitch_max + 1)),
            family_names=list(config.instrument_families),
        )
