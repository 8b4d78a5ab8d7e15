"""Reduced-precision weights for incremental generation: each storage computes F.linear within its
precision, and anything it cannot pack is refused clearly."""

import pytest
import torch
import torch.nn.functional as F

from hfsynth.modules.packed_linear import PRECISIONS, int8_linear_modules, packed_linear

#: Relative error bounds: float16 rounds each weight to 11 significant bits; int8 quantises weights
#: per row and activations per call to 7 bits.
BOUNDS = {"float32": 0.0, "float16": 1e-3, "int8": 3e-2}


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("with_bias", [True, False])
def test_packed_linear_matches_float_within_its_precision(precision, with_bias):
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(96, 160, generator=generator) / 12
    bias = torch.randn(96, generator=generator) if with_bias else None
    x = torch.randn(3, 160, generator=generator)
    expected = F.linear(x, weight, bias)
    got = packed_linear(weight, bias, precision)(x)
    assert got.shape == expected.shape and got.dtype == torch.float32
    error = ((got - expected).norm() / expected.norm()).item()
    assert error <= BOUNDS[precision]
    if precision != "float32":
        assert error > 0                       # it really is stored in less precision


def test_packed_linear_refuses_unknown_precisions_and_unpackable_weights():
    with pytest.raises(ValueError, match=r"precision must be one of \('float32', 'float16', 'int8'\); got 'bf16'"):
        packed_linear(torch.ones(2, 2), None, "bf16")
    with pytest.raises(ValueError, match="2-D float32 CPU weight.*torch.float64"):
        packed_linear(torch.ones(2, 2, dtype=torch.float64), None, "int8")
    with pytest.raises(ValueError, match=r"2-D float32 CPU weight.*shape \(2, 2, 1\)"):
        packed_linear(torch.ones(2, 2, 1), None, "float16")
    assert packed_linear(torch.ones(2, 2, dtype=torch.float64), None, "float32")(torch.ones(1, 2,
                                                                                       dtype=torch.float64)).sum() == 4


def test_int8_linear_modules_swaps_every_linear_layer_and_leaves_the_original():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(64, 48), torch.nn.GELU(), torch.nn.Linear(48, 16)).eval()
    quantized = int8_linear_modules(module)
    assert [type(layer).__name__ for layer in quantized] == ["Linear", "GELU", "Linear"]
    assert all(isinstance(quantized[i], torch.ao.nn.quantized.dynamic.Linear) for i in (0, 2))
    assert isinstance(module[0], torch.nn.Linear) and not isinstance(module[0], torch.ao.nn.quantized.dynamic.Linear)
    x = torch.randn(5, 64)
    with torch.no_grad():
        expected, got = module(x), quantized(x)
    error = ((got - expected).norm() / expected.norm()).item()
    assert 0 < error < BOUNDS["int8"]
