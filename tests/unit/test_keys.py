"""placesim.demand.keys hashes stream keys exactly as numpy's SeedSequence does."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from placesim.demand.keys import KeyedState, pcg64_states

WORD = 2**32 - 1


@settings(max_examples=60, deadline=None)
@given(
    seed=st.one_of(st.integers(0, 2**16), st.integers(0, 2**130)),
    keys=st.lists(st.tuples(*(st.integers(0, WORD) for _ in range(4))), min_size=1, max_size=8),
)
def test_states_equal_numpys_seed_sequence(seed: int, keys: list[tuple[int, ...]]) -> None:
    ours = pcg64_states(seed, np.array(keys, dtype=np.int64))
    for row, key in zip(ours, keys, strict=True):
        theirs = np.random.SeedSequence(seed, spawn_key=key).generate_state(4, np.uint64)
        assert np.array_equal(row, theirs)


def test_a_keyed_generator_draws_what_numpys_draws() -> None:
    key = (3, 2_000_004, 1, 17)
    state = pcg64_states(1, np.array([key], dtype=np.int64))[0]
    ours = np.random.Generator(np.random.PCG64(cast(Any, KeyedState(state))))
    theirs = np.random.Generator(np.random.PCG64(np.random.SeedSequence(1, spawn_key=key)))
    assert np.array_equal(ours.random(1000), theirs.random(1000))
    assert np.array_equal(ours.standard_exponential(100), theirs.standard_exponential(100))


def test_keys_outside_32_bits_are_refused() -> None:
    with pytest.raises(ValueError, match="2\\*\\*32"):
        pcg64_states(1, np.array([[0, 2**32, 0, 0]], dtype=np.int64))
    with pytest.raises(ValueError, match="PCG64"):
        KeyedState(np.zeros(4, dtype=np.uint64)).generate_state(8, np.uint32)
