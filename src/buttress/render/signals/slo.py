"""SLOs as the monitoring sees them: objective, error budget, SLI windows and burn-rate tiers.

Every declared SLO of a module (``availability``, ``latency.p95``, ``latency.p99``) becomes an
``Slo``: its error-ratio expression over any window, its objective, and the multi-window,
multi-burn-rate tiers of the Google SRE Workbook scaled to the SLO's window. Pure; called by
``signals.alerts``, the monitoring rules, the dashboards and the runbooks.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from decimal import Decimal

from buttress.model.resolve import Environment, ResolvedModule
from buttress.model.units import Duration
from buttress.render.common.requests import duration_metric, failed, requests_metric
from buttress.render.signals.memo import memoised
from buttress.render.signals.series import (
    selector,
    target_labels,
)

DEFAULT_WINDOW = Duration.parse("28d")
SLI_WINDOWS: tuple[str, ...] = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def window_seconds(window: str) -> int:
    """Seconds in a Prometheus duration of one unit (``5m``, ``3d``)."""
    return int(window[:-1]) * _SECONDS[window[-1]]


@functools.lru_cache(maxsize=4096, typed=True)
def number(value: float | Decimal) -> str:
    """A float as a short, exact-looking PromQL literal (``13.44``, ``0.0005``)."""
    text = format(Decimal(str(value)).normalize(), "f") if isinstance(value, Decimal) else f"{value:.10g}"
    return text


SLI_RECORD = "buttress:slo_sli_error:ratio_rate{window}"
BURN_RECORD = "buttress:slo_burn_rate:ratio_rate{window}"
OBJECTIVE_RECORD = "buttress:slo_objective:ratio"
BUDGET_RECORD = "buttress:slo_error_budget:ratio"
REMAINING_RECORD = "buttress:slo_error_budget_remaining:ratio"


@dataclass(frozen=True)
class BurnTier:
    """One alert condition: burn faster than ``factor`` over both ``long`` and ``short``."""

    severity: str
    long: str
    short: str
    budget_share: float
    """The share of the whole error budget this tier alerts on spending within ``long``."""

    def factor(self, slo_window_seconds: float, max_burn: float | None = None) -> float:
        """The burn-rate threshold for an SLO window; never below 1, so nothing alerts at a sustainable burn.

        Given the SLO's maximum burn rate (every event bad: 1 / error budget), at most ``CEILING`` of
        it: a low objective or a long window can ask for a burn no failure reaches (a p95 SLO burns
        at most 20x, and spending 2% of a 60-day budget within 1h takes 28.8x), and a tier that can
        never fire would silently page nobody. Clamped, it pages on an outage of at least 90% of
        the events instead — the fastest burn the objective leaves room to tell apart.
        """
        factor = round(self.budget_share * slo_window_seconds / window_seconds(self.long), 4)
        if max_burn is not None:
            factor = min(factor, round(CEILING * max_burn, 4))
        return max(1.0, factor)


CEILING = 0.9
"""The highest burn-rate threshold, as a share of the maximum burn rate (see ``BurnTier.factor``)."""

#: SRE Workbook table 5-8: for a 30-day window these give 14.4, 6, 3 and 1.
TIERS: tuple[BurnTier, ...] = (
    BurnTier("page", "1h", "5m", 0.02),
    BurnTier("page", "6h", "30m", 0.05),
    BurnTier("ticket", "1d", "2h", 0.10),
    BurnTier("ticket", "3d", "6h", 0.10),
)


@dataclass(frozen=True)
class Slo:
    """One service level objective of one module in one environment."""

    module: str
    name: str
    """``availability``, ``latency-p95`` or ``latency-p99``."""
    objective: Decimal
    """Target ratio of good events, e.g. ``0.9995``."""
    window: Duration
    threshold: Duration | None
    """For latency SLOs: the duration a good request stays under."""
    metric: str
    """The series the SLI reads (counter, or the histogram's ``_bucket``)."""
    labels: dict[str, str]
    """Matchers selecting the module's scraped series."""

    @functools.cached_property
    def error_budget(self) -> Decimal:
        """The share of events allowed to be bad."""
        return 1 - self.objective

    @functools.cached_property
    def max_burn(self) -> Decimal | None:
        """The fastest the budget can burn, when every event is bad (``1 / error_budget``); None for
        a 100% objective, whose budget any bad event overspends."""
        return 1 / self.error_budget if self.error_budget else None

    @functools.cached_property
    def window_text(self) -> str:
        """The SLO window in Prometheus syntax, in days where whole (``28d``)."""
        seconds = round(self.window.seconds)
        return f"{seconds // 86400}d" if seconds % 86400 == 0 else self.window.prometheus

    @functools.cached_property
    def windows(self) -> tuple[str, ...]:
        """Every window an SLI is recorded for: the burn-rate windows and the SLO window."""
        return SLI_WINDOWS if self.window_text in SLI_WINDOWS else (*SLI_WINDOWS, self.window_text)

    @property
    def presence_metric(self) -> str:
        """The series whose absence means the SLI cannot be computed."""
        return self.metric

    def identity(self, blueprint: str, environment: str) -> dict[str, str]:
        """The labels every recorded series and alert of this SLO carries.

        The same dict for the same arguments, which every rule of the SLO holds (so the YAML
        emitter writes it once): callers copy it to add labels, and never change it.
        """
        key = (blueprint, environment)
        labels = self._identities.get(key)
        if labels is None:
            labels = self._identities[key] = {"blueprint": blueprint, "environment": environment,
                                              "module": self.module, "slo": self.name}
        return labels

    @functools.cached_property
    def _identities(self) -> dict[tuple[str, str], dict[str, str]]:
        return {}

    def renamed(self, module: str) -> Slo:
        """The same SLO of a module named ``module`` (a stand-in: ``common.stand_ins``)."""
        labels = {k: module if v == self.module else v for k, v in self.labels.items()}
        return dataclasses.replace(self, module=module, labels=labels)

    def shape(self) -> tuple[object, ...]:
        """Everything the SLO's rules, tests and panels depend on besides its module's name (the
        key of the texts written once per shape: ``common.stand_ins``)."""
        labels = tuple((k, None if v == self.module else v) for k, v in self.labels.items())
        return self.name, self.objective, self.window, self.threshold, self.metric, labels

    @functools.cached_property
    def le(self) -> str:
        """For latency SLOs: the ``le`` label of the threshold's histogram bucket."""
        return number(Decimal(str(self.threshold.seconds))) if self.threshold is not None else ""

    @functools.cached_property
    def bucket_matchers(self) -> tuple[dict[str, str], dict[str, str] | None]:
        """Equality and regex matchers of the threshold's bucket. A whole number of seconds is written
        ``le="1"`` by Go clients and ``le="1.0"`` by Python's and by Prometheus 3, which normalises
        classic histograms' ``le`` on ingestion: both are matched, or the SLI would select nothing."""
        if "." in self.le or "e" in self.le:
            return {**self.labels, "le": self.le}, None
        return self.labels, {"le": f"{self.le}|{self.le}\\.0"}

    @functools.cached_property
    def _ratio_parts(self) -> tuple[str, str, str]:
        """``error_ratio`` around its two windows, built once per SLO."""
        if self.threshold is None:
            total = f"sum(rate({self.metric}{selector(self.labels)}["
            bad = f"sum(rate({self.metric}{selector(self.labels, failed(self.metric))}["
            return f"({bad}", f"])) or vector(0)) / {total}", "]))"
        base = self.metric.removesuffix("_bucket")
        good = f"sum(rate({self.metric}{selector(*self.bucket_matchers)}["
        total = f"sum(rate({base}_count{selector(self.labels)}["
        return f"1 - ({good}", f"])) / {total}", "])))"

    def error_ratio(self, window: str) -> str:
        """PromQL for the share of bad events over ``window``."""
        head, middle, tail = self._ratio_parts
        return f"{head}{window}{middle}{window}{tail}"

    def factors(self) -> list[tuple[BurnTier, float]]:
        """Each tier with its burn-rate threshold for this SLO's window (and objective)."""
        return list(self._factors)

    @functools.cached_property
    def _factors(self) -> tuple[tuple[BurnTier, float], ...]:
        max_burn = float(self.max_burn) if self.max_burn is not None else None
        return tuple((tier, tier.factor(self.window.seconds, max_burn)) for tier in TIERS)


def slos_of(env: Environment, module: ResolvedModule) -> list[Slo]:
    """The SLOs a module declares, in a fixed order: availability, then latency p95, p99. Only a service's or a
    worker's: the SLIs read the requests a long-running module serves, and a job's or cron job's runs are
    watched by its run alerts instead (an ``slo`` reaching one, e.g. from ``defaults``, measures nothing).
    Worked out once per environment and module (``signals.memo``): the list is shared, never change it."""
    return memoised("slos", env, (module,), lambda: _slos(env, module))


def _slos(env: Environment, module: ResolvedModule) -> list[Slo]:
    spec = module.spec.slo
    if spec is None or not module.long_running:
        return []
    window = spec.window or DEFAULT_WINDOW
    labels = target_labels(env, module.name)
    out = []
    if spec.availability is not None:
        objective = Decimal(spec.availability.text.rstrip("%")) / 100
        out.append(Slo(module.name, "availability", objective, window, None, requests_metric(module), labels))
    for percentile in ("p95", "p99"):
        threshold = getattr(spec.latency, percentile) if spec.latency else None
        if threshold is not None:
            out.append(Slo(module.name, f"latency-{percentile}", Decimal(percentile[1:]) / 100, window, threshold,
                           f"{duration_metric(module)}_bucket", labels))
    return out
