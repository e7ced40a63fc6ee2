"""Person-level pathway shifts reproduce the shares of the closed form."""

from __future__ import annotations

import numpy as np
import pytest

from placesim.plan import shift_pathway, shifted_pathways

BASE = np.array([0.6, 0.2, 0.08, 0.07, 0.05])


@pytest.mark.parametrize(
    "moves",
    [(0.2, 0.2, 0.5, 0.0), (0.0, 0.0, 0.5, 0.0), (0.3, 0.1, 0.1, 0.25), (0.0, 0.6, 0.4, 0.5)],
)
def test_person_level_shifts_give_the_closed_form_shares(
    moves: tuple[float, float, float, float],
) -> None:
    u = np.random.default_rng(12).random(200_000)
    got = np.bincount([shift_pathway(x, BASE, *moves) for x in u.tolist()], minlength=5) / u.size
    expected = shifted_pathways(BASE, *moves)
    se = np.sqrt(expected * (1 - expected) / u.size)
    assert np.all(np.abs(got - expected) <= 4 * se + 1e-12), (got, expected)


def test_only_people_on_a_more_bed_based_pathway_move() -> None:
    u = np.random.default_rng(3).random(20_000)
    before = [shift_pathway(x, BASE, 0.0, 0.0, 0.0, 0.0) for x in u.tolist()]
    after = [shift_pathway(x, BASE, 0.0, 0.0, 0.5, 0.0) for x in u.tolist()]
    moved = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert moved and set(moved) == {(3, 1)}  # P3 -> P1 only; nobody on P2 moves
    home = [shift_pathway(x, BASE, 0.0, 0.0, 0.0, 0.3) for x in u.tolist()]
    assert {(b, a) for b, a in zip(before, home, strict=True) if b != a} <= {(1, 0), (2, 0), (3, 0)}


def test_compounded_p3_moves_are_scaled_to_fit() -> None:
    shares = shifted_pathways(BASE, 0.0, 0.9, 0.9, 0.0)
    assert shares[3] == pytest.approx(0.0)
    assert shares.sum() == pytest.approx(1.0)
    assert shares[4] == BASE[4]
