"""Training WaveNet through the shared Trainer: next-sample likelihood on random crops.

Data comes from the data engine: rendered notes (``build_note_dataset``, column ``audio``, class
from ``instrument_family``), rendered music (``build_music_dataset``, column ``mixture``) or the
user's own folder (``load_audio_folder``; classes from an ``instrument_family`` column of its
``metadata.csv``). Every example gives one random crop of ``segment_samples``.

A vocoder's crop is taken with extra audio on both sides (zeros beyond the file's ends) and its
mel computed from that wider window, then the extra frames and samples are cut off: so the mel
of a crop equals the matching frames of :meth:`WaveNetModel.mel_from_audio` over the whole file,
which is what the model sees when it vocodes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import datasets
import torch
import torch.nn.functional as F

from ...validation import check_int
from ...data import as_torch, check_training_source, load_training_source
from ...data.instruments import INSTRUMENT_FAMILIES
from ...training import LossOutput, TrainingRecipe
from .configuration_wavenet import WaveNetConfig
from .modeling_wavenet import WaveNetModel
from .pipeline_wavenet import WaveNetPipeline

CLASS_COLUMN = "instrument_family"


def random_window(audio: torch.Tensor, length: int) -> torch.Tensor:
    """A random ``length``-sample window of (samples,) audio; shorter audio is completed with silence."""
    audio = F.pad(audio, (0, max(0, length - audio.shape[-1])))
    start = int(torch.randint(0, audio.shape[-1] - length + 1, ()).item())
    return audio[start : start + length]


def class_ids_of(dataset: datasets.Dataset, class_labels: list[str]) -> list[int]:
    """Each row's ``instrument_family`` (a ClassLabel id or a name) as an index into ``class_labels``."""
    if CLASS_COLUMN not in dataset.column_names:
        raise ValueError(f"global_cond_classes is set but the dataset has no {CLASS_COLUMN!r} column")
    feature = dataset.features[CLASS_COLUMN]
    values = dataset[CLASS_COLUMN]
    names = [feature.int2str(v) for v in values] if isinstance(feature, datasets.ClassLabel) else values
    unknown = sorted(set(names) - set(class_labels))
    if unknown:
        raise ValueError(f"{CLASS_COLUMN} values {unknown} are not among the model's classes {class_labels}")
    return [class_labels.index(name) for name in names]


class WaveNetRecipe(TrainingRecipe):
    """Args:
        dataset: "notes", "music" or "folder".
        data: keyword arguments of ``NoteDatasetConfig`` / ``MusicDatasetConfig`` (their
            ``sampling_rate`` defaults to the model's), or ``{"folder": path}``.
        model: ``WaveNetConfig`` keyword arguments. With ``global_cond_classes`` and no
            ``class_labels``, the classes are the instrument families.
        segment_samples: crop length; a multiple of the hop length for a vocoder. Best several
            receptive fields long: the first receptive field of a crop predicts from zero padding.
        cache_dir: where rendered datasets are cached.
    """

    ema_module = "model"

    def __init__(
        self,
        dataset: str = "notes",
        data: dict[str, Any] | None = None,
        model: dict[str, Any] | None = None,
        segment_samples: int = 8192,
        cache_dir: str | None = "cache/datasets",
    ):
        check_training_source(dataset, dict(data or {}))
        model = dict(model or {})
        if model.get("global_cond_classes") and model.get("class_labels") is None:
            model["class_labels"] = list(INSTRUMENT_FAMILIES)
        self.config = WaveNetConfig(**model)
        self.dataset, self.data, self.cache_dir = dataset, self._check_data(dataset, dict(data or {})), cache_dir
        self.segment_samples = self._check_segment(segment_samples)
        self.context = self._mel_context()
        self._model = WaveNetModel(self.config)

    def _check_data(self, dataset: str, data: dict[str, Any]) -> dict[str, Any]:
        if dataset == "music" and self.config.global_cond_classes:
            raise ValueError(
                "music clips mix several instruments: train a class-conditioned WaveNet on notes or a folder"
            )
        return data

    def _check_segment(self, segment_samples: int) -> int:
        check_int(segment_samples, "segment_samples", minimum=2)
        hop = self.config.hop_length
        if self.config.local_cond_channels and segment_samples % hop:
            raise ValueError(
                f"a vocoder's segment_samples must be a multiple of the hop length {hop}; got {segment_samples}"
            )
        return segment_samples

    def _mel_context(self) -> int:
        """Samples of audio a crop needs on each side so its mel frames see only the file's own samples:
        half the window's overhang beyond the hop, rounded up to whole hops. 0 without a mel."""
        if not self.config.local_cond_channels:
            return 0
        hop = self.config.hop_length
        overhang = self.config.mel_n_fft - hop
        return hop * math.ceil(math.ceil(overhang / 2) / hop)

    # ---------------------------------------------------------------------------------- data
    def modules(self) -> dict[str, torch.nn.Module]:
        return {"model": self._model}

    def train_dataset(self) -> datasets.Dataset:
        dataset = load_training_source(self.dataset, self.data, self.config.sampling_rate, self.cache_dir)
        columns = ["audio"]
        if self.config.global_cond_classes:
            dataset = dataset.add_column("class_id", class_ids_of(dataset, self.config.class_labels))
            columns.append("class_id")
        return as_torch(dataset, sampling_rate=self.config.sampling_rate, columns=columns)

    def collate_fn(self):
        return self.collate

    def collate(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """Random crops with their mel context: {"audio": (batch, context + segment + context),
        "class_ids": (batch,) when the model has classes}."""
        context = self.context
        window = self.segment_samples + 2 * context
        crops = [random_window(F.pad(example["audio"], (context, context)), window) for example in examples]
        batch = {"audio": torch.stack(crops)}
        if self.config.global_cond_classes:
            batch["class_ids"] = torch.stack([torch.as_tensor(example["class_id"]) for example in examples])
        return batch

    # ---------------------------------------------------------------------------------- loss
    def segment_and_mel(self, window: torch.Tensor, model: WaveNetModel) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(batch, context + segment + context) -> (segment audio (batch, segment), its mel or None)."""
        context, segment = self.context, self.segment_samples
        audio = window[:, context : context + segment]
        if not self.config.local_cond_channels:
            return audio, None
        hop = self.config.hop_length
        with torch.no_grad():
            mel = model.mel_from_audio(window)                     # (batch, mels, window / hop)
        return audio, mel[:, :, context // hop : (context + segment) // hop]

    def compute_loss(self, group: str, batch: dict[str, torch.Tensor], models, step: int) -> LossOutput:
        audio, mel = self.segment_and_mel(batch["audio"], models.unwrapped("model"))
        out = models.model(input_values=audio, mel=mel, class_ids=batch.get("class_ids"))
        return LossOutput(out.loss, {"bits_per_sample": out.loss.item() / math.log(2)})

    def export(self, output_dir: Path, modules: dict[str, torch.nn.Module]) -> None:
        WaveNetPipeline(modules["model"]).save_pretrained(output_dir)
