"""AudioGen's model: delay pattern, config round trip, teacher forcing, KV cache, guidance, prompts,
long-form generation and the generate() argument rules."""

import copy
import logging

import numpy as np
import pytest
import torch
from transformers import AutoConfig, EncodecConfig, T5Config, T5EncoderModel

import hfsynth  # noqa: F401  (registers AudioGen)
from hfsynth.models.audiogen import (
    AudioGenConfig,
    AudioGenDecoderConfig,
    AudioGenForConditionalGeneration,
    apply_delay_pattern,
    build_delay_pattern,
    quantize_decoder_int8,
    small_encodec_config,
    undo_delay_pattern,
)
from hfsynth.models.audiogen.delay_pattern_audiogen import UNKNOWN, delay_pattern_mask, first_unknown_step
from hfsynth.models.audiogen.generation_audiogen import code_picker, generation_settings, guided_logits
from hfsynth.models.audiogen.modeling_audiogen import TextCondition
from hfsynth.models.audiogen.tokenization_audiogen import truncate_prompt_ids
from hfsynth.modules.encodec_training import TrainableEncodec

RATE, HOP = 800, 16          # 50 frames/s, as the real codec
K, CODES = 3, 32             # codebooks x entries
WINDOW = 22                  # frames per decoder window: 24 positions - (K - 1) delay steps
TINY_CODEC = dict(sampling_rate=RATE, num_filters=4, hidden_size=16, codebook_size=CODES, num_codebooks=K,
                  upsampling_ratios=[4, 4])


def tiny_config(**overrides) -> AudioGenConfig:
    settings = dict(
        text_encoder=dict(vocab_size=64, d_model=32, d_kv=8, d_ff=64, num_layers=1, num_heads=4),
        audio_encoder=dict(TINY_CODEC),
        decoder=dict(num_hidden_layers=2, hidden_size=32, num_attention_heads=4, ffn_dim=64,
                     max_position_embeddings=WINDOW + K - 1, dropout=0.0),
        max_text_length=12,
    )
    settings.update(overrides)
    return AudioGenConfig(**settings)


def with_codebooks(model: AudioGenForConditionalGeneration) -> AudioGenForConditionalGeneration:
    """Codebooks started from (random) audio, so that different audio gets different codes."""
    TrainableEncodec(model.audio_encoder).train()(0.3 * torch.randn(4, RATE))
    return model


def tiny_model(**overrides) -> AudioGenForConditionalGeneration:
    return with_codebooks(AudioGenForConditionalGeneration(tiny_config(**overrides))).eval()


def prompt_ids(batch: int = 2, tokens: int = 6) -> torch.Tensor:
    return torch.randint(3, 64, (batch, tokens))


def generate_dict(model: AudioGenForConditionalGeneration, input_ids, **kwargs):
    """``model.generate`` returning its ``AudioGenGenerationOutput`` (audio and codes)."""
    return model.generate(input_ids, return_dict_in_generate=True, **kwargs)


# ------------------------------------------------------------------------------ delay pattern
def test_delay_pattern_layout_and_round_trip():
    codes = torch.arange(12).reshape(1, 3, 4)               # stream k, frame t -> 4k + t
    delayed = build_delay_pattern(codes, num_frames=4, special_id=99)
    assert delayed.tolist() == [[[0, 1, 2, 3, 99, 99], [99, 4, 5, 6, 7, 99], [99, 99, 8, 9, 10, 11]]]
    assert torch.equal(undo_delay_pattern(delayed), codes)
    assert torch.equal(delay_pattern_mask(3, 4), delayed[0] != 99)
    random_codes = torch.randint(0, CODES, (2, K, 9))
    assert torch.equal(undo_delay_pattern(build_delay_pattern(random_codes, 9, CODES)), random_codes)


def test_a_prefix_pattern_marks_what_to_generate():
    pattern = build_delay_pattern(torch.tensor([[[5, 6], [7, 8]]]), num_frames=3, special_id=99)
    assert pattern.tolist() == [[[5, 6, UNKNOWN, 99], [99, 7, 8, UNKNOWN]]]
    assert first_unknown_step(pattern) == 2
    sampled = torch.zeros(1, 2, 4, dtype=torch.long)
    assert apply_delay_pattern(sampled, pattern).tolist() == [[[5, 6, 0, 99], [99, 7, 8, 0]]]
    with pytest.raises(ValueError, match="more than"):
        build_delay_pattern(torch.zeros(1, 2, 4, dtype=torch.long), 3, 99)


# --------------------------------------------------------------------------------- config
def test_config_round_trips_with_its_sub_configs(tmp_path):
    config = tiny_config(condition_dropout=0.2)
    config.save_pretrained(tmp_path)
    loaded = AutoConfig.from_pretrained(tmp_path)
    assert isinstance(loaded, AudioGenConfig)
    assert isinstance(loaded.text_encoder, T5Config) and isinstance(loaded.audio_encoder, EncodecConfig)
    assert isinstance(loaded.decoder, AudioGenDecoderConfig)
    assert loaded.audio_encoder.num_quantizers == K and loaded.decoder.cross_attention_hidden_size == 32
    assert (loaded.sampling_rate, loaded.frame_rate, loaded.hop_length) == (RATE, 50, HOP)
    saved, reloaded = config.to_dict(), loaded.to_dict()
    saved.pop("_name_or_path", None), reloaded.pop("_name_or_path", None)
    assert reloaded == saved


@pytest.mark.parametrize("codebook_size", [2, 32, 1024, 2048, 4096])
@pytest.mark.parametrize("num_codebooks", [1, 3, 4, 8])
def test_the_codec_bandwidth_gives_exactly_the_chosen_number_of_codebooks(num_codebooks, codebook_size):
    """transformers derives the number of quantizers back from the bandwidth."""
    assert small_encodec_config(num_codebooks, codebook_size=codebook_size).num_quantizers == num_codebooks


def test_the_default_config_is_cpu_sized():
    config = AudioGenConfig()
    assert (config.sampling_rate, config.frame_rate, config.decoder.num_codebooks) == (16000, 50, 4)
    assert config.audio_encoder.num_quantizers == 4 and config.decoder.max_window_frames == 253


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(decoder=dict(num_codebooks=4)), "codec gives 3 codebooks"),
        (dict(decoder=dict(hidden_size=30, num_attention_heads=4)), "multiple of num_attention_heads"),
        (dict(condition_dropout=1.0), "condition_dropout"),
        (dict(max_text_length=1), "max_text_length"),
        (dict(decoder=dict(cross_attention_hidden_size=48)), "cross-attends to states of width 48"),
    ],
)
def test_bad_configs_are_value_errors(overrides, message):
    with pytest.raises(ValueError, match=message):
        tiny_config(**overrides)


def test_a_t5_encoder_loads_from_a_local_path(tmp_path):
    t5 = T5EncoderModel(T5Config(vocab_size=64, d_model=48, d_kv=12, d_ff=64, num_layers=1, num_heads=4))
    t5.save_pretrained(tmp_path / "t5")
    config = tiny_config()
    decoder = {key: value for key, value in config.decoder.to_dict().items() if key != "cross_attention_hidden_size"}
    model = AudioGenForConditionalGeneration.from_sub_models_pretrained(
        text_encoder_path=str(tmp_path / "t5"), audio_encoder=config.audio_encoder, decoder=decoder
    )
    assert model.config.text_encoder.d_model == 48 and model.config.decoder.cross_attention_hidden_size == 48
    for name, tensor in t5.state_dict().items():
        assert torch.equal(model.text_encoder.state_dict()[name], tensor)
    with pytest.raises(ValueError, match="come from the pretrained checkpoint"):
        AudioGenForConditionalGeneration.from_sub_models_pretrained(
            text_encoder_path=str(tmp_path / "t5"), text_encoder={}
        )


# ------------------------------------------------------------------------------- training
def test_teacher_forced_loss_decreases_on_tiny_data():
    model = tiny_model().train()
    model.freeze_audio_encoder()
    ids, audio = prompt_ids(), 0.3 * torch.randn(2, 320)
    codes = model.encode_audio(audio)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    losses = []
    for _ in range(15):
        out = model(input_ids=ids, audio_codes=codes)
        optimizer.zero_grad()
        out.loss.backward()
        optimizer.step()
        losses.append(out.loss.item())
    assert abs(losses[0] - np.log(CODES)) < 0.5            # starts near a uniform guess
    assert losses[-1] < losses[0] - 1.0
    assert out.logits.shape == (2, K, codes.shape[-1] + K - 1, CODES) and out.codebook_losses.shape == (K,)


def test_condition_dropout_uses_the_null_condition():
    condition = TextCondition(torch.ones(1000, 2, 3), torch.ones(1000, 2, dtype=torch.bool))
    dropped = condition.dropped(0.1).states
    nulls = (dropped.abs().sum(dim=(1, 2)) == 0).float().mean().item()
    assert 0.05 < nulls < 0.15 and torch.equal(condition.with_null().states[1000:], torch.zeros(1000, 2, 3))


def test_a_frozen_codec_stays_in_eval_mode():
    model = AudioGenForConditionalGeneration(tiny_config())
    model.freeze_audio_encoder()
    model.train()
    assert model.decoder.training and model.text_encoder.training and not model.audio_encoder.training


def test_forward_checks_its_inputs():
    model = tiny_model()
    with pytest.raises(ValueError, match="either audio_codes"):
        model(input_ids=prompt_ids())
    with pytest.raises(ValueError, match="one prompt per example"):
        model(input_ids=prompt_ids(3), audio_codes=torch.zeros(2, K, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="exceed max_position_embeddings"):
        model(input_ids=prompt_ids(), audio_codes=torch.zeros(2, K, WINDOW + 1, dtype=torch.long))


# ----------------------------------------------------------------------------- generation
def test_cached_steps_give_the_logits_of_the_full_pass():
    model = tiny_model()
    condition = model.encode_text(prompt_ids())
    tokens = torch.randint(0, CODES + 1, (2, K, 10))
    full = model.decoder(tokens, condition)
    cache = model.decoder.new_cache()
    stepped = torch.cat([model.decoder(tokens[:, :, :4], condition, cache)]
                        + [model.decoder(tokens[:, :, s : s + 1], condition, cache) for s in range(4, 10)], dim=2)
    assert torch.allclose(stepped, full, atol=1e-5)


def test_kv_cache_generation_equals_no_cache_generation():
    model, ids = tiny_model(), prompt_ids()
    cached = generate_dict(model, ids, audio_length_in_s=0.3, do_sample=False, use_cache=True)
    uncached = generate_dict(model, ids, audio_length_in_s=0.3, do_sample=False, use_cache=False)
    assert torch.equal(cached.sequences, uncached.sequences) and torch.equal(cached.audio, uncached.audio)


def test_guidance_scale_one_equals_unguided():
    model = tiny_model()
    condition = model.encode_text(prompt_ids())
    greedy = code_picker(generation_settings(model.generation_config, {"do_sample": False}))
    prefix = torch.empty(2, K, 0, dtype=torch.long)
    doubled = model.sample_window(condition, prefix, 12, greedy, guidance_scale=1.0)   # conditional + null rows
    single = model.sample_window(condition, prefix, 12, greedy, guidance_scale=None)
    assert torch.equal(doubled, single)
    guided = model.sample_window(condition, prefix, 12, greedy, guidance_scale=3.0)
    assert not torch.equal(guided, single)
    cond, uncond = torch.randn(2, K, CODES), torch.randn(2, K, CODES)
    assert torch.allclose(guided_logits(cond, uncond, 1.0), cond, atol=1e-6)
    sampled = [generate_dict(model, prompt_ids(), audio_length_in_s=0.2, guidance_scale=scale, seed=3).sequences
               for scale in (1.0, None)]
    assert torch.equal(*sampled)


def test_output_contract_of_generate():
    out = generate_dict(tiny_model(), prompt_ids(), audio_length_in_s=0.25, seed=0)
    assert out.audio.dtype == torch.float32 and out.audio.shape == (2, 1, 200) and out.audio.abs().max() <= 1.0
    assert out.sequences.shape == (2, K, 13) and int(out.sequences.max()) < CODES


def test_audio_length_wins_over_max_new_tokens():
    model = tiny_model()
    assert generate_dict(model, prompt_ids(1), audio_length_in_s=0.1, max_new_tokens=256).audio.shape == (1, 1, 80)
    assert generate_dict(model, prompt_ids(1), max_new_tokens=12).sequences.shape[-1] == 12 - (K - 1)
    assert generate_dict(model, None, max_new_tokens=K).audio.shape == (1, 1, HOP)  # no text: the null condition


def test_sliding_window_generates_beyond_the_context():
    model, ids = tiny_model(), prompt_ids()
    frames = 3 * WINDOW + 5
    out = generate_dict(model, ids, audio_length_in_s=frames / 50, do_sample=False)
    assert out.sequences.shape == (2, K, frames) and out.audio.shape == (2, 1, frames * HOP)
    uncached = generate_dict(model, ids, audio_length_in_s=frames / 50, do_sample=False, use_cache=False)
    assert torch.equal(out.sequences, uncached.sequences)


def test_audio_prompt_codes_are_kept_as_the_prefix():
    model = tiny_model()
    prompt = 0.3 * torch.randn(2, 10 * HOP + 7)                      # 10 whole frames and a partial one
    out = generate_dict(model, prompt_ids(), input_values=prompt, audio_length_in_s=0.5, seed=0)
    assert out.sequences.shape == (2, K, 25) and out.audio.shape == (2, 1, 400)
    assert torch.equal(out.sequences[:, :, :10], model.encode_audio(prompt)[:, :, :10])
    shared = generate_dict(model, prompt_ids(3), input_values=prompt[0].numpy(), audio_length_in_s=0.3, seed=0)
    assert shared.sequences.shape == (3, K, 15)                       # one audio prompt for three texts


def test_audio_prompts_of_different_lengths():
    model = tiny_model()
    prompt = 0.3 * torch.randn(2, 8 * HOP)
    mask = torch.ones(2, 8 * HOP)
    mask[1, 4 * HOP :] = 0                                            # the second prompt is half padding
    codes = model.audio_prompt_codes(prompt, padding_mask=mask)
    assert (codes[0] != UNKNOWN).all() and (codes[1, :, :4] != UNKNOWN).all() and (codes[1, :, 4:] == UNKNOWN).all()
    out = generate_dict(model, prompt_ids(), input_values=prompt, padding_mask=mask, audio_length_in_s=0.3, seed=0)
    assert (out.sequences >= 0).all() and torch.equal(out.sequences[1, :, :4], codes[1, :, :4])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_beams": 2}, "does not take"),
        ({"temperature": 0.0}, "temperature"),
        ({"top_p": 1.5}, "top_p"),
        ({"guidance_scale": float("nan")}, "guidance_scale"),
        ({"max_new_tokens": K - 1}, "no frame"),
        ({"audio_length_in_s": -1.0}, "audio_length_in_s"),
        ({"input_values": np.zeros(5 * HOP), "audio_length_in_s": 0.05}, "not longer than the audio prompt"),
        ({"input_values": np.zeros(HOP - 1)}, "shorter than one codec frame"),
        ({"input_values": np.full(2 * HOP, np.nan)}, "NaN"),
        ({"input_values": np.zeros((3, 2 * HOP))}, "do not pair up"),
        ({"padding_mask": np.ones(2 * HOP)}, "without an audio prompt"),
    ],
)
def test_bad_generate_arguments_are_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_dict(tiny_model(), prompt_ids(), **kwargs)


def test_an_empty_prompt_batch_is_a_value_error():
    with pytest.raises(ValueError, match="no prompts"):
        tiny_model().generate(torch.zeros(0, 4, dtype=torch.long), audio_length_in_s=0.1)


def test_long_prompts_are_truncated_with_a_warning(caplog):
    ids, mask = torch.randint(3, 64, (2, 20)), torch.ones(2, 20, dtype=torch.long)
    mask[1, 5:] = 0
    with caplog.at_level(logging.WARNING):
        cut_ids, cut_mask = truncate_prompt_ids(ids, mask, 12, eos_token_id=1)
    assert cut_ids.shape == (2, 12) and cut_ids[0, -1] == 1 and torch.equal(cut_ids[0, :11], ids[0, :11])
    assert torch.equal(cut_ids[1], ids[1, :12]) and "truncated" in caplog.text


@pytest.mark.parametrize("top_k, top_p", [(0, 1.0), (5, 1.0), (0, 0.7), (5, 0.7), (40, 0.3)])
def test_candidate_logits_match_transformers_warpers(top_k, top_p):
    """Top-k-first sampling keeps exactly the distribution of transformers' warper chain."""
    from transformers.generation import LogitsProcessorList, TopKLogitsWarper, TopPLogitsWarper

    from hfsynth.models.audiogen.generation_audiogen import candidate_logits

    logits = torch.randn(6, 64) * 3
    warpers = LogitsProcessorList(([TopKLogitsWarper(top_k)] if top_k else [])
                                  + ([TopPLogitsWarper(top_p)] if top_p < 1 else []))
    expected = torch.softmax(warpers(None, logits.clone()), dim=-1)
    candidates, indices = candidate_logits(logits, top_k, top_p)
    probs = torch.softmax(candidates, dim=-1)
    scattered = probs if indices is None else torch.zeros_like(expected).scatter(-1, indices, probs)
    assert torch.allclose(scattered, expected, atol=1e-6)


# ---------------------------------------------------------------------------------- int8
def test_int8_decoder_weights_keep_the_next_code_distributions():
    """The quantised decoder predicts nearly what float32 does (small KL, not zero), still
    generates through the same API, and is refused for training."""
    torch.manual_seed(0)
    model = tiny_model()
    ids, codes = prompt_ids(), torch.randint(0, CODES, (2, K, 10))
    with torch.no_grad():
        float_log_p = model(input_ids=ids, audio_codes=codes).logits.log_softmax(-1)
        quantized = quantize_decoder_int8(copy.deepcopy(model))
        int8_log_p = quantized(input_ids=ids, audio_codes=codes).logits.log_softmax(-1)
    kl = (float_log_p.exp() * (float_log_p - int8_log_p)).sum(-1).mean().item()
    assert not torch.equal(float_log_p, int8_log_p) and abs(kl) < 1e-4
    torch.testing.assert_close(int8_log_p, float_log_p, atol=2e-3, rtol=0)
    assert any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in quantized.decoder.blocks.modules())
    assert isinstance(quantized.decoder.heads, torch.nn.Linear)            # the heads stay float
    out = generate_dict(quantized, ids, audio_length_in_s=0.1, seed=0)
    assert out.audio.shape == (2, 1, 80) and torch.isfinite(out.audio).all()
    with pytest.raises(ValueError, match="for generation: call model.eval"):
        quantize_decoder_int8(tiny_model().train())
