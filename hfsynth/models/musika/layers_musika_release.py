"""Keras layers of the published Musika, with Keras' semantics, on channels-last (batch, time, channels).

The authors' networks are Keras ``Conv2D`` / ``Conv2DTranspose`` with (1, k) kernels on (batch, 1,
time, channels) tensors: 1-D convolutions over time. This port keeps Keras' channels-last layout
(dropping the unit axis) and computes every convolution as one matrix product over time windows,
which is also faster on CPUs than torch's channels-first convolutions. What differs from torch's
defaults is reproduced exactly:

* ``padding="same"``: output ``ceil(T / stride)``, and when the total padding is odd TensorFlow puts
  the extra step on the *right* (k=4: (1, 2); k=3 stride 2 on even T: (0, 1));
* ``Conv2DTranspose((1, 4), stride 2, "same")``: output ``2 T``, i.e. torch's ``padding=1``;
* ``AddNoise`` (the authors' ``layers.py``) adds ``weight * N(0, 1)`` with one draw per item and time
  step, shared by all channels, on **every** call (inference too). Where the draws come from is a
  :data:`NoiseSource`: :class:`GaussianNoise` in normal use, :class:`RecordedNoise` to replay draws
  recorded from the authors' code;
* AdaIN (``Models_functions.adain``): ``x / (std_time(x) + eps) * conv1x1(emb)``, population std over
  time only, no mean subtraction and no additive term; eps is 1e-5 at 44.1 kHz, 1e-7 at 22 kHz;
* the 22 kHz release's ``conv_util`` keeps Keras' ``BatchNormalization()`` (epsilon 1e-3, moving
  statistics at inference) between AddNoise and swish, and its generator gates some blocks with a
  squeeze-excitation of an earlier block's output (``se_layer``).

Weights keep torch's layouts (``Conv1d`` (out, in, k), ``ConvTranspose1d`` (in, out, k), ``Linear``
(out, in)); from Keras that is ``kernel[0].permute(2, 1, 0)`` for both convolution kinds
((1, k, in, out) -> (out, in, k); (1, k, out, in) -> (in, out, k)) and ``kernel.T`` for Dense.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

#: ``tf.math.sqrt(0.5)``: the generator scales each residual branch by it.
RESIDUAL_SCALE = math.sqrt(0.5)
#: Added to the standard deviation in AdaIN: 44.1 kHz release, 22 kHz release.
ADAIN_EPSILON, ADAIN_EPSILON_22KHZ = 1e-5, 1e-7
#: Keras ``BatchNormalization()``'s default epsilon.
BATCH_NORM_EPSILON = 1e-3


# ------------------------------------------------------------------------------- noise
class NoiseSource(Protocol):
    """Where ``AddNoise`` layers get their draws: ``source(layer, shape, like)`` -> a (batch, time, 1)
    tensor for the layer named ``layer`` (its module path in the model), on ``like``'s device and dtype."""

    def __call__(self, layer: str, shape: tuple[int, int, int], like: torch.Tensor) -> torch.Tensor: ...


class GaussianNoise:
    """Fresh N(0, 1) draws from ``generator`` (torch's global RNG when None), in the order layers ask.

    Draws are made on the generator's device (the CPU without one), so a seed gives the same audio
    wherever the model runs.
    """

    def __init__(self, generator: torch.Generator | None = None):
        self.generator = generator

    def __call__(self, layer: str, shape: tuple[int, int, int], like: torch.Tensor) -> torch.Tensor:
        device = self.generator.device if self.generator is not None else torch.device("cpu")
        return torch.randn(shape, generator=self.generator, device=device).to(like)


class RecordedNoise:
    """Replays given draws: ``tensors[layer]`` of exactly the asked shape (e.g. the authors' recorded
    ``AddNoise`` draws, (batch, 1, time, 1) without the unit axis); a missing layer or wrong shape is a ``ValueError``."""

    def __init__(self, tensors: Mapping[str, torch.Tensor]):
        self.tensors = dict(tensors)

    def __call__(self, layer: str, shape: tuple[int, int, int], like: torch.Tensor) -> torch.Tensor:
        if layer not in self.tensors:
            raise ValueError(f"no recorded noise for layer {layer!r}; recorded: {sorted(self.tensors)}")
        draw = self.tensors[layer]
        if tuple(draw.shape) != tuple(shape):
            raise ValueError(f"recorded noise for {layer!r} is {tuple(draw.shape)}; the layer needs {tuple(shape)}")
        return draw.to(like)


class NoiseInjection(nn.Module):
    """``AddNoise``: (N, T, C) + weight * draw (N, T, 1). ``layer_name`` is set by the model that holds it."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))   # Keras initialises noise_weight to zeros
        self.layer_name = ""

    def forward(self, x: torch.Tensor, noise: NoiseSource) -> torch.Tensor:
        return x + self.weight * noise(self.layer_name, (x.shape[0], x.shape[1], 1), x)


def name_noise_layers(model: nn.Module) -> None:
    """Gives every :class:`NoiseInjection` in ``model`` its module path, the name noise sources see."""
    for name, module in model.named_modules():
        if isinstance(module, NoiseInjection):
            module.layer_name = name


# ------------------------------------------------------------------------- convolutions
def same_padding(length: int, kernel_size: int, stride: int) -> tuple[int, int]:
    """TensorFlow's "same" padding (left, right) of a length-``length`` input: the odd one on the right."""
    total = max((math.ceil(length / stride) - 1) * stride + kernel_size - length, 0)
    return total // 2, total - total // 2


class TimeConv(nn.Module):
    """Keras ``Conv2D`` with a (1, k) kernel: (N, T, C_in) -> (N, T', C_out), "same" or "valid" padding.

    weight: (C_out, C_in, k), torch's ``Conv1d`` layout; the product runs over the (N, T', C_in * k)
    windows of the input.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: str = "same"):
        super().__init__()
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be 'same' or 'valid'; got {padding!r}")
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))   # torch's Conv1d default

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.padding == "same" and self.kernel_size > 1:
            x = F.pad(x, (0, 0, *same_padding(x.shape[1], self.kernel_size, self.stride)))
        if self.kernel_size == 1 and self.stride == 1:
            return F.linear(x, self.weight[..., 0], self.bias)
        windows = x.unfold(1, self.kernel_size, self.stride)                  # (N, T', C_in, k)
        return F.linear(windows.flatten(2), self.weight.flatten(1), self.bias)


class TimeConvTranspose(nn.Module):
    """Keras ``Conv2DTranspose`` with a (1, 4) kernel, stride 2, "same" (the release's only kind):
    (N, T, C_in) -> (N, 2T, C_out).

    weight: (C_in, C_out, 4), torch's ``ConvTranspose1d`` layout (``padding=1``). One product gives
    the four taps of every input step; then out[2t] = tap1(t) + tap3(t - 1), out[2t + 1] = tap2(t) + tap0(t + 1).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 4, stride: int = 2):
        super().__init__()
        if (kernel_size, stride) != (4, 2):
            raise ValueError(f"the published Musika's transposed convolutions are (1, 4) with stride 2; "
                             f"got kernel_size {kernel_size}, stride {stride}")
        self.weight = nn.Parameter(torch.empty(in_channels, out_channels, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        taps = torch.matmul(x, self.weight.transpose(1, 2).flatten(1))        # (N, T, 4 C_out): tap-major
        taps = taps.unflatten(-1, (4, -1))                                     # (N, T, 4, C_out)
        out = taps[:, :, 1:3] + self.bias                                      # (N, T, 2, C_out): even, odd
        out[:, 1:, 0] += taps[:, :-1, 3]
        out[:, :-1, 1] += taps[:, 1:, 0]
        return out.flatten(1, 2)                                               # (N, 2T, C_out)


class AdaIN(nn.Module):
    """The authors' AdaIN: x (N, T, C) / (std over T + epsilon) * conv1x1(emb (N, T, E))."""

    def __init__(self, embedding_channels: int, channels: int, epsilon: float = ADAIN_EPSILON):
        super().__init__()
        self.epsilon = epsilon
        self.project = TimeConv(embedding_channels, channels, 1)

    def forward(self, x: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        return x / (x.std(dim=1, correction=0, keepdim=True) + self.epsilon) * self.project(embedding)


class KerasBatchNorm(nn.Module):
    """Keras ``BatchNormalization`` at inference on (N, T, C): the moving statistics, as
    ``tf.nn.batch_normalization`` computes them (``x * s + (beta - mean * s)``, s = gamma / sqrt(var + eps))."""

    def __init__(self, channels: int, epsilon: float = BATCH_NORM_EPSILON):
        super().__init__()
        self.epsilon = epsilon
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = torch.rsqrt(self.running_var + self.epsilon) * self.weight
        return x * scale + (self.bias - self.running_mean * scale)


class SqueezeExcitation(nn.Module):
    """The 22 kHz generator's ``se_layer``: (N, T, C_in) -> a (N, 1, C_out) gate in (0, 1):
    mean over time -> 1x1 conv -> swish -> 1x1 conv -> sigmoid."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.squeeze = TimeConv(in_channels, out_channels, 1, padding="valid")
        self.excite = TimeConv(out_channels, out_channels, 1, padding="valid")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.excite(F.silu(self.squeeze(x.mean(dim=1, keepdim=True)))))


def pixel_shuffle(x: torch.Tensor) -> torch.Tensor:
    """The authors' ``pixel_shuffle(x, 2)``: (N, T, C) -> (N, 2T, C / 2), out[2t + j, c] = in[t, 2c + j]."""
    batch, length, channels = x.shape
    return x.reshape(batch, length, channels // 2, 2).transpose(2, 3).reshape(batch, 2 * length, channels // 2)


# ------------------------------------------------------------------------------- blocks
class ConvBlock(nn.Module):
    """(N, T, C) -> (N, T', C'): the autoencoders' ``conv_util``: (transposed) convolution -> [AddNoise]
    -> [batch norm] -> swish. The 44.1 kHz release has no batch norm (``bnorm=False``); the 22 kHz one
    has it everywhere (its ``bn=True`` default)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: str = "same", noise: bool = False, upsample: bool = False, batch_norm: bool = False):
        super().__init__()
        self.conv = (TimeConvTranspose(in_channels, out_channels, kernel_size, stride) if upsample
                     else TimeConv(in_channels, out_channels, kernel_size, stride, padding))
        self.noise = NoiseInjection() if noise else None
        self.norm = KerasBatchNorm(out_channels) if batch_norm else None

    def forward(self, x: torch.Tensor, noise: NoiseSource | None = None) -> torch.Tensor:
        x = self.conv(x)
        if self.noise is not None:
            x = self.noise(x, noise)
        if self.norm is not None:
            x = self.norm(x)
        return F.silu(x)


class StyledBlock(nn.Module):
    """The generator's ``conv_util_gen`` with an embedding: (transposed) convolution -> AddNoise ->
    AdaIN(embedding) -> swish [-> times a squeeze-excitation gate of another tensor, 22 kHz ``se1``]."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, embedding_channels: int,
                 upsample: bool = False, adain_epsilon: float = ADAIN_EPSILON, gate_channels: int | None = None):
        super().__init__()
        self.conv = (TimeConvTranspose(in_channels, out_channels, kernel_size, 2) if upsample
                     else TimeConv(in_channels, out_channels, kernel_size))
        self.noise = NoiseInjection()
        self.adain = AdaIN(embedding_channels, out_channels, adain_epsilon)
        self.gate = SqueezeExcitation(gate_channels, out_channels) if gate_channels else None

    def forward(self, x: torch.Tensor, embedding: torch.Tensor, noise: NoiseSource,
                gated_by: torch.Tensor | None = None) -> torch.Tensor:
        out = F.silu(self.adain(self.noise(self.conv(x), noise), embedding))
        return out if self.gate is None else out * self.gate(gated_by)


def encode_windows(latents: torch.Tensor, frames: int, layers: nn.ModuleList, bottleneck: nn.Module) -> torch.Tensor:
    """ENC2's calling pattern in both releases: (N, F, C) -> (N, F / frames, L), each window of ``frames``
    first-level frames encoded on its own ("valid" convolutions down to one step), tanh at the end."""
    batch, length, channels = latents.shape
    x = latents.reshape(-1, frames, channels)                                 # (N * F / frames, frames, C)
    for layer in layers:
        x = layer(x)
    x = torch.tanh(bottleneck(x))                                             # (N * F / frames, 1, L)
    return x.reshape(batch, length // frames, -1)
