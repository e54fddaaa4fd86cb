"""The HorizontalPodAutoscaler (autoscaling/v2) as the simulator models it.

Every sync period the autoscaler turns the observed metric into a recommendation
(``ceil(current × metric / target)``, nothing within the 10% tolerance), stabilises it (the
lowest recommendation of the scale-up window, the highest of the scale-down window), limits the
change by the rate policies (by default at most +100% or +4 pods per 15 s, whichever is more) and
clamps it to ``scaling.replicas``. Starting pods count as replicas but carry no load, as in
Kubernetes. The defaults are Kubernetes' own. Called by ``simulation``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AutoscalerSettings:
    """HPA timing and behaviour; Kubernetes' defaults unless the caller says otherwise."""

    sync_period: float = 15.0
    tolerance: float = 0.1
    scale_up_stabilisation: float = 0.0
    scale_up_percent: float = 100.0
    scale_up_pods: int = 4
    scale_up_period: float = 15.0
    scale_down_stabilisation: float = 300.0
    scale_down_percent: float = 100.0
    scale_down_period: float = 15.0


@dataclass
class Autoscaler:
    """The replica decisions of one module's HPA over time."""

    settings: AutoscalerSettings
    min_replicas: int
    max_replicas: int
    _history: deque[tuple[float, int]] = field(default_factory=deque)

    def recommend(self, current: int, ratio: float) -> int:
        """The raw recommendation for ``ratio`` = observed metric / target, over ``current`` replicas."""
        if current == 0 or abs(ratio - 1.0) <= self.settings.tolerance:
            return current
        return max(math.ceil(current * ratio - 1e-9), 1)

    def decide(self, now: float, current: int, ratio: float) -> int:
        """The replica count the HPA sets at ``now``."""
        s = self.settings
        raw = self.recommend(current, ratio)
        self._history.append((now, raw))
        horizon = max(s.scale_up_stabilisation, s.scale_down_stabilisation)
        while self._history and self._history[0][0] < now - horizon:
            self._history.popleft()
        up = raw if s.scale_up_stabilisation <= 0 else \
            min(r for t, r in self._history if t >= now - s.scale_up_stabilisation)
        desired = current
        if up > current:
            desired = up
        elif raw < current:  # the window's highest is below current only if this one is
            down = max(r for t, r in self._history if t >= now - s.scale_down_stabilisation)
            desired = min(down, current)
        if desired > current:
            per_sync = s.sync_period / s.scale_up_period
            limit = max(current * (1 + s.scale_up_percent / 100.0 * per_sync),
                        current + s.scale_up_pods * per_sync)
            desired = min(desired, math.floor(limit + 1e-9))
        elif desired < current:
            per_sync = s.sync_period / s.scale_down_period
            desired = max(desired, math.ceil(current * (1 - s.scale_down_percent / 100.0 * per_sync) - 1e-9))
        return min(max(desired, self.min_replicas), self.max_replicas)
