"""Training AudioGen through the shared Trainer: next-code cross-entropy on captioned clips.

Two stages, two run files: ``configs/audiogen_codec_tiny.yaml`` trains the codec
(``training_codec.py``), then ``configs/audiogen_tiny.yaml`` trains this recipe on that codec's
codes. Per step:

* random crops of ``segment_seconds`` (one decoder window) with their captions;
* mixing augmentation (the paper's): with ``mix_probability`` an example is mixed with another
  of the batch at a random SNR in ``snr_db``, and their captions are joined with " and ", so the
  model learns that text naming two sources means both are heard;
* the frozen codec turns the audio into codes. Encoding costs about as much as the decoder's
  training step, so the codes of unmixed crops (which start on a frame boundary) are cached by
  (clip, start frame): with clips no longer than the crop, as in ``configs/audiogen_tiny.yaml``,
  every unmixed example is encoded once; mixes are new audio and are encoded every time;
* the model's forward replaces the text by the null condition for ``condition_dropout`` (10%)
  of the examples, for classifier-free guidance.

The text encoder is a T5 trained with the model, on a tokenizer trained on the dataset's captions
(there is no pretrained T5 offline), or a pretrained T5 encoder and its tokenizer from a folder
(``text_encoder: path``), frozen by default as in the paper.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import datasets
import torch
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from ...data.captions import drop_note_names
from ...modules.augmentation import mix_at_snr
from ...training import LossOutput, TrainingRecipe
from .codec_audiogen import load_codec_config
from .configuration_audiogen import AudioGenConfig
from .data_audiogen import CAPTION_COLUMN, INDEX_COLUMN, CodeCache, load_clips, random_crops
from .modeling_audiogen import AudioGenForConditionalGeneration
from .pipeline_audiogen import AudioGenPipeline
from .processing_audiogen import AudioGenProcessor, feature_extractor_for
from .tokenization_audiogen import train_caption_tokenizer

#: Joins the captions of a mixed example (the paper's mixing augmentation).
MIX_JOINER = " and "
#: A pretrained text encoder's folder must hold one of these (T5's own tokenizer is ``spiece.model``).
TOKENIZER_FILES = ("tokenizer.json", "spiece.model")


class AudioGenRecipe(TrainingRecipe):
    """Args:
        codec: folder of the trained codec (``CodecRecipe``'s ``final/``, any ``EncodecModel``
            folder whose codebooks match ``model.decoder``, or a trained AudioGen folder such as
            ``pipelines/audiogen-tiny``, whose codec is taken). It is frozen.
        dataset: "notes", "music" or "folder" (a ``metadata.csv`` with a ``caption`` column);
            data: its settings (see ``load_clips``).
        text_encoder: ``None`` trains a T5 encoder from ``model["text_encoder"]`` settings (default
            ``TINY_T5``) with a tokenizer trained on the captions; a folder or Hub id loads a
            pretrained T5 encoder and its tokenizer.
        train_text_encoder: default: train a new encoder, freeze a pretrained one.
        model: other ``AudioGenConfig`` settings (``decoder``, ``condition_dropout``, ``max_text_length``).
        tokenizer_vocab_size: upper bound of the trained tokenizer's vocabulary.
        segment_seconds: crop length; it must fit the decoder's window (frames + K - 1 steps <=
            ``max_position_embeddings``).
        mix_probability / snr_db: how often an example is mixed with another, and the range of
            SNRs (dB) drawn uniformly for a mix.
        note_name_dropout: how often a caption loses its note names ("a loud low organ note, E2" ->
            "a loud low organ note"), so that the register word alone learns to set the pitch. With
            every caption naming its note, the tiny run came to ignore the register word (bench/RESULTS.md).
    """

    ema_module = "model"

    def __init__(
        self,
        codec: str,
        dataset: str = "notes",
        data: dict[str, Any] | None = None,
        text_encoder: str | None = None,
        train_text_encoder: bool | None = None,
        model: dict[str, Any] | None = None,
        tokenizer_vocab_size: int = 1024,
        segment_seconds: float = 5.0,
        mix_probability: float = 0.5,
        snr_db: tuple[float, float] = (-5.0, 5.0),
        note_name_dropout: float = 0.0,
        cache_dir: str | None = "cache/datasets",
    ):
        if not codec:
            raise ValueError("AudioGen learns a trained codec's codes: pass codec=<folder of CodecRecipe's export>")
        if not 0.0 <= mix_probability <= 1.0:
            raise ValueError(f"mix_probability must be in [0, 1]; got {mix_probability}")
        if not 0.0 <= note_name_dropout <= 1.0:
            raise ValueError(f"note_name_dropout must be in [0, 1]; got {note_name_dropout}")
        if len(snr_db) != 2 or not snr_db[0] <= snr_db[1]:
            raise ValueError(f"snr_db must be (low, high) with low <= high; got {snr_db!r}")
        self.codec, self.text_encoder, self.model_settings = str(codec), text_encoder, dict(model or {})
        if text_encoder is not None and "text_encoder" in self.model_settings:
            raise ValueError("pass text_encoder (a pretrained folder) or model.text_encoder (settings), not both")
        self.train_text_encoder = text_encoder is None if train_text_encoder is None else train_text_encoder
        self.dataset, self.data, self.cache_dir = dataset, dict(data or {}), cache_dir
        self.tokenizer_vocab_size = tokenizer_vocab_size
        self.mix_probability, self.snr_db = mix_probability, tuple(snr_db)
        self.note_name_dropout = note_name_dropout
        self.config = AudioGenConfig(audio_encoder=load_codec_config(self.codec), **self.model_settings)
        self.segment_samples = self._check_segment(segment_seconds)
        self.tokenizer: PreTrainedTokenizerBase | None = None
        self._clips: datasets.Dataset | None = None
        self.code_cache = CodeCache()

    def _check_segment(self, segment_seconds: float) -> int:
        samples = max(1, round(segment_seconds * self.config.sampling_rate))
        steps = math.ceil(samples / self.config.hop_length) + self.config.decoder.num_codebooks - 1
        if steps > self.config.decoder.max_position_embeddings:
            raise ValueError(
                f"segment_seconds={segment_seconds} needs {steps} decoder steps; the decoder's window is "
                f"max_position_embeddings={self.config.decoder.max_position_embeddings}"
            )
        return samples

    # ------------------------------------------------------------------------------ modules
    def modules(self) -> dict[str, torch.nn.Module]:
        """Loads the clips, gets the tokenizer (trained on their captions, or the pretrained
        encoder's) and builds the model around the frozen codec."""
        self._clips = load_clips(self.dataset, self.data, self.config.sampling_rate, self.cache_dir, with_captions=True)
        self.tokenizer = self._tokenizer(self._clips[CAPTION_COLUMN])
        settings = dict(self.model_settings)
        if self.text_encoder is None:
            settings["text_encoder"] = {**settings.get("text_encoder", {}), "vocab_size": len(self.tokenizer)}
        model = AudioGenForConditionalGeneration.from_sub_models_pretrained(
            text_encoder_path=self.text_encoder, audio_encoder_path=self.codec, **settings
        )
        model.freeze_audio_encoder()
        model.text_encoder.requires_grad_(self.train_text_encoder)
        return {"model": model}

    def _tokenizer(self, captions: list[str]) -> PreTrainedTokenizerBase:
        max_length = self.config.max_text_length
        if self.text_encoder is not None:
            # transformers 5 builds an empty T5 tokenizer for a folder holding only a T5 config; refuse it.
            folder = Path(self.text_encoder)
            if folder.is_dir() and not any((folder / name).is_file() for name in TOKENIZER_FILES):
                raise ValueError(
                    f"the pretrained text encoder {folder} must come with its tokenizer ({', '.join(TOKENIZER_FILES)})"
                )
            tokenizer = AutoTokenizer.from_pretrained(self.text_encoder)
            tokenizer.model_max_length = max_length
            return tokenizer
        # "and" joins mixed captions, so it is in the vocabulary even if no caption uses it.
        return train_caption_tokenizer([*captions, MIX_JOINER.strip()], self.tokenizer_vocab_size, max_length)

    def train_dataset(self) -> datasets.Dataset:
        if self._clips is None:
            raise ValueError("the Trainer calls modules() before train_dataset(); call it first")
        return self._clips

    # --------------------------------------------------------------------------------- batches
    def collate_fn(self):
        return self.collate

    def collate(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        """{"input_values": (batch, segment_samples), "input_ids"/"attention_mask": (batch, tokens),
        "cache_keys": (clip, start frame) of each unmixed crop, None for a mix}."""
        audio, starts = random_crops([example["audio"] for example in examples], self.segment_samples,
                                     self.config.hop_length)
        audio, captions, mixed = self.mix(audio, self.captions(examples))
        tokens = self.tokenizer(captions, padding=True, truncation=True, max_length=self.config.max_text_length,
                                return_tensors="pt")
        keys = [None if mix else (int(example[INDEX_COLUMN]), start)
                for example, start, mix in zip(examples, starts, mixed.tolist())]
        return {"input_values": audio, "input_ids": tokens["input_ids"], "attention_mask": tokens["attention_mask"],
                "cache_keys": keys}

    def captions(self, examples: list[dict[str, Any]]) -> list[str]:
        """The examples' captions, each without its note names with probability ``note_name_dropout``."""
        captions = [example[CAPTION_COLUMN] for example in examples]
        if self.note_name_dropout == 0.0:
            return captions
        dropped = (torch.rand(len(captions)) < self.note_name_dropout).tolist()
        return [drop_note_names(caption) if drop else caption for caption, drop in zip(captions, dropped)]

    def mix(self, audio: torch.Tensor, captions: list[str]) -> tuple[torch.Tensor, list[str], torch.Tensor]:
        """Mixing augmentation: each chosen example gets the next example of the batch added at a
        random SNR. Returns the audio, the captions and which rows are mixes (batch,) bool."""
        batch = audio.shape[0]
        chosen = torch.rand(batch) < self.mix_probability if batch > 1 else torch.zeros(batch, dtype=torch.bool)
        partners = torch.roll(torch.arange(batch), -1)
        snr = torch.empty(batch).uniform_(*self.snr_db)
        mixed = torch.where(chosen[:, None], mix_at_snr(audio, audio[partners], snr), audio)
        joined = [
            f"{caption}{MIX_JOINER}{captions[partner]}" if mix else caption
            for caption, partner, mix in zip(captions, partners.tolist(), chosen.tolist())
        ]
        return mixed, joined, chosen

    # ------------------------------------------------------------------------------------ loss
    def compute_loss(self, group: str, batch: dict[str, Any], models, step: int) -> LossOutput:
        codes = self.code_cache.codes(batch["cache_keys"], batch["input_values"], models.unwrapped("model").encode_audio)
        out = models.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], audio_codes=codes)
        logs = {f"codebook_{k}": value.item() for k, value in enumerate(out.codebook_losses)}
        return LossOutput(out.loss, logs)

    def export(self, output_dir: Path, modules: dict[str, torch.nn.Module]) -> None:
        processor = AudioGenProcessor(feature_extractor_for(self.config.sampling_rate), self.tokenizer)
        AudioGenPipeline(modules["model"], processor).save_pretrained(output_dir)
