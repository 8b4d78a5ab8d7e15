"""The generic argument checks every entry point uses (hfsynth.validation)."""

import math

import numpy as np
import pytest

from hfsynth.validation import (
    check_finite_number,
    check_int,
    check_number,
    check_positive_int,
    check_positive_seconds,
    check_sampling_rate,
    num_samples_for,
)


def test_check_sampling_rate():
    assert check_sampling_rate(16000) == 16000
    assert check_sampling_rate(np.int64(8000)) == 8000
    assert check_sampling_rate(22050.0) == 22050
    for bad in (0, -1, 44100.5, math.inf, math.nan, True, "16000", None):
        with pytest.raises(ValueError, match="sampling_rate must be a positive integer"):
            check_sampling_rate(bad)


def test_check_positive_seconds_and_int():
    assert check_positive_seconds(2) == 2.0
    for bad in (0, -1.0, math.inf, True, "4"):
        with pytest.raises(ValueError, match="audio_length_in_s must be a positive"):
            check_positive_seconds(bad)
    assert check_positive_int(np.int32(3), "n") == 3
    for bad in (0, -2, 2.0, True, None):
        with pytest.raises(ValueError, match="n must be a positive integer"):
            check_positive_int(bad, "n")


def test_check_finite_number():
    assert check_finite_number(np.float32(0.5), "x") == 0.5
    for bad in (math.nan, -math.inf, True, "1", None):
        with pytest.raises(ValueError, match="x must be a finite number"):
            check_finite_number(bad, "x")


def test_check_int_names_the_range_it_wants():
    assert check_int(np.int64(3), "k", minimum=2, maximum=5) == 3 and isinstance(check_int(np.int64(3), "k"), int)
    with pytest.raises(ValueError, match=r"k must be an integer in \[2, 5\] \(the size\); got 6"):
        check_int(6, "k", minimum=2, maximum=5, hint=" (the size)")
    with pytest.raises(ValueError, match="n must be an integer >= 0; got -1"):
        check_int(-1, "n", minimum=0)
    for bad in (True, 2.0, "2", None):
        with pytest.raises(ValueError, match="must be an integer"):
            check_int(bad, "n")


def test_check_number_bounds():
    assert check_number(0.5, "p", minimum=0, maximum=1) == 0.5
    with pytest.raises(ValueError, match="p must be a finite number > 0; got 0"):
        check_number(0, "p", minimum=0, exclusive_minimum=True)
    with pytest.raises(ValueError, match=r"p must be a finite number in \[0, 1\]; got 1.5"):
        check_number(1.5, "p", minimum=0, maximum=1)
    for bad in (math.nan, True, "1"):
        with pytest.raises(ValueError, match="p must be a finite number"):
            check_number(bad, "p")


def test_num_samples_for_rounds_and_keeps_at_least_one():
    assert num_samples_for(0.5, 16000) == 8000 and num_samples_for(1e-9, 16000) == 1
    with pytest.raises(ValueError, match="audio_length_in_s"):
        num_samples_for(0, 16000)
