"""``buttress capacity PATH --env E``: size every module for the peak scenarios and simulate the ramp.

Exit 0 when every module can carry every planned scenario's peak within ``scaling.replicas.max``,
1 when one falls short, 2 for invalid input.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from buttress.app.capacity import CapacityReport, capacity
from buttress.capacity import ScenarioPlan
from buttress.capacity.plan import duration_text
from buttress.capacity.plot import FORMATS, plot
from buttress.capacity.totals import Resources
from buttress.cli.output import Format, print_json, stdout
from buttress.cli.validate import PathArg
from buttress.errors import UsageError

_VERDICT_STYLE = {"ok": "green", "short": "bold red", "no-capacity-data": "yellow"}


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return "∞" if math.isinf(seconds) else duration_text(seconds)


def _resources(r: Resources) -> str:
    gpu = f", {r.gpu} GPU" if r.gpu else ""
    return f"{r.cpu:.4g} CPU, {r.memory / 1024**3:.4g} GiB{gpu}"


def _table(s: ScenarioPlan) -> Table:
    table = Table(title=f"scenario {s.name}" + (f": {escape(s.description)}" if s.description else ""),
                  title_justify="left")
    for heading in ("module", "peak", "need", "max", "busy@max", "latency@max", "objective",
                    "verdict", "ramp breach", "budget"):
        table.add_column(heading, justify="left" if heading in ("module", "verdict") else "right", no_wrap=True)
    for m in s.modules:
        util = m.utilisation_at_max
        ramp = "-" if m.breach_minutes is None else f"{m.breach_minutes:.1f} min"
        table.add_row(
            m.module + (" *" if m.module in s.critical_path else ""),
            f"{m.arrival_rate:.4g}/s",
            "-" if m.replicas_needed is None else str(m.replicas_needed),
            str(m.replicas_allowed),
            "-" if util is None else f"{util:.0%}",
            f"{m.quantile} {_ms(m.latency_at_max)}" if m.latency_at_max is not None else "-",
            (f"{m.quantile} {_ms(m.objective.seconds)}" + (" †" if len(m.objectives) > 1 else ""))
            if m.objective else "-",
            f"[{_VERDICT_STYLE[m.verdict]}]{m.verdict}[/]",
            ramp,
            "-" if m.budget_burned is None else f"{m.budget_burned:.2%}",
        )
    return table


def _print_text(report: CapacityReport) -> None:
    out = stdout()
    out.width = max(out.width, 120)
    for s in report.plan.scenarios:
        out.print(_table(s))
        out.print("  * on the critical path. Latency is the module's own (queueing + service); busy@max is its\n"
                  "  utilisation at max replicas; ramp breach is the time the simulated ramp broke the objective;\n"
                  "  budget is the share of the SLO window's latency error budget the ramp burned.")
        if any(len(m.objectives) > 1 for m in s.modules):
            out.print("  † the binding one of the module's latency objectives (the one needing the most replicas);\n"
                      "  every objective is sized for and judged on the ramp.")
        for m in s.modules:
            if m.verdict != "ok":
                out.print(f"  [{_VERDICT_STYLE[m.verdict]}]{m.module}[/]: {escape(m.message)}")
            ramp = m.ramp_message(s.tolerance_seconds)
            if ramp and m.ramp_verdict(s.tolerance_seconds) == "breach":
                out.print(f"  [yellow]{m.module}[/]: {escape(ramp)}")
        quota = report.quota
        fits = "" if quota is None else (" — fits the namespace quota" if s.totals.peak.fits(quota)
                                         else " — [bold red]exceeds the namespace quota[/]")
        out.print(f"  resources at peak: {_resources(s.totals.peak)}{fits}")
        if quota is not None:
            out.print(f"  namespace quota:   {_resources(quota)} (the rendered ResourceQuota's requests)")
        out.print(f"  every module at max: {_resources(s.totals.at_max)}")
        out.print("")


def _plot_paths(target: Path, scenarios: list[str]) -> dict[str, Path]:
    if len(scenarios) == 1:
        return {scenarios[0]: target}
    return {s: target.with_name(f"{target.stem}-{s}{target.suffix}") for s in scenarios}


def command(
    path: PathArg,
    env: Annotated[str, typer.Option("--env", help="Environment to plan.")],
    scenario: Annotated[str | None, typer.Option("--scenario", help="Scenario (default: every one).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
    plot_file: Annotated[Path | None, typer.Option(
        "--plot", help="Write the ramp as a picture (.png or .svg); one file per scenario, suffixed, when several.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the ramp simulation.")] = 0,
) -> int:
    """Size every module for the peak scenarios and simulate the autoscaler through the ramp.

    Example:

        buttress capacity examples/fraud-detection --env prod --plot peak.png
    """
    if plot_file is not None and plot_file.suffix.lower() not in FORMATS:
        raise UsageError(f"--plot {plot_file}: the file must end in {' or '.join(FORMATS)}")
    report = capacity(path, env, scenario, seed=seed)
    if plot_file is not None:
        targets = _plot_paths(plot_file, [s.name for s in report.plan.scenarios])
        for s in report.plan.scenarios:
            try:
                plot(s, env, targets[s.name])
            except OSError as exc:
                raise UsageError(f"--plot {targets[s.name]}: {exc.strerror or exc}") from None
    if fmt is Format.json:
        print_json(report.as_dict())
    else:
        _print_text(report)
    return 1 if any(s.verdict == "short" for s in report.plan.scenarios) else 0
