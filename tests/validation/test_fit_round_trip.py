"""Round trip: a scenario with known, unequal parameters -> its synthetic extract -> a fit.

Every fitted figure must recover the parameter that made the data within 4 standard
errors of its estimate (the house tolerance for simulation against theory), on several
seeds: crisis counts against the compiled plan's expected counts (Poisson), the
localities' relative rates, triage, pathway and outcome shares (binomial), readmission,
mean lengths of stay (with stays still in place at the end censored) and, on large
samples, the family that made the stays. The fitted scenario then simulates the acute
admissions and bed days of the source within their sampling error (the runs' own, and the
one replication's that the fit rests on). The source has
room in every service so that no one overflows or queues for a first service: an extract
shows where people were, not where they were sent (docs/data.md).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import placesim
from placesim.fitting import fit, read_extract, write_extract
from placesim.plan import compile_plan
from small_scenario import small_scenario

START, END = dt.date(2025, 4, 1), dt.date(2026, 4, 1)
SEEDS = (11, 12, 13)
K = 4.0  # standard errors


def _source() -> placesim.Scenario:
    data = small_scenario(
        {
            "calendar": {"horizon_days": 365, "warmup_days": 60, "replications": 20},
            "population": {
                "annual_growth": 0.0,
                "localities": [
                    {
                        "name": "A",
                        "partnership": "North",
                        "people": {"0-64": 12000, "65+": 3000},
                        "care_home_residents": {"65+": 150},
                        "crisis_rate_factor": 1.25,
                    },
                    {
                        "name": "B",
                        "partnership": "South",
                        "people": {"0-64": 9000, "65+": 2500},
                        "crisis_rate_factor": 0.8,
                    },
                ],
            },
            "settings": {
                "acute": {
                    "capacity": 300,
                    "los": {"kind": "lognormal", "mean": 6, "median": None, "cv": 1.2},
                },
                "rapid_response": {"capacity": 60, "when_full": "queue"},
                "virtual_ward": {"capacity": 60, "when_full": "queue"},
                "intermediate_care": {"capacity": 120},
                "reablement": {"capacity": 150},
                "care_home": {"capacity": 400},
            },
            "discharge": {
                "pathways": {
                    "all": None,
                    "0-64": {"P0": 0.85, "P1": 0.06, "P2": 0.03, "P3": 0.01, "death": 0.05},
                    "65+": {"P0": 0.6, "P1": 0.2, "P2": 0.1, "P3": 0.05, "death": 0.05},
                },
                "readmission": {"probability": {"all": 0.12}},
            },
            "initial_state": {"care_home": {"occupied": 40}, "acute": {"occupied": 30}},
        }
    )
    return placesim.parse_scenario(data)


def _expected_crises(scenario: placesim.Scenario) -> dict[tuple[str, str], float]:
    """The plan's expected crises in the reporting window by band and residence: the sum
    of each population group's daily rate over the reporting days."""
    plan = compile_plan(scenario)
    out: dict[tuple[str, str], float] = {}
    first = scenario.calendar.warmup_days
    for g in plan.groups:
        if g.key >= 1_000_000:
            continue  # referral streams
        key = (plan.age_bands[g.age_band], ("home", "care_home")[g.residence])
        out[key] = out.get(key, 0.0) + float(g.daily_rate[first:].sum())
    return out


@pytest.fixture(scope="module")
def fits(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Any, Any, Path]]:
    source = _source()
    out = []
    for seed in SEEDS:
        folder = tmp_path_factory.mktemp(f"extract{seed}")
        write_extract(source, folder, seed=seed)
        fitted = fit(folder, START, END, name=f"fit{seed}", suppress=0)
        out.append((source, fitted, folder))
    return out


def _share_ok(k: int, n: int, truth: float) -> bool:
    se = math.sqrt(max(truth * (1 - truth), 1e-12) / n)
    return abs(k / n - truth) <= K * se


@pytest.mark.slow
def test_crisis_counts_and_locality_rates_are_recovered(fits: list[tuple[Any, Any, Path]]) -> None:
    for source, fitted, _ in fits:
        expected = _expected_crises(source)
        est = fitted.estimates.set_index("path")
        for (band, residence), mu in expected.items():
            if mu == 0.0:
                continue  # nobody of this band lives in care homes
            row = est.loc[f"demand.crisis_rate_per_person_year.{residence}.{band}"]
            k = int(row["n"])
            assert abs(k - mu) <= K * math.sqrt(mu), (band, residence, k, mu)
        ka = int(est.loc["population.localities[A].crisis_rate_factor", "n"])
        kb = int(est.loc["population.localities[B].crisis_rate_factor", "n"])
        fa = float(est.loc["population.localities[A].crisis_rate_factor", "value"])
        fb = float(est.loc["population.localities[B].crisis_rate_factor", "value"])
        se = math.sqrt(1 / ka + 1 / kb)
        assert abs(math.log(fa / fb) - math.log(1.25 / 0.8)) <= K * se, (fa, fb)


@pytest.mark.slow
def test_shares_are_recovered(fits: list[tuple[Any, Any, Path]]) -> None:
    for source, fitted, _ in fits:
        sc = fitted.scenario
        est = fitted.estimates.set_index("path")
        for band in ("0-64", "65+"):
            n = int(est.loc[f"triage.home.{band}", "n"])
            shares = sc.triage.home[band]
            truth = source.triage.home["all"]
            for name in ("rapid_response", "virtual_ward", "acute"):
                k = round(getattr(shares, name) * n)
                assert _share_ok(k, n, getattr(truth, name)), (band, name)
            n = int(est.loc[f"discharge.pathways.{band}", "n"])
            fitted_p = sc.discharge.pathways[band].model_dump()
            true_p = source.discharge.pathways[band].model_dump()
            for name, truth_share in true_p.items():
                assert _share_ok(round(fitted_p[name] * n), n, truth_share), (band, name)
            n = int(est.loc[f"discharge.readmission.probability.{band}", "n"])
            p = sc.discharge.readmission.probability[band]
            assert _share_ok(round(p * n), n, 0.12), (band, p, n)
        for setting in ("rapid_response", "virtual_ward", "intermediate_care", "reablement"):
            n = int(est.loc[f"settings.{setting}.outcomes", "n"])
            got = getattr(sc.settings, setting).outcomes.model_dump()
            want = getattr(source.settings, setting).outcomes.model_dump()
            for name, truth_share in want.items():
                assert _share_ok(round(got[name] * n), n, truth_share), (setting, name)


@pytest.mark.slow
def test_lengths_of_stay_are_recovered(fits: list[tuple[Any, Any, Path]]) -> None:
    for source, fitted, folder in fits:
        stays = read_extract(folder).stays
        for setting in (
            "acute",
            "rapid_response",
            "virtual_ward",
            "intermediate_care",
            "reablement",
        ):
            dist = getattr(fitted.scenario.settings, setting).los
            truth = getattr(source.settings, setting).los
            mine = stays[(stays["setting"] == setting) & stays["ready"].notna()]
            days = (mine["ready"] - mine["arrive"]).dt.total_seconds().to_numpy() / 86400
            se = float(np.std(days, ddof=1) / math.sqrt(days.size))
            assert abs(dist.mean_days - truth.mean_days) <= K * se, (setting, dist, truth)
            if days.size >= 1000:
                assert dist.kind == truth.kind, (setting, dist.kind, truth.kind)


@pytest.mark.slow
def test_the_fitted_scenario_simulates_what_the_source_does(
    fits: list[tuple[Any, Any, Path]],
) -> None:
    source, fitted, _ = fits[0]
    a = placesim.simulate(source, replications=20, seed=5, keep_stays=False)
    b = placesim.simulate(fitted.scenario, replications=20, seed=5, keep_stays=False)
    for measure in ("admissions", "bed_days"):
        x = _values(a.measures, measure)
        y = _values(b.measures, measure)
        # The fit rests on one replication of the source, so its parameters carry that
        # replication's sampling error: about one replication's standard deviation of the
        # measure, on top of the two runs' own standard errors.
        se = math.sqrt(x.var(ddof=1) * (1 + 1 / x.size) + y.var(ddof=1) / y.size)
        assert abs(x.mean() - y.mean()) <= K * se, (measure, x.mean(), y.mean(), se)


def _values(measures: pd.DataFrame, measure: str) -> np.ndarray:
    rows = measures[(measures["measure"] == measure) & (measures["setting"] == "acute")]
    return rows["value"].to_numpy(dtype=float)


def test_the_family_that_made_the_stays_is_chosen() -> None:
    from scipy import stats

    from placesim.fitting.estimates import fit_los

    rng = np.random.default_rng(2)
    truths = {
        "gamma": stats.gamma(2.0, scale=3.0),
        "lognormal": stats.lognorm(0.8, scale=5.0),
        "weibull": stats.weibull_min(1.6, scale=8.0),
        "exponential": stats.expon(scale=4.0),
    }
    for kind, dist in truths.items():
        stay = dist.rvs(size=5000, random_state=rng)
        arrive = rng.uniform(0, 200, stay.size)
        still = arrive + stay > 200.0  # the data ends on day 200: long stays are open
        seen = np.where(still, 200.0 - arrive, stay)
        spec, note, _ = fit_los(seen, ("exponential", "gamma", "lognormal", "weibull"), still)
        assert spec["kind"] == kind, (kind, note)
