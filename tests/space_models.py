"""Tiny, randomly initialised model folders for the Space tests, one per family (seconds to build)."""

from __future__ import annotations

from pathlib import Path

import torch

from hfsynth.models.audiogen import AudioGenForConditionalGeneration, AudioGenPipeline, AudioGenProcessor
from hfsynth.models.audiogen import train_caption_tokenizer
from hfsynth.models.audiogen.processing_audiogen import feature_extractor_for
from hfsynth.models.gansynth import GANSynthGenerator, GANSynthPipeline
from hfsynth.models.wavenet import WaveNetModel, WaveNetPipeline
from test_audiogen_model import RATE as AUDIOGEN_RATE
from test_audiogen_model import tiny_config as audiogen_config
from test_audiogen_model import with_codebooks
from test_gansynth_model import tiny_config as gansynth_config
from test_wavenet_model import tiny_config as wavenet_config

CAPTIONS = ["a soft piano note", "loud brass playing a melody", "strings and piano", "a dog barking in the rain"]


def save_gansynth(folder: Path) -> str:
    GANSynthPipeline(GANSynthGenerator(gansynth_config())).save_pretrained(folder)   # MIDI 48-72, 8 kHz
    return str(folder)


def save_audiogen(folder: Path) -> str:
    tokenizer = train_caption_tokenizer(CAPTIONS * 5, vocab_size=64, model_max_length=12)
    model = with_codebooks(AudioGenForConditionalGeneration(audiogen_config(text_encoder=dict(
        vocab_size=len(tokenizer), d_model=32, d_kv=8, d_ff=64, num_layers=1, num_heads=4))))
    AudioGenPipeline(model, AudioGenProcessor(feature_extractor_for(AUDIOGEN_RATE), tokenizer)).save_pretrained(folder)
    return str(folder)


def save_wavenet_vocoder(folder: Path) -> str:
    config = wavenet_config(local_cond_channels=8, upsample_scales=[4, 4], mel_n_fft=64, sampling_rate=2000)
    WaveNetPipeline(WaveNetModel(config)).save_pretrained(folder)
    return str(folder)


def save_wavenet_classes(folder: Path) -> str:
    config = wavenet_config(global_cond_classes=3, class_labels=["bass", "keyboard", "string"], sampling_rate=2000)
    WaveNetPipeline(WaveNetModel(config)).save_pretrained(folder)
    return str(folder)


BUILDERS = {"gansynth": save_gansynth, "audiogen": save_audiogen, "wavenet": save_wavenet_vocoder}


def build_all(root: Path) -> dict[str, str]:
    """Saves one tiny folder per family under ``root``: ``{space name: folder}``."""
    torch.manual_seed(0)
    return {name: build(root / name) for name, build in BUILDERS.items()}


def save_musika(folder: Path) -> str:
    from hfsynth.models.musika import MusikaPipeline
    from test_musika_model import random_generator

    MusikaPipeline(random_generator()).save_pretrained(folder)
    return str(folder)


def save_separation(folder: Path) -> str:
    from test_separation_model import tiny_model

    tiny_model(stem_names=["vocals", "bass", "other"]).save_pretrained(folder)
    return str(folder)


def save_style_transfer(folder: Path) -> str:
    from test_style_transfer_model import tiny_melganvc

    tiny_melganvc().save_pretrained(folder)
    return str(folder)


BUILDERS.update({"musika": save_musika, "separation": save_separation, "style-transfer": save_style_transfer})
