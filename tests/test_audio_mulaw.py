import math

import pytest
import torch

from hfsynth.audio.mulaw import mulaw_compress, mulaw_decode, mulaw_encode, mulaw_expand

Q = 256
MU = Q - 1


def _ramp():
    """Every amplitude in [-1, 1], densely, plus exact zero and the extremes."""
    return torch.arange(-10000, 10001) / 10000.0


def test_compress_endpoints_and_expand_inverse():
    audio = _ramp()
    companded = mulaw_compress(audio)
    assert companded[0].item() == pytest.approx(-1.0) and companded[-1].item() == pytest.approx(1.0)
    assert companded[10000].item() == 0.0
    assert torch.all(companded.diff() > 0)  # monotonic, so codes keep sample order
    assert (mulaw_expand(companded) - audio).abs().max().item() < 1e-5
    # Quiet samples are spread out: 1 % of full scale already uses 23 % of the companded range.
    assert mulaw_compress(torch.tensor([0.01])).item() == pytest.approx(math.log1p(2.55) / math.log1p(255), rel=1e-5)


def test_codes_are_int64_in_range_and_cover_every_level():
    codes = mulaw_encode(_ramp(), Q)
    assert codes.dtype == torch.int64
    assert codes.min().item() == 0 and codes.max().item() == Q - 1
    assert torch.unique(codes).numel() == Q
    # Out-of-range input is clipped, not wrapped.
    assert mulaw_encode(torch.tensor([-3.0, 3.0]), Q).tolist() == [0, Q - 1]


def test_round_trip_error_is_bounded_by_half_a_companded_step():
    # Rounding moves the companded value y by at most half a step, 1 / mu. The expander's slope is
    # ln(1 + mu) (|x| + 1 / mu), and within half a step |x| + 1 / mu grows at most by (1 + mu) ** (1 / mu),
    # so |x - x_hat| <= ln(1 + mu) / mu * (|x| + 1 / mu) * (1 + mu) ** (1 / mu)      (per sample)
    # and, as |y_hat| <= 1,   |x - x_hat| <= ln(1 + mu) * (1 + mu) / mu ** 2 = 0.02183   (globally).
    audio = _ramp()
    error = (mulaw_decode(mulaw_encode(audio, Q), Q) - audio).abs()
    per_sample = math.log1p(MU) / MU * (audio.abs() + 1 / MU) * (1 + MU) ** (1 / MU)
    assert torch.all(error <= per_sample + 1e-6)
    global_bound = math.log1p(MU) * (1 + MU) / MU**2
    assert global_bound == pytest.approx(0.02183, abs=1e-5)
    assert error.max().item() <= global_bound
    assert error.max().item() > 0.5 * global_bound  # the bound is tight, not vacuous
    # Quiet samples (|x| < 0.001) are far finer than linear 8-bit quantisation (half step 1 / 256).
    quiet = audio.abs() < 1e-3
    assert error[quiet].max().item() < 1.1e-4 < 1 / 256


def test_decode_of_every_code_re_encodes_to_itself():
    codes = torch.arange(Q)
    assert torch.equal(mulaw_encode(mulaw_decode(codes, Q), Q), codes)


def test_batched_shapes_and_other_channel_counts():
    audio = torch.rand(2, 3, 50, generator=torch.Generator().manual_seed(0)) * 2 - 1
    codes = mulaw_encode(audio, 16)
    assert codes.shape == audio.shape and codes.max().item() <= 15
    assert mulaw_decode(codes, 16).shape == audio.shape


def test_compress_is_differentiable():
    audio = (torch.rand(100, generator=torch.Generator().manual_seed(1)) * 2 - 1).requires_grad_(True)
    mulaw_compress(audio).sum().backward()
    assert torch.isfinite(audio.grad).all() and audio.grad.min().item() > 0


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="quantization_channels must be >= 2"):
        mulaw_encode(torch.zeros(4), 1)
    with pytest.raises(ValueError, match="quantization_channels must be a positive integer"):
        mulaw_decode(torch.zeros(4, dtype=torch.long), 256.0)
    with pytest.raises(ValueError, match="codes must lie in \\[0, 255\\]"):
        mulaw_decode(torch.tensor([0, 256]), Q)
    with pytest.raises(ValueError, match="integer tensor"):
        mulaw_decode(torch.tensor([0.5]), Q)
    with pytest.raises(ValueError, match="mu must be a positive number"):
        mulaw_compress(torch.zeros(4), mu=0)
    with pytest.raises(ValueError, match="empty"):
        mulaw_encode(torch.zeros(0), Q)
