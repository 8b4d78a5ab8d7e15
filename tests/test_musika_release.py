"""The published Musika's port (``MusikaReleaseGenerator``): the published sizes, Keras' layer semantics,
the front end and inverse STFT, generation through the shared contract, streaming of any length in
flat memory, continuation, and bad input, for both releases (44.1 kHz and the ``22kHz/`` one).
Parity with the authors' outputs is in tests/test_convert_musika.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from model_tester import LoopGeneratorTester
from hfsynth.models.musika import MusikaPipeline, MusikaReleaseConfig, MusikaReleaseGenerator
from hfsynth.models.musika.generation_musika_release import new_release_state, stream_release_section
from hfsynth.models.musika.layers_musika_release import (
    AdaIN,
    NoiseInjection,
    RecordedNoise,
    TimeConv,
    TimeConvTranspose,
    pixel_shuffle,
)
from hfsynth.models.musika.modeling_musika_22khz import (
    Musika22kHzLatentDecoder,
    Musika22kHzLatentEncoder,
    Musika22kHzLatentGenerator,
    Musika22kHzSpectrogramDecoder,
    Musika22kHzSpectrogramEncoder,
)
from hfsynth.models.musika.modeling_musika_release import (
    MusikaLatentDecoder,
    MusikaLatentEncoder,
    MusikaLatentGenerator,
    MusikaSpectrogramDecoder,
    MusikaSpectrogramEncoder,
)
from hfsynth.models.musika.pipeline_musika import MusikaReleasePipeline
from hfsynth.models.musika.spectral_musika_release import MusikaReleaseSpectrogram, OverlapAdd

RATE = 8000
SMALL = dict(small=True)
RELEASE_22KHZ = dict(variant="22khz")          # its own defaults: 22050 Hz, autoencoder width 16
#: Parameter counts of the authors' networks at the release's settings (their ``count_params``, which
#: counts batch-norm statistics too; the small generator is ``musika_misc_small``'s; the 22 kHz
#: generator is the 128-input one that the authors' generation can feed).
PUBLISHED_PARAMETERS = [
    (MusikaSpectrogramEncoder, {}, 4_790_336), (MusikaSpectrogramDecoder, {}, 12_673_291),
    (MusikaLatentEncoder, {}, 3_984_960), (MusikaLatentDecoder, {}, 6_639_303),
    (MusikaLatentGenerator, {}, 15_499_530), (MusikaLatentGenerator, SMALL, 12_009_738),
    (Musika22kHzSpectrogramEncoder, RELEASE_22KHZ, 2_066_880), (Musika22kHzSpectrogramDecoder, RELEASE_22KHZ, 7_409_226),
    (Musika22kHzLatentEncoder, RELEASE_22KHZ, 4_539_968), (Musika22kHzLatentDecoder, RELEASE_22KHZ, 6_683_781),
    (Musika22kHzLatentGenerator, RELEASE_22KHZ, 14_059_018),
]


@pytest.mark.parametrize("variant, expected", [("44khz", (44100, 256, 2.0)), ("22khz", (22050, 16, 0.885))])
def test_each_release_brings_its_own_defaults(variant, expected):
    """``MusikaReleaseConfig(variant=...)`` alone is that release at its published size (the 22 kHz
    one at the 44.1 kHz widths would be a 4.8 B-parameter network); given values still win."""
    config = MusikaReleaseConfig(variant=variant)
    assert (config.sampling_rate, config.autoencoder_width, config.truncation) == expected
    overridden = MusikaReleaseConfig(variant=variant, sampling_rate=16000, autoencoder_width=8, truncation=1.0)
    assert (overridden.sampling_rate, overridden.autoencoder_width, overridden.truncation) == (16000, 8, 1.0)


def test_a_saved_config_keeps_values_that_equal_the_other_release_s_defaults(tmp_path):
    """A 22 kHz config at 44100 Hz must not read back as 22050 Hz (the class default it equals is the 44.1 kHz one)."""
    MusikaReleaseConfig(variant="22khz", sampling_rate=44100, truncation=2.0).save_pretrained(tmp_path)
    loaded = MusikaReleaseConfig.from_pretrained(tmp_path)
    assert (loaded.variant, loaded.sampling_rate, loaded.autoencoder_width, loaded.truncation) == ("22khz", 44100, 16, 2.0)


def tiny_config(**overrides) -> MusikaReleaseConfig:
    """8 kHz, hop 16 (33 bins), narrow networks: a segment is 128 latent frames = 32768 samples (4.1 s;
    16384 samples, 2.0 s, for the 22 kHz networks, 8 frames per latent)."""
    settings = dict(sampling_rate=RATE, hop_length=16, autoencoder_width=8, latent_channels=40,
                    coordinate_channels=16, base_channels=2, audio_length_in_s=0.5)
    if overrides.get("variant") == "22khz":
        settings["autoencoder_width"] = 1                                       # its widths are 16 - 80 x this
    return MusikaReleaseConfig(**(settings | overrides))


def tiny_model(**overrides) -> MusikaReleaseGenerator:
    """Random weights in a useful range: the authors' he_uniform, noise on, the magnitude head mostly
    inside its clip (torch's default initialisation lets the decoders forget their input)."""
    model = MusikaReleaseGenerator(tiny_config(**overrides)).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("weight") and parameter.ndim > 1:
                bound = (6 / parameter[0].numel()) ** 0.5                      # Keras' fan-in of every kernel kind
                parameter.uniform_(-bound, bound)
        for module in model.modules():
            if isinstance(module, NoiseInjection):
                module.weight.fill_(0.05)
        decoder, bins = model.autoencoder.decoder, model.config.num_bins
        if model.config.variant == "22khz":                                    # one head: magnitude channels first
            decoder.output.weight[:bins].mul_(0.1)
            decoder.output.bias[:bins].fill_(-0.2)
        else:
            decoder.magnitude.weight.mul_(0.1)
            decoder.magnitude.bias.fill_(-0.2)
    return model


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class TestMusikaReleaseGeneration(LoopGeneratorTester):
    """The shared contract, on the small variant (half the segment: the tests run twice as fast)."""

    pipeline_class = MusikaReleasePipeline
    prompts = ("", "techno")
    channels = 2
    seconds = 0.3

    def make_model(self):
        return tiny_model(small=True)


@pytest.fixture(scope="module", params=["44khz", "22khz"])
def model(request) -> MusikaReleaseGenerator:
    torch.manual_seed(0)
    return tiny_model(variant=request.param)


# ----------------------------------------------------------------------------- architecture
@pytest.mark.parametrize("network, settings, count", PUBLISHED_PARAMETERS)
def test_the_published_size_has_the_published_parameter_counts(network, settings, count):
    with torch.device("meta"):                                                 # built in no time, no memory
        built = network(MusikaReleaseConfig(**settings))
    assert sum(p.numel() for p in built.parameters()) + sum(b.numel() for b in built.buffers()) == count


def test_the_small_generator_is_the_misc_small_one():
    """``musika_misc_small``: half the window, the first stage keeps the length (k=1, no pixel shuffle)."""
    config = MusikaReleaseConfig(small=True)
    assert (config.latent_length, config.segment_frames, config.coordinate_length) == (128, 64, 192)
    with torch.device("meta"):
        small = MusikaLatentGenerator(config)
    assert small.stages[0].first.conv.kernel_size == 1 and small.stages[0].shortcut.weight.shape[1] == 7 * 128
    generator = MusikaLatentGenerator(tiny_config(small=True))
    noise = RecordedNoise({})
    with pytest.raises(ValueError, match="no recorded noise"):
        generator(torch.randn(1, 64, 80), noise)
    out = generator(torch.randn(3, 64, 80), lambda layer, shape, like: torch.zeros(shape))
    assert out.shape == (3, 64, 80)


@pytest.mark.parametrize("kernel, stride, length", [(3, 1, 9), (4, 1, 8), (3, 2, 8), (3, 2, 7), (1, 1, 5)])
def test_same_padding_puts_the_odd_step_on_the_right(kernel, stride, length):
    conv = TimeConv(3, 5, kernel, stride)
    x = torch.randn(2, length, 3)
    total = max((-(-length // stride) - 1) * stride + kernel - length, 0)
    expected = F.conv1d(F.pad(x.transpose(1, 2), (total // 2, total - total // 2)), conv.weight, conv.bias, stride)
    torch.testing.assert_close(conv(x), expected.transpose(1, 2))


def test_valid_padding_and_transposed_convolutions_follow_keras():
    conv = TimeConv(3, 4, 3, 2, padding="valid")
    x = torch.randn(2, 16, 3)
    assert conv(x).shape == (2, 7, 4)                                          # (16 - 3) // 2 + 1
    up = TimeConvTranspose(3, 4, 4, 2)
    expected = F.conv_transpose1d(x.transpose(1, 2), up.weight, up.bias, stride=2, padding=1)
    torch.testing.assert_close(up(x), expected.transpose(1, 2))
    with pytest.raises(ValueError, match="padding"):
        TimeConv(3, 4, 3, padding="causal")


def test_pixel_shuffle_and_adain_are_the_authors():
    x = torch.arange(2 * 3 * 4.0).reshape(2, 3, 4)                             # (N, T, C)
    shuffled = pixel_shuffle(x)
    assert shuffled.shape == (2, 6, 2)
    for t, j, c in [(0, 0, 0), (1, 1, 0), (2, 0, 1), (2, 1, 1)]:
        assert shuffled[1, 2 * t + j, c] == x[1, t, 2 * c + j]
    adain = AdaIN(5, 4)
    x, embedding = torch.randn(2, 8, 4), torch.randn(2, 8, 5)
    std = (x - x.mean(dim=1, keepdim=True)).square().mean(dim=1, keepdim=True).sqrt()
    torch.testing.assert_close(adain(x, embedding), x / (std + 1e-5) * adain.project(embedding))


# ------------------------------------------------------------------------------- spectrogram
def test_the_front_end_is_wv2spec():
    """Frames of 4 hops, periodic Hann, no padding; power in dB floored at 1e-10; (dB - mu) / sigma."""
    config = tiny_config()
    audio = torch.randn(2, 300) * 0.1
    n_fft, hop = config.n_fft, config.hop_length
    frames = np.stack([audio[:, s : s + n_fft].numpy() for s in range(0, 300 - n_fft + 1, hop)], axis=1)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    decibels = 10 * np.log10(np.maximum(np.abs(np.fft.rfft(frames * window)) ** 2, 1e-10))
    expected = (decibels - config.mu_rescale) / config.sigma_rescale
    np.testing.assert_allclose(MusikaReleaseSpectrogram(config).analyse(audio).numpy(), expected, atol=1e-4)


def test_overlap_add_in_pieces_equals_the_inverse_stft_in_one_go():
    spectrogram = MusikaReleaseSpectrogram(tiny_config())
    frames = torch.polar(torch.rand(2, 23, 33) + 0.1, torch.rand(2, 23, 33) * 6)
    one_go = OverlapAdd(spectrogram)
    whole = torch.cat([one_go.push(frames), one_go.finish()], dim=-1)
    assert whole.shape == (2, 22 * 16 + 64)                                    # tf.signal.inverse_stft's length
    pieces = OverlapAdd(spectrogram)
    parts = [pieces.push(frames[:, a:b]) for a, b in ((0, 5), (5, 6), (6, 23))] + [pieces.finish()]
    torch.testing.assert_close(torch.cat(parts, dim=-1), whole)
    windowed = spectrogram.frames_to_pieces(frames)                            # (2, 23, 64)
    torch.testing.assert_close(whole[:, 16 * 10 : 16 * 11],
                               sum(windowed[:, 10 - j, 16 * j : 16 * (j + 1)] for j in range(4)))


def test_encode_reads_stereo_and_decodes_back_to_the_same_length(model):
    audio = torch.randn(1, 2, 5000) * 0.1
    per_latent, block = model.config.frames_per_latent, model.config.latents_per_block
    latents = model.autoencoder.encode(audio)                                  # 310 frames -> 320 (312): 20 (39) windows
    assert latents.shape == (1, -(-310 // per_latent), 80) and latents.abs().max() <= 1
    decoded = model.autoencoder.decode(latents)                                # whole blocks: 20 (32) latent frames
    assert decoded.shape == (1, 2, 16 * (per_latent * (latents.shape[1] // block * block) - 1) + 64)
    with pytest.raises(ValueError, match="stereo"):
        model.autoencoder.encode(torch.zeros(1, 1, 5000))
    with pytest.raises(ValueError, match="latents"):
        model.autoencoder.decode(torch.zeros(1, 8, 3))


# --------------------------------------------------------------------------------- streaming
def test_generate_is_the_stream_and_a_continued_stream_is_one_long_piece(model):
    segment = model.config.samples_per_segment                                # 2.2 segments (4.4 at 22 kHz)
    one_go = model.generate(audio_length_in_s=9.0, generator=seeded(3))[0]
    state = new_release_state(model, seeded(3))
    pieces = list(stream_release_section(model, 2 * RATE, state)) + list(stream_release_section(model, 7 * RATE, state))
    ends = [2 * RATE, *range(segment, 9 * RATE, segment), 9 * RATE]            # the first section, then by segments
    assert [piece.shape[-1] for piece in pieces] == [b - a for a, b in zip([0, *ends], ends)]
    torch.testing.assert_close(torch.cat(pieces, dim=-1), one_go, rtol=0, atol=1e-6)


def test_streaming_memory_is_flat():
    model = tiny_model(small=True)                                             # segments of 64 frames: 2 s
    state = new_release_state(model, seeded(0))
    held = []
    for piece in stream_release_section(model, 8 * model.config.samples_per_segment, state):
        held.append((len(state.path.anchors), state.pending.shape[-1], state.overlap.tail.shape[-1]))
        assert piece.shape[0] == 2
    assert len(held) == 8
    assert max(h[0] for h in held) <= 3                                        # the anchors of one segment
    assert max(h[1] for h in held) <= model.config.samples_per_segment
    assert {h[2] for h in held} == {3 * model.config.hop_length}                # the inverse STFT's overlap


def test_the_pipeline_streams_continues_and_downmixes(tmp_path, model):
    pipe = MusikaPipeline(model)
    assert isinstance(pipe, MusikaReleasePipeline)
    pipe.save_pretrained(tmp_path)
    loaded = MusikaPipeline.from_pretrained(tmp_path)
    assert isinstance(loaded, MusikaReleasePipeline)
    out = loaded(audio_length_in_s=1.0, generator=seeded(1))
    assert out.audios.shape == (1, 2, RATE) and out.latents.shape == (1, 16)
    streamed = np.concatenate(list(loaded.stream(1.0, generator=seeded(1))), axis=-1)
    np.testing.assert_allclose(streamed, out.audios[0], atol=1e-6)
    assert loaded(audio_length_in_s=0.5, stereo=False, generator=seeded(1)).audios.shape == (1, RATE // 2)
    same = loaded.continue_piece(out.state[0], audio_length_in_s=5.0)
    again = loaded(audio_length_in_s=1.0, generator=seeded(1))
    morph = loaded.continue_piece(again.state[0], audio_length_in_s=5.0, generator=seeded(9), transition_s=1.0)
    assert same.audios.shape == morph.audios.shape == (1, 2, 5 * RATE)
    head = model.config.samples_per_segment - RATE                             # made before the new style begins
    np.testing.assert_allclose(same.audios[0, :, :head], morph.audios[0, :, :head], atol=1e-6)
    assert not np.allclose(same.audios[0, :, head:], morph.audios[0, :, head:])
    assert not torch.allclose(morph.state[0].style, out.state[0].style)


def test_a_style_plays_again(model):
    first = model.generate(audio_length_in_s=0.5, generator=seeded(2), return_dict_in_generate=True)
    again = model.generate(audio_length_in_s=0.5, generator=seeded(2), style=first.styles[0],
                           return_dict_in_generate=True)
    torch.testing.assert_close(again.styles, first.styles)
    assert first.styles.abs().max() <= model.config.truncation                 # a truncated normal


@pytest.mark.parametrize("kwargs, match", [
    ({"tempo": 120.0}, "unconditional"), ({"density": "dense"}, "unconditional"), ({"prompt": "120 bpm"}, "tempo"),
    ({"prompt": ["dense techno"]}, "density"), ({"truncation": 0.0}, "truncation"),
    ({"style": torch.full((16,), float("nan"))}, "NaN"), ({"style": torch.zeros(3)}, "16 values"),
    ({"prompt": []}, "empty"),
])
def test_bad_input_is_a_clear_error(model, kwargs, match):
    with pytest.raises(ValueError, match=match):
        MusikaPipeline(model)(audio_length_in_s=0.5, **kwargs)


@pytest.mark.parametrize("bad, match", [
    (dict(hop_length=30), "hop_length"), (dict(coordinate_channels=8), "coordinate_channels"),
    (dict(autoencoder_width=7), "autoencoder_width"), (dict(small="yes"), "small"), (dict(truncation=-1.0), "truncation"),
    (dict(sigma_rescale=0.0), "sigma_rescale"), (dict(variant="48khz"), "variant"),
    (dict(variant="22khz", small=True), "small is a 44.1 kHz generator"),
])
def test_bad_configs_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        tiny_config(**bad)
