"""Uncertain inputs (issue "uncertain inputs"): ranges and distributions written in place of
numbers, drawn once per replication from keyed streams.

- Each family's quantiles are held against scipy.stats' distribution built here from what
  the file says (the textbook formulas: a {low, high} range is the 10th-90th percentile),
  and the values drawn over many replications against that distribution by a
  Kolmogorov-Smirnov bound at alpha = 0.001 (plus the 0.1% cut from each tail).
- Shares that must sum to 1 are brought back to a sum of 1, worked by hand.
- The keys: the uniform of an input is SeedSequence(seed, spawn_key=(replication,
  3_000_000, 0, first 4 bytes of SHA-256 of its path)), rebuilt here with numpy and hashlib.
- Bad ranges are one ScenarioError each, naming the path and the value; the round trips
  (override, fix_inputs, write_results/read_results, worker processes, the command line)
  give back what went in, and drawn unit costs price each replication's outcomes.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

import placesim
from placesim.cli import main
from placesim.errors import PlacesimError, ScenarioError
from placesim.measures import SimulationResult
from placesim.measures.sensitivity import sensitivity_table
from placesim.reporting import read_results, write_results
from placesim.scenario import (
    Scenario,
    UncertainInput,
    draw_inputs,
    fix_inputs,
    override,
    scenario_data,
)
from placesim.scenario.extends import merge_scenario_data
from placesim.scenario.uncertainty import (
    QUANTILE_LIMIT,
    UNCERTAIN_GROUP,
    draw_uniform,
    path_key,
    place_values,
)
from small_scenario import small_scenario

LOS = "settings.intermediate_care.los.mean"
P1 = "discharge.pathways.all.P1"
GROWTH = "population.annual_growth"  # -1 < growth <= 1: a normal by default
COST = "costs.intermediate_care_bed_day"
CAPACITY = "settings.intermediate_care.capacity"

SEED = 20_250_401
N_DRAWS = 2_000
# Kolmogorov's limiting distribution: P(sqrt(n) D > 1.9495) = 0.001. Clamping the draws to
# the quantiles [0.001, 0.999] moves the empirical CDF by at most QUANTILE_LIMIT more.
KS_BOUND = float(stats.kstwobign.isf(0.001)) / math.sqrt(N_DRAWS) + QUANTILE_LIMIT
Z90 = float(stats.norm.ppf(0.9))  # a normal's 90th percentile, in standard deviations


# --------------------------------------------------------------------------- helpers


def at(path: str, value: Any) -> dict[str, Any]:
    """`value` at a dotted path (mappings only), as a change to merge."""
    out: Any = value
    for part in reversed(path.split(".")):
        out = {part: out}
    result: dict[str, Any] = out
    return result


def scenario_data_with(*changes: dict[str, Any]) -> dict[str, Any]:
    """The small scenario's data with `changes` merged in, in order."""
    data = small_scenario()
    for change in changes:
        data = merge_scenario_data(data, change)
    return data


def scenario_with(*changes: dict[str, Any]) -> Scenario:
    return placesim.parse_scenario(scenario_data_with(*changes))


def field_value(scenario: Scenario, path: str) -> Any:
    """The value at a dotted path (mappings only) of a scenario's data."""
    node: Any = scenario.model_dump(mode="json")
    for part in path.split("."):
        node = node[part]
    return node


def the_input(scenario: Scenario, path: str) -> UncertainInput:
    found = [spec for spec in scenario.uncertain_inputs if spec.path == path]
    assert len(found) == 1, [spec.path for spec in scenario.uncertain_inputs]
    return found[0]


def by_path(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Each row of a sensitivity table, by its path, with its numbers as floats."""
    return {
        str(row["path"]): {str(k): float(v) for k, v in row.items() if k != "path"}
        for row in table.to_dict("records")
    }


def clamp(u: float) -> float:
    """A uniform kept to the quantiles draws are taken between."""
    return min(max(u, QUANTILE_LIMIT), 1.0 - QUANTILE_LIMIT)


def write_yaml(folder: Path, data: dict[str, Any], name: str = "s.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data))
    return path


# --------------------------------------------------------------------------- 1. families


def _lognormal_from_range(low: float, high: float) -> Any:
    mu = (math.log(low) + math.log(high)) / 2.0
    sigma = (math.log(high) - math.log(low)) / (2.0 * Z90)
    return stats.lognorm(s=sigma, scale=math.exp(mu))


def _lognormal_from_moments(mean: float, sd: float) -> Any:
    sigma2 = math.log1p((sd / mean) ** 2)
    return stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(math.log(mean) - sigma2 / 2.0))


def _beta_from_moments(mean: float, sd: float) -> Any:
    common = mean * (1.0 - mean) / sd**2 - 1.0
    return stats.beta(mean * common, (1.0 - mean) * common)


@dataclass(frozen=True)
class Family:
    """One way of writing an uncertain value, and the distribution it means."""

    path: str
    spec: dict[str, Any]
    family: str
    # The distribution, built here from the spec (for a beta range: the fitted input's
    # parameters, whose scipy quantiles are then checked to be the range).
    reference: Callable[[UncertainInput], Any]
    mean: float | None = None  # what the spec says the mean and sd are, if it does
    sd: float | None = None


FAMILIES = {
    "lognormal range (default for a positive field)": Family(
        LOS, {"low": 10, "high": 40}, "lognormal", lambda _: _lognormal_from_range(10, 40)
    ),
    "beta range (default for a share)": Family(
        P1, {"low": 0.1, "high": 0.2}, "beta", lambda spec: stats.beta(*spec.params)
    ),
    "normal range (default for a field that may be negative)": Family(
        GROWTH,
        {"low": -0.01, "high": 0.02},
        "normal",
        lambda _: stats.norm(0.005, 0.015 / Z90),
    ),
    "normal range (explicit, on a positive field)": Family(
        LOS,
        {"distribution": "normal", "low": 18, "high": 22},
        "normal",
        lambda _: stats.norm(20.0, 2.0 / Z90),
    ),
    "lognormal range (explicit)": Family(
        COST,
        {"distribution": "lognormal", "low": 100, "high": 300},
        "lognormal",
        lambda _: _lognormal_from_range(100, 300),
    ),
    "beta range (explicit)": Family(
        P1,
        {"distribution": "beta", "low": 0.02, "high": 0.5},
        "beta",
        lambda spec: stats.beta(*spec.params),
    ),
    "normal mean and sd": Family(
        GROWTH,
        {"distribution": "normal", "mean": 0.005, "sd": 0.004},
        "normal",
        lambda _: stats.norm(0.005, 0.004),
        0.005,
        0.004,
    ),
    "lognormal mean and sd": Family(
        LOS,
        {"distribution": "lognormal", "mean": 20, "sd": 6},
        "lognormal",
        lambda _: _lognormal_from_moments(20, 6),
        20.0,
        6.0,
    ),
    "beta mean and sd": Family(
        P1,
        {"distribution": "beta", "mean": 0.15, "sd": 0.04},
        "beta",
        lambda _: _beta_from_moments(0.15, 0.04),
        0.15,
        0.04,
    ),
    "uniform": Family(
        LOS,
        {"distribution": "uniform", "min": 15, "max": 30},
        "uniform",
        lambda _: stats.uniform(loc=15, scale=15),
        22.5,
        15 / math.sqrt(12),
    ),
    "triangular": Family(
        LOS,
        {"distribution": "triangular", "min": 10, "mode": 15, "max": 30},
        "triangular",
        lambda _: stats.triang(c=0.25, loc=10, scale=20),
        55 / 3,
        math.sqrt((10**2 + 15**2 + 30**2 - 10 * 15 - 10 * 30 - 15 * 30) / 18),
    ),
}


@pytest.mark.parametrize("case", list(FAMILIES.values()), ids=list(FAMILIES))
def test_each_family_draws_its_distribution(case: Family) -> None:
    """The input has the family the spec asks for; a {low, high} range is its 10th and 90th
    percentiles (1e-6 relative); its quantiles are scipy's for the distribution the spec
    describes; and the values drawn for 2,000 replications pass a Kolmogorov-Smirnov test
    against it at alpha = 0.001. The replications' scenarios (draw_inputs) hold those
    values."""
    scenario = scenario_with(at(case.path, case.spec))
    spec = the_input(scenario, case.path)
    assert spec.family == case.family and not spec.integer
    reference = case.reference(spec)
    if "low" in case.spec:
        low, high = float(case.spec["low"]), float(case.spec["high"])
        assert spec.value_at(0.1) == pytest.approx(low, rel=1e-6)
        assert spec.value_at(0.9) == pytest.approx(high, rel=1e-6)
        assert spec.low == pytest.approx(low, rel=1e-6) and spec.high == pytest.approx(high)
        # the reference is the distribution of that range, by scipy's own quantiles
        assert float(reference.ppf(0.1)) == pytest.approx(low, rel=1e-6)
        assert float(reference.ppf(0.9)) == pytest.approx(high, rel=1e-6)
    if case.mean is not None:  # the reference has the mean and sd the spec gives
        assert float(reference.mean()) == pytest.approx(case.mean, rel=1e-9)
        assert float(reference.std()) == pytest.approx(case.sd, rel=1e-9)
    for u in (QUANTILE_LIMIT, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1 - QUANTILE_LIMIT):
        assert spec.value_at(u) == pytest.approx(float(reference.ppf(u)), rel=1e-6, abs=1e-12)
    assert spec.median == pytest.approx(float(reference.ppf(0.5)), rel=1e-6, abs=1e-12)

    draws = np.array([spec.value_at(draw_uniform(SEED, r, case.path)) for r in range(N_DRAWS)])
    ks = stats.kstest(draws, reference.cdf).statistic
    assert ks <= KS_BOUND, f"KS distance {ks:.4f} > {KS_BOUND:.4f}"
    # every draw lies between the 0.1% and 99.9% quantiles
    first, last = (float(reference.ppf(q)) for q in (QUANTILE_LIMIT, 1 - QUANTILE_LIMIT))
    assert draws.min() >= first - 1e-9 * abs(first) and draws.max() <= last + 1e-9 * abs(last)

    for r in range(8):
        drawn, values = draw_inputs(scenario, SEED, r)
        assert values == {case.path: pytest.approx(draws[r], rel=1e-12)}
        assert field_value(drawn, case.path) == pytest.approx(draws[r], rel=1e-12)
        assert drawn.uncertain_inputs == ()


def test_draws_are_cut_at_the_tails() -> None:
    """Quantiles beyond 0.1% and 99.9% are taken at those quantiles."""
    spec = the_input(scenario_with(at(LOS, {"low": 10, "high": 40})), LOS)
    reference = _lognormal_from_range(10, 40)
    for u, q in ((0.0, QUANTILE_LIMIT), (1e-9, QUANTILE_LIMIT), (1.0, 1 - QUANTILE_LIMIT)):
        assert spec.value_at(u) == pytest.approx(float(reference.ppf(q)), rel=1e-9)


# --------------------------------------------------------------------------- 2. integers


def test_integer_fields_are_drawn_as_whole_numbers() -> None:
    """A capacity range is drawn as whole numbers: the lognormal's quantile rounded to the
    nearest; a starting census above a drawn capacity is cut to it (care home: 40 in
    the small scenario)."""
    scenario = scenario_with(
        at(CAPACITY, {"low": 4, "high": 9}),
        at("settings.care_home.capacity", {"low": 30, "high": 50}),
    )
    capacity = the_input(scenario, CAPACITY)
    assert capacity.integer and capacity.family == "lognormal"
    assert (capacity.low, capacity.high) == (4.0, 9.0)
    reference = _lognormal_from_range(4, 9)
    homes = _lognormal_from_range(30, 50)
    seen = set()
    for r in range(200):
        drawn, values = draw_inputs(scenario, SEED, r)
        assert drawn.settings.intermediate_care and drawn.settings.care_home
        beds = drawn.settings.intermediate_care.capacity
        assert isinstance(beds, int) and not isinstance(beds, bool)
        u = clamp(draw_uniform(SEED, r, CAPACITY))
        assert beds == math.floor(float(reference.ppf(u)) + 0.5) == values[CAPACITY]
        places = drawn.settings.care_home.capacity
        u = clamp(draw_uniform(SEED, r, "settings.care_home.capacity"))
        assert isinstance(places, int)
        assert places == math.floor(float(homes.ppf(u)) + 0.5)
        assert drawn.initial_state["care_home"].occupied == min(40, places)
        seen.add(beds)
    assert len(seen) >= 4  # the draws do vary


# --------------------------------------------------------------------------- 3. shares


SHARE_GROUPS = {
    # path of the uncertain share, its range, the group's other shares as written
    "pathway P1": (
        P1,
        {"low": 0.1, "high": 0.3},
        {"P0": 0.7, "P2": 0.06, "P3": 0.04, "death": 0.05},
    ),
    "intermediate-care outcome": (
        "settings.intermediate_care.outcomes.home",
        {"low": 0.4, "high": 0.8},
        {"reablement": 0.2, "care_home": 0.1, "acute": 0.1},
    ),
    "triage": (
        "triage.home.all.acute",
        {"low": 0.7, "high": 0.95},
        {"rapid_response": 0.1, "virtual_ward": 0.05},
    ),
}


@pytest.mark.parametrize("case", list(SHARE_GROUPS.values()), ids=list(SHARE_GROUPS))
def test_one_uncertain_share_leaves_the_rest_in_proportion(
    case: tuple[str, dict[str, float], dict[str, float]],
) -> None:
    """The drawn share is the value drawn; the shares written as numbers keep their
    proportions and take up the rest: share x (1 - drawn) / (their sum)."""
    path, spec, others = case
    scenario = scenario_with(at(path, spec))
    parent = path.rsplit(".", 1)[0]
    key = path.rsplit(".", 1)[1]
    their_sum = math.fsum(others.values())
    for r in range(30):
        drawn, values = draw_inputs(scenario, SEED, r)
        group = field_value(drawn, parent)
        share = the_input(scenario, path).value_at(draw_uniform(SEED, r, path))
        assert values[path] == pytest.approx(share, rel=1e-12)
        assert group[key] == pytest.approx(share, rel=1e-12)
        assert math.fsum(float(v) for v in group.values()) == pytest.approx(1.0, abs=1e-9)
        for other, written in others.items():
            assert group[other] == pytest.approx(written * (1 - share) / their_sum, abs=1e-12)


def test_a_group_of_uncertain_shares_is_normalised() -> None:
    """Care-home triage with both its shares uncertain: each drawn share is divided by
    their sum."""
    rr, acute = "triage.care_home.all.rapid_response", "triage.care_home.all.acute"
    scenario = scenario_with(
        at(rr, {"low": 0.1, "high": 0.3}), at(acute, {"low": 0.7, "high": 0.9})
    )
    for r in range(30):
        drawn, values = draw_inputs(scenario, SEED, r)
        a = the_input(scenario, rr).value_at(draw_uniform(SEED, r, rr))
        b = the_input(scenario, acute).value_at(draw_uniform(SEED, r, acute))
        assert values[rr] == pytest.approx(a / (a + b), rel=1e-12)
        assert values[acute] == pytest.approx(b / (a + b), rel=1e-12)
        shares = drawn.triage.care_home["all"] if drawn.triage else None
        assert shares is not None
        assert shares.rapid_response + shares.virtual_ward + shares.acute == pytest.approx(1.0)
        assert shares.virtual_ward == 0.0


def _share_input(key: str) -> UncertainInput:
    return UncertainInput(
        path=f"discharge.pathways.all.{key}",
        location=("discharge", "pathways", "all", key),
        spec={"distribution": "uniform", "min": 0.0, "max": 1.0},
        family="uniform",
        params=(0.0, 1.0),
        integer=False,
    )


def test_place_values_by_hand() -> None:
    """P0 0.5, P1 0.2, P2 0.3 as written; P1 and P2 drawn.

    Drawn 0.4 and 0.2 (sum 0.6): P0 takes the 0.4 left, 0.5 x 0.4 / 0.5. Drawn 0.7 and 0.6
    (sum 1.3 > 1): P1 = 0.7 / 1.3, P2 = 0.6 / 1.3, P0 = 0. With P0 written as 0 and the
    drawn summing to 0.8, the drawn are divided by 0.8."""
    inputs = [_share_input("P1"), _share_input("P2")]

    def placed(p0: float, values: list[float]) -> tuple[dict[str, float], dict[str, float]]:
        data = {"discharge": {"pathways": {"all": {"P0": p0, "P1": 0.2, "P2": 0.3}}}}
        took = place_values(data, inputs, values)
        return data["discharge"]["pathways"]["all"], took

    group, took = placed(0.5, [0.4, 0.2])
    assert group == pytest.approx({"P0": 0.4, "P1": 0.4, "P2": 0.2}, abs=1e-15)
    assert took == pytest.approx(
        {"discharge.pathways.all.P1": 0.4, "discharge.pathways.all.P2": 0.2}
    )

    group, took = placed(0.5, [0.7, 0.6])
    assert group == pytest.approx({"P0": 0.0, "P1": 0.7 / 1.3, "P2": 0.6 / 1.3}, abs=1e-15)
    assert took == pytest.approx(
        {"discharge.pathways.all.P1": 0.7 / 1.3, "discharge.pathways.all.P2": 0.6 / 1.3}
    )

    group, _ = placed(0.0, [0.5, 0.3])
    assert group == pytest.approx({"P0": 0.0, "P1": 0.625, "P2": 0.375}, abs=1e-15)


# --------------------------------------------------------------------------- 4. keys


def test_path_key_is_the_first_four_bytes_of_sha256() -> None:
    # sha256(b"settings.intermediate_care.los.mean") begins 88 84 c1 ab
    assert path_key(LOS) == 0x8884C1AB == 2_290_401_707
    for path in (P1, "referrals[gp].rate_per_day", "x"):
        digest = hashlib.sha256(path.encode("utf-8")).digest()
        assert path_key(path) == int.from_bytes(digest[:4], "big")


@pytest.mark.parametrize(
    ("seed", "replication", "path"), [(0, 0, LOS), (SEED, 17, P1), (3, 999, "x")]
)
def test_draw_uniform_is_the_documented_stream(seed: int, replication: int, path: str) -> None:
    key = int.from_bytes(hashlib.sha256(path.encode()).digest()[:4], "big")
    sequence = np.random.SeedSequence(seed, spawn_key=(replication, 3_000_000, 0, key))
    expected = np.random.Generator(np.random.PCG64(sequence)).random()
    assert UNCERTAIN_GROUP == 3_000_000
    assert draw_uniform(seed, replication, path) == expected


def test_a_shared_path_draws_the_same_uniform_in_every_scenario() -> None:
    """Same seed and replication: an input draws the same value whatever other inputs the
    scenario has, and the same quantile when its range or family differs (paired)."""
    alone = scenario_with(at(LOS, {"low": 10, "high": 40}))
    more = scenario_with(
        at(LOS, {"low": 10, "high": 40}),
        at(P1, {"low": 0.1, "high": 0.2}),
        at(GROWTH, {"low": -0.01, "high": 0.02}),
    )
    narrower = scenario_with(at(LOS, {"low": 15, "high": 30}))
    flat = scenario_with(at(LOS, {"distribution": "uniform", "min": 15, "max": 30}))
    wide, narrow = _lognormal_from_range(10, 40), _lognormal_from_range(15, 30)
    others = set()
    for r in range(20):
        u = clamp(draw_uniform(SEED, r, LOS))
        x = draw_inputs(alone, SEED, r)[1][LOS]
        assert draw_inputs(more, SEED, r)[1][LOS] == x
        assert float(wide.cdf(x)) == pytest.approx(u, abs=1e-9)
        assert float(narrow.cdf(draw_inputs(narrower, SEED, r)[1][LOS])) == pytest.approx(
            u, abs=1e-9
        )
        assert draw_inputs(flat, SEED, r)[1][LOS] == pytest.approx(15 + 15 * u, rel=1e-12)
        others.add(draw_inputs(more, SEED, r)[1][P1])
    assert len(others) == 20


def test_named_list_items_are_keyed_by_name() -> None:
    """A referral named gp is `referrals[gp]` wherever it stands in the list, and draws
    the same; a name used twice falls back to the index."""
    rate = {"low": 0.1, "high": 0.3}
    gp = {"name": "gp", "setting": "reablement", "rate_per_day": rate, "age_band": "65+"}
    other = {"name": "other", "setting": "reablement", "rate_per_day": 0.2, "age_band": "65+"}
    first = scenario_with({"referrals": [gp]})
    second = scenario_with({"referrals": [other, gp]})
    path = "referrals[gp].rate_per_day"
    assert the_input(first, path).location == ("referrals", 0, "rate_per_day")
    assert the_input(second, path).location == ("referrals", 1, "rate_per_day")
    for r in range(5):
        assert draw_inputs(first, SEED, r)[1] == draw_inputs(second, SEED, r)[1]
    surge = {"type": "demand_change", "name": "surge", "start": "2025-05-01"}
    twice = scenario_with(
        {
            "interventions": [
                {**surge, "factor": {"low": 1.1, "high": 1.3}},
                {**surge, "factor": 1.2},
            ]
        }
    )
    assert [s.path for s in twice.uncertain_inputs] == ["interventions[0].factor"]
    unnamed = scenario_with(
        at("demand.seasonality.monthly", [{"low": 0.9, "high": 1.2}] + [1] * 11)
    )
    assert [s.path for s in unnamed.uncertain_inputs] == ["demand.seasonality.monthly[0]"]


def test_draws_do_not_depend_on_how_many_replications_run() -> None:
    scenario = scenario_with(
        {"calendar": {"horizon_days": 40, "warmup_days": 0}},
        at(LOS, {"low": 10, "high": 40}),
        at(P1, {"low": 0.1, "high": 0.2}),
    )
    two = placesim.simulate(scenario, 2, SEED, keep_stays=False).parameters
    four = placesim.simulate(scenario, 4, SEED, keep_stays=False).parameters
    assert len(four) == 8 and list(four["replication"]) == [0, 0, 1, 1, 2, 2, 3, 3]
    pd.testing.assert_frame_equal(two, four[four["replication"] < 2])
    for row in four.itertuples():
        spec = the_input(scenario, str(row.path))
        u = draw_uniform(SEED, int(row.replication), str(row.path))  # type: ignore[arg-type]
        assert row.value == pytest.approx(spec.value_at(u), rel=1e-12)


# --------------------------------------------------------------------------- 5. bad input


BAD = {
    "low above high": (at(LOS, {"low": 40, "high": 10}), LOS, "{low: 40, high: 10}"),
    "low equals high": (at(LOS, {"low": 20, "high": 20}), LOS, "{low: 20, high: 20}"),
    "unknown distribution": (
        at(LOS, {"distribution": "gamma", "low": 10, "high": 40}),
        LOS,
        "{distribution: gamma, low: 10, high: 40}",
    ),
    "uniform given low and high": (
        at(LOS, {"distribution": "uniform", "low": 10, "high": 40}),
        LOS,
        "{distribution: uniform, low: 10, high: 40}",
    ),
    "range with an sd": (
        at(LOS, {"low": 10, "high": 40, "sd": 3}),
        LOS,
        "{low: 10, high: 40, sd: 3}",
    ),
    "mean without sd": (
        at(LOS, {"distribution": "lognormal", "mean": 20}),
        LOS,
        "{distribution: lognormal, mean: 20}",
    ),
    "a word for a number": (at(LOS, {"low": "ten", "high": 40}), LOS, "{low: ten, high: 40}"),
    "triangular mode outside": (
        at(LOS, {"distribution": "triangular", "min": 10, "mode": 40, "max": 30}),
        LOS,
        "{distribution: triangular, min: 10, mode: 40, max: 30}",
    ),
    "the name": ({"name": {"low": 1, "high": 2}}, "name", "{low: 1, high: 2}"),
    "a date": (
        at(
            "settings.intermediate_care.capacity_changes",
            [{"date": {"low": 1, "high": 2}, "capacity": 8}],
        ),
        "settings.intermediate_care.capacity_changes[0].date",
        "{low: 1, high: 2}",
    ),
    "when_full": (
        at("settings.rapid_response.when_full", {"low": 1, "high": 2}),
        "settings.rapid_response.when_full",
        "{low: 1, high: 2}",
    ),
    "the horizon": (
        at("calendar.horizon_days", {"low": 100, "high": 200}),
        "calendar.horizon_days",
        "{low: 100, high: 200}",
    ),
    "the seed": (at("calendar.seed", {"low": 1, "high": 9}), "calendar.seed", "{low: 1, high: 9}"),
    "lognormal from 0": (
        at(LOS, {"distribution": "lognormal", "low": 0, "high": 40}),
        LOS,
        "{distribution: lognormal, low: 0, high: 40}",
    ),
    "default lognormal below 0": (
        at(COST, {"low": -5, "high": 40}),
        COST,
        "{low: -5, high: 40}",
    ),
    "normal share below 0": (
        at(P1, {"distribution": "normal", "low": 0.02, "high": 0.2}),
        P1,
        "{distribution: normal, low: 0.02, high: 0.2}",
    ),
    "normal capacity below 0": (
        at(CAPACITY, {"distribution": "normal", "low": 1, "high": 9}),
        CAPACITY,
        "{distribution: normal, low: 1, high: 9}",
    ),
    "beta sd too large": (
        at(P1, {"distribution": "beta", "mean": 0.15, "sd": 0.4}),
        P1,
        "{distribution: beta, mean: 0.15, sd: 0.4}",
    ),
    "beta range outside 0 to 1": (
        at(P1, {"distribution": "beta", "low": 0.5, "high": 1.5}),
        P1,
        "{distribution: beta, low: 0.5, high: 1.5}",
    ),
}


@pytest.mark.parametrize("case", list(BAD.values()), ids=list(BAD))
def test_bad_uncertain_values_name_the_path_and_the_value(
    case: tuple[dict[str, Any], str, str],
) -> None:
    change, path, shown = case
    with pytest.raises(ScenarioError) as raised:
        scenario_with(change)
    assert len(raised.value.problems) == 1, raised.value.problems
    problem = raised.value.problems[0]
    assert problem.startswith(f"{path}: {shown} is not allowed"), problem


def test_validate_command_rejects_a_bad_range_in_one_line(tmp_path: Path, capsys: Any) -> None:
    file = write_yaml(tmp_path, scenario_data_with(at(LOS, {"low": 40, "high": 10})))
    assert main(["validate", str(file)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ") and LOS in lines[0] and "low 40" in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""


# --------------------------------------------------------------------------- 6. none


def test_a_scenario_of_numbers_has_no_uncertain_inputs(small_result: SimulationResult) -> None:
    scenario = placesim.parse_scenario(small_scenario())
    assert scenario.uncertain_inputs == () and scenario.uncertainty is None
    drawn, values = draw_inputs(scenario, SEED, 3)
    assert drawn is scenario and values == {}
    assert fix_inputs(scenario) is scenario
    parameters = small_result.parameters
    assert parameters.empty and list(parameters.columns) == ["replication", "path", "value"]
    assert [str(t) for t in parameters.dtypes] == ["int64", "object", "float64"]


# --------------------------------------------------------------------------- 7. override, fix


def test_override_keeps_uncertain_inputs_unless_it_sets_them() -> None:
    scenario = scenario_with(at(LOS, {"low": 10, "high": 40}), at(P1, {"low": 0.1, "high": 0.2}))
    kept = override(scenario, {"settings.intermediate_care.capacity": 9})
    assert kept.uncertain_inputs == scenario.uncertain_inputs
    assert kept.settings.intermediate_care is not None
    assert kept.settings.intermediate_care.capacity == 9
    for r in range(3):  # still paired with the original
        assert draw_inputs(kept, SEED, r)[1] == draw_inputs(scenario, SEED, r)[1]

    fixed = override(scenario, {LOS: 25})
    assert [s.path for s in fixed.uncertain_inputs] == [P1]
    assert field_value(fixed, LOS) == 25

    wider = override(scenario, {LOS: {"low": 5, "high": 50}})
    assert the_input(wider, LOS).low == pytest.approx(5) and the_input(
        wider, LOS
    ).high == pytest.approx(50)


def test_fix_inputs_gives_the_medians_or_the_quantiles_asked() -> None:
    """A lognormal 10-40 has median sqrt(10 x 40) = 20; a beta's median is scipy's."""
    scenario = scenario_with(at(LOS, {"low": 10, "high": 40}), at(P1, {"low": 0.1, "high": 0.2}))
    p1 = the_input(scenario, P1)
    beta_median = float(stats.beta(*p1.params).ppf(0.5))
    medians = fix_inputs(scenario)
    assert medians.uncertain_inputs == () and medians.uncertainty is None
    assert field_value(medians, LOS) == pytest.approx(20.0, rel=1e-12)
    assert field_value(medians, P1) == pytest.approx(beta_median, rel=1e-9)
    # the scenario's own values are the medians
    assert field_value(scenario, LOS) == pytest.approx(20.0, rel=1e-12)

    high = fix_inputs(scenario, {LOS: 0.9})
    assert field_value(high, LOS) == pytest.approx(40.0, rel=1e-9)
    assert field_value(high, P1) == pytest.approx(beta_median, rel=1e-9)
    low = fix_inputs(scenario, {P1: 0.1})
    assert field_value(low, P1) == pytest.approx(0.1, rel=1e-6)
    pathways = field_value(low, "discharge.pathways.all")
    assert pathways["P0"] == pytest.approx(0.7 * 0.9 / 0.85, rel=1e-6)


@pytest.mark.parametrize(
    ("quantiles", "words"),
    [
        ({"settings.acute.los.mean": 0.5}, "settings.acute.los.mean: not an uncertain input"),
        ({LOS: 1.0}, f"{LOS}: quantile 1.0 is not allowed"),
        ({LOS: 0.0}, f"{LOS}: quantile 0.0 is not allowed"),
    ],
)
def test_fix_inputs_refuses_unknown_paths_and_quantiles(
    quantiles: dict[str, float], words: str
) -> None:
    scenario = scenario_with(at(LOS, {"low": 10, "high": 40}))
    with pytest.raises(ScenarioError, match="^" + words.replace("[", r"\[").replace(".", r"\.")):
        fix_inputs(scenario, quantiles)


# --------------------------------------------------------------------------- 8. round trip


def test_results_read_back_with_their_parameters_and_ranges(tmp_path: Path) -> None:
    scenario = scenario_with(
        {"calendar": {"horizon_days": 40, "warmup_days": 0}},
        at(LOS, {"low": 10, "high": 40}),
        at(CAPACITY, {"low": 4, "high": 9}),
        at(P1, {"distribution": "beta", "mean": 0.15, "sd": 0.04}),
    )
    result = placesim.simulate(scenario, 6, SEED, keep_stays=False)  # >= inputs + 3
    out = tmp_path / "out"
    written = write_results(result, out)
    assert out / "parameters.csv" in written
    back = read_results(out)
    # the values and their order; the path column's dtype: see the test below
    pd.testing.assert_frame_equal(back.parameters, result.parameters, check_dtype=False)
    assert back.scenario.uncertain_inputs == scenario.uncertain_inputs
    assert scenario_data(back.scenario) == scenario_data(scenario)
    saved = json.loads((out / "scenario.json").read_text())
    assert saved["settings"]["intermediate_care"]["los"]["mean"] == {"low": 10, "high": 40}
    assert saved["discharge"]["pathways"]["all"]["P1"] == {
        "distribution": "beta",
        "mean": 0.15,
        "sd": 0.04,
    }
    pd.testing.assert_frame_equal(back.measures, result.measures)
    pd.testing.assert_frame_equal(
        back.sensitivity("bed_days", "intermediate_care"),
        result.sensitivity("bed_days", "intermediate_care"),
    )


def test_read_back_parameters_keep_their_column_types(tmp_path: Path) -> None:
    scenario = scenario_with(
        {"calendar": {"horizon_days": 20, "warmup_days": 0}}, at(LOS, {"low": 10, "high": 40})
    )
    result = placesim.simulate(scenario, 1, SEED, keep_stays=False)
    write_results(result, tmp_path / "out")
    back = read_results(tmp_path / "out")
    assert dict(back.parameters.dtypes) == dict(result.parameters.dtypes)


def test_drawn_unit_costs_price_the_outcomes() -> None:
    """Each replication's intermediate-care bed days are priced at the bed-day cost that
    replication drew: the mean cost is the mean of value_r x cost_r."""
    scenario = scenario_with(
        {"calendar": {"horizon_days": 40, "warmup_days": 0}}, at(COST, {"low": 100, "high": 300})
    )
    result = placesim.simulate(scenario, 4, SEED)
    per = placesim.replication_outcomes(result.plan, result.stays_table("test"))
    days = per[per["outcome"] == "intermediate_care_bed_days"].set_index("replication")["value"]
    cost = result.parameters.set_index("replication")["value"]
    assert cost.nunique() == 4
    expected = float((days * cost).mean())
    table = result.outcomes()
    got = table.loc[table["outcome"] == "intermediate_care_bed_days", "cost_gbp_mean"]
    assert float(got.iloc[0]) == pytest.approx(expected, rel=1e-9)


# --------------------------------------------------------------------------- 9. workers


def test_worker_processes_draw_what_one_process_draws() -> None:
    scenario = scenario_with(
        {"calendar": {"horizon_days": 40, "warmup_days": 0}},
        at(LOS, {"low": 10, "high": 40}),
        at(CAPACITY, {"low": 4, "high": 9}),
    )
    one = placesim.simulate(scenario, 4, SEED, workers=1, keep_stays=False)
    two = placesim.simulate(scenario, 4, SEED, workers=2, keep_stays=False)
    assert len(one.parameters) == 8
    pd.testing.assert_frame_equal(one.parameters, two.parameters)
    pd.testing.assert_frame_equal(one.measures, two.measures)
    pd.testing.assert_frame_equal(one.daily, two.daily)


# --------------------------------------------------------------------------- 10. CLI


def _cli_scenario(tmp_path: Path) -> tuple[Path, Scenario]:
    data = scenario_data_with(
        {"calendar": {"horizon_days": 40, "warmup_days": 0}},
        at(LOS, {"low": 10, "high": 40}),
        at(COST, {"low": 100, "high": 300}),
    )
    return write_yaml(tmp_path, data), placesim.parse_scenario(data)


def test_validate_command_lists_the_inputs(tmp_path: Path, capsys: Any) -> None:
    file, _ = _cli_scenario(tmp_path)
    code = main(["validate", str(file)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = captured.out
    assert "uncertain inputs (2)" in out
    assert f"{LOS}: lognormal, 10th-90th percentile 10 to 40" in out
    assert f"{COST}: lognormal, 10th-90th percentile 100 to 300" in out


def test_run_command_with_inputs_fixed(tmp_path: Path, capsys: Any) -> None:
    """--fix-inputs runs the medians: no parameters table, the scenario saved without
    ranges (the intermediate-care stay at sqrt(10 x 40) = 20 days)."""
    file, _ = _cli_scenario(tmp_path)
    out = tmp_path / "fixed"
    argv = ["run", str(file), "-n", "2", "--seed", "5", "-q", "--out", str(out), "--fix-inputs"]
    code = main(argv)
    assert code == 0, capsys.readouterr().err
    assert (out / "summary.csv").is_file() and not (out / "parameters.csv").exists()
    saved = json.loads((out / "scenario.json").read_text())
    assert saved["settings"]["intermediate_care"]["los"]["mean"] == pytest.approx(20.0)
    drawn = tmp_path / "drawn"
    code = main(["run", str(file), "-n", "2", "--seed", "5", "-q", "--out", str(drawn)])
    assert code == 0, capsys.readouterr().err
    assert len(pd.read_csv(drawn / "parameters.csv")) == 4


def test_sensitivity_command_writes_its_tables(tmp_path: Path, capsys: Any) -> None:
    file, scenario = _cli_scenario(tmp_path)
    out = tmp_path / "sens"
    argv = ["sensitivity", str(file), "--measure", "bed_days", "--setting", "intermediate_care"]
    code = main([*argv, "-n", "8", "--seed", "11", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert LOS in captured.out and COST in captured.out, captured.out
    table = pd.read_csv(out / "sensitivity.csv")
    assert sorted(table["path"]) == sorted([LOS, COST])
    assert set(table["replications"]) == {8}
    about = json.loads((out / "sensitivity.json").read_text())
    assert (about["measure"], about["setting"], about["replications"]) == (
        "bed_days",
        "intermediate_care",
        8,
    )
    parameters = pd.read_csv(out / "parameters.csv")
    assert len(parameters) == 16
    for row in parameters.itertuples():
        spec = the_input(scenario, str(row.path))
        u = draw_uniform(11, int(row.replication), str(row.path))  # type: ignore[arg-type]
        assert row.value == pytest.approx(spec.value_at(u), rel=1e-12)


def test_sensitivity_command_needs_uncertain_inputs(tmp_path: Path, capsys: Any) -> None:
    file = write_yaml(tmp_path, small_scenario())
    out = tmp_path / "sens"
    assert main(["sensitivity", str(file), "-n", "8", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "has no uncertain inputs" in err
    assert "Traceback" not in err and not out.exists()


# --------------------------------------------------------------------------- sensitivity table


def test_sensitivity_table_of_an_exact_linear_measure() -> None:
    """y = 2 x LOS - 0.01 x cost exactly, on 12 hand-made replications: R squared 1, the
    standardised coefficients b_j sd(x_j) / sd(y), the tornado's ends the line at each
    input's 10th and 90th percentile with the other at its median, the PRCC the
    correlation of rank residuals worked here with scipy, and Fisher's interval."""
    scenario = scenario_with(at(LOS, {"low": 10, "high": 40}), at(COST, {"low": 100, "high": 300}))
    los = np.array([12.0, 30, 18, 25, 9, 40, 22, 15, 33, 27, 11, 20])
    cost = np.array([150.0, 120, 260, 180, 300, 90, 210, 140, 230, 110, 170, 250])
    y = 2 * los - 0.01 * cost
    parameters = pd.DataFrame(
        {
            "replication": np.repeat(np.arange(12), 2),
            "path": [LOS, COST] * 12,
            "value": np.column_stack([los, cost]).ravel(),
        }
    )
    measures = pd.DataFrame(
        {"replication": np.arange(12), "measure": "bed_days", "setting": "acute", "value": y}
    )
    table = sensitivity_table(scenario.uncertain_inputs, parameters, measures, "bed_days", "acute")
    rows = by_path(table)
    assert [rows[p]["r_squared"] for p in (LOS, COST)] == pytest.approx([1.0, 1.0])
    assert rows[LOS]["src"] == pytest.approx(2 * los.std() / y.std(), rel=1e-9)
    assert rows[COST]["src"] == pytest.approx(-0.01 * cost.std() / y.std(), rel=1e-9)
    centre = 2 * 20.0 - 0.01 * math.sqrt(100 * 300)
    assert rows[LOS]["measure_at_low"] == pytest.approx(centre + 2 * (10 - 20), rel=1e-9)
    assert rows[LOS]["measure_at_high"] == pytest.approx(centre + 2 * (40 - 20), rel=1e-9)
    assert rows[COST]["measure_at_high"] == pytest.approx(
        centre - 0.01 * (300 - math.sqrt(3e4)), rel=1e-9
    )
    # PRCC: the correlation of the ranks of x_j and y, each with the other input's ranks
    # regressed out (Marino et al. 2008)
    ranks = {LOS: stats.rankdata(los), COST: stats.rankdata(cost)}
    ry = stats.rankdata(y)
    for path, other in ((LOS, COST), (COST, LOS)):
        design = np.column_stack([np.ones(12), ranks[other]])

        def residual(v: Any, design: Any = design) -> Any:
            return v - design @ np.linalg.lstsq(design, v, rcond=None)[0]

        expected = stats.pearsonr(residual(ranks[path]), residual(ry)).statistic
        assert rows[path]["prcc"] == pytest.approx(expected, abs=1e-9)
    assert rows[LOS]["prcc"] > 0 > rows[COST]["prcc"]
    assert list(table["path"]) == [LOS, COST]  # ranked by |PRCC|: LOS's is 1
    # Fisher's interval: tanh(atanh(r) -+ 1.96 / sqrt(n - 3 - (k - 1)))
    for path in (LOS, COST):
        r = rows[path]["prcc"]
        se = 1 / math.sqrt(12 - 3 - 1)
        z = math.atanh(min(r, 1 - 1e-12))
        assert rows[path]["prcc_low"] == pytest.approx(math.tanh(z - 1.959964 * se), abs=1e-6)
        assert rows[path]["prcc_high"] == pytest.approx(math.tanh(z + 1.959964 * se), abs=1e-6)

    with pytest.raises(PlacesimError, match="too few for 2 uncertain inputs"):
        sensitivity_table(
            scenario.uncertain_inputs,
            parameters[parameters["replication"] < 4],
            measures,
            "bed_days",
            "acute",
        )
    with pytest.raises(PlacesimError, match="no uncertain inputs"):
        sensitivity_table((), parameters.iloc[:0], measures, "bed_days", "acute")
    with pytest.raises(PlacesimError, match="'occupancy_mean' in setting 'acute' is not in"):
        sensitivity_table(
            scenario.uncertain_inputs, parameters, measures, "occupancy_mean", "acute"
        )


def test_ranges_whose_joint_extremes_break_a_rule_across_fields_are_refused() -> None:
    """Home First may move at most all of P3: 0.45 fixed plus p3_to_p1 up to its 99.9%
    quantile (about 0.73 for a 0.4-0.6 range) passes 1, so some replication would stop."""
    lever = {
        "type": "home_first",
        "name": "HF",
        "start": "2025-05-01",
        "p3_to_p2": 0.45,
        "p3_to_p1": {"low": 0.4, "high": 0.6},
    }
    with pytest.raises(ScenarioError) as caught:
        scenario_with({"interventions": [lever]})
    (problem,) = caught.value.problems
    assert problem.startswith("interventions[0].p3_to_p1: ")
    assert "together they move at most all (1) of P3" in problem
    assert "highest value it can draw" in problem
    # Hard ends that keep the sum below 1 are accepted, and every replication runs.
    lever["p3_to_p1"] = {"distribution": "triangular", "min": 0.3, "mode": 0.45, "max": 0.55}
    scenario = scenario_with({"interventions": [lever]})
    for replication in range(20):
        placesim.draw_inputs(scenario, 1, replication)


def test_a_misspelt_range_is_named_with_what_a_range_is() -> None:
    for spec, words in (
        ({"low": 34, "hgih": 42}, "unknown key(s) 'hgih' (did you mean 'high'?)"),
        ({"distributon": "uniform", "min": 30, "max": 40}, "did you mean 'distribution'?"),
        ({"low": 34}, "it is not a whole range"),
    ):
        with pytest.raises(ScenarioError) as caught:
            scenario_with(at(LOS, spec))
        (problem,) = caught.value.problems
        assert problem.startswith(f"{LOS}: ") and words in problem, problem
    with pytest.raises(ScenarioError, match="did you mean 'uniform'"):
        scenario_with(at(LOS, {"distribution": "unifrom", "min": 30, "max": 40}))


def test_value_of_information_of_a_hand_worked_choice() -> None:
    """gain = x1 - 0.5 (+ noise), x1 and x2 uniform on (0, 1): knowing x1 before choosing
    is worth E[max(0, x1 - 0.5)] - max(0, E[x1 - 0.5]) = 1/8 exactly; x2 is worth nothing."""
    from placesim.measures.sensitivity import value_of_information

    n = 4000
    rng = np.random.default_rng(4)
    x1, x2 = rng.random(n), rng.random(n)
    gain = pd.Series(x1 - 0.5 + rng.normal(0.0, 0.1, n))
    params = pd.DataFrame(
        {
            "replication": np.tile(np.arange(n), 2),
            "path": ["a"] * n + ["b"] * n,
            "value": np.concatenate([x1, x2]),
        }
    )
    specs = [
        UncertainInput("a", ("a",), {}, "uniform", (0.0, 1.0), False),
        UncertainInput("b", ("b",), {}, "uniform", (0.0, 1.0), False),
    ]
    table = value_of_information(specs, params, gain).set_index("path")
    # The estimator's standard error: sd of max(0, x1 - 0.5) (about 0.15) / sqrt(n).
    se = float(np.std(np.maximum(x1 - 0.5, 0.0)) / math.sqrt(n))
    assert abs(table.loc["a", "evppi"] - 0.125) <= 4 * se
    assert table.loc["b", "evppi"] <= 4 * se
    assert table.loc["a", "evpi"] >= table.loc["a", "evppi"] - 4 * se
