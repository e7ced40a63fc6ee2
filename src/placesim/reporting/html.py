"""The HTML report: one self-contained file of a run, or of a comparison, to read and share.

A planner opens it in a browser, mails it or files it with the decision it supported. It
holds everything it shows: figures are PNG images embedded as ``data:`` URIs, styles are
in the page, and nothing is fetched from anywhere (no fonts, scripts or style sheets), so
it reads the same offline and years later. Every piece of text from a scenario is
escaped. Each section has a stable ``id`` (:data:`RESULT_SECTIONS`,
:data:`COMPARISON_SECTIONS`) to link to.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from placesim.errors import PlacesimError
from placesim.measures import (
    MEASURES,
    OUTCOMES,
    Comparison,
    Period,
    RegionResult,
    SimulationResult,
    chance_of,
    find_period,
    measure_unit,
    parse_target,
    population_65_plus,
    replication_outcomes,
    t_interval,
)
from placesim.measures.comparison import label as measure_label
from placesim.measures.tables import LEVEL_DAYS, PLACE
from placesim.plan import Plan
from placesim.reporting.outputs import write_text
from placesim.reporting.plots import (
    HOLDING_SETTINGS,
    daily_delayed,
    los_days,
    plot_capacity_gap,
    plot_census,
    plot_escalation,
    plot_los,
    plot_staff,
    plot_waiting,
)
from placesim.reporting.summary import format_number, sensitivity_cells
from placesim.scenario import (
    SETTINGS,
    DischargeWindow,
    DischargeWindowChange,
    EscalationLevel,
    EscalationLevelChange,
    LocalityRollout,
    Scenario,
    diff_scenarios,
    scenario_warnings,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "BACKTEST_SECTIONS",
    "COMPARISON_SECTIONS",
    "REGION_SECTIONS",
    "RESULT_SECTIONS",
    "backtest_html",
    "comparison_html",
    "region_html",
    "result_html",
    "sensitivity_html",
    "write_comparison_report",
    "write_region_report",
    "write_report",
    "write_sensitivity_report",
]

RESULT_SECTIONS: tuple[str, ...] = (
    "scenario",
    "warnings",
    "headline",
    "inputs",
    "census",
    "waiting",
    "los",
    "capacity-gap",
    "operations",
    "months",
    "financial-years",
    "outcomes",
    "localities",
    "partnerships",
)
"""Section ids of a run's report, in page order."""

COMPARISON_SECTIONS: tuple[str, ...] = (
    "scenarios",
    "decisions",
    "significant",
    "warnings",
    "headline",
    "census",
    "waiting",
    "los",
    "capacity-gap",
    "operations",
    "outcomes",
    "localities",
    "partnerships",
)
"""Section ids of a comparison's report, in page order."""

_TITLES = {
    "scenario": "The scenario",
    "scenarios": "The scenarios",
    "warnings": "Capacity warnings",
    "decisions": "Decision table",
    "significant": "Significant differences",
    "headline": "Headline measures",
    "census": "Occupancy: midnight census against capacity",
    "waiting": "Waiting and delayed discharges",
    "los": "Length of stay",
    "capacity-gap": "Capacity gap",
    "operations": "Escalation, electives and staff",
    "inputs": "Uncertain inputs",
    "region": "The region",
    "totals": "The region's totals",
    "spread": "How the places spread",
    "places": "The places side by side",
    "multiples": "Each place's census",
    "months": "By month",
    "financial-years": "By financial year",
    "outcomes": "Joint Outcomes Framework",
    "localities": "By locality",
    "partnerships": "By partnership",
    "verdict": "Verdict",
    "scores": "How close, series by series",
    "observed-census": "Midnight census",
    "observed-admissions": "Admissions a week",
    "observed-delayed": "Delayed at midnight",
    "observed-los": "Length of stay",
}

HEADLINE: tuple[tuple[str, str], ...] = (
    ("admissions", "Admissions"),
    ("bed_days", "Bed days"),
    ("los_mean", "Mean stay (days)"),
    ("occupancy_mean", "Mean occupancy"),
    ("capacity", "Capacity"),
    ("occupancy_rate", "Occupancy rate"),
    ("delayed_bed_days", "Delayed bed days"),
    ("wait_mean", "Mean wait (days)"),
    ("waiting_mean", "Waiting at midnight"),
    ("capacity_gap", "Capacity gap"),
)
"""The measures of the headline table, with their column headings."""

GROUP_OUTCOMES: tuple[str, ...] = (
    "admissions_into_hospital",
    "admissions_from_care_homes",
    "non_elective_bed_days",
    "delayed_acute_bed_days",
    "intermediate_care_admissions",
    "reablement_packages_started",
    "new_care_home_placements_per_100k",
    "supported_discharges_to_long_term_care_pct",
)
"""Outcomes shown by locality and partnership (the rest are in the whole-place table)."""

CHANCE_SETTINGS: tuple[str, ...] = ("acute", "intermediate_care", "reablement", "care_home")
"""The headline settings whose capacity gap leads the report with its tail and its chance of
being at most zero, where their capacity is limited (the settings a comparison's decision
table leads with)."""

BREAKDOWN_MEASURES: tuple[str, ...] = (
    "admissions",
    "bed_days",
    "delayed_bed_days",
    "occupancy_rate",
    "capacity_gap",
)
"""The measures of the tables by month and by financial year, for acute and each setting
with a limited capacity."""

_DPI = 100

_STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial,
  sans-serif; margin: 0; color: #1b1b1b; background: #fff; font-size: 15px; line-height: 1.45; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 18px; border-bottom: 1px solid #ccc; }
h1 { font-size: 26px; margin: 8px 0; }
h2 { font-size: 21px; margin: 34px 0 10px; padding-top: 8px; border-top: 1px solid #e2e2e2; }
h3 { font-size: 16px; margin: 20px 0 6px; }
nav { margin: 10px 0 14px; font-size: 14px; }
nav a { margin-right: 14px; color: #1b1b1b; }
p.lead { margin: 4px 0 10px; color: #333; }
p.note, .note { color: #555; font-size: 13px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 8px 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
div.table { overflow-x: auto; margin: 8px 0 14px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 7px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; }
td.n, th.n { text-align: right; }
span.ci { display: block; color: #666; font-size: 11px; }
p.window { margin: 6px 0 10px; padding: 6px 10px; border-left: 4px solid #0072b2;
  background: #eef5fb; }
ul.chances li { margin: 3px 0; }
h4 { font-size: 14px; margin: 12px 0 4px; }
td.sig { font-weight: 700; }
figure { margin: 10px 0 22px; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 13px; color: #444; }
ul.warn { border-left: 4px solid #8a5a00; padding: 6px 12px 6px 28px; margin: 8px 0; }
details { margin: 8px 0 16px; }
summary { cursor: pointer; color: #333; }
footer { margin-top: 40px; padding: 12px 24px 30px; color: #666; font-size: 12px;
  border-top: 1px solid #ccc; }
@media print { nav { display: none; } h2 { break-before: auto; } figure { break-inside: avoid; } }
"""


class _Html(str):
    """Text that is already HTML (its parts escaped): not escaped again."""

    __slots__ = ()


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _cell(value: object) -> str:
    return value if isinstance(value, _Html) else _e(value)


def _label(name: str) -> str:
    """A snake_case name for people to read."""
    text = name.replace("_pct", " (%)").replace("_per_100k", " per 100k").replace("_", " ")
    return text[:1].upper() + text[1:]


def _value(x: float, unit: str) -> str:
    if unit == "GBP":
        if not math.isfinite(x):
            return "-"
        return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"
    text = format_number(x, unit)
    if text.startswith("-") and not any(c in "123456789" for c in text):
        return text[1:]  # -0.00: a rounding error of zero, not a negative
    return text


def _ci(mean: float, low: float, high: float, unit: str) -> _Html:
    """A mean with its confidence interval underneath."""
    shown = _e(_value(mean, unit))
    if math.isfinite(low) and math.isfinite(high):
        interval = f"{_value(low, unit)} to {_value(high, unit)}"
        return _Html(f'{shown}<span class="ci">{_e(interval)}</span>')
    return _Html(shown)


def _significant(low: float, high: float) -> bool:
    return math.isfinite(low) and math.isfinite(high) and not low <= 0.0 <= high


def _table(head: Sequence[object], rows: Iterable[Sequence[object]], numeric_from: int = 1) -> str:
    """A table; cells from column `numeric_from` on are right-aligned numbers."""

    def cls(i: int, extra: str = "") -> str:
        names = " ".join(c for c in ("n" if i >= numeric_from else "", extra) if c)
        return f' class="{names}"' if names else ""

    out = ['<div class="table"><table><thead><tr>']
    out += [f"<th{cls(i)}>{_cell(h)}</th>" for i, h in enumerate(head)]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for i, c in enumerate(row):
            extra = "sig" if isinstance(c, _Sig) else ""
            out.append(f"<td{cls(i, extra)}>{_cell(c)}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


class _Sig(_Html):
    """A cell whose difference is significant (its 95% CI excludes zero): shown in bold."""

    __slots__ = ()


def _facts(items: Iterable[tuple[str, object]]) -> str:
    body = "".join(f"<dt>{_e(k)}</dt><dd>{_cell(v)}</dd>" for k, v in items)
    return f'<dl class="facts">{body}</dl>'


def _png(fig: Figure) -> str:
    """The figure as a base64 PNG ``data:`` URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(fig: Figure, alt: str, caption: str = "") -> str:
    cap = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{_png(fig)}" alt="{_e(alt)}">{cap}</figure>'


def _section(key: str, body: str, title: str | None = None) -> str:
    heading = _e(title or _TITLES[key])
    return f'<section id="{_e(key)}"><h2>{heading}</h2>{body}</section>'


def _page(
    title: str, lead: str, sections: Sequence[str], keys: Sequence[str], window: str = ""
) -> str:
    from placesim.version import __version__

    nav = "".join(f'<a href="#{_e(k)}">{_e(_TITLES[k])}</a>' for k in keys)
    notice = f'<p class="window" id="window">{_e(window)}</p>' if window else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f'<header><h1>{_e(title)}</h1><p class="lead">{_e(lead)}</p>{notice}<nav>{nav}</nav>'
        "</header>"
        f"<main>{''.join(sections)}</main>"
        f"<footer>Made by placesim {_e(__version__)}. Every figure is the mean over "
        "replications with its Student-t 95% confidence interval; definitions are in "
        "docs/model.md and docs/outcomes.md; how to read this report is in "
        "docs/reports.md.</footer></body></html>\n"
    )


# ------------------------------------------------------------------ what the scenario is


def _period(sc: Scenario) -> str:
    cal = sc.calendar
    return f"{cal.start_date} to {cal.end_date} ({cal.horizon_days} days)"


def _window_words(found: Period) -> str:
    days = (found.end - found.start).days + 1
    named = f"{found.name}, " if found.name else ""
    return f"{named}{found.start} to {found.end} ({days} day{'s' if days != 1 else ''})"


def _window_notice(sc: Scenario, found: Period | None, comparison: bool = False) -> str:
    """What the page says at its top when it reports a window of the run."""
    if found is None:
        return ""
    what = (
        "The decision table, the differences, the headline, length of stay, capacity gap, "
        "outcomes and locality figures"
        if comparison
        else "The headline, length of stay, capacity gap, outcomes and locality figures"
    )
    whole = (
        "the offered-load check is of the whole run."
        if comparison
        else "the offered-load check and the tables by month and financial year are of the "
        "whole run."
    )
    return (
        f"Reported window: {_window_words(found)}, of the run {_period(sc)}. {what}, and "
        "the capacity warnings after the run, are of this window only. The occupancy and "
        f"waiting charts show the whole run with the window shaded; {whole}"
    )


def _named_periods(sc: Scenario) -> str:
    if not sc.periods:
        return "none"
    return "; ".join(f"{name}: {w.start} to {w.end}" for name, w in sc.periods.items())


def _warmup(sc: Scenario) -> str:
    cal = sc.calendar
    if not cal.warmup_days:
        return "none"
    return (
        f"{cal.warmup_days} days, simulated from {cal.sim_start_date} and left out of every measure"
    )


def _people(sc: Scenario, plan: Plan) -> str:
    if sc.population is None:
        return "no population (demand from referral streams only)"
    total = sum(sum(loc.people.values()) for loc in sc.population.localities)
    older = float(population_65_plus(plan)["people"].sum())
    homes = sum(sum(loc.care_home_residents.values()) for loc in sc.population.localities)
    n = len(sc.population.localities)
    parts = len({loc.partnership for loc in sc.population.localities})
    return (
        f"{total:,} people ({older:,.0f} aged 65+, {homes:,} in care homes) in {n} "
        f"localit{'y' if n == 1 else 'ies'} and {parts} partnership{'s' if parts != 1 else ''}, "
        f"growing {100 * sc.population.annual_growth:g}% a year"
    )


def _population_table(sc: Scenario, plan: Plan) -> str:
    if sc.population is None:
        return ""
    older = population_65_plus(plan).set_index("locality")["people"]
    rows = [
        (
            loc.name,
            loc.partnership,
            f"{sum(loc.people.values()):,}",
            f"{float(older.get(loc.name, 0.0)):,.0f}",
            f"{sum(loc.care_home_residents.values()):,}",
        )
        for loc in sc.population.localities
    ]
    head = ("Locality", "Partnership", "People", "Aged 65+", "In care homes")
    return "<h3>Population</h3>" + _table(head, rows, numeric_from=2)


def _capacity_text(sc: Scenario, plan: Plan, setting: str) -> tuple[str, str]:
    """Capacity at the start of the reporting window, and its changes during it."""
    steps = plan.capacity_steps[SETTINGS.index(setting)]
    start = [c for t, c in steps if t <= 0.0][-1]
    if not math.isfinite(start):
        return "unlimited", ""
    changes = [
        f"{sc.calendar.start_date + dt.timedelta(days=int(t))}: {c:,.0f}"
        for t, c in steps
        if 0.0 < t < sc.calendar.horizon_days
    ]
    return f"{start:,.0f}", "; ".join(changes)


def _services_table(sc: Scenario, plan: Plan) -> str:
    rows = []
    for name, s in sc.settings.defined().items():
        capacity, changes = _capacity_text(sc, plan, name)
        start = sc.initial_state.get(name)  # type: ignore[call-overload]
        census = f"{start.occupied:,} in, {start.waiting:,} waiting" if start else "empty"
        rows.append(
            (
                _label(name),
                capacity,
                changes or "-",
                s.los.describe(),
                s.when_full.replace("_", " "),
                f"{100 * sc.measures.target(name):g}%",
                census,
            )
        )
    head = (
        "Service",
        "Capacity at start",
        "Capacity changes in the window",
        "Stay until ready",
        "When full",
        "Target occupancy",
        "At the start",
    )
    return "<h3>Services</h3>" + _table(head, rows, numeric_from=99)


def _where(localities: list[str] | None, partnerships: list[str] | None) -> str:
    parts = []
    if localities:
        parts.append("localities " + ", ".join(localities))
    if partnerships:
        parts.append("partnerships " + ", ".join(partnerships))
    return "; ".join(parts) or "the whole place"


def _param(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_param(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_param(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


_LEVER_FIELDS = {"type", "name", "start", "end", "ramp_up_days", "localities", "partnerships"}


def _interventions_table(sc: Scenario) -> str:
    if not sc.interventions:
        return "<h3>Interventions</h3><p>None: the scenario runs today's services unchanged.</p>"
    rows = []
    ranges = {spec.path: spec for spec in sc.uncertain_inputs}
    names = [lever.name for lever in sc.interventions]
    for i, lever in enumerate(sc.interventions):
        data = lever.model_dump(mode="json")
        part = f"[{lever.name}]" if lever.name and names.count(lever.name) == 1 else f"[{i}]"
        for key in list(data):
            spec = ranges.get(f"interventions{part}.{key}")
            if spec is not None:  # shown at its median, with the range each replication draws
                data[key] = f"{_param(data[key])} (uncertain: {spec.low:.4g} to {spec.high:.4g})"
        if isinstance(lever, LocalityRollout):
            when = "; ".join(
                f"from {p.start}: {_where(p.localities, p.partnerships)}" for p in lever.phases
            )
            where = "phased (see dates)"
        else:
            end = f" to {lever.end}" if lever.end else " on"
            when = f"from {lever.start}{end}"
            where = _where(lever.localities, lever.partnerships)
        if data.get("ramp_up_days"):
            when += f" (ramping up over {data['ramp_up_days']:g} days)"
        params = "; ".join(
            f"{k.replace('_', ' ')}: {_param(v)}"
            for k, v in data.items()
            if k not in _LEVER_FIELDS | {"phases"} and v is not None  # None: all, as default
        )
        rows.append((data["type"].replace("_", " "), lever.name or "-", when, where, params))
    head = ("Intervention", "Name", "When", "Where", "Parameters")
    return "<h3>Interventions</h3>" + _table(head, rows, numeric_from=99)


def _other_inputs(sc: Scenario) -> str:
    out = []
    if sc.referrals:
        rows = [
            (r.name, _label(r.setting), f"{r.rate_per_day:g}", r.locality) for r in sc.referrals
        ]
        head = ("Referral stream", "Into", "Per day", "Locality label")
        out.append("<h3>Referrals</h3>" + _table(head, rows, numeric_from=2))
    if sc.costs is not None:
        given = [(k, v) for k, v in sc.costs.model_dump().items() if v is not None]
        costs = [(_label(k), f"£{v:,.0f}") for k, v in given if not isinstance(v, dict)]
        costs += [
            (f"{_label(setting)}: a place for a day", f"£{v:,.0f}")
            for setting, v in sc.costs.capacity_place_day.items()
        ]
        if costs:
            out.append("<h3>Unit costs</h3>" + _table(("Cost", "GBP"), costs))
    return "".join(out)


def _scenario_section(result: SimulationResult, found: Period | None) -> str:
    sc = result.scenario
    items: list[tuple[str, object]] = [
        ("Name", sc.name),
        ("Description", sc.description or "-"),
        ("Period", _period(sc)),
    ]
    if found is not None:
        items.append(("Reported window", _window_words(found)))
    if sc.periods:
        items.append(("Named periods", _named_periods(sc)))
    items += [
        ("Warm-up", _warmup(sc)),
        ("Replications", f"{result.replications}"),
        ("Seed", f"{result.seed}"),
        ("Population", _people(sc, result.plan)),
    ]
    facts = _facts(items)
    body = (
        facts
        + _population_table(sc, result.plan)
        + _services_table(sc, result.plan)
        + _interventions_table(sc)
        + _other_inputs(sc)
    )
    return _section("scenario", body)


def _warning_list(lines: Sequence[str]) -> str:
    return '<ul class="warn">' + "".join(f"<li>{_e(w)}</li>" for w in lines) + "</ul>"


def _warnings_section(results: Sequence[SimulationResult], found: Period | None) -> str:
    several = len(results) > 1
    h = "h4" if several else "h3"
    window = "" if found is None else f", {found.label}"
    parts = []
    for res in results:
        head = f"<h3>{_e(res.scenario.name)}</h3>" if several else ""
        dated = scenario_warnings(res.scenario)
        if dated:
            head += f"<{h}>Levers dated outside the run</{h}>" + _warning_list(dated)
        before, after = list(res.warnings), res.capacity_warnings(found)
        if not before and not after:
            parts.append(f"{head}<p>No service is near or over its capacity.</p>")
            continue
        parts.append(
            head
            + f"<{h}>Before the run: offered-load check</{h}>"
            + (
                _warning_list(before)
                if before
                else "<p>No service's offered load reaches its target occupancy.</p>"
            )
            + f"<{h}>After the run: capacity gap{_e(window)}</{h}>"
            + (
                _warning_list(after)
                if after
                else "<p>Every service's people and those waiting for it fit within its "
                "target occupancy, and none is occupied at or above it.</p>"
            )
        )
    intro = (
        '<p class="note">One rule, checked twice: a service is short of capacity when the '
        "people in it and the people waiting for it do not fit within its target occupancy. "
        "Before the run, arrivals a day times the mean stay (the offered load, by Little's "
        "law) is set against the target occupancy of each service's capacity; delays add to "
        "it, so this can only understate the pressure. After the run, each service whose "
        "capacity gap (the chart below) is above zero is named with the places it is short "
        "of, and each whose mean occupancy reaches its target.</p>"
    )
    return _section("warnings", intro + "".join(parts))


# ------------------------------------------------------------------------- the results


def _summary_index(summary: pd.DataFrame) -> dict[tuple[str, str], tuple[float, float, float, str]]:
    return {
        (str(m), str(s)): (float(mean), float(low), float(high), str(unit))
        for m, s, mean, low, high, unit in zip(
            summary["measure"],
            summary["setting"],
            summary["mean"],
            summary["ci_low"],
            summary["ci_high"],
            summary["unit"],
            strict=True,
        )
    }


def _tail(summary: pd.DataFrame) -> dict[tuple[str, str], tuple[float, float, float]]:
    """Median, 5th and 95th percentiles across replications of each (measure, setting)."""
    return {
        (str(m), str(s)): (float(median), float(p05), float(p95))
        for m, s, median, p05, p95 in zip(
            summary["measure"],
            summary["setting"],
            summary["median"],
            summary["p05"],
            summary["p95"],
            strict=True,
        )
    }


def _places(setting: str) -> str:
    return "places" if setting in ("rapid_response", "reablement") else "beds"


def _pct(x: float) -> str:
    return f"{x:.0%}" if math.isfinite(x) else "-"


def _chances_part(
    result: SimulationResult,
    summary: pd.DataFrame,
    found: Period | None,
) -> str:
    """The lead of the headline: each capacity-limited headline setting's chance of room,
    and the tails of its capacity gap and occupancy across replications."""
    index = _summary_index(summary)
    tail = _tail(summary)
    settings = [
        s
        for s in CHANCE_SETTINGS
        if s in result.scenario.settings.defined() and ("capacity_gap", s) in index
    ]
    if not settings:
        return ""
    measures = result.replication_measures(found)
    share = result.scenario.measures.share_of_days
    label = None if found is None else found.label
    lines, rows = [], []
    for setting in settings:
        chance = chance_of(measures, parse_target(f"capacity_gap:{setting}<=0"), period=label)
        target = result.scenario.measures.target(setting)
        n = chance.replications
        lines.append(
            f"{_label(setting)}: people fit within {target:.0%} of its {_places(setting)} on "
            f"{share:.0%} of days in {chance.held} of {n} replication{'s' if n != 1 else ''}, "
            f"{_pct(chance.share)} (95% CI {_pct(chance.ci_low)} to {_pct(chance.ci_high)})."
        )
        cells: list[object] = [_label(setting)]
        for measure in ("capacity_gap", "occupancy_rate"):
            mean, low, high, unit = index.get(
                (measure, setting), (math.nan, math.nan, math.nan, "ratio")
            )
            median, p05, p95 = tail.get((measure, setting), (math.nan, math.nan, math.nan))
            cells += [
                _ci(mean, low, high, unit),
                _value(median, unit),
                f"{_value(p05, unit)} to {_value(p95, unit)}" if math.isfinite(p05) else "-",
            ]
        cells.append(
            _Html(
                f"{_e(_pct(chance.share))} ({chance.held} of {n})"
                f'<span class="ci">{_e(_pct(chance.ci_low))} to {_e(_pct(chance.ci_high))}'
                "</span>"
            )
        )
        rows.append(cells)
    head = [
        "Service",
        "Capacity gap: mean (95% CI)",
        "Median",
        "5th to 95th percentile",
        "Occupancy rate: mean (95% CI)",
        "Median",
        "5th to 95th percentile",
        "Chance of room (gap at most 0), 95% CI",
    ]
    note = (
        '<p class="note">People in the service and people waiting for it, against its '
        "capacity at its target occupancy. The mean is over replications with its 95% "
        "confidence interval; the median and the 5th to 95th percentiles are across "
        "replications: the spread of outcomes a planner should expect, which a mean hides "
        "when one winter in ten gridlocks. The chance of room is the share of replications "
        "whose capacity gap was at most zero (Wilson 95% interval): with few replications "
        "it is wide.</p>"
    )
    return (
        '<ul class="chances">'
        + "".join(f"<li>{_e(line)}</li>" for line in lines)
        + "</ul>"
        + note
        + _table(head, rows)
    )


def _headline_section(result: SimulationResult, summary: pd.DataFrame, found: Period | None) -> str:
    index = _summary_index(summary)
    lines = []
    when = "over the period" if found is None else f"over {found.label}"
    if ("dtoc_rate", "acute") in index:
        mean, low, high, _ = index[("dtoc_rate", "acute")]
        delayed = index[("delayed_bed_days", "acute")]
        lines.append(
            f"Delayed discharges take {format_number(mean, 'ratio')} of acute bed days "
            f"(95% CI {format_number(low, 'ratio')} to {format_number(high, 'ratio')}): "
            f"{format_number(delayed[0], 'bed days')} bed days {when}."
        )
    rows = []
    for setting in result.scenario.settings.defined():
        row: list[object] = [_label(setting)]
        for measure, _ in HEADLINE:
            if (measure, setting) in index:
                mean, low, high, unit = index[(measure, setting)]
                row.append(_ci(mean, low, high, unit))
            else:
                row.append("-")
        rows.append(row)
    head = ["Service", *(label for _, label in HEADLINE)]

    def spread(lo: float, hi: float, unit: str) -> str:
        return f"{_value(lo, unit)} to {_value(hi, unit)}" if math.isfinite(lo) else "-"

    full = _table(
        (
            "Measure",
            "Service",
            "Unit",
            "Mean",
            "95% CI",
            "Median",
            "5th to 95th percentile",
            "Replications",
        ),
        [
            (
                m,
                _label(str(s)),
                u,
                _value(float(mean), str(u)),
                spread(float(lo), float(hi), str(u)),
                _value(float(med), str(u)),
                spread(float(p05), float(p95), str(u)),
                int(n),
            )
            for m, s, u, mean, lo, hi, med, p05, p95, n in zip(
                summary["measure"],
                summary["setting"],
                summary["unit"],
                summary["mean"],
                summary["ci_low"],
                summary["ci_high"],
                summary["median"],
                summary["p05"],
                summary["p95"],
                summary["replications"],
                strict=True,
            )
        ],
        numeric_from=3,
    )
    body = (
        _chances_part(result, summary, found)
        + "".join(f'<p class="lead">{_e(line)}</p>' for line in lines)
        + '<p class="note">Mean over replications, with its 95% confidence interval '
        "underneath. Capacity gap: places to add so that people in the service and people "
        f"waiting for it fit within the target occupancy on "
        f"{100 * result.scenario.measures.share_of_days:g}% of days (positive: a shortfall)."
        "</p>"
        + _table(head, rows)
        + f"<details><summary>Every measure ({len(summary)} rows), with the median and "
        f"5th to 95th percentiles across replications</summary>{full}</details>"
    )
    return _section("headline", body)


def _census_section(results: Sequence[SimulationResult], found: Period | None) -> str:
    several = len(results) > 1
    intro = (
        "<p>The number of people in each service at midnight (the NHS census), day by day. "
        + (
            "Each scenario's line is its median over replications, with a band holding 90% of them."
            if several
            else "The line is the median over replications; the darker band holds the "
            "middle 50% of replications, the lighter one 90%."
        )
        + " The dashed line is the capacity in force."
        + ("" if found is None else f" The grey band is the reported window, {_e(found.label)}.")
        + "</p>"
    )
    figs = [
        _figure(
            plot_census(list(results), setting, period=found),
            f"Midnight census of {_label(setting).lower()} against capacity",
        )
        for setting in results[0].scenario.settings.defined()
    ]
    return _section("census", intro + "".join(figs))


def _has_waiting(result: SimulationResult, setting: str) -> bool:
    d = result.daily[result.daily["setting"] == setting]
    if float(d["waiting"].max()) > 0:
        return True
    if setting in HOLDING_SETTINGS:
        return float(daily_delayed(result, setting)["delayed"].max()) > 0
    return False


def _waiting_section(results: Sequence[SimulationResult], found: Period | None) -> str:
    intro = (
        "<p><em>Waiting</em>: people who have asked for a place in the service and not yet "
        "got one, wherever they wait (at home, or still in an earlier service). "
        "<em>Delayed</em>: people still in the service after they were ready to leave, "
        "waiting for the next one; in acute these are the delayed discharges (medically "
        "ready, still in a bed). Counted at each midnight."
        + ("" if found is None else f" The grey band is the reported window, {_e(found.label)}.")
        + "</p>"
    )
    figs, quiet = [], []
    for setting in results[0].scenario.settings.defined():
        if any(_has_waiting(res, setting) for res in results):
            fig = plot_waiting(list(results), setting, period=found)
            figs.append(_figure(fig, f"People waiting for and delayed in {_label(setting)}"))
        else:
            quiet.append(_label(setting).lower())
    note = f"<p>Nobody waited for, or was delayed in: {_e(', '.join(quiet))}.</p>" if quiet else ""
    return _section("waiting", intro + "".join(figs) + note)


def _los_section(
    results: Sequence[SimulationResult], summaries: Sequence[pd.DataFrame], found: Period | None
) -> str:
    window = "the period" if found is None else f"the reported window, {_e(found.label)}"
    intro = (
        f"<p>Length of stay (leave - arrival) of the stays that ended in {window}, "
        "people already in the service at the start left out; stays per replication. "
        "Where people can be delayed, the outline is the time until they were ready to "
        "leave: the gap between the two is the delay.</p>"
    )
    figs = []
    rows = []
    for setting in results[0].scenario.settings.defined():
        if all(los_days(res, setting, found).empty for res in results):
            continue
        figs.append(
            _figure(
                plot_los(list(results), setting, period=found),
                f"Length of stay in {_label(setting)}",
            )
        )
    for res, summary in zip(results, summaries, strict=True):
        index = _summary_index(summary)
        for setting in res.scenario.settings.defined():
            cells: list[object] = [] if len(results) == 1 else [res.scenario.name]
            cells.append(_label(setting))
            for m in ("los_mean", "los_median", "los_p90"):
                mean, low, high, unit = index.get((m, setting), (np.nan, np.nan, np.nan, "days"))
                cells.append(_ci(mean, low, high, unit))
            rows.append(cells)
    head = ["Service"] if len(results) == 1 else ["Scenario", "Service"]
    head += ["Mean (days)", "Median (days)", "90th percentile (days)"]
    table = _table(head, rows, numeric_from=len(head) - 3)
    return _section("los", intro + table + "".join(figs))


def _gap_section(
    results: Sequence[SimulationResult], summaries: Sequence[pd.DataFrame], found: Period | None
) -> str:
    sc = results[0].scenario
    days = "days" if found is None else f"the days of {_e(found.label)}"
    intro = (
        "<p>Places to add so that the people in a service and the people waiting for it "
        "fit within its target occupancy on "
        f"{100 * sc.measures.share_of_days:g}% of {days}, with its 95% confidence interval. "
        "Positive is a shortfall, negative is spare capacity. A service with unlimited "
        "capacity has no gap. The capacity warnings after the run use this rule.</p>"
    )
    fig = _figure(plot_capacity_gap(list(results), period=found), "Capacity gap by service")
    rows = []
    for res, summary in zip(results, summaries, strict=True):
        index = _summary_index(summary)
        for setting in res.scenario.settings.defined():
            if ("capacity_gap", setting) not in index:
                continue
            cells: list[object] = [] if len(results) == 1 else [res.scenario.name]
            cells.append(_label(setting))
            cells.append(f"{100 * res.scenario.measures.target(setting):g}%")
            for m in ("capacity", "capacity_needed", "capacity_gap"):
                cells.append(_ci(*index[(m, setting)]))
            rows.append(cells)
    head = ([] if len(results) == 1 else ["Scenario"]) + ["Service", "Target occupancy"]
    head += ["Capacity (mean)", "Places needed", "Capacity gap"]
    return _section("capacity-gap", intro + fig + _table(head, rows, numeric_from=len(head) - 3))


def _level_words(level: EscalationLevel) -> tuple[str, str, str]:
    """A level's trigger, step-down and actions in words."""
    t, down = level.trigger, level.step_down
    what = {"occupancy_rate": "occupancy", "census": "census"}

    def threshold(x: float) -> str:
        return f"{100 * x:g}%" if t.measure == "occupancy_rate" else f"{x:g}"

    def checks(n: int) -> str:
        return "at the check" if n == 1 else f"at {n} checks in a row"

    watched = (
        f"people waiting for {_label(t.setting).lower()}"
        if t.measure == "waiting"
        else f"{_label(t.setting)} {what[t.measure]}"
    )
    trigger = f"{watched} at least {threshold(t.at_least)} {checks(t.for_days)}"
    below = down.below if down.below is not None else t.at_least
    step = f"below {threshold(below)} {checks(down.for_days)}"
    actions = [f"+{n} {_label(name)}" for name, n in level.add_capacity.items() if n]
    if level.add_capacity and level.open_after_days:
        lag = level.open_after_days
        actions.append(f"opening {lag:g} day{'' if lag == 1 else 's'} later")
    actions += [f"+{v:g} {_label(name)} staff a day" for name, v in level.add_staff.items()]
    if level.assessment_days_factor != 1.0:
        actions.append(f"assessment days x {level.assessment_days_factor:g}")
    if level.cancel_electives:
        actions.append(f"cancel {100 * level.cancel_electives:g}% of electives")
    if level.max_days_per_year:
        actions.append(f"at most {level.max_days_per_year} days a year")
    return trigger, step, "; ".join(actions) or "-"


def _operations_section(
    result: SimulationResult, summary: pd.DataFrame, found: Period | None
) -> str:
    """What the escalation plan did, the electives cancelled and the staff time used."""
    sc = result.scenario
    ops = result.plan.operations
    if not ops.active:
        return _section(
            "operations",
            "<p>The scenario has no escalation plan, electives, workforce or discharge "
            "windows (docs/model.md, &quot;Operations&quot;).</p>",
        )
    index = _summary_index(summary)
    tail = _tail(summary)
    window = "the run" if found is None else _e(found.label)
    parts: list[str] = []

    def ci(measure: str, setting: str) -> object:
        return _ci(*index[(measure, setting)]) if (measure, setting) in index else "-"

    def spread(measure: str, setting: str) -> str:
        if (measure, setting) not in tail:
            return "-"
        median, p05, p95 = tail[(measure, setting)]
        unit = index[(measure, setting)][3]
        return (
            f"{format_number(median, unit)} ({format_number(p05, unit)} to "
            f"{format_number(p95, unit)})"
        )

    if ops.levels:
        levels = list(sc.escalation.levels if sc.escalation else [])
        levels += [lv.level for lv in sc.interventions if isinstance(lv, EscalationLevelChange)]
        rows: list[list[object]] = []
        for k, level in enumerate(levels, start=1):
            trigger, step, actions = _level_words(level)
            measure = f"{LEVEL_DAYS}{k}"
            rows.append(
                [level.name, trigger, step, actions, ci(measure, PLACE), spread(measure, PLACE)]
            )
        rows.append(
            ["Any level", "", "", "", ci("days_escalated", PLACE), spread("days_escalated", PLACE)]
        )
        head = ["Level", "Starts when", "Steps down when", "Does", "Days held", "Median (5th-95th)"]
        check = sc.escalation.check_time if sc.escalation else ""
        parts.append(
            f"<h3>Escalation levels</h3><p>Checked daily at {_e(check)}"
            f"; days each level held in {window}, mean with its 95% confidence interval, and "
            "the median with the 5th and 95th percentiles across replications.</p>"
            + _table(head, rows, numeric_from=4)
        )
        extra_rows = [
            [_label(name), ci("extra_capacity", name), ci("extra_place_days", name)]
            for name in SETTINGS
            if ("extra_capacity", name) in index
        ]
        if extra_rows:
            parts.append(
                "<p>Places the levels added, on average over the days and in place days:</p>"
                + _table(["Service", "Places added (mean)", "Place days"], extra_rows)
            )
        if ("escalation_cost", PLACE) in index:
            parts.append(_facts([("Cost of escalation", ci("escalation_cost", PLACE))]))
        parts.append(_figure(plot_escalation(result), "Escalation levels by day"))
    if ops.electives:
        start, end = (
            (0.0, float(result.plan.horizon_days)) if found is None else found.window(result.plan)
        )
        first, last = result.plan.warmup_days + int(start), result.plan.warmup_days + int(end)
        scheduled = sum(int(g.per_day[first:last].sum()) for g in ops.electives)
        parts.append(
            "<h3>Electives</h3>"
            + _facts(
                [
                    (f"Scheduled in {window}", f"{scheduled:,}"),
                    ("Admitted", ci("electives_admitted", "acute")),
                    ("Cancelled for want of a bed", ci("electives_cancelled_no_bed", "acute")),
                    ("Cancelled", ci("electives_cancelled", "acute")),
                ]
            )
        )
    for name in (n for n in SETTINGS if ops.staffed[SETTINGS.index(n)]):
        unit = ops.need_unit(name)
        measures = [
            (f"{unit}_needed", f"{unit.capitalize()} needed a day"),
            (f"{unit}_available", f"{unit.capitalize()} available a day"),
            (f"{unit}_used", f"{unit.capitalize()} used a day"),
            (f"{unit}_short", f"Shortfall ({unit} a day)"),
            ("shortfall_days", "Days short"),
            ("wte_needed", "Whole-time equivalents needed"),
        ]
        rows = [[what, ci(m, name), spread(m, name)] for m, what in measures if (m, name) in index]
        parts.append(
            f"<h3>Staff: {_e(_label(name))}</h3>"
            + _table(["Measure", "Mean (95% CI)", "Median (5th-95th)"], rows)
            + _figure(plot_staff(result, name), f"Staff {unit} needed and available")
        )

    def days(w: DischargeWindow) -> str:
        return w.days if isinstance(w.days, str) else ", ".join(w.days)

    windows = [f"{_label(dest)}: {days(w)} {w.hours}" for dest, w in sc.discharge_windows.items()]
    windows += [
        f"{', '.join(_label(d) for d in lever.destinations)}: {days(lever.window)} "
        f"{lever.window.hours} from {lever.start}"
        + (f" to {lever.end}" if lever.end else "")
        + (f" ({lever.name})" if lever.name else "")
        + (
            f" for {', '.join(lever.localities or lever.partnerships or [])}"
            if lever.localities or lever.partnerships
            else ""
        )
        for lever in sc.interventions
        if isinstance(lever, DischargeWindowChange)
    ]
    if windows:
        parts.append(
            "<h3>Discharge windows</h3><p>Moves happen only in these days and hours; a place "
            "granted outside them is taken when they next open: " + _e("; ".join(windows)) + ".</p>"
        )
    return _section("operations", "".join(parts))


def _outcomes_section(result: SimulationResult, found: Period | None) -> str:
    table = result.outcomes(period=found)
    costed = "cost_gbp_mean" in table.columns
    framework = {o.name: o for o in OUTCOMES}
    rows = []
    for _, r in table.iterrows():
        name = str(r["outcome"])
        d = framework[name]
        label = _Html(
            f'<span title="{_e(d.description)}">{_e(_label(name))}</span>'
            + ("" if d.framework else ' <span class="note">(not in the framework)</span>')
        )
        cells: list[object] = [
            label,
            str(r["unit"]),
            str(r["direction"]),
            _ci(float(r["mean"]), float(r["ci_low"]), float(r["ci_high"]), str(r["unit"])),
        ]
        if costed:
            cells.append(
                _ci(
                    float(r["cost_gbp_mean"]),
                    float(r["cost_gbp_ci_low"]),
                    float(r["cost_gbp_ci_high"]),
                    "GBP",
                )
            )
        rows.append(cells)
    head = ["Outcome", "Unit", "Direction", "Mean (95% CI)"] + (["Cost"] if costed else [])
    intro = (
        "<p>The measures the partners agreed that the model can produce, counted in the "
        + ("period" if found is None else f"reported window, {_e(found.label)}")
        + " (docs/outcomes.md). Hover over a name for its definition.</p>"
    )
    return _section("outcomes", intro + _table(head, rows, numeric_from=3))


def _group_section(result: SimulationResult, by: str, found: Period | None) -> str:
    key = "localities" if by == "locality" else "partnerships"
    outcomes = result.outcomes(by=by, period=found)
    groups = list(dict.fromkeys(str(g) for g in outcomes[by]))
    cell = {
        (str(o), str(g)): _ci(float(m), float(lo), float(hi), str(u))
        for o, g, m, lo, hi, u in zip(
            outcomes["outcome"],
            outcomes[by],
            outcomes["mean"],
            outcomes["ci_low"],
            outcomes["ci_high"],
            outcomes["unit"],
            strict=True,
        )
    }
    rows = [[g, *(cell.get((o, g), "-") for o in GROUP_OUTCOMES)] for g in groups]
    head = [by.capitalize(), *(_label(o) for o in GROUP_OUTCOMES)]
    summary = result.summary(by=by, period=found)
    detail_rows = []
    for (measure, setting), g in summary.groupby(["measure", "setting"], sort=False):
        values = {
            str(k): _ci(float(m), float(lo), float(hi), str(u))
            for k, m, lo, hi, u in zip(
                g[by], g["mean"], g["ci_low"], g["ci_high"], g["unit"], strict=True
            )
        }
        detail_rows.append([_label(str(setting)), measure, *(values.get(x, "-") for x in groups)])
    detail = _table(["Service", "Measure", *groups], detail_rows, numeric_from=2)
    window = "" if found is None else f" in the reported window, {_e(found.label)}"
    intro = (
        f"<p>Outcomes of the people of each {by}{window}. Counts and bed days add up to the "
        "place; "
        "occupancy, waiting and capacity gaps are about services the whole place shares, so "
        "they are not split (docs/outcomes.md).</p>"
    )
    body = (
        intro
        + _table(head, rows)
        + f"<details><summary>Measures by {by} and service</summary>{detail}</details>"
    )
    return _section(key, body)


def _breakdown_section(result: SimulationResult, by: str) -> str:
    """A table of `by` (``month`` or ``financial_year``): for acute and each setting with a
    limited capacity, the measures of :data:`BREAKDOWN_MEASURES`, one column a period."""
    key = "months" if by == "month" else "financial-years"
    table = result.by_period(by)
    periods = list(dict.fromkeys(str(p) for p in table["period"]))
    cell = {
        (str(p), str(m), str(st)): _ci(float(mean), float(lo), float(hi), str(u))
        for p, m, st, mean, lo, hi, u in zip(
            table["period"],
            table["measure"],
            table["setting"],
            table["mean"],
            table["ci_low"],
            table["ci_high"],
            table["unit"],
            strict=True,
        )
    }
    shown = {"acute"} | {str(st) for st in table.loc[table["measure"] == "capacity_gap", "setting"]}
    rows = []
    for setting in (s for s in SETTINGS if s in shown):
        first = True
        for measure in BREAKDOWN_MEASURES:
            if measure == "delayed_bed_days" and setting not in HOLDING_SETTINGS:
                continue  # nobody is held there waiting for a later service
            if not any((p, measure, setting) in cell for p in periods):
                continue
            unit = measure_unit(measure, setting)
            heading = {
                "admissions": "Admissions",
                "bed_days": unit.capitalize(),
                "delayed_bed_days": f"Delayed {unit}",
                "occupancy_rate": "Occupancy rate",
                "capacity_gap": f"Capacity gap ({unit})",
            }[measure]
            rows.append(
                [
                    _label(setting) if first else "",
                    heading,
                    *(cell.get((p, measure, setting), "-") for p in periods),
                ]
            )
            first = False
    ops = result.plan.operations
    extra: list[tuple[str, str, str]] = [
        (name, f"{ops.need_unit(name)}_short", f"Staff {ops.need_unit(name)} short a day")
        for name in SETTINGS
        if ops.staffed[SETTINGS.index(name)]
    ]
    extra += [
        (name, "shortfall_days", "Days short of staff")
        for name in SETTINGS
        if ops.staffed[SETTINGS.index(name)]
    ]
    if ops.levels:
        extra.append((PLACE, "days_escalated", "Days escalated"))
    for setting, measure, heading in extra:
        if any((p, measure, setting) in cell for p in periods):
            rows.append(
                [
                    "Place" if setting == PLACE else _label(setting),
                    heading,
                    *(cell.get((p, measure, setting), "-") for p in periods),
                ]
            )
    what = "month" if by == "month" else "NHS financial year (April to March)"
    intro = (
        f"<p>Each {what} of the whole run, for acute and each service with a limited "
        "capacity: mean over replications with its 95% confidence interval underneath. "
        "Counts are of stays that began in the period, bed days and delayed bed days the time "
        "inside it, occupancy and the capacity gap over its days (the capacity gap at "
        "the target occupancy on the same share of days). A period cut by the run's start or "
        "end says so in its heading (<code>res.by_period"
        f"(&quot;{by}&quot;)</code>).</p>"
    )
    heads: list[object] = ["Service", "Measure"]
    for p in periods:
        name, sep, rest = p.partition(" (")
        heads.append(_Html(f'{_e(name)}<span class="ci">({_e(rest)}</span>') if sep else p)
    return _section(key, intro + _table(heads, rows, numeric_from=2))


def result_html(result: SimulationResult, period: str | Period | None = None) -> str:
    """The report of one result as a self-contained HTML page (:data:`RESULT_SECTIONS`).

    With `period` (``"START:END"`` or a name from the scenario's ``periods:``), the
    headline, length of stay, capacity gap, outcomes and locality sections and the
    capacity warnings after the run are of that window, and the page says so at its top;
    the census and waiting charts show the whole run with the window shaded.
    """
    result.stays_table("the HTML report")
    found = find_period(period, result.plan)
    sc = result.scenario
    lead = (
        f"{_period(sc)}, {result.replications} replication"
        f"{'s' if result.replications != 1 else ''} on seed {result.seed}."
    )
    summary = result.summary(period=found)
    sections = [
        _scenario_section(result, found),
        _warnings_section([result], found),
        _headline_section(result, summary, found),
        _inputs_section(result),
        _census_section([result], found),
        _waiting_section([result], found),
        _los_section([result], [summary], found),
        _gap_section([result], [summary], found),
        _operations_section(result, summary, found),
        _breakdown_section(result, "month"),
        _breakdown_section(result, "financial_year"),
        _outcomes_section(result, found),
        _group_section(result, "locality", found),
        _group_section(result, "partnership", found),
    ]
    title = f"placesim report: {sc.name}" + ("" if found is None else f", {found.label}")
    return _page(title, lead, sections, RESULT_SECTIONS, _window_notice(sc, found))


def _inputs_section(result: SimulationResult) -> str:
    """The uncertain inputs, what they mean for the intervals, and which of them matter."""
    inputs = result.scenario.uncertain_inputs
    if not inputs:
        return _section(
            "inputs",
            "<p>Every input of this scenario is a single number, so the intervals in this "
            "report describe only the randomness of arrivals and lengths of stay, not doubt "
            "about the inputs themselves. To carry that doubt through, write a range in "
            "place of a figure (docs/uncertainty.md).</p>",
        )
    drawn = result.parameters.groupby("path")["value"]
    lowest, highest = drawn.min(), drawn.max()
    rows = [
        [
            spec.path,
            spec.family,
            f"{spec.low:.4g}",
            f"{spec.median:.4g}",
            f"{spec.high:.4g}",
            f"{lowest.get(spec.path, math.nan):.4g} to {highest.get(spec.path, math.nan):.4g}",
        ]
        for spec in inputs
    ]
    head = ["Input", "Distribution", "10th pct", "Median", "90th pct", "Drawn in this run"]
    parts = [
        f"<p>{len(inputs)} input{'s are' if len(inputs) != 1 else ' is'} uncertain: each "
        "replication draws its own value of each from the range the scenario gives, so "
        "every interval and percentile in this report holds both kinds of uncertainty: the "
        "randomness of arrivals and stays, and doubt about these inputs. The values each "
        "replication took are in parameters.csv (docs/uncertainty.md).</p>",
        _table(head, rows, numeric_from=2),
    ]
    setting = "acute" if "acute" in result.scenario.settings.defined() else None
    try:
        table = result.sensitivity("bed_days", setting)
    except PlacesimError as exc:
        parts.append(f"<p>Which inputs matter is not shown: {_e(exc)}.</p>")
        return _section("inputs", "".join(parts))
    from placesim.reporting.plots import plot_tornado

    r2 = float(table["r_squared"].iloc[0])
    measure = f"bed days in {_label(str(table.attrs['setting']))}"
    ranked = [[c["path"], c["prcc"], c["ci"], c["share"]] for c in sensitivity_cells(table)]
    parts += [
        f"<p>Which inputs matter for {_e(measure)}: the partial rank correlation of each "
        "input with it over the replications (PRCC, with its 95% CI), and the share of its "
        f"variance each explains. Together the inputs explain {r2:.0%} of the variance; "
        "the rest is the randomness of arrivals and stays.</p>",
        _table(["Input", "PRCC", "95% CI", "Share of variance"], ranked),
        _figure(
            plot_tornado(table, result.scenario.name),
            f"Tornado chart of {measure}",
            "Each bar: the measure with the input at its 10th and 90th percentile and the "
            "others at their medians, from a linear fit over the replications.",
        ),
    ]
    return _section("inputs", "".join(parts))


def sensitivity_html(result: SimulationResult, table: pd.DataFrame) -> str:
    """A page of one sensitivity analysis: the table and its tornado chart."""
    from placesim.reporting.plots import plot_tornado

    measure, setting = str(table.attrs["measure"]), str(table.attrs["setting"])
    keys = ("path", "prcc", "ci", "share", "low", "high", "at_low", "at_high")
    rows = [[c[k] for k in keys] for c in sensitivity_cells(table)]
    head = ["Input", "PRCC", "95% CI", "Share of variance", "10th pct", "90th pct"]
    head += ["Measure at 10th", "Measure at 90th"]
    r2 = float(table["r_squared"].iloc[0])
    body = (
        f"<p>How much of the spread of {_e(measure.replace('_', ' '))} in "
        f"{_e(_label(setting).lower())} ({_e(table.attrs.get('period', 'the whole run'))}) across "
        f"{result.replications} replications each uncertain input explains. The inputs "
        f"together explain {r2:.0%} of its variance (R squared of a linear fit); the rest is "
        "the randomness of arrivals and stays. Method and limits: docs/uncertainty.md.</p>"
        + _table(head, rows)
        + _figure(
            plot_tornado(table, result.scenario.name),
            f"Tornado chart of {measure}",
            "Each bar: the measure with the input at its 10th and 90th percentile and the "
            "others at their medians, from a linear fit over the replications.",
        )
    )
    title = f"placesim sensitivity: {result.scenario.name}"
    lead = f"{_period(result.scenario)}, {result.replications} replications on seed {result.seed}."
    return _page(title, lead, [_section("inputs", body)], ["inputs"])


def write_sensitivity_report(result: SimulationResult, table: pd.DataFrame, path: Path) -> Path:
    """Write :func:`sensitivity_html` to `path` atomically; returns the file written."""
    return write_text(path, sensitivity_html(result, table))


# ------------------------------------------------------------------------------ regions

REGION_SECTIONS: tuple[str, ...] = ("region", "totals", "spread", "places", "multiples")
"""Section ids of a region's report, in page order."""

_SPREAD_WORDS = {
    "places_over_target": "places over their target occupancy, on average over the run",
    "places_with_days_over_target": "places over their target occupancy on at least one day",
    "place_days_over_target": "place-days over target occupancy",
    "occupancy_rate_place_median": "occupancy rate of the median place",
    "occupancy_rate_place_p90": "occupancy rate of the place at the 90th percentile",
    "capacity_gap_place_median": "capacity gap of the median place",
    "capacity_gap_place_p90": "capacity gap of the place at the 90th percentile",
}


def _summary_rows(table: pd.DataFrame, measures: Sequence[str]) -> list[list[object]]:
    rows: list[list[object]] = []
    for r in table.to_dict("records"):
        if str(r["measure"]) not in measures:
            continue
        unit = str(r["unit"])
        rows.append(
            [
                _label(str(r["setting"])),
                _SPREAD_WORDS.get(str(r["measure"]), str(r["measure"]).replace("_", " ")),
                _ci(float(r["mean"]), float(r["ci_low"]), float(r["ci_high"]), unit),
                f"{format_number(float(r['p05']), unit)} to {format_number(float(r['p95']), unit)}",
            ]
        )
    return rows


def region_html(result: RegionResult) -> str:
    """The report of a region run as a self-contained HTML page (:data:`REGION_SECTIONS`)."""
    from placesim.reporting.plots import plot_places

    summary = result.region_summary()
    head = ["Service", "Measure", "Mean (95% CI)", "5th-95th pct across replications"]
    totals = _summary_rows(summary, ("admissions", "bed_days", "delayed_bed_days", "capacity"))
    spread = _summary_rows(summary, tuple(_SPREAD_WORDS))
    settings = set(result.measures["setting"].astype(str))
    table = result.place_table("acute") if "acute" in settings else None
    seeds = [[name, str(seed)] for name, seed in result.seeds.items()]
    sections = [
        _section(
            "region",
            f"<p>{len(result.places)} places, each run as its own scenario on its own seed "
            f"(derived from the region's seed {result.seed} and the place's name, so a place "
            "gives the same numbers when run alone with its seed), "
            f"{result.replications} replications each. Each place's people use its own "
            "services: there are no flows between places.</p>" + _table(["Place", "Seed"], seeds),
        ),
        _section(
            "totals",
            "<p>Sums over the places within each replication, then the mean over "
            "replications with its 95% CI.</p>" + _table(head, totals, numeric_from=2),
        ),
        _section(
            "spread",
            "<p>How many places are over their target occupancy, and on how many days, and "
            "the occupancy and capacity gap of the typical and the worse places: a pooled "
            "region hides these.</p>" + _table(head, spread, numeric_from=2),
        ),
        _section(
            "places",
            "<p>Acute, the mean over replications.</p>"
            + (
                _table(
                    ["Place", *(str(c).replace("_", " ") for c in table.columns[1:])],
                    [
                        [
                            str(row[0]),
                            *(
                                format_number(float(v), measure_unit(str(c), "acute"))
                                for c, v in zip(table.columns[1:], row[1:], strict=True)
                            ),
                        ]
                        for row in table.itertuples(index=False)
                    ],
                )
                if table is not None
                else "<p>The places have no acute setting.</p>"
            ),
        ),
        _section(
            "multiples",
            _figure(
                plot_places(result, "acute" if "acute" in settings else sorted(settings)[0]),
                "Small multiples of each place's census against capacity",
            ),
        ),
    ]
    lead = f"{len(result.places)} places, {result.replications} replications, seed {result.seed}."
    return _page(f"placesim region: {result.name}", lead, sections, REGION_SECTIONS)


def write_region_report(result: RegionResult, path: str | Path) -> Path:
    """Write :func:`region_html` to `path` (a .html file, or a folder: its report.html)."""
    return write_text(_target(path), region_html(result))


# ----------------------------------------------------------------------------- backtests

BACKTEST_SECTIONS: tuple[str, ...] = (
    "verdict",
    "scores",
    "observed-census",
    "observed-admissions",
    "observed-delayed",
    "observed-los",
)
"""Section ids of a backtest's page, in page order (a series the backtest could not
compare has no section)."""


def _share(x: float) -> str:
    return f"{x:.0%}" if math.isfinite(x) else "-"


def _signed(x: float, digits: int = 1) -> str:
    return f"{x:+,.{digits}f}" if math.isfinite(x) else "-"


def backtest_html(
    title: str,
    lead: str,
    table: pd.DataFrame,
    points: pd.DataFrame,
    verdict: str,
    notes: Sequence[str],
    *,
    suppress: int,
    thresholds: dict[str, float],
    series_titles: dict[str, str] | None = None,
) -> str:
    """A backtest's page (:data:`BACKTEST_SECTIONS`): the verdict, the scores of each series
    in each setting, and observed over simulated fan charts (:func:`plots.plot_backtest`).

    Takes plain tables, as ``placesim.fitting.BacktestResult`` gives them to share:
    `table` with columns series, setting, unit, points, coverage, bias, bias_pct, mape,
    good_coverage, good_bias_pct, verdict; `points` with series, setting, unit, date,
    observed (blank where suppressed), suppressed, p05, p25, median, p75, p95. The page
    shows no observed figure that `points` leaves blank. `thresholds` gives the fixed
    good_coverage, good_bias_pct, poor_coverage and poor_bias_pct.
    """
    from placesim.reporting.plots import plot_backtest

    words = {
        "census": "Midnight census",
        "admissions": "Admissions a week",
        "delayed": "Delayed at midnight (ready, not discharged)",
        "los": "Mean length of stay of the stays ended each week",
        **(series_titles or {}),
    }
    level, _, rest = verdict.partition(": ")
    good_c, good_b = thresholds["good_coverage"], thresholds["good_bias_pct"]
    poor_c, poor_b = thresholds["poor_coverage"], thresholds["poor_bias_pct"]
    body = [
        f"<p><strong>{_e(level.capitalize())}</strong>: {_e(rest)}.</p>",
        "<p>Each series of each setting is scored three ways: the share of its days (or "
        "weeks) on which what happened lies inside the simulated 90% band (5th to 95th "
        "percentile across replications); the bias, the simulated mean less what happened, "
        "on average, as a share of what happened (positive: the simulation runs high); and "
        "the mean absolute percentage error of the simulated median. "
        f"<em>Good</em>: at least {good_c:.0%} of points inside the band and a bias within "
        f"{good_b:.0f}%. <em>Poor</em>: fewer than {poor_c:.0%} inside, or a bias beyond "
        f"{poor_b:.0f}%. <em>Fair</em>: in between. Not 90%: a day's census is mostly "
        "yesterday's people, so a year of days holds only a few dozen independent ones, and "
        "even the model's own runs land inside their band on fewer days than 90% now and "
        "then. Where the model's own runs (each replication against the band of the "
        "others) scatter wider than these thresholds, as for a small service or a care "
        "home's census, the thresholds widen to that scatter: good needs what a run of the "
        "model itself reaches nine times in ten, and poor is three times the scatter of the "
        "model's own runs. A series that is mostly 0 is judged by its band alone. The whole "
        "is poor when any row is poor or more than half are fair, fair when more than a "
        "third are fair (a true model has about one in five fair by chance), and good "
        "otherwise.</p>",
    ]
    if notes:
        body.append(_warning_list(notes))
    if suppress > 0:
        body.append(
            f'<p class="note">Observed figures about fewer than {suppress} people (a census, '
            "a week's admissions, a count of people delayed, or a week's mean stay of fewer "
            "stays) are not shown, as NHS small-number rules expect; the scores use every "
            "day. The page holds no patient identifier, only counts and estimates.</p>"
        )
    sections = [_section("verdict", "".join(body))]
    rows = [
        [
            words.get(str(r["series"]), str(r["series"])),
            _label(str(r["setting"])),
            str(r["verdict"]),
            f"{int(r['points']):,}",
            _share(float(r["coverage"])),
            f"{_signed(float(r['bias']), 2)} {r['unit']}",
            _signed(float(r["bias_pct"])),
            f"{float(r['mape']):.1f}" if math.isfinite(float(r["mape"])) else "-",
            f"{float(r['good_coverage']):.0%} inside, |bias| {float(r['good_bias_pct']):.0f}%",
        ]
        for r in table.to_dict("records")
    ]
    head = [
        "Series",
        "Setting",
        "Verdict",
        "Points",
        "Inside 90% band",
        "Bias",
        "Bias (%)",
        "MAPE (%)",
        "Good from",
    ]
    sections.append(
        _section(
            "scores",
            "<p>One row per series and setting. <em>Good from</em> gives the thresholds "
            "the row was judged by: the fixed ones, or, where a run of the model itself "
            "(each replication against the band of the others) scatters wider, the share "
            "inside the band it falls below, and the bias it exceeds, one time in ten.</p>"
            + _table(head, rows, numeric_from=3),
        )
    )
    keys = ["verdict", "scores"]
    for series, what in words.items():
        mine = points[points["series"] == series]
        if mine.empty:
            continue
        key = f"observed-{series}"
        keys.append(key)
        sections.append(
            _section(
                key,
                _figure(
                    plot_backtest(mine, what, suppress=suppress, counts=series != "los"),
                    f"{what}: observed over simulated, by setting",
                    "Shaded: the simulated 50% and 90% bands across replications; blue line: "
                    "their median; black: what happened; orange: observed points outside "
                    "the 90% band."
                    + (
                        f" Weeks whose mean rests on fewer than {suppress} stays are not shown."
                        if series == "los" and suppress > 0
                        else ""
                    ),
                ),
            )
        )
    return _page(title, lead, sections, keys)


# -------------------------------------------------------------------------- comparisons


def _scenarios_section(cmp: Comparison, found: Period | None) -> str:
    results = cmp.results
    first = results[0]
    items: list[tuple[str, object]] = [
        ("Base", first.scenario.name),
        ("Replications", f"{first.replications} of each, on the same seed"),
        ("Seed", f"{first.seed}"),
    ]
    if found is not None:
        items.append(("Reported window", _window_words(found)))
    uncertain = [r.scenario.name for r in results if r.scenario.uncertain_inputs]
    if uncertain:
        items.append(
            (
                "Uncertain inputs",
                f"{', '.join(uncertain)} draw their ranges afresh in each replication (the "
                "same values for the inputs they share), so the intervals and chances hold "
                "both the randomness of arrivals and stays and the doubt about those inputs "
                "(docs/uncertainty.md)",
            )
        )
    facts = _facts(items)
    settings = [s for s in SETTINGS if any(s in r.scenario.settings.defined() for r in results)]
    rows: list[list[object]] = [
        ["Description", *(r.scenario.description or "-" for r in results)],
        ["Period", *(_period(r.scenario) for r in results)],
        ["Warm-up", *(_warmup(r.scenario) for r in results)],
        ["Population", *(_people(r.scenario, r.plan) for r in results)],
    ]
    for s in settings:
        row: list[object] = [f"{_label(s)}: capacity"]
        for r in results:
            if s in r.scenario.settings.defined():
                start, steps = _capacity_text(r.scenario, r.plan, s)
                row.append(start + (f" ({steps})" if steps else ""))
            else:
                row.append("not modelled")
        rows.append(row)
    rows.append(
        [
            "Interventions",
            *(
                "; ".join(
                    f"{lever.type.replace('_', ' ')}" + (f" ({lever.name})" if lever.name else "")
                    for lever in r.scenario.interventions
                )
                or "none"
                for r in results
            ),
        ]
    )
    inputs = _table(["", *(r.scenario.name for r in results)], rows, numeric_from=99)
    changes: list[str] = []
    limit = 40
    for r in results[1:]:
        lines = diff_scenarios(first.scenario, r.scenario)
        shown = "".join(f"<li><code>{_e(line)}</code></li>" for line in lines[:limit])
        more = f"<li>and {len(lines) - limit} more</li>" if len(lines) > limit else ""
        changes.append(
            f"<h3>{_e(r.scenario.name)}: what differs from {_e(first.scenario.name)}</h3>"
            + (f"<ul>{shown}{more}</ul>" if lines else "<p>Nothing but the name.</p>")
        )
    intro = (
        "<p>Every scenario ran on the same seed: replication r of each saw the same people "
        "with the same needs (common random numbers), so differences come from the policy "
        "and are paired replication by replication.</p>"
    )
    return _section("scenarios", intro + facts + inputs + "".join(changes))


def _decisions_section(cmp: Comparison, found: Period | None) -> str:
    table = cmp.decisions()
    base = cmp.results[0].scenario.name
    window = "the whole run" if found is None else f"the reported window, {found.label}"
    intro = (
        f"<p>Each scenario against {_e(base)} over {_e(window)}: the headline measures and, "
        "where the scenarios give unit costs, the net cost (activity plus the capacity "
        "provided). The difference is paired replication by replication (common random "
        "numbers), with its 95% confidence interval underneath, in bold where that excludes "
        "zero. <em>Chance better</em> is the share of replications in which the scenario did "
        "better than the base, with its Wilson 95% interval.</p>"
    )
    if table.empty:
        return _section("decisions", intro + "<p>No headline measures in common.</p>")
    rows = []
    for r in table.to_dict("records"):
        measure, setting, unit = str(r["measure"]), str(r["setting"]), str(r["unit"])
        words = measure_label(measure, setting)
        what = (
            f"Net cost (GBP): {setting}"
            if measure == "net_cost"
            else _label(words) + ("" if unit == "ratio" or unit in words else f" ({unit})")
        )
        share = float(r["chance_better"])
        low, high = float(r["chance_ci_low"]), float(r["chance_ci_high"])
        chance: object = (
            _Html(f'{_e(_pct(share))}<span class="ci">{_e(_pct(low))} to {_e(_pct(high))}</span>')
            if math.isfinite(share)
            else "-"
        )
        better = str(r["better"]) if isinstance(r["better"], str) else "-"
        rows.append(
            [
                str(r["scenario"]),
                what,
                f"{better} is better" if better != "-" else "-",
                _value(float(r["base"]), unit),
                _value(float(r["value"]), unit),
                _diff_cell(
                    float(r["diff"]), float(r["diff_ci_low"]), float(r["diff_ci_high"]), unit
                ),
                chance,
            ]
        )
    head = [
        "Scenario",
        "Measure",
        "Better",
        f"{base} (base)",
        "This scenario",
        "Difference (95% CI)",
        "Chance better (95% CI)",
    ]
    return _section("decisions", intro + _table(head, rows, numeric_from=3))


def _min_differences(cmp: Comparison) -> str:
    order = [m for m in MEASURES if m in cmp.min_difference]
    order += sorted(m for m in cmp.min_difference if m not in MEASURES)
    items = "; ".join(f"{m} {cmp.min_difference[m]:g}" for m in order)
    return (
        "<details><summary>The smallest difference of each measure worth a line (in its "
        f"unit, over the window compared)</summary><p>{_e(items)}</p></details>"
    )


def _significant_section(cmp: Comparison) -> str:
    lines = cmp.significant()
    if lines:
        body = "<ul>" + "".join(f"<li>{_e(line)}</li>" for line in lines) + "</ul>"
    else:
        body = (
            "<p>No difference from the base both has a 95% confidence interval that excludes "
            "zero and reaches the smallest difference worth reporting.</p>"
        )
    intro = (
        '<p class="note">Each difference from the base whose paired-t 95% interval over '
        "replications excludes zero (Law, <em>Simulation Modeling and Analysis</em>, 10.2.1) "
        "and whose size reaches the smallest difference worth reporting for its measure: "
        "trivia drop out. With many measures a few will pass by chance: read them with the "
        "size of the effect.</p>"
    )
    return _section("significant", intro + body + _min_differences(cmp))


def _difference(x: float, unit: str) -> str:
    """A difference: a ratio's in percentage points (92% - 90% is 2 pp, not 2%)."""
    if unit == "ratio" and math.isfinite(x):
        return f"{100 * x:.1f} pp" if round(100 * x, 1) != 0 else "0.0 pp"
    return _value(x, unit)


def _diff_cell(diff: float, low: float, high: float, unit: str) -> _Html:
    signed = _difference(diff, unit)
    if math.isfinite(diff) and diff > 0 and not signed.startswith("0.0 "):
        signed = "+" + signed
    text = _e(signed)
    if math.isfinite(low) and math.isfinite(high):
        interval = f"{_difference(low, unit)} to {_difference(high, unit)}"
        text += f'<span class="ci">{_e(interval)}</span>'
    return _Sig(text) if _significant(low, high) else _Html(text)


def _comparison_headline(cmp: Comparison) -> str:
    table = cmp.table
    names = [r.scenario.name for r in cmp.results]
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in table.to_dict("records")
    ]
    index = {(str(r["scenario"]), str(r["measure"]), str(r["setting"])): r for r in records}
    settings = [s for s in SETTINGS if any(s == str(r["setting"]) for r in records)]
    rows = []
    for setting in settings:
        for measure, label in HEADLINE:
            if (names[0], measure, setting) not in index:
                continue
            row: list[object] = [_label(setting), label]
            for i, name in enumerate(names):
                r = index.get((name, measure, setting))
                if r is None:
                    row += ["-"] if i == 0 else ["-", "-"]
                    continue
                unit = str(r["unit"])
                row.append(_ci(float(r["mean"]), float(r["ci_low"]), float(r["ci_high"]), unit))
                if i > 0:
                    diff = (float(r["diff"]), float(r["diff_ci_low"]), float(r["diff_ci_high"]))
                    row.append(_diff_cell(*diff, unit))
            rows.append(row)
    head: list[str] = ["Service", "Measure", names[0]]
    for name in names[1:]:
        head += [name, f"{name} - {names[0]}"]
    numbers = ["mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high"]
    full_rows = [
        [
            r["scenario"],
            r["measure"],
            _label(str(r["setting"])),
            r["unit"],
            *(_value(float(r[c]), str(r["unit"])) for c in numbers[:3]),
            *(_difference(float(r[c]), str(r["unit"])) for c in numbers[3:]),
        ]
        for r in records
    ]
    full = _table(["scenario", "measure", "setting", "unit", *numbers], full_rows, numeric_from=4)
    body = (
        '<p class="note">Mean and 95% CI of each scenario, and its paired difference from '
        f"{_e(names[0])} with the difference's 95% CI; bold where that CI excludes zero.</p>"
        + _table(head, rows, numeric_from=2)
        + f"<details><summary>The whole comparison table ({len(table)} rows)</summary>"
        + f"{full}</details>"
    )
    return _section("headline", body)


def _paired_outcomes(
    results: Sequence[SimulationResult], by: str | None, found: Period | None = None
) -> pd.DataFrame:
    """Each scenario's outcomes and their paired differences from the first, per group,
    over the whole run or the window `found`."""
    keys = ["outcome"] + ([by] if by is not None else [])
    tables = []
    for res in results:
        stays = res.stays_table("the HTML report")
        window = None if found is None else found.window(res.plan)
        t = replication_outcomes(res.plan, stays, by, res._replication_numbers(), window)
        t = t.astype({k: str for k in keys})
        tables.append(t.set_index(["replication", *keys])["value"])
    base = tables[0]
    rows = []
    for res, values in zip(results, tables, strict=True):
        joined = pd.concat({"alt": values, "base": base}, axis=1)
        for key, g in joined.groupby(level=keys, sort=False):
            mean, low, high, _ = t_interval(g["alt"].to_numpy(dtype=float))
            diff = (g["alt"] - g["base"]).to_numpy(dtype=float)
            d, d_low, d_high, _ = t_interval(diff)
            group = key if isinstance(key, tuple) else (key,)
            rows.append((res.scenario.name, *group, mean, low, high, d, d_low, d_high))
    columns = ["scenario", *keys, "mean", "ci_low", "ci_high", "diff", "diff_ci_low"]
    return pd.DataFrame(rows, columns=[*columns, "diff_ci_high"])


def _verdict(name: str, diff: float, low: float, high: float) -> str:
    if not _significant(low, high):
        return ""
    direction = {o.name: o.direction for o in OUTCOMES}[name]
    if direction == "lower is better":
        return "better" if diff < 0 else "worse"
    if direction == "higher is better":
        return "better" if diff > 0 else "worse"
    return "higher" if diff > 0 else "lower"


def _comparison_outcomes(cmp: Comparison, found: Period | None) -> str:
    table = _paired_outcomes(cmp.results, None, found)
    names = [r.scenario.name for r in cmp.results]
    units = {o.name: o.unit for o in OUTCOMES}
    directions = {o.name: o.direction for o in OUTCOMES}
    rows = []
    for outcome in [o.name for o in OUTCOMES]:
        unit = units[outcome]
        row: list[object] = [_label(outcome), unit, directions[outcome]]
        for i, name in enumerate(names):
            r = table[(table["scenario"] == name) & (table["outcome"] == outcome)]
            if r.empty:
                row += ["-"] if i == 0 else ["-", "-"]
                continue
            x = r.iloc[0]
            row.append(_ci(float(x["mean"]), float(x["ci_low"]), float(x["ci_high"]), unit))
            if i > 0:
                d = (float(x["diff"]), float(x["diff_ci_low"]), float(x["diff_ci_high"]))
                cell = _diff_cell(*d, unit)
                verdict = _verdict(outcome, *d)
                if verdict:
                    cell = _Sig(f'{cell}<span class="ci">{_e(verdict)}</span>')
                row.append(cell)
        rows.append(row)
    head: list[str] = ["Outcome", "Unit", "Direction", names[0]]
    for name in names[1:]:
        head += [name, f"{name} - {names[0]}"]
    window = "" if found is None else f" in the reported window, {_e(found.label)}"
    intro = (
        f"<p>The Joint Outcomes Framework of each scenario{window} and the paired difference "
        "from the base; bold where its 95% CI excludes zero, with whether that is better or "
        "worse by the outcome's direction.</p>"
    )
    return _section("outcomes", intro + _table(head, rows, numeric_from=3))


def _comparison_groups(cmp: Comparison, by: str, found: Period | None) -> str:
    key = "localities" if by == "locality" else "partnerships"
    table = _paired_outcomes(cmp.results, by, found)
    names = [r.scenario.name for r in cmp.results]
    shown = ("admissions_into_hospital", "non_elective_bed_days", "delayed_acute_bed_days")
    units = {o.name: o.unit for o in OUTCOMES}
    groups = list(dict.fromkeys(str(g) for g in table[by]))
    rows = []
    for group in groups:
        row: list[object] = [group]
        for name in names[1:]:
            for outcome in shown:
                r = table[
                    (table["scenario"] == name)
                    & (table["outcome"] == outcome)
                    & (table[by] == group)
                ]
                if r.empty:
                    row.append("-")
                    continue
                x = r.iloc[0]
                row.append(
                    _diff_cell(
                        float(x["diff"]),
                        float(x["diff_ci_low"]),
                        float(x["diff_ci_high"]),
                        units[outcome],
                    )
                )
        rows.append(row)
    head = [by.capitalize()]
    for name in names[1:]:
        head += [f"{name} - {names[0]}: {_label(o).lower()}" for o in shown]
    window = "" if found is None else f" in the reported window, {_e(found.label)}"
    intro = (
        f"<p>Paired differences from {_e(names[0])} for the people of each {by}{window}; bold "
        "where "
        "the 95% CI excludes zero. A change in one locality can move another's figures, "
        "because they share the beds.</p>"
    )
    return _section(key, intro + _table(head, rows))


def _comparison_operations(
    results: Sequence[SimulationResult], summaries: Sequence[pd.DataFrame], found: Period | None
) -> str:
    """Each scenario's escalation, electives and staff side by side: what each plan did and
    what it cost, mean with its 95% confidence interval."""
    if not any(r.plan.operations.active for r in results):
        return _section(
            "operations",
            "<p>No scenario has an escalation plan, electives, workforce or discharge windows "
            "(docs/model.md, &quot;Operations&quot;).</p>",
        )
    rows: list[list[object]] = []
    indexes = [_summary_index(s) for s in summaries]

    def add(what: str, measure: str, setting: str) -> None:
        cells = [_ci(*i[(measure, setting)]) if (measure, setting) in i else "-" for i in indexes]
        if any(c != "-" for c in cells):
            rows.append([what, *cells])

    longest = max(len(r.plan.operations.levels) for r in results)
    add("Days escalated (any level)", "days_escalated", PLACE)
    for k in range(1, longest + 1):
        names = {
            r.plan.operations.levels[k - 1] for r in results if k <= len(r.plan.operations.levels)
        }
        add(f"Days at level {k} ({' / '.join(sorted(names))})", f"{LEVEL_DAYS}{k}", PLACE)
    for name in SETTINGS:
        add(f"{_label(name)}: places added (mean)", "extra_capacity", name)
    add("Cost of escalation", "escalation_cost", PLACE)
    add("Electives admitted", "electives_admitted", "acute")
    add("Electives cancelled", "electives_cancelled", "acute")
    for name in SETTINGS:
        for unit in ("visits", "hours"):
            add(f"{_label(name)}: {unit} needed a day", f"{unit}_needed", name)
            add(f"{_label(name)}: {unit} short a day", f"{unit}_short", name)
        add(f"{_label(name)}: days short of staff", "shortfall_days", name)
    window = "the run" if found is None else _e(found.label)
    intro = (
        f"<p>What each scenario's escalation plan, electives and workforce did over {window}: "
        "mean over replications with its 95% confidence interval. Levels are numbered by "
        "their place in each plan, so a row names each plan's level there.</p>"
    )
    head = ["Measure", *(r.scenario.name for r in results)]
    return _section("operations", intro + _table(head, rows))


def comparison_html(comparison: Comparison) -> str:
    """The report of a comparison as a self-contained HTML page (:data:`COMPARISON_SECTIONS`)."""
    results = comparison.results
    for r in results:
        r.stays_table("the HTML report")
    names = [r.scenario.name for r in results]
    first = results[0]
    found = find_period(comparison.period, results[0].plan)
    lead = (
        f"{', '.join(names[1:])} against {names[0]}: {_period(first.scenario)}, "
        f"{first.replications} replications of each on seed {first.seed}."
    )
    summaries = [r.summary(period=found) for r in results]
    sections = [
        _scenarios_section(comparison, found),
        _decisions_section(comparison, found),
        _significant_section(comparison),
        _warnings_section(results, found),
        _comparison_headline(comparison),
        _census_section(results, found),
        _waiting_section(results, found),
        _los_section(results, summaries, found),
        _gap_section(results, summaries, found),
        _comparison_operations(results, summaries, found),
        _comparison_outcomes(comparison, found),
        _comparison_groups(comparison, "locality", found),
        _comparison_groups(comparison, "partnership", found),
    ]
    title = f"placesim comparison: {' vs '.join(names)}" + (
        "" if found is None else f", {found.label}"
    )
    notice = _window_notice(first.scenario, found, comparison=True)
    return _page(title, lead, sections, COMPARISON_SECTIONS, notice)


def _target(path: str | Path) -> Path:
    target = Path(path)
    if target.is_dir():
        return target / "report.html"
    if target.suffix.lower() not in (".html", ".htm"):
        raise PlacesimError(f"report: {target} is not allowed: must be a .html file or a folder")
    return target


def write_report(
    result: SimulationResult, path: str | Path, period: str | Period | None = None
) -> Path:
    """Write the report of `result` to `path` (a .html file, or a folder: its report.html),
    of the window `period` when given (:func:`result_html`).

    Written atomically: a reader never sees half a report. Returns the file written.
    """
    target = _target(path)
    return write_text(target, result_html(result, period))


def write_comparison_report(comparison: Comparison, path: str | Path) -> Path:
    """Write the report of `comparison` to `path` (a .html file, or a folder: its report.html)."""
    target = _target(path)
    return write_text(target, comparison_html(comparison))
