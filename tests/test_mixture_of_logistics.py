"""hfsynth's mixture-of-logistics sampler draws each component as often as its weight says."""

import torch

from hfsynth.modules.mixture_of_logistics import discretized_mix_logistic_nll, sample_mix_logistic


def mixture(weights: list[float], means: list[float], steps: int) -> torch.Tensor:
    """(1, 3K, steps) parameters: logit weights, means and narrow log scales, the same at every step."""
    logits = torch.tensor(weights).log()
    column = torch.cat([logits, torch.tensor(means), torch.full((len(means),), -6.0)])
    return column[None, :, None].expand(1, -1, steps).clone()


def test_components_are_drawn_in_proportion_to_their_weights():
    params = mixture([0.3, 0.7], [-0.5, 0.5], steps=20_000)
    samples = sample_mix_logistic(params, torch.rand(2, 1, 20_000, generator=torch.Generator().manual_seed(0)))
    share_of_second = (samples > 0).float().mean().item()
    assert abs(share_of_second - 0.7) < 0.02          # the least probable component is drawn too
    assert torch.all((samples - 0.5).abs().minimum((samples + 0.5).abs()) < 0.05)   # near a mean


def test_samples_score_better_under_their_own_mixture():
    params = mixture([0.5, 0.5], [-0.25, 0.25], steps=4000)
    samples = sample_mix_logistic(params, torch.rand(2, 1, 4000, generator=torch.Generator().manual_seed(1)))
    own = discretized_mix_logistic_nll(params, samples)
    shifted = discretized_mix_logistic_nll(params, (samples + 0.1).clamp(-1, 1))
    assert own < shifted
