"""A picture of one scenario's ramp: load, replicas and latency over time for the modules that matter.

Three panels share the time axis (minutes): arrival rate, replicas (serving, with the maximum as a
dashed line), and latency at each objective's quantile against that objective (dashed; the binding
objective drawn heavier), on a log scale, with the time any module breaks an objective shaded. At most ``LIMIT`` modules of the
critical path are drawn, the most stressed first. Uses matplotlib's Agg canvas (no display, no
global pyplot state); PNG or SVG by the file's suffix. Called by ``buttress capacity --plot``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from buttress.capacity.inputs import Objective
from buttress.capacity.plan import ModulePlan, ScenarioPlan
from buttress.capacity.ramp import WARMUP_SECONDS, Trace

LIMIT = 6
CLIP = 50
"""Latency above this many times the largest objective is cut off the picture."""
FORMATS = (".png", ".svg")


def _stress(m: ModulePlan) -> tuple[float, float]:
    return (m.breach_minutes or 0.0, m.utilisation_at_max or 0.0)


def shown(scenario: ScenarioPlan) -> list[ModulePlan]:
    """The simulated critical-path modules to draw (all simulated modules if none is on the path)."""
    simulated = [m for m in scenario.modules if m.trace is not None]
    on_path = [m for m in simulated if m.module in scenario.critical_path] or simulated
    chosen = sorted(on_path, key=_stress, reverse=True)[:LIMIT]
    order = {m.module: i for i, m in enumerate(scenario.modules)}
    return sorted(chosen, key=lambda m: order[m.module])


def _minutes(trace: Trace) -> list[float]:
    return [t / 60 for t in trace.times]


def _breach_spans(m: ModulePlan) -> list[tuple[float, float]]:
    assert m.trace is not None
    if not m.trace.breached:
        return []
    spans: list[tuple[float, float]] = []
    step = (m.trace.times[1] - m.trace.times[0]) / 60 if len(m.trace.times) > 1 else 0.0
    for t, broken in zip(_minutes(m.trace), m.trace.breached, strict=True):
        if broken:
            if spans and abs(spans[-1][1] - t) < 1e-9:
                spans[-1] = (spans[-1][0], t + step)
            else:
                spans.append((t, t + step))
    return spans


def _series(m: ModulePlan) -> list[tuple[tuple[float, ...], Objective | None]]:
    """The latency series to draw with their objectives: one per objective, the binding one last (on top)."""
    assert m.trace is not None
    per = sorted(m.trace.objectives, key=lambda o: o.objective == m.objective)
    return [(o.latency, o.objective) for o in per] or [(m.trace.latency, None)]


def _draw_latency(ax: Axes, modules: list[ModulePlan], colours: dict[str, str]) -> None:
    for m in modules:
        assert m.trace is not None
        for series, objective in _series(m):
            heavy = objective is None or objective == m.objective
            ax.plot(_minutes(m.trace), [min(q * 1000, 1e9) for q in series], color=colours[m.module],
                    linewidth=1.4 if heavy else 0.8, alpha=1.0 if heavy else 0.7)
            if objective is not None:
                ax.axhline(objective.seconds * 1000, color=colours[m.module], linestyle="--",
                           linewidth=1 if heavy else 0.7)
        for start, end in _breach_spans(m):
            ax.axvspan(start, end, color="tab:red", alpha=0.08, linewidth=0)
    ax.set_yscale("log")
    objectives = [o.seconds * 1000 for m in modules for o in m.objectives]
    worst = max((q * 1000 for m in modules for series, _ in _series(m) for q in series), default=0.0)
    if objectives and worst > CLIP * max(objectives):
        ax.set_ylim(top=CLIP * max(objectives))
        ax.text(0.99, 0.97, "lines leaving the top: the queue grows without bound", transform=ax.transAxes,
                ha="right", va="top", fontsize="small", color="tab:red")
    ax.set_ylabel("latency (ms)\n— simulated  - - objective")
    ax.grid(True, which="major", alpha=0.3)


def plot(scenario: ScenarioPlan, environment: str, path: Path) -> None:
    """Write the ramp picture of ``scenario`` to ``path`` (``.png`` or ``.svg``)."""
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"plot file must end in {' or '.join(FORMATS)}")
    modules = shown(scenario)
    fig = Figure(figsize=(11, 8.5), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(3, 1, sharex=True)
    palette = [f"C{i}" for i in range(10)]
    colours = {m.module: palette[i % len(palette)] for i, m in enumerate(modules)}
    load, reps, lat = axes
    for m in modules:
        assert m.trace is not None
        minutes = _minutes(m.trace)
        label = f"{m.module} ({m.verdict}" + (f", {m.breach_minutes:.1f} min over objective)"
                                              if m.breach_minutes else ")")
        load.plot(minutes, m.trace.rates, color=colours[m.module], linewidth=1.6, label=label)
        reps.step(minutes, m.trace.ready, where="post", color=colours[m.module], linewidth=1.6)
        reps.step(minutes, m.trace.desired, where="post", color=colours[m.module], linewidth=0.8, linestyle=":")
        reps.axhline(m.replicas_allowed, color=colours[m.module], linestyle="--", linewidth=1)
    load.set_ylabel("arrival rate (requests/s)")
    load.grid(True, alpha=0.3)
    if modules:  # no simulated module: no line to name (matplotlib would warn on stderr)
        load.legend(loc="upper left", fontsize="small", title="module (verdict at peak)")
    reps.set_ylabel("replicas\n— serving  ··· requested  - - max")
    reps.grid(True, alpha=0.3)
    reps.yaxis.set_major_locator(MaxNLocator(integer=True))
    if modules:
        _draw_latency(lat, modules, colours)
    lat.set_xlabel("minutes since start (red shading: latency objective broken)")
    ramp_start = WARMUP_SECONDS / 60
    for ax in axes:
        ax.axvspan(ramp_start, ramp_start + scenario.ramp_seconds / 60, color="grey", alpha=0.06, linewidth=0)
    more = len([m for m in scenario.modules if m.trace is not None]) - len(modules)
    fig.suptitle(f"Scenario {scenario.name!r} in {environment}: load ramps from {scenario.baseline:.0%} to 100% "
                 f"of peak over {scenario.ramp_seconds / 60:g} min (grey), then holds"
                 + (f"\n{len(modules)} most stressed modules of the critical path shown ({more} more simulated)"
                    if more > 0 else ""), fontsize="medium")
    metadata: dict[str, str | None] = {"Date": None} if path.suffix.lower() == ".svg" else {}
    with matplotlib.rc_context({"svg.hashsalt": "buttress"}):
        fig.savefig(path, dpi=110, metadata=metadata)
