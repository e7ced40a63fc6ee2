"""The command line: `placesim run`, `validate`, `diff`, `compare`, `report` and the rest.

Errors a user can fix (a bad scenario, a missing file) print one line per problem and exit
with code 2, without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from placesim.errors import PlacesimError, PlacesimWarning, interrupts_held

__all__ = ["main"]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
MAX_REPLICATIONS = 100_000
"""Most replications a command runs (as ``calendar.replications`` allows)."""
MAX_WORKERS = 1024
"""Most local processes: more than this is a cluster's work (``--scheduler``)."""


def _whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from `minimum` to `maximum` (if given)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is not allowed: must be >= {minimum}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"{value} is not allowed: must be at most {maximum:,}")
        return value

    return parse


def _folder(text: str) -> Path:
    """An argparse type: an output folder; an empty one would mean the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("give a folder (an empty one is not allowed)")
    return Path(text)


class _TableFormat(argparse.Action):
    """``--format``: refused at once, before anything runs, if its extra is not installed."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        from placesim.reporting.outputs import check_format

        check_format(str(values))
        setattr(namespace, self.dest, values)


_FORMAT_HELP = (
    "csv (default) or parquet for the tables; xlsx writes the "
    "tables as CSV plus a workbook for spreadsheets (needs placesim[excel])"
)

_positive_int = _whole_number(1, 10**9)
_replications = _whole_number(1, MAX_REPLICATIONS)
_workers = _whole_number(1, MAX_WORKERS)
_seed = _whole_number(0)


def _add_window(parser: argparse.ArgumentParser) -> None:
    """--period and --target, shared by run and compare."""
    parser.add_argument(
        "--period",
        default=None,
        metavar="START:END|NAME",
        help="report this window of dates only (both included), or a period the scenario "
        "names under periods:",
    )
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="MEASURE[:SETTING]OP VALUE",
        help="the share of replications in which this holds, e.g. 'capacity_gap:acute<=0' "
        "(repeatable)",
    )


def _add_backend(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers", "-w", type=_workers, default=1, help="local processes (default 1)"
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run replications on this Dask scheduler (needs placesim[dask])",
    )
    parser.add_argument(
        "--worker-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="with --scheduler: stop with an error after this long with no worker (default 60)",
    )


def _backend(args: argparse.Namespace) -> dict[str, Any]:
    """simulate() keywords for --workers and --scheduler."""
    if args.scheduler is None:
        return {"workers": args.workers}
    try:
        from dask.distributed import Client
    except ImportError:
        raise PlacesimError(
            "scheduler: needs dask.distributed, which is not installed "
            "(pip install 'placesim[dask]')"
        ) from None
    try:
        client = Client(args.scheduler, timeout=10)  # type: ignore[no-untyped-call]
        return {"client": client, "worker_timeout": args.worker_timeout}
    except (ValueError, TypeError) as exc:
        raise PlacesimError(
            f"scheduler: {args.scheduler!r} is not a Dask scheduler address ({exc}); give one "
            "such as tcp://10.0.0.5:8786"
        ) from None
    except OSError as exc:
        raise PlacesimError(f"scheduler: cannot reach {args.scheduler!r}: {exc}") from None


def _parser() -> argparse.ArgumentParser:
    from placesim.version import __version__

    parser = argparse.ArgumentParser(
        prog="placesim",
        description="Simulate the demand on a place's health-and-care system.",
    )
    parser.add_argument("--version", action="version", version=f"placesim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run",
        help="run a scenario (or a region: its places side by side) and write its tables",
    )
    run.add_argument(
        "file", type=Path, help="scenario YAML file, or a region file (one with `places:`)"
    )
    _add_window(run)
    run.add_argument(
        "--by",
        action="append",
        default=[],
        choices=["month", "financial_year"],
        help="also write the summary of each month or financial year (April-March) of the "
        "run: by_month.csv, by_financial_year.csv (repeatable)",
    )
    run.add_argument("--replications", "-n", type=_replications, help="default: the scenario's")
    run.add_argument("--seed", type=_seed, help="root seed; default: the scenario's")
    run.add_argument(
        "--out", type=Path, default=None, help="output folder (default: placesim-out/<file stem>)"
    )
    run.add_argument(
        "--format",
        choices=("csv", "parquet", "xlsx"),
        default="csv",
        action=_TableFormat,
        help=f"{_FORMAT_HELP}: results.xlsx, sheets summary, outcomes (unless --no-stays) "
        "and about",
    )
    run.add_argument(
        "--stays-format",
        choices=("parquet", "csv"),
        default="parquet",
        help="the per-stay table's format with --format csv or xlsx: parquet (default; "
        "fast and small: pandas.read_parquet or placesim.read_results reads it) or csv",
    )
    _add_backend(run)
    run.add_argument("--quiet", "-q", action="store_true", help="do not print the summary")
    run.add_argument(
        "--precision",
        type=float,
        default=None,
        metavar="SHARE",
        help="add replications until every headline measure's 95%% CI half-width is within "
        "SHARE of its mean (0.05 = 5%%)",
    )
    run.add_argument("--max-replications", type=_replications, default=200)
    run.add_argument(
        "--engine",
        choices=("fast", "simpy"),
        default="fast",
        help="fast (compiled, default) or simpy (the reference); both give the same tables",
    )
    run.add_argument(
        "--no-stays",
        action="store_true",
        help="keep measures and the daily table only, not one row per stay (for millions of "
        "people; summary by locality, outcomes and --report need the stays)",
    )
    run.add_argument(
        "--no-memory-check",
        action="store_true",
        help="run even when the run's expected memory (from the scenario's rates) is more "
        "than the machine has available",
    )
    run.add_argument(
        "--report",
        action="store_true",
        help="also write report.html, a self-contained HTML report (needs placesim[plot])",
    )
    _add_fix_inputs(run)

    validate = sub.add_parser("validate", help="check a scenario file and explain what is wrong")
    validate.add_argument("file", type=Path)

    diff = sub.add_parser(
        "diff",
        help="show how scenario B differs from scenario A, after extends and defaults",
        description="One line per differing value: 'path: old -> new', '+ path: value' (only "
        "in B), '- path: value' (only in A). Exit code 0 whether or not they differ.",
    )
    diff.add_argument("a", type=Path, metavar="A", help="scenario YAML file")
    diff.add_argument("b", type=Path, metavar="B", help="scenario YAML file")

    compare = sub.add_parser(
        "compare",
        help="run scenarios on the same seeds and show paired differences from the first",
    )
    compare.add_argument("files", type=Path, nargs="+", metavar="FILE", help="base first")
    _add_window(compare)
    compare.add_argument(
        "--min-difference",
        action="append",
        default=[],
        metavar="MEASURE=VALUE",
        help="the smallest difference of MEASURE worth a line (repeatable; defaults: docs)",
    )
    compare.add_argument("--replications", "-n", type=_replications, help="default: the base's")
    compare.add_argument("--seed", type=_seed, help="root seed; default: the base's")
    compare.add_argument(
        "--out",
        type=_folder,
        default=None,
        help="output folder (default: placesim-out/compare): comparison.csv, compare.json and "
        "each scenario's run folder under scenarios/, so `placesim report` can rebuild the "
        "report",
    )
    compare.add_argument(
        "--format",
        choices=("csv", "parquet", "xlsx"),
        default="csv",
        action=_TableFormat,
        help=f"the scenarios' tables: {_FORMAT_HELP}: comparison.xlsx (the comparison table "
        "and each scenario's summary) and results.xlsx in each scenario's folder",
    )
    _add_backend(compare)
    compare.add_argument(
        "--report",
        action="store_true",
        help="also write report.html: the scenarios side by side (needs placesim[plot])",
    )
    _add_fix_inputs(compare)

    report = sub.add_parser(
        "report",
        help="build the HTML report of a folder written by `placesim run` or `placesim compare`",
        description="Reads a run folder (its tables, run.json and scenario.json, or the "
        "scenario file run.json names, if unchanged) or a comparison folder (compare.json, "
        "comparison.csv and the scenarios' run folders it names) and writes a self-contained "
        "report.html, the same page `--report` wrote.",
    )
    report.add_argument(
        "out_dir",
        type=Path,
        metavar="OUT_DIR",
        help="a folder written by `placesim run` or `placesim compare`",
    )
    report.add_argument(
        "--out", type=Path, default=None, help="the HTML file (default: OUT_DIR/report.html)"
    )
    report.add_argument(
        "--period",
        default=None,
        metavar="START:END|NAME",
        help="report this window of dates of a run (both included), or a named period",
    )

    sweep = sub.add_parser(
        "sweep",
        help="run a scenario over a grid of values; resumes if interrupted",
        description="Each --set PATH=VALUES is an axis: VALUES is start:stop:step (stop "
        "included), a,b,c, or one value. Every combination runs on the same seed.",
    )
    sweep.add_argument("file", type=Path)
    sweep.add_argument(
        "--set",
        dest="axes",
        action="append",
        required=True,
        metavar="PATH=VALUES",
        help="e.g. settings.intermediate_care.capacity=40:80:5",
    )
    sweep.add_argument("--replications", "-n", type=_replications)
    sweep.add_argument("--seed", type=_seed)
    sweep.add_argument(
        "--out",
        type=_folder,
        default=None,
        help="output folder (default: placesim-out/<stem>-sweep): sweep.csv, with point, one "
        "column per path, then the summary's columns (measure, setting, unit, mean, ...)",
    )
    sweep.add_argument(
        "--max-points",
        type=_positive_int,
        default=1000,
        help="refuse a grid with more points than this (default 1000)",
    )
    _add_backend(sweep)

    size = sub.add_parser(
        "size",
        help="find the smallest capacity of a setting that meets a target",
        description="Targets: an upper bound on capacity_gap, delayed_bed_days, dtoc_rate, "
        "occupancy_p95, waiting_mean or wait_mean, as MEASURE<=VALUE (of the sized setting) "
        "or MEASURE:SETTING<=VALUE (the target syntax of run --target and chance()).",
    )
    size.add_argument("file", type=Path)
    size.add_argument("--setting", required=True, help="the setting whose capacity to size")
    size.add_argument("--target", help='e.g. "capacity_gap<=0" (needed unless --weekly)')
    size.add_argument(
        "--weekly",
        action="store_true",
        help="places needed week by week (the setting unlimited), for a winter plan",
    )
    size.add_argument("--replications", "-n", type=_replications)
    size.add_argument("--seed", type=_seed)
    size.add_argument("--confidence", type=float, default=0.95)
    size.add_argument("--max-capacity", type=_positive_int, default=None)
    size.add_argument(
        "--period",
        default=None,
        metavar="START:END|NAME",
        help="judge the target over this window of dates only (e.g. the winter)",
    )
    size.add_argument(
        "--out",
        type=_folder,
        default=None,
        help="also write the table to this folder: size.csv and size.json (with --weekly: "
        "weekly.csv and weekly.json); other files there are left alone",
    )
    _add_backend(size)

    warm = sub.add_parser(
        "warmup",
        help="Welch's method: occupancy over time from the first simulated day; suggests a warm-up",
    )
    warm.add_argument("file", type=Path)
    warm.add_argument("--setting", default="acute")
    warm.add_argument("--replications", "-n", type=_replications)
    warm.add_argument("--seed", type=_seed)
    warm.add_argument("--window", type=_positive_int, default=7, help="half-width, days")
    warm.add_argument("--workers", "-w", type=_workers, default=1)
    warm.add_argument(
        "--out",
        type=_folder,
        default=None,
        help="also write the curve, every day, to this folder: warmup.csv and warmup.json "
        "(the suggestion); other files there are left alone",
    )

    sens = sub.add_parser(
        "sensitivity",
        help="which uncertain inputs matter: each one's share of a measure's spread",
        description="Runs the scenario, whose uncertain inputs each replication draws, and "
        "ranks the inputs by their partial rank correlation with the measure "
        "(docs/uncertainty.md).",
    )
    sens.add_argument("file", type=Path, help="scenario YAML file with uncertain inputs")
    sens.add_argument("--measure", default="bed_days", help="the measure (default bed_days)")
    sens.add_argument(
        "--setting", default=None, help="its setting (default: acute, or the first defined)"
    )
    sens.add_argument(
        "--replications",
        "-n",
        type=_replications,
        help=f"default: the scenario's, and at least {SENSITIVITY_REPLICATIONS}",
    )
    sens.add_argument("--seed", type=_seed, help="root seed; default: the scenario's")
    sens.add_argument(
        "--period",
        default=None,
        metavar="START:END|NAME",
        help="the measure over this window of dates only (e.g. the winter)",
    )
    sens.add_argument(
        "--out",
        type=_folder,
        default=None,
        help="output folder (default: placesim-out/<file stem>-sensitivity): "
        "sensitivity.csv and sensitivity.json, parameters.csv, and with --report "
        "sensitivity.html (the tornado chart)",
    )
    sens.add_argument(
        "--report", action="store_true", help="also write sensitivity.html (needs placesim[plot])"
    )
    _add_backend(sens)

    fitp = sub.add_parser(
        "fit",
        help="fit a scenario to your own data: an extract of stays and population",
        description="Reads the extract (a folder of CSV or Parquet tables, or an .xlsx "
        "workbook; docs/data.md), reports every problem in it, and writes a scenario whose "
        "every fitted figure says what it rests on.",
    )
    fitp.add_argument("extract", type=Path, help="folder of tables or .xlsx workbook")
    fitp.add_argument("--start", required=True, help="first day fitted (YYYY-MM-DD)")
    fitp.add_argument("--end", required=True, help="the day after the last day fitted")
    fitp.add_argument("-o", "--out", type=Path, required=True, help="the scenario file to write")
    fitp.add_argument("--name", default=None, help="the scenario's name (default: the file's)")
    fitp.add_argument(
        "--suppress",
        type=_whole_number(0),
        default=5,
        help="counts under this are not written (NHS small-number rules; default 5)",
    )
    fitp.add_argument(
        "--ranges",
        action="store_true",
        help="write crisis rates and mean stays as ranges from their confidence intervals",
    )

    synth = sub.add_parser(
        "synth",
        help="write a synthetic extract from a scenario's simulated stays",
        description="One replication of the scenario, written in the extract format "
        "(docs/data.md), optionally messy like real data.",
    )
    synth.add_argument("file", type=Path, help="scenario YAML file")
    synth.add_argument("-o", "--out", type=_folder, required=True, help="folder to write")
    synth.add_argument("--replication", type=_whole_number(0), default=0)
    synth.add_argument("--seed", type=_seed, help="root seed; default: the scenario's")
    synth.add_argument(
        "--missing-ready",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of ready left blank",
    )
    synth.add_argument(
        "--local-codes", action="store_true", help="local codes for settings and pathways"
    )
    synth.add_argument(
        "--broken-rows",
        type=_whole_number(0),
        default=0,
        help="rows made unusable in all, the kinds in turn",
    )

    back = sub.add_parser(
        "backtest",
        help="check a scenario against your own data: simulate the extract's dates from its "
        "census and compare with what happened",
        description="Runs the scenario over its window (calendar.start_date to its end) "
        "from the extract's census at the start, and compares the daily census, weekly "
        "admissions, people delayed and weekly mean length of stay in each setting with the "
        "extract's: the share of days inside the simulated 90% band, the bias and the "
        "error, with a verdict in words (docs/howto/model-your-own-place.md).",
    )
    back.add_argument("file", type=Path, help="scenario YAML file (a fitted one, or any)")
    back.add_argument("extract", type=Path, help="folder of tables or .xlsx workbook")
    back.add_argument(
        "--replications",
        "-n",
        type=_replications,
        help="default: the scenario's, and at least 40 (10 at the least)",
    )
    back.add_argument("--seed", type=_seed, help="root seed; default: the scenario's")
    back.add_argument(
        "--out",
        type=_folder,
        default=None,
        help="output folder (default: placesim-out/<file stem>-backtest): backtest.csv and "
        "backtest.json (the scores and verdict), backtest_series.csv (day by day), and with "
        "--report backtest.html",
    )
    back.add_argument(
        "--report",
        action="store_true",
        help="also write backtest.html: fan charts and the verdict (needs placesim[plot])",
    )
    back.add_argument(
        "--suppress",
        type=_whole_number(0),
        default=5,
        help="observed counts of people under this are not written (NHS small-number rules; "
        "default 5)",
    )
    _add_backend(back)

    sub.add_parser("schema", help="print the scenario JSON Schema (for editors)")
    return parser


SENSITIVITY_REPLICATIONS = 40
"""Fewest replications ``placesim sensitivity`` runs by default: a rank correlation from 40
replications has a standard error of about 0.17, enough to tell an input that matters
(0.5 or more) from one that does not."""


def _add_fix_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fix-inputs",
        action="store_true",
        help="run with every uncertain input at its median: the randomness of arrivals and "
        "stays only (docs/uncertainty.md)",
    )


def _fixed(scenario: Any, args: argparse.Namespace) -> Any:
    """The scenario with its uncertain inputs at their medians when --fix-inputs asks."""
    from placesim.scenario import fix_inputs

    if args.fix_inputs and scenario.uncertain_inputs:
        print(
            f"{scenario.name}: {len(scenario.uncertain_inputs)} uncertain input(s) held at their "
            "medians (--fix-inputs): the randomness of arrivals and stays only",
            file=sys.stderr,
        )
    return fix_inputs(scenario) if args.fix_inputs else scenario


def _warn(lines: Iterable[str]) -> None:
    for line in lines:
        print(f"warning: {line}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from placesim.measures import load_warnings, parse_period, parse_target
    from placesim.plan import compile_plan
    from placesim.reporting.folders import claim_folder
    from placesim.scenario import is_region_file, load_scenario

    if is_region_file(args.file):
        return _run_region(args)

    scenario = _fixed(load_scenario(args.file), args)  # simulate warns of levers outside it
    plan = compile_plan(scenario)
    if args.period is not None:
        parse_period(args.period, plan)  # a bad period fails before the run
    targets = [parse_target(text) for text in args.target]
    if args.report and args.no_stays:
        raise PlacesimError("--report needs the per-stay table, which --no-stays drops")
    if args.report:
        from placesim.reporting.plots import require_matplotlib

        require_matplotlib()
    _warn(load_warnings(plan))
    out = args.out if args.out is not None else Path("placesim-out") / args.file.stem
    with claim_folder(out):  # a second run into the folder is refused now, not after running
        return _run_into(args, scenario, targets, out)


def _run_region(args: argparse.Namespace) -> int:
    """`placesim run REGION.yaml`: every place, side by side, written place by place."""
    from placesim.experiments import simulate_region
    from placesim.reporting import format_region
    from placesim.scenario import load_region

    unsupported = [
        flag
        for flag, given in (
            ("--period", args.period is not None),
            ("--target", bool(args.target)),
            ("--by", bool(args.by)),
            ("--precision", args.precision is not None),
            ("--fix-inputs", args.fix_inputs),
            ("--format", args.format != "csv"),
        )
        if given
    ]
    if unsupported:
        raise PlacesimError(
            f"{', '.join(unsupported)}: not for a region run: run a place alone for them "
            "(its scenario is in the output's scenarios/ folder, its seed in region.json)"
        )
    region = load_region(args.file)
    if args.report:
        from placesim.reporting.plots import require_matplotlib

        require_matplotlib()
    out = args.out if args.out is not None else Path("placesim-out") / args.file.stem
    result = simulate_region(
        region,
        replications=args.replications,
        seed=args.seed,
        out=out,
        keep_stays=not args.no_stays,
        engine=args.engine,
        **_backend(args),
    )
    if result.resumed:
        print(
            f"read back {len(result.resumed)} place(s) already written by an earlier run of "
            f"this region: {', '.join(result.resumed)}",
            file=sys.stderr,
        )
    if not args.quiet:
        print(format_region(result), flush=True)
    if args.report:
        written = result.report(out / "report.html")
        print(f"wrote {written}")
    print(f"wrote the places' tables (Parquet by place) and the region's summaries to {out}")
    return 0


def _run_into(args: argparse.Namespace, scenario: Any, targets: list[Any], out: Path) -> int:
    """The rest of `placesim run`, with its output folder held."""
    from placesim.experiments import simulate
    from placesim.reporting import format_summary, write_results

    result = simulate(
        scenario,
        replications=args.replications,
        seed=args.seed,
        precision=args.precision,
        max_replications=args.max_replications,
        engine=args.engine,
        keep_stays=not args.no_stays,
        check_memory=not args.no_memory_check,
        **_backend(args),
    )
    # The answer first: the summary is on screen while the files are written.
    if not args.quiet:
        print(format_summary(result, period=args.period, targets=targets), flush=True)
        _warn(result.capacity_warnings(args.period))
    elif targets:
        print("\n".join(str(result.chance(t, period=args.period)) for t in targets), flush=True)
    extra_files = {}
    if args.report:
        from placesim.reporting.html import result_html

        extra_files["report.html"] = result_html(result, period=args.period)
    for breakdown in args.by:
        extra_files[f"by_{breakdown}.csv"] = result.by_period(breakdown).to_csv(index=False)
    written = write_results(
        result,
        out,
        fmt=args.format,
        scenario_path=args.file,
        extra_files=extra_files,
        period=args.period,
        stays_format=args.stays_format,
    )
    if result.precision_met is not None:
        from placesim.experiments.simulate import imprecise_measures

        if result.precision_met:
            print(f"precision {args.precision:.0%} reached with {result.replications} replications")
        else:
            wide = ", ".join(imprecise_measures(result.measures, args.precision))
            print(
                f"precision {args.precision:.0%} not reached at the cap of "
                f"{result.replications} replications: {wide}"
            )
    print(f"wrote {', '.join(p.name for p in written)} to {out}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from placesim.experiments import compare
    from placesim.measures import parse_period, parse_target
    from placesim.plan import compile_plan
    from placesim.reporting import format_decisions
    from placesim.reporting.outputs import write_comparison
    from placesim.scenario import load_scenario

    if len(args.files) < 2:
        raise PlacesimError(f"files: {len(args.files)} given: compare needs at least two")
    scenarios = [_fixed(load_scenario(path), args) for path in args.files]  # simulate warns
    targets = [parse_target(text) for text in args.target]
    if args.period is not None:
        parse_period(args.period, compile_plan(scenarios[0]))
    minimum = _min_differences(args.min_difference)
    if args.report:
        from placesim.reporting.plots import require_matplotlib

        require_matplotlib()
    result = compare(
        *scenarios,
        replications=args.replications,
        seed=args.seed,
        period=args.period,
        min_difference=minimum,
        **_backend(args),
    )
    out = args.out if args.out is not None else Path("placesim-out") / "compare"
    written = write_comparison(result, out, fmt=args.format, scenario_paths=args.files)
    lines = result.significant()
    base = scenarios[0].name
    window = f", {result.period}" if result.period else ""
    print(
        f"Against {base} ({result.results[0].replications} replications, seed "
        f"{result.results[0].seed}{window}):"
    )
    uncertain = [r.scenario.name for r in result.results if r.scenario.uncertain_inputs]
    if uncertain:
        print(
            f"  ({', '.join(uncertain)}: uncertain inputs drawn in each replication, so the "
            "intervals hold the doubt about them too; --fix-inputs holds them at their medians)"
        )
    print(format_decisions(result.decisions()))
    if targets:
        print("Targets (share of replications in which each held):")
        for res in result.results:
            for t in targets:
                print(f"  {res.scenario.name}: {res.chance(t, period=args.period)}")
    print("Differences whose 95% CI excludes zero and that reach their minimum:")
    print("\n".join(f"  {line}" for line in lines) if lines else "  none")
    here = out.resolve()
    top = [p.name for p in written if p.parent.resolve() == here]
    runs = dict.fromkeys(
        p.parent.resolve().relative_to(here).as_posix()
        for p in written
        if p.parent.resolve() != here and p.name == "run.json"
    )
    print(f"wrote {', '.join(top)} and the scenarios' run folders ({', '.join(runs)}) to {out}")
    if args.report:
        from placesim.reporting.html import write_comparison_report

        print(f"wrote {write_comparison_report(result, out / 'report.html')}")
    return 0


def _min_differences(items: Sequence[str]) -> dict[str, float]:
    """--min-difference MEASURE=VALUE items as a mapping, each checked."""
    from placesim.measures import MEASURES

    out = {}
    for item in items:
        measure, sep, value = item.partition("=")
        if not sep or measure.strip() not in MEASURES:
            raise PlacesimError(
                f"--min-difference {item!r}: write MEASURE=VALUE with MEASURE one of "
                f"{', '.join(MEASURES)}"
            )
        try:
            out[measure.strip()] = float(value)
        except ValueError:
            raise PlacesimError(f"--min-difference {item!r}: {value!r} is not a number") from None
    return out


def _report(args: argparse.Namespace) -> int:
    from placesim.measures import Comparison
    from placesim.reporting.html import write_comparison_report, write_report
    from placesim.reporting.outputs import read_folder, recorded_period

    found = read_folder(args.out_dir)
    target = args.out if args.out is not None else args.out_dir / "report.html"
    if isinstance(found, Comparison):
        if args.period is not None:
            raise PlacesimError(
                "--period: a comparison's window is the one it was compared on; run compare "
                "again with --period"
            )
        print(f"wrote {write_comparison_report(found, target)}")
    else:
        period = args.period if args.period is not None else recorded_period(args.out_dir)
        print(f"wrote {write_report(found, target, period=period)}")
    return 0


def _labelled(measure: str, unit: str) -> str:
    """A column heading that names a measure and its unit: ``capacity_gap (beds)``."""
    return f"{measure} ({'%' if unit == 'ratio' else unit})"


def _numbers(table: Any, *columns: str) -> list[list[float]]:
    """Columns of `table` as lists of floats, to format for people."""
    return [[float(x) for x in table[c].to_numpy(dtype=float)] for c in columns]


def _wrote(paths: Sequence[Path], out: Path) -> str:
    return f"wrote {', '.join(p.name for p in paths)} to {out}"


def _sweep(args: argparse.Namespace) -> int:
    from placesim.experiments.sweep import grid_points, parse_values, sweep
    from placesim.scenario import load_scenario

    grid: dict[str, list[Any]] = {}
    for axis in args.axes:
        path, sep, values = axis.partition("=")
        if not sep or not path or not values:
            raise PlacesimError(
                f"--set {axis!r}: write PATH=VALUES, e.g. settings.acute.capacity=500:560:20"
            )
        try:
            grid[path.strip()] = parse_values(values)
        except PlacesimError as exc:
            raise PlacesimError(f"--set {axis!r}: {exc}") from None
    points = grid_points(grid)
    if points > args.max_points:
        sizes = " x ".join(f"{len(v):,}" for v in grid.values())
        raise PlacesimError(
            f"--set: {points:,} points ({sizes}), more than --max-points {args.max_points:,}; "
            "each point is a whole run: use fewer values, or raise --max-points"
        )
    scenario = load_scenario(args.file)
    n = scenario.calendar.replications if args.replications is None else args.replications
    print(f"sweep: {points:,} point(s) x {n:,} replication(s)")
    out = args.out if args.out is not None else Path("placesim-out") / f"{args.file.stem}-sweep"
    table = sweep(
        scenario,
        grid,
        replications=args.replications,
        seed=args.seed,
        out=out,
        max_points=args.max_points,
        **_backend(args),
    )
    print(f"{table['point'].nunique()} points; wrote {out / 'sweep.csv'}")
    return 0


def _size(args: argparse.Namespace) -> int:
    import pandas as pd

    from placesim.experiments.size import size
    from placesim.reporting import format_number, text_table
    from placesim.scenario import load_scenario

    if args.weekly:
        from placesim.experiments.size import weekly_need

        scenario = load_scenario(args.file)
        table = weekly_need(
            scenario,
            args.setting,
            replications=args.replications,
            seed=args.seed,
            **_backend(args),
        )
        unit = str(table["unit"].iloc[0]) if len(table) else ""
        n = int(table["replications"].iloc[0]) if len(table) else 0
        print(
            f"{args.setting}: places needed week by week (mean and 95% CI over {n} "
            "replications) against capacity"
        )
        rows = [
            [
                str(week),
                f"{start:%Y-%m-%d}",
                format_number(mean, unit),
                f"{format_number(low, unit)} to {format_number(high, unit)}",
                format_number(capacity, unit),
            ]
            for week, start, mean, low, high, capacity in zip(
                table["week"],
                pd.to_datetime(table["week_start"]),
                *_numbers(table, "needed_mean", "ci_low", "ci_high", "capacity"),
                strict=True,
            )
        ]
        headers = [
            "week",
            "week of",
            _labelled("capacity_needed", unit),
            "95% CI",
            _labelled("capacity", unit),
        ]
        print(text_table(headers, rows, left=0))
        if args.out is not None:
            from placesim.reporting.outputs import write_experiment

            about = {
                "experiment": "weekly_need",
                "scenario": scenario.name,
                "seed": scenario.calendar.seed if args.seed is None else args.seed,
                "replications": n,
                "setting": args.setting,
                "target_occupancy": scenario.measures.target(args.setting),
                "share_of_days": scenario.measures.share_of_days,
            }
            print(_wrote(write_experiment(table, args.out, "weekly", about), args.out))
        return 0
    if args.target is None:
        raise PlacesimError("target: is required (or use --weekly)")
    if not 0.5 <= args.confidence < 1.0:
        raise PlacesimError(f"confidence: {args.confidence} is not allowed: must be in [0.5, 1)")
    result = size(
        load_scenario(args.file),
        args.setting,
        args.target,
        replications=args.replications,
        seed=args.seed,
        confidence=args.confidence,
        max_capacity=args.max_capacity,
        period=args.period,
        **_backend(args),
    )
    goal = result.target
    unit = str(result.tried["unit"].iloc[0])
    window = f" over {result.period}" if result.period else ""
    print(
        f"{result.setting}: each capacity tried against {goal}{window} ({result.replications} "
        f"replications each; upper: the one-sided {result.confidence:.0%} confidence bound of "
        "the mean)"
    )
    measure = _labelled(goal.measure, unit)
    if goal.setting != result.setting:
        measure = f"{goal.setting} {measure}"
    headers = [
        _labelled("capacity", result.capacity_unit),
        f"{measure}: mean",
        f"upper {result.confidence:.0%} bound",
        "meets target",
    ]
    tried = result.tried
    rows = [
        [
            str(capacity),
            format_number(mean, unit),
            format_number(upper, unit),
            "yes" if met else "no",
        ]
        for capacity, mean, upper, met in zip(
            tried["capacity"], *_numbers(tried, "mean", "upper"), tried["met"], strict=True
        )
    ]
    print(text_table(headers, rows, left=0))
    print(result.describe())
    if args.out is not None:
        print(_wrote(result.write(args.out), args.out))
    return 0


def _warmup(args: argparse.Namespace) -> int:
    import pandas as pd

    from placesim.experiments.warmup import suggest_warmup
    from placesim.reporting import format_number, text_table
    from placesim.scenario import load_scenario

    scenario = load_scenario(args.file)
    advice = suggest_warmup(
        scenario,
        args.setting,
        replications=args.replications,
        seed=args.seed,
        window=args.window,
        workers=args.workers,
    )
    unit = advice.unit
    print(
        f"{advice.setting}: midnight census, mean over {advice.replications} replications and "
        f"Welch-smoothed (window {advice.window}), every 7th day from the first simulated day"
    )
    weekly = advice.curve.iloc[::7]
    rows = [
        [str(day), f"{date:%Y-%m-%d}", format_number(mean, unit), format_number(smooth, unit)]
        for day, date, mean, smooth in zip(
            weekly["day"],
            pd.to_datetime(weekly["date"]),
            *_numbers(weekly, "mean", "smoothed"),
            strict=True,
        )
    ]
    headers = ["day", "date", _labelled("census", unit), _labelled("smoothed census", unit)]
    print(text_table(headers, rows, left=0))
    print(
        f"level {format_number(advice.level, unit)} +/- {format_number(advice.band, unit)} "
        f"{'' if unit == 'ratio' else unit}; suggested warm-up: {advice.suggested_days} days "
        f"(the scenario has {scenario.calendar.warmup_days})"
    )
    if args.out is not None:
        print(_wrote(advice.write(args.out), args.out))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from placesim.scenario import is_region_file, load_region, load_scenario, scenario_warnings

    if is_region_file(args.file):
        region = load_region(args.file)
        for place in region.places:
            _warn(f"{place.name}: {line}" for line in scenario_warnings(place.scenario))
        names = ", ".join(p.name for p in region.places)
        print(f"{args.file}: valid region '{region.name}' ({len(region.places)} places: {names})")
        return 0
    scenario = load_scenario(args.file)
    _warn(scenario_warnings(scenario))
    defined = ", ".join(scenario.settings.defined())
    print(f"{args.file}: valid scenario '{scenario.name}' (settings: {defined})")
    inputs = scenario.uncertain_inputs
    if inputs:
        print(f"uncertain inputs ({len(inputs)}), each drawn once per replication:")
        print("\n".join(f"  {spec.path}: {spec.describe()}" for spec in inputs))
    return 0


def _sensitivity(args: argparse.Namespace) -> int:
    from placesim.experiments import simulate
    from placesim.measures import MEASURES, parse_period
    from placesim.measures.tables import LEVEL_DAYS
    from placesim.plan import compile_plan
    from placesim.reporting import format_sensitivity
    from placesim.reporting.outputs import write_experiment, write_table
    from placesim.scenario import load_scenario

    scenario = load_scenario(args.file)
    inputs = scenario.uncertain_inputs
    if not inputs:
        raise PlacesimError(
            f"{args.file}: has no uncertain inputs: write a range in place of a figure, e.g. "
            "capacity: {low: 80, high: 95} (docs/uncertainty.md)"
        )
    if args.report:
        from placesim.reporting.plots import require_matplotlib

        require_matplotlib()
    if args.measure not in MEASURES and not args.measure.startswith(LEVEL_DAYS):
        raise PlacesimError(
            f"--measure: {args.measure!r} is not allowed: must be one of {', '.join(MEASURES)}"
        )
    plan = compile_plan(scenario)
    if args.setting is not None and args.setting not in plan.defined_settings():
        raise PlacesimError(
            f"--setting: {args.setting!r} is not allowed: the scenario's settings are "
            f"{', '.join(plan.defined_settings())}"
        )
    if args.period is not None:
        parse_period(args.period, plan)  # a bad period fails before the run
    n = args.replications
    if n is None:
        n = max(scenario.calendar.replications, SENSITIVITY_REPLICATIONS)
    if n < len(inputs) + 3:
        raise PlacesimError(
            f"--replications: {n} is too few for {len(inputs)} uncertain inputs: run at least "
            f"{len(inputs) + 3} (and {SENSITIVITY_REPLICATIONS} or more for a steady ranking)"
        )
    out = args.out
    if out is None:
        out = Path("placesim-out") / f"{args.file.stem}-sensitivity"
    result = simulate(scenario, replications=n, seed=args.seed, keep_stays=False, **_backend(args))
    table = result.sensitivity(args.measure, args.setting, args.period)
    print(format_sensitivity(table), flush=True)
    about = {
        "experiment": "sensitivity",
        "scenario": scenario.name,
        "seed": result.seed,
        "replications": result.replications,
        "measure": table.attrs["measure"],
        "setting": table.attrs["setting"],
        "period": args.period,
        "method": "partial rank correlation coefficients; a linear regression for the "
        "shares of variance and the tornado's ends (docs/uncertainty.md)",
    }
    written = write_experiment(table, out, "sensitivity", about)
    written.append(write_table(result.parameters, out / "parameters.csv"))
    if args.report:
        from placesim.reporting.html import write_sensitivity_report

        written.append(write_sensitivity_report(result, table, out / "sensitivity.html"))
    print(_wrote(written, out))
    return 0


def _diff(args: argparse.Namespace) -> int:
    from placesim.scenario import diff_scenarios, load_scenario

    lines = diff_scenarios(load_scenario(args.a), load_scenario(args.b))
    print("\n".join(lines) if lines else "no differences")
    return 0


def _fit(args: argparse.Namespace) -> int:
    from placesim.fitting import fit, read_extract

    extract = read_extract(args.extract)
    report = extract.report()
    print(report if extract.problems else report.splitlines()[-1], file=sys.stderr)
    name = args.name or args.out.stem
    fitted = fit(
        extract, args.start, args.end, name=name, suppress=args.suppress, ranges=args.ranges
    )
    written = fitted.write(args.out)
    print(f"wrote {written}: scenario {name!r}, {len(fitted.estimates)} fitted figures")
    return 0


def _synth(args: argparse.Namespace) -> int:
    from placesim.fitting import Messy, write_extract
    from placesim.scenario import load_scenario

    if not 0.0 <= args.missing_ready <= 1.0:
        raise PlacesimError(
            f"--missing-ready: {args.missing_ready} is not allowed: a share from 0 to 1"
        )
    scenario = load_scenario(args.file)
    messy = None
    if args.missing_ready or args.local_codes or args.broken_rows:
        messy = Messy(args.missing_ready, args.local_codes, args.broken_rows, seed=args.replication)
    written = write_extract(
        scenario, args.out, replication=args.replication, seed=args.seed, messy=messy
    )
    print(_wrote(written, args.out))
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from placesim.fitting import backtest, read_extract
    from placesim.fitting.backtest import MIN_REPLICATIONS
    from placesim.reporting import text_table
    from placesim.scenario import load_scenario

    if args.replications is not None and args.replications < MIN_REPLICATIONS:
        raise PlacesimError(
            f"--replications: {args.replications} is not allowed: a 90% band needs at least "
            f"{MIN_REPLICATIONS}"
        )
    scenario = load_scenario(args.file)
    if args.report:
        from placesim.reporting.plots import require_matplotlib

        require_matplotlib()
    extract = read_extract(args.extract)
    report = extract.report()
    print(report if extract.problems else report.splitlines()[-1], file=sys.stderr)
    out = args.out if args.out is not None else Path("placesim-out") / f"{args.file.stem}-backtest"
    result = backtest(
        scenario,
        extract,
        replications=args.replications,
        seed=args.seed,
        suppress=args.suppress,
        **_backend(args),
    )
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)

    def shown(x: float, spec: str) -> str:
        return format(x, spec) if math.isfinite(x) else "-"

    rows = [
        [
            str(r["series"]),
            str(r["setting"]),
            f"{int(r['points']):,}",
            shown(float(r["coverage"]), ".0%"),
            shown(float(r["bias_pct"]), "+.1f"),
            shown(float(r["mape"]), ".1f"),
            str(r["verdict"]).split(":", 1)[0],
        ]
        for r in result.table.to_dict("records")
    ]
    head = ["series", "setting", "points", "in 90% band", "bias %", "MAPE %", "verdict"]
    print(text_table(head, rows, left=2))
    print(f"verdict: {result.verdict}", flush=True)
    print(_wrote(result.write(out, report=args.report), out))
    return 0


def _schema(_: argparse.Namespace) -> int:
    from placesim.scenario import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return 0


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """A warning as one line, as the CLI's own warnings are."""
    print(f"warning: {message}", file=sys.stderr)


_SIMULATING = frozenset(
    {"run", "compare", "sweep", "size", "warmup", "sensitivity", "synth", "backtest"}
)
"""Commands that run the engine (and so may compile it on first use)."""


def _compile_engine() -> None:
    """Compile the fast engine, or load its cached machine code, before the command's work,
    saying so when it compiles (the first run after installing). A Ctrl-C meanwhile ends
    the process at once with its one line: numba's compiler and cache loader run Python
    callbacks where a KeyboardInterrupt is swallowed or leaves the engine half loaded (a
    crash), and nothing has been written yet."""
    from placesim.engine.kernel import needs_compiling
    from placesim.experiments.simulate import compile_engine

    if needs_compiling():
        print(
            "compiling the fast engine: once after installing, about 10 s; later runs start "
            "at once",
            file=sys.stderr,
            flush=True,
        )

    def interrupted(signum: int, frame: Any) -> None:
        print("interrupted", file=sys.stderr, flush=True)
        os._exit(EXIT_INTERRUPTED)

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        compile_engine()
    finally:
        signal.signal(signal.SIGINT, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `placesim` command; returns the exit code.

    A problem the user can fix, and a fault of the machine (a full disk, a failed worker,
    memory), is one line on stderr and exit code 2; Ctrl-C is one line and 130.
    """
    handlers = {
        "run": _run,
        "validate": _validate,
        "diff": _diff,
        "compare": _compare,
        "report": _report,
        "sweep": _sweep,
        "size": _size,
        "warmup": _warmup,
        "sensitivity": _sensitivity,
        "fit": _fit,
        "synth": _synth,
        "backtest": _backtest,
        "schema": _schema,
    }
    try:
        args = _parser().parse_args(argv)
        if args.command in _SIMULATING:
            with interrupts_held():  # numba, pandas, pyarrow: imported whole, or not at all
                import pyarrow.parquet  # noqa: F401 - what the stays are written with

                import placesim.experiments
                import placesim.reporting  # noqa: F401
            if getattr(args, "engine", "fast") == "fast":
                _compile_engine()
        with warnings.catch_warnings():
            warnings.simplefilter("always", PlacesimWarning)
            warnings.showwarning = _show_warning
            return handlers[args.command](args)
    except PlacesimError as exc:  # ScenarioError included
        print(f"error: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:
        print(
            "error: out of memory: run fewer replications at once (--workers 1), keep no "
            "per-stay table (--no-stays), or use a machine with more memory",
            file=sys.stderr,
        )
    except BrokenPipeError:
        # The reader of the output went away (| head): what was asked is done, say no more.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the exit flush is quiet
        return 0
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: cannot complete: {exc.strerror or exc}{where}", file=sys.stderr)
    return EXIT_USAGE


def entry() -> None:
    """The `placesim` command: :func:`main`, then exit with its code.

    After Ctrl-C the process ends at once, its one line written: an import cut short by
    the interrupt (numba, llvmlite) can crash the interpreter's own shutdown, which would
    turn a clean "interrupted" into a segmentation fault. Everything placesim writes is
    already complete or removed by then (docs/reports.md).
    """
    code = main()
    if code == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    # The work is done: a Ctrl-C while the interpreter shuts down changes nothing (without
    # this, Python's own shutdown would let it kill the process, a success reported as -2).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":
    entry()
