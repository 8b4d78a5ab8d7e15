"""How a WaveNet turns each step's output into its next sample, and where the randomness comes from.

Two pieces, so that published models can be replayed exactly:

* a **sampler** (``config.sampling``) is the rule: logits (batch, channels) + noise -> the next
  sample, a mu-law code (int64) or an amplitude. Besides hfsynth's own rule there are the rules of
  published implementations (r9y9's wavenet_vocoder, the Universal Music Translation network);
* a **noise source** hands the sampler its random numbers, by stream name and shape, in the order
  it asks: fresh from a ``torch.Generator`` (:class:`GeneratorNoise`, the default), from numpy's
  legacy ``RandomState`` (:class:`NumpyNoise`), or replayed from a recording
  (:class:`RecordedNoise`). The same noise gives the same samples, whichever way generation runs.

Streams: ``"component"`` and ``"logistic"`` (mixture of logistics: one uniform per component, then
one for the amplitude), ``"choice"`` (one uniform per categorical draw), ``"race"`` (one Exp(1) per
class), ``"hfsynth"`` (hfsynth's rule: every uniform of the waveform, drawn up front).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch

from ...modules.mixture_of_logistics import sample_categorical, sample_mix_logistic, sample_mix_logistic_gumbel

#: What r9y9's samplers draw their uniforms in (``uniform_(1e-5, 1 - 1e-5)``): log(0) never happens.
OPEN_INTERVAL = (1e-5, 1.0 - 1e-5)


class NoiseSource(Protocol):
    """Random numbers for a sampler, asked for by stream name and shape."""

    def uniform(self, stream: str, shape: tuple[int, ...], low: float = 0.0, high: float = 1.0,
                dtype: torch.dtype = torch.float32) -> torch.Tensor: ...

    def exponential(self, stream: str, shape: tuple[int, ...]) -> torch.Tensor: ...


class GeneratorNoise:
    """Fresh draws from a CPU ``torch.Generator`` (``None``: torch's global one), in the order asked.

    Tensor by tensor as torch's own samplers draw them (``empty(shape).uniform_(low, high)``,
    ``.exponential_()``), so a sampler asking in a reference's order gives its samples for the same seed.
    """

    def __init__(self, generator: torch.Generator | None = None):
        self.generator = generator

    def uniform(self, stream: str, shape: tuple[int, ...], low: float = 0.0, high: float = 1.0,
                dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.empty(shape, dtype=dtype).uniform_(low, high, generator=self.generator)

    def exponential(self, stream: str, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.empty(shape).exponential_(1.0, generator=self.generator)


class NumpyNoise:
    """Draws from numpy's legacy ``RandomState(seed)``: ``np.random.choice(a, p=p)`` consumes one
    ``random_sample()`` per call, so r9y9 0.1.1's mu-law generation after ``np.random.seed(s)`` is
    the ``"inverse_cdf"`` sampler on ``NumpyNoise(s)``."""

    def __init__(self, seed: int):
        self.state = np.random.RandomState(seed)

    def uniform(self, stream: str, shape: tuple[int, ...], low: float = 0.0, high: float = 1.0,
                dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.from_numpy(low + (high - low) * self.state.random_sample(shape)).to(dtype)

    def exponential(self, stream: str, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.from_numpy(self.state.standard_exponential(shape)).float()


class RecordedNoise:
    """Replays recorded draws: ``RecordedNoise(choice=u)`` with ``u`` of shape (requests, ...) hands
    ``u[0]``, ``u[1]``, ... to successive requests of that stream, reshaped to the shape asked for.

    A stream the sampler asks for but the recording lacks, a recording that runs out or an entry of
    the wrong size is a ``ValueError``. Streams continue across calls, so one recording covers a
    generation made of several chunks.
    """

    def __init__(self, **streams: torch.Tensor):
        self.streams = {name: torch.as_tensor(values) for name, values in streams.items()}
        self.used = dict.fromkeys(self.streams, 0)

    def _next(self, stream: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        if stream not in self.streams:
            raise ValueError(f"this sampler draws from the {stream!r} stream; the recording has "
                             f"{', '.join(self.streams) or 'no streams'}")
        values, index = self.streams[stream], self.used[stream]
        if index >= len(values):
            raise ValueError(f"the recorded {stream!r} noise ran out after {len(values)} draws")
        if values[index].numel() != int(np.prod(shape)):
            raise ValueError(f"recorded {stream!r} draw {index} has {values[index].numel()} values; "
                             f"the sampler asks for shape {tuple(shape)}")
        self.used[stream] = index + 1
        return values[index].reshape(shape).to(dtype)

    def uniform(self, stream: str, shape: tuple[int, ...], low: float = 0.0, high: float = 1.0,
                dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return self._next(stream, shape, dtype)

    def exponential(self, stream: str, shape: tuple[int, ...]) -> torch.Tensor:
        return self._next(stream, shape, torch.float32)


class Sampler:
    """One generation's draws: :meth:`begin` once, then ``sampler(logits, step)`` per sample.

    ``logits`` (batch, channels) -> the next samples (batch,): int64 codes for categorical models,
    amplitudes for mixtures of logistics.
    """

    def begin(self, num_steps: int, batch: int, noise: NoiseSource) -> None:
        self.noise, self.batch = noise, batch

    def __call__(self, logits: torch.Tensor, step: int) -> torch.Tensor:
        raise NotImplementedError


class HFSynthSampler(Sampler):
    """hfsynth's own rule: two uniforms per sample, all drawn up front from one stream; inverse-CDF
    sampling of the softmax at ``temperature`` (categorical) or ``sample_mix_logistic`` (mixture)."""

    def __init__(self, categorical: bool, temperature: float, log_scale_min: float):
        self.categorical, self.temperature, self.log_scale_min = categorical, temperature, log_scale_min

    def begin(self, num_steps: int, batch: int, noise: NoiseSource) -> None:
        super().begin(num_steps, batch, noise)
        self.uniform = noise.uniform("hfsynth", (num_steps, 2, batch, 1))

    def __call__(self, logits: torch.Tensor, step: int) -> torch.Tensor:
        uniform = self.uniform[step].to(logits.device)                        # (2, B, 1)
        if self.categorical:
            return sample_categorical(logits[..., None], uniform[0], self.temperature)[:, 0]
        return sample_mix_logistic(logits[..., None], uniform, self.log_scale_min)[:, 0]


class GumbelLogisticSampler(Sampler):
    """PixelCNN++'s mixture sampler as r9y9 draws it: per sample, K uniforms in (1e-5, 1 - 1e-5)
    for the Gumbel-max choice of the component, then one for the logistic; the chosen log-scale is
    floored at ``log_scale_min`` (``None``: not, as r9y9's later versions sample)."""

    def __init__(self, log_scale_min: float | None):
        self.log_scale_min = log_scale_min

    def __call__(self, logits: torch.Tensor, step: int) -> torch.Tensor:
        component = self.noise.uniform("component", (self.batch, logits.shape[1] // 3), *OPEN_INTERVAL)
        logistic = self.noise.uniform("logistic", (self.batch,), *OPEN_INTERVAL)
        return sample_mix_logistic_gumbel(logits, component.to(logits.device), logistic.to(logits.device),
                                          self.log_scale_min)


def softmax(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """The categorical distribution of one step, (B, C), in the logits' precision."""
    return torch.softmax(logits / temperature, dim=1)


class InverseCdfSampler(Sampler):
    """One float64 uniform ``u`` per sample; the first class whose normalised float64 CDF of the
    softmax exceeds it (``np.random.choice(p=...)``, as r9y9 0.1.1 draws; nv-wavenet's and UMT's rule)."""

    def __init__(self, temperature: float):
        self.temperature = temperature

    def __call__(self, logits: torch.Tensor, step: int) -> torch.Tensor:
        cdf = softmax(logits, self.temperature).double().cumsum(dim=1)
        cdf = cdf / cdf[:, -1:]
        u = self.noise.uniform("choice", (self.batch,), dtype=torch.float64).to(logits.device)
        return torch.searchsorted(cdf, u[:, None], right=True)[:, 0].clamp(max=logits.shape[1] - 1)


class ExponentialRaceSampler(Sampler):
    """One Exp(1) draw ``q_c`` per class; the class maximising ``p_c / q_c`` (how ``torch.multinomial``
    draws a single sample, and so ``torch.distributions.OneHotCategorical``, r9y9's later mu-law rule)."""

    def __init__(self, temperature: float):
        self.temperature = temperature

    def __call__(self, logits: torch.Tensor, step: int) -> torch.Tensor:
        probs = softmax(logits, self.temperature)
        probs = probs / probs.sum(dim=1, keepdim=True)                        # as OneHotCategorical does
        race = self.noise.exponential("race", tuple(probs.shape)).to(logits.device)
        return (probs / race).argmax(dim=1)


#: ``config.sampling`` -> the output distributions it applies to.
SAMPLINGS: dict[str, tuple[str, ...]] = {
    "hfsynth": ("mulaw256", "mol"),
    "gumbel_logistic": ("mol",),
    "gumbel_logistic_unclamped": ("mol",),
    "inverse_cdf": ("mulaw256",),
    "exponential_race": ("mulaw256",),
}


def build_sampler(config, temperature: float) -> Sampler:
    """The sampler ``config.sampling`` names, for a :class:`WaveNetConfig`."""
    name = config.sampling
    if name == "hfsynth":
        return HFSynthSampler(config.output_distribution == "mulaw256", temperature, config.log_scale_min)
    if name.startswith("gumbel_logistic"):
        return GumbelLogisticSampler(None if name.endswith("unclamped") else config.log_scale_min)
    return InverseCdfSampler(temperature) if name == "inverse_cdf" else ExponentialRaceSampler(temperature)
