"""``hfsynth evaluate``: one model, one dataset, one report (JSON for machines, Markdown for cards).

What is measured depends on what the model is:

* a classifier (``audio-classification``): accuracy of each head on the dataset's labels;
* an ``audio-to-audio`` model: its output against a reference (the paired ``audio_b`` column if the
  dataset has one, else the input itself, as for a vocoder): every signal metric of
  :func:`evaluate_pairs`, and optionally pYIN frame-pitch agreement;
* a ``text-to-audio`` generator: audio generated from the dataset's captions, judged by pYIN
  against the ``pitch`` labels and, given the reference classifier, by classifier pitch/family
  accuracy, Inception Score, pitch entropy and Fréchet distance to the dataset's own audio.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..data import decode_audio, load_saved_dataset
from ..files import atomic_path
from .classifier import ClassifierEvaluator
from .pitch import frame_pitch_agreement, pitch_accuracy_pyin
from .suite import evaluate_pairs

AUDIO_COLUMNS = ("audio", "mixture", "audio_a")


@dataclass
class EvaluationReport:
    model: str
    data: str
    task: str
    examples: int
    metrics: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=False)

    def to_markdown(self) -> str:
        lines = [f"Evaluation of `{self.model}` on `{self.data}` ({self.task}, {self.examples} examples)", "",
                 "| metric | value |", "| --- | --- |"]
        lines += [f"| {name} | {value:.4g} |" for name, value in self.metrics.items()]
        return "\n".join(lines) + "\n"

    def write(self, out_dir: str | os.PathLike) -> tuple[Path, Path]:
        """Writes ``report.json`` and ``report.md`` into ``out_dir``, each file whole or not at all."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        return _write_atomic(out_dir / "report.json", self.to_json()), _write_atomic(out_dir / "report.md", self.to_markdown())


def _write_atomic(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp_name:
        Path(tmp_name).write_text(text)
    return path


def model_task(model_path: str) -> str:
    """The public-contract task of a saved model: audio-classification, text-to-audio or audio-to-audio."""
    from ..models.registration import task_of

    return task_of(model_path)


def _clips(dataset, column: str, sampling_rate: int) -> list[np.ndarray]:
    return [decode_audio(item, sampling_rate)[0] for item in dataset[column]]


def _audio_column(dataset) -> str:
    column = next((name for name in AUDIO_COLUMNS if name in dataset.column_names), None)
    if column is None:
        raise ValueError(f"dataset has no audio column ({', '.join(AUDIO_COLUMNS)}); columns: {dataset.column_names}")
    return column


def evaluate_classifier(model_path: str, dataset) -> dict[str, float]:
    evaluator = ClassifierEvaluator.from_pretrained(model_path)
    config = evaluator.model.config
    missing = {"pitch", "instrument_family", "velocity"} - set(dataset.column_names)
    if missing:
        raise ValueError(f"a classifier is evaluated on labelled notes; the dataset lacks {sorted(missing)}")
    in_range = [i for i, p in enumerate(dataset["pitch"]) if config.pitch_min <= p <= config.pitch_max]
    if not in_range:
        raise ValueError(f"no example has a pitch in the classifier's range {config.pitch_min}..{config.pitch_max}")
    dataset = dataset.select(in_range)
    scores = evaluator.score(_clips(dataset, "audio", config.sampling_rate), config.sampling_rate)
    velocity_class = np.searchsorted(np.asarray(config.velocity_bins), np.asarray(dataset["velocity"]), side="left")
    return {
        "pitch_accuracy": scores.pitch_accuracy(dataset["pitch"]),
        "instrument_family_accuracy": scores.family_accuracy(dataset["instrument_family"]),
        "velocity_accuracy": float(np.mean(scores.velocity_probs.argmax(axis=1) == velocity_class)),
    }


def evaluate_audio_to_audio(model_path: str, dataset, pyin: bool = False) -> dict[str, float]:
    from transformers import pipeline

    transform = pipeline("audio-to-audio", model=model_path)
    rate = transform.sampling_rate
    source_column = _audio_column(dataset)
    reference_column = "audio_b" if "audio_b" in dataset.column_names else source_column
    sources, references = _clips(dataset, source_column, rate), _clips(dataset, reference_column, rate)
    outputs = []
    for source, reference in tqdm(list(zip(sources, references)), desc="transforming", unit="clip", disable=None):
        out = transform({"raw": source, "sampling_rate": rate})["audio"]
        out = out if out.ndim == 1 else out.mean(axis=0)
        outputs.append(np.pad(out, (0, max(0, len(reference) - len(out))))[: len(reference)])
    metrics = {name: float(np.nanmean(values)) for name, values in evaluate_pairs(references, outputs, rate).items()}
    if pyin:
        metrics["frame_pitch_agreement"] = float(np.nanmean(frame_pitch_agreement(references, outputs, rate)))
    return metrics


def evaluate_generator(model_path: str, dataset, classifier: str | None = None, pyin: bool = True) -> dict[str, float]:
    from transformers import pipeline

    if "caption" not in dataset.column_names:
        raise ValueError("a generator is evaluated from the dataset's captions; the dataset has no 'caption' column")
    generate = pipeline("text-to-audio", model=model_path)
    rate = int(generate.sampling_rate)
    real = _clips(dataset, _audio_column(dataset), rate)
    fake = []
    for caption, clip in tqdm(list(zip(dataset["caption"], real)), desc="generating", unit="clip", disable=None):
        out = generate(caption, forward_params={"audio_length_in_s": len(clip) / rate})["audio"]
        fake.append(out if out.ndim == 1 else out.mean(axis=0))
    metrics: dict[str, float] = {}
    if pyin and "pitch" in dataset.column_names:
        result = pitch_accuracy_pyin(fake, rate, dataset["pitch"])
        metrics.update(pitch_accuracy_pyin=result.accuracy, voiced_fraction=result.voiced_fraction)
    if classifier:
        evaluator = ClassifierEvaluator.from_pretrained(classifier)
        generated, reference = evaluator.score(fake, rate), evaluator.score(real, rate)
        metrics.update(generated.summary(reference))
        if "pitch" in dataset.column_names:
            metrics["pitch_accuracy_classifier"] = generated.pitch_accuracy(dataset["pitch"])
        if "instrument_family" in dataset.column_names:
            metrics["instrument_family_accuracy"] = generated.family_accuracy(dataset["instrument_family"])
    return metrics


def evaluate_model(
    model_path: str,
    data_path: str,
    max_examples: int | None = None,
    holdout_fraction: float | None = None,
    classifier: str | None = None,
    pyin: bool = False,
) -> EvaluationReport:
    """Evaluates ``model_path`` on the dataset at ``data_path`` (see the module docstring).

    ``holdout_fraction`` keeps only the examples :func:`hfsynth.data.splits.split_by_key` holds out
    (the ones training recipes never saw); ``max_examples`` takes the first N after that.
    """
    if not Path(model_path).is_dir():
        raise ValueError(f"model folder not found: {model_path}")
    dataset = load_saved_dataset(data_path)
    if holdout_fraction:
        from ..data.splits import split_by_key

        key = "note_id" if "note_id" in dataset.column_names else "clip_id"
        dataset = split_by_key(dataset, holdout_fraction, key_column=key)[1]
    if max_examples is not None:
        dataset = dataset.select(range(min(max_examples, len(dataset))))
    if len(dataset) == 0:
        raise ValueError(f"no examples to evaluate in {data_path} after selection")
    task = model_task(model_path)
    if task == "audio-classification":
        metrics = evaluate_classifier(model_path, dataset)
    elif task == "text-to-audio":
        metrics = evaluate_generator(model_path, dataset, classifier, pyin=True)
    else:
        metrics = evaluate_audio_to_audio(model_path, dataset, pyin=pyin)
    return EvaluationReport(model=str(model_path), data=str(data_path), task=task, examples=len(dataset), metrics=metrics)
