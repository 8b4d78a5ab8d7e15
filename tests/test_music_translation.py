"""The Universal Music Translation network in hfsynth: config, encoder, decoders (WaveNets with the
options of ``MusicTranslationConfig.decoder_config``), training forward and chunked translation.
Parity with the original code is tests/test_convert_umt.py."""

import pytest
import torch

from hfsynth.models.music_translation import MusicTranslationConfig, MusicTranslationModel, MusicTranslationPipeline

DOMAINS = ["cello", "piano", "winds"]


def tiny_config(**overrides) -> MusicTranslationConfig:
    settings = dict(domains=DOMAINS, encoder_blocks=1, encoder_layers=2, encoder_channels=8, latent_channels=4,
                    encoder_pool=20, decoder_blocks=1, decoder_layers=3, residual_channels=8, skip_channels=6,
                    chunk_frames=3)
    return MusicTranslationConfig(**{**settings, **overrides})


@pytest.fixture(scope="module")
def model() -> MusicTranslationModel:
    torch.manual_seed(0)
    return MusicTranslationModel(tiny_config()).eval()


def test_the_published_size_is_the_original_s_parameter_count():
    """README of tests/fixtures/umt: encoder 1,982,528 and one decoder 6,540,288 parameters in the
    original; hfsynth's decoders fold the 57 conditioning biases (56 x 256 + 128) into others."""
    config = MusicTranslationConfig()
    model = MusicTranslationModel(MusicTranslationConfig(domains=["a"]))
    assert sum(p.numel() for p in model.encoder.parameters()) == 1_982_528
    assert sum(p.numel() for p in model.decoders[0].parameters()) == 6_540_288 - (56 * 256 + 128)
    assert config.decoder_config.receptive_field == 4 * (2**14 - 1) + 2 and len(config.domains) == 6


def test_domains_by_name_index_or_default():
    config = tiny_config(default_target_domain=2)
    assert [config.domain_index(d) for d in ("piano", 0, None)] == [1, 0, 2]
    with pytest.raises(ValueError, match="unknown target_domain 'organ'; the domains are cello, piano, winds"):
        config.domain_index("organ")
    with pytest.raises(ValueError, match=r"target_domain must be an integer in \[0, 2\]"):
        config.domain_index(3)


@pytest.mark.parametrize("overrides, message", [
    ({"domains": ["a", "a"]}, "distinct"), ({"domains": []}, "distinct"),
    ({"default_target_domain": 3}, "default_target_domain"), ({"encoder_activation": "glu"}, "encoder_activation"),
    ({"encoder_pool": 0}, "encoder_pool"),
])
def test_config_validation(overrides, message):
    with pytest.raises(ValueError, match=message):
        tiny_config(**overrides)


def test_teacher_forcing_scores_every_pooled_sample_and_trains(model):
    audio = 0.5 * torch.sin(torch.arange(130) * 0.3)[None]
    out = model(audio, target_domain="piano")
    assert out.latents.shape == (1, 4, 6) and out.logits.shape == (1, 256, 120) and torch.isfinite(out.loss)
    trainable = MusicTranslationModel(tiny_config())
    optimizer = torch.optim.Adam(trainable.parameters(), lr=1e-2)
    first = trainable(audio, 1).loss.item()
    for _ in range(40):
        loss = trainable(audio, 1).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < first - 0.5


def test_decoding_depends_only_on_the_past_and_its_frame(model):
    """Causal decoders: changing sample t changes no logit before t + 1."""
    audio = 0.5 * torch.sin(torch.arange(120) * 0.3)[None]
    decoder, latents = model.decoders[0], model.encode(audio)
    codes = model.codec.encode(audio)
    base = decoder.logits_from_features(decoder.input_features(codes), decoder.upsampler(latents), None)
    changed = codes.clone()
    changed[0, 50] = (changed[0, 50] + 100) % 256
    moved = decoder.logits_from_features(decoder.input_features(changed), decoder.upsampler(latents), None)
    diff = (moved - base).abs().sum(dim=1)[0]
    assert diff[:50].max() == 0 and diff[50] > 0


def test_translation_decodes_in_fresh_chunks_and_keeps_the_length(model):
    audio = 0.5 * torch.sin(torch.arange(150) * 0.3)[None].repeat(2, 1)
    seen = []
    out = model.translate(audio, "winds", generator=torch.Generator().manual_seed(0),
                          progress_bar=lambda iterable, total: seen.append(total) or iterable)
    assert out.shape == (2, 150) and seen == [60, 60, 20]            # 7 frames of 20 samples, 3 per chunk
    assert out[:, 140:].eq(0).all() and out[:, :140].abs().max() <= 1.0
    again = model.translate(audio, "winds", generator=torch.Generator().manual_seed(0), progress_bar=False)
    assert torch.equal(out, again)
    decoder, latents = model.decoders[2], model.encode(audio)
    first_chunk = decoder.sample_waveform(60, mel=latents[:, :, :3], generator=torch.Generator().manual_seed(0))
    assert torch.equal(out[:, :60], first_chunk)


def test_incremental_decoding_equals_naive(model):
    decoder, latents = model.decoders[1].double(), torch.randn(2, 4, 3, dtype=torch.float64)
    fast = decoder.sample_waveform(60, mel=latents, generator=torch.Generator().manual_seed(2))
    slow = decoder.sample_waveform(60, mel=latents, generator=torch.Generator().manual_seed(2), incremental=False)
    model.decoders[1].float()
    assert torch.equal(fast, slow)


@pytest.mark.parametrize("bad, message", [
    (torch.zeros(1, 10), "fewer than one latent frame"), (torch.full((1, 40), float("nan")), "NaN"),
    (torch.zeros(2, 2, 40), "mono audio"),
])
def test_bad_audio_is_a_value_error(model, bad, message):
    with pytest.raises(ValueError, match=message):
        model.translate(bad, 0)


def test_save_and_load_keep_every_decoder(model, tmp_path):
    MusicTranslationPipeline(model).save_pretrained(tmp_path)
    loaded = MusicTranslationPipeline.from_pretrained(tmp_path).model.eval()
    audio = 0.3 * torch.sin(torch.arange(60) * 0.2)[None]
    for domain in range(3):
        torch.testing.assert_close(loaded(audio, domain).logits, model(audio, domain).logits)
