"""Every alert buttress defines for a module: name, severity, PromQL, and what it means.

The one catalog the monitoring rules, the dashboards' alert panels and the runbooks all read, so
an alert's ``runbook_url`` anchor and its runbook section cannot drift apart. Per SLO: a page and
a ticket burn-rate alert and an absent-metrics alert; for workers a backlog alert; for cronjobs
missed and failed runs; for stateful modules a backup-staleness alert against the RPO.
Pure; called by ``render.monitoring``, ``render.dashboards`` and ``render.runbooks``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.render.common.labels import oncall, owner
from buttress.render.common.queues import backlog
from buttress.render.signals.cron import max_gap_seconds
from buttress.render.signals.memo import memoised
from buttress.render.signals.series import quote, selector
from buttress.render.signals.slo import BURN_RECORD, Slo, number, slos_of


def runbook_path(module: str) -> str:
    """Where a module's runbook lives, relative to the environment's output folder."""
    return f"runbooks/{module}.md"


@functools.lru_cache(maxsize=1 << 16)
def dashboard_uid(blueprint: str, environment: str, module: str | None) -> str:
    """A deterministic Grafana uid (at most 40 characters) for a module's or the overview dashboard
    (the dashboards, the runbooks and the alerts' checks each ask for it: hashed once)."""
    key = f"{blueprint}/{environment}/{module or ''}"
    return f"bt-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def human(seconds: float) -> str:
    """A duration in the largest whole unit (``30h``, ``90m``, ``45s``)."""
    s = round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s % size == 0 and s >= size:
            return f"{s // size}{unit}"
    return f"{s}s"


@dataclass(frozen=True)
class Alert:
    """One alerting rule and its operating documentation."""

    name: str
    anchor: str
    """The id of the alert's section in the module's runbook."""
    module: str
    severity: str
    expr: str
    for_: str | None
    labels: dict[str, str]
    summary: str
    description: str
    checks: tuple[str, str, str]
    """The first three things the on-call engineer checks."""
    slo: str | None = None
    measure: str | None = None
    """For threshold alerts: the PromQL of the watched quantity (``expr`` is ``measure > threshold``)."""
    threshold: float | None = None
    published: str = ""
    """Where the environment's output folder is published (``runbooks.url``/<environment>/), or empty."""

    @property
    def runbook_url(self) -> str:
        """The runbook section: absolute where the blueprint says where the output is published, else
        relative to the environment's output folder."""
        return f"{self.published}{runbook_path(self.module)}#{self.anchor}"

    @functools.cached_property
    def annotations(self) -> dict[str, str]:
        """Summary, description and runbook link: one dict that the rule and the promtool tests
        expecting it share (never changed)."""
        return {"summary": self.summary, "description": self.description, "runbook_url": self.runbook_url}


@dataclass(frozen=True)
class Scope:
    """What every alert of one module needs to know about where it runs."""

    bp: Blueprint
    env: Environment
    graph: Graph
    module: ResolvedModule

    def standing_in(self, module: str, team: str, on_call: str, dependencies: str) -> Scope:
        """A scope of the same module whose alerts carry stand-ins (``render.common.stand_ins``) for its
        name, team, on-call, dashboard and dependencies, as an ``Slo`` for ``module`` does."""
        twin = Scope(self.bp, self.env, self.graph, self.module)
        twin.__dict__.update(  # the cached properties' values, set before anything reads them
            base_labels={"blueprint": str(self.bp.spec.name), "environment": self.env.name, "module": module,
                         "team": team, "oncall": on_call},
            dashboard=dashboard_uid(str(self.bp.spec.name), self.env.name, module), dependencies=dependencies)
        return twin

    @functools.cached_property
    def base_labels(self) -> dict[str, str]:
        """Labels every alert of the module carries."""
        return {"blueprint": str(self.bp.spec.name), "environment": self.env.name, "module": self.module.name,
                "team": owner(self.bp, self.module), "oncall": oncall(self.bp, self.module)}

    @functools.cached_property
    def published(self) -> str:
        """Where this environment's output folder is published, or empty (``Alert.published``)."""
        runbooks = self.bp.spec.runbooks
        return f"{runbooks.url}/{self.env.name}/" if runbooks is not None else ""

    def linked(self, alerts: list[Alert]) -> list[Alert]:
        """``alerts`` with their runbook links where the output is published."""
        return [dataclasses.replace(a, published=self.published) for a in alerts] if self.published else alerts

    @functools.cached_property
    def dashboard(self) -> str:
        """The module dashboard's uid."""
        return dashboard_uid(str(self.bp.spec.name), self.env.name, self.module.name)

    @functools.cached_property
    def dependencies(self) -> str:
        """What the module consumes, for check lists."""
        names = [f"{e.target}.{e.interface}" if e.interface else e.target for e in self.graph.outgoing(self.module.name)]
        return ", ".join(names) if names else "no dependencies"

    @property
    def namespace(self) -> str:
        """The environment's namespace."""
        return str(self.env.spec.namespace)


@functools.lru_cache(maxsize=64)
def _burn_record(window: str) -> str:
    return BURN_RECORD.format(window=window)


def _burn_alerts(scope: Scope, slo: Slo) -> list[Alert]:
    bp, env = str(scope.bp.spec.name), scope.env.name
    sel = selector(slo.identity(bp, env))
    factors = slo.factors()
    out = []
    for severity, name, speed in (("page", "ErrorBudgetBurnFast", "fast"), ("ticket", "ErrorBudgetBurnSlow", "slow")):
        tiers = [(t, f) for t, f in factors if t.severity == severity]
        # One line: documents without line breaks go to the fast YAML emitter (render.yamlio).
        expr = " or ".join(
            f"({_burn_record(t.long)}{sel} > {number(f)} and {_burn_record(t.short)}{sel} > {number(f)})"
            for t, f in tiers)
        windows = ", ".join(f"{number(f)}x over {t.long} (confirmed over {t.short})" for t, f in tiers)
        out.append(Alert(
            name=name, anchor=f"{slo.name}-burn-{speed}", module=slo.module, severity=severity, expr=expr, for_=None,
            labels={**scope.base_labels, "slo": slo.name, "severity": severity}, slo=slo.name,
            summary=f"{slo.module}: {slo.name} error budget burning {speed} in {env}",
            description=(f"The {slo.name} SLO ({number(slo.objective * 100)}% over {slo.window_text}) of "
                         f"{slo.module} is spending its error budget at {windows}."),
            checks=(f"Open dashboard {scope.dashboard}, SLO row: which window burns, and since when.",
                    f"Compare with the dependencies: {scope.dependencies}; a failing dependency shows its own alerts.",
                    "Check recent changes: a rollout in the last hours is the likeliest cause; roll back "
                    f"with `buttress rollback --env {env}`.")))
    return out


def _absent_alert(scope: Scope, slo: Slo) -> Alert:
    return Alert(
        name="SLOMetricsAbsent", anchor=f"{slo.name}-metrics-absent", module=slo.module, severity="ticket",
        expr=f"absent({slo.presence_metric}{selector(slo.labels)})", for_="15m",
        labels={**scope.base_labels, "slo": slo.name, "severity": "ticket"}, slo=slo.name,
        summary=f"{slo.module}: no {slo.presence_metric} series in {scope.env.name}",
        description=f"The {slo.name} SLI of {slo.module} cannot be computed: Prometheus has no "
                    f"{slo.presence_metric} series for job {slo.module} in namespace {scope.namespace}.",
        checks=(f"Is the module running? `kubectl -n {scope.namespace} get pods -l app.kubernetes.io/name={slo.module}`.",
                f"Is it scraped? Prometheus targets page, job {slo.module}: up, and no relabelling drops it.",
                f"Does it still export {slo.presence_metric}? A renamed metric needs `metrics:` in the blueprint."))


def _backlog_alert(scope: Scope) -> Alert | None:
    m = scope.module.spec
    depth = m.scaling.targets.queue_depth if m.scaling and m.scaling.targets else None
    if depth is None:
        return None
    replicas = m.scaling.replicas if m.scaling else None
    most = (replicas.max or replicas.min or 1) if replicas else 1
    measured = backlog(scope.bp, scope.module)
    assert measured is not None, "model.graph refuses queueDepth scaling without a queue"
    limit = depth * most
    measure = measured.query
    what = (f"The consumer group {measured.labels['consumergroup']} lags" if "consumergroup" in measured.labels
            else f"The queue {measured.labels['queue']} holds")
    return Alert(
        name="WorkerBacklogHigh", anchor="worker-backlog", module=scope.module.name, severity="ticket",
        expr=f"{measure} > {limit}", for_="15m", measure=measure, threshold=limit,
        labels={**scope.base_labels, "severity": "ticket"},
        summary=f"{scope.module.name}: queue backlog above {limit} messages in {scope.env.name}",
        description=(f"{what} more than {limit} messages ({depth} per replica at the "
                     f"maximum of {most} replicas) for 15 minutes: the autoscaler cannot catch up."),
        checks=(f"Open dashboard {scope.dashboard}: is the worker at its maximum of {most} replicas?",
                "Are messages failing and being retried? Check the worker's error logs for a poison message.",
                f"Is a dependency slow ({scope.dependencies})? Raise scaling.replicas.max if the load is real."))


def _cron_alerts(scope: Scope) -> list[Alert]:
    name, ns = scope.module.name, scope.namespace
    schedule = str(scope.module.spec.schedule)
    gap = max_gap_seconds(schedule)
    limit = gap + max(900, gap // 4)
    base = {**scope.base_labels, "severity": "ticket"}
    last = f"kube_cronjob_status_last_successful_time{selector({'namespace': ns, 'cronjob': name})}"
    age = f"time() - max({last})"
    return [
        Alert(name="CronJobMissedRun", anchor="cronjob-missed-run", module=name, severity="ticket",
              expr=f"{age} > {limit}", for_="5m", measure=age, threshold=limit,
              labels=base, summary=f"{name}: no successful run for {human(limit)} in {scope.env.name}",
              description=(f"{name} runs on '{schedule}' (at most {human(gap)} apart) but its last successful run "
                           f"is more than {human(limit)} ago."),
              checks=(f"`kubectl -n {ns} get cronjob {name}`: is it suspended, and when was it last scheduled?",
                      f"`kubectl -n {ns} get jobs --sort-by=.metadata.creationTimestamp`: did runs start and fail?",
                      f"Are its dependencies reachable ({scope.dependencies})?")),
        Alert(name="CronJobNeverSucceeded", anchor="cronjob-never-succeeded", module=name, severity="ticket",
              expr=f"absent({last})", for_=human(limit), labels=base,
              summary=f"{name}: no successful run on record for {human(limit)} in {scope.env.name}",
              description=(f"{name} runs on '{schedule}' but kube-state-metrics has reported no successful run for "
                           f"{human(limit)}: it never succeeded since it was created (CronJobMissedRun cannot tell, "
                           "having no last run to measure), or its metrics are not scraped."),
              checks=(f"`kubectl -n {ns} get cronjob {name}`: is it suspended, or its schedule never reached?",
                      f"`kubectl -n {ns} get jobs --sort-by=.metadata.creationTimestamp`: did runs start and fail?",
                      "Is kube-state-metrics up and scraped (`up{job=\"kube-state-metrics\"}`)?")),
        Alert(name="CronJobFailed", anchor="cronjob-failed", module=name, severity="ticket",
              expr=(f"sum(kube_job_failed{selector({'namespace': ns, 'condition': 'true'}, {'job_name': f'{name}-[0-9]+'})})"
                    " > 0"),
              for_="5m", labels=base, summary=f"{name}: a run failed in {scope.env.name}",
              description=(f"A Job created by the CronJob {name} has failed: its pods failed more often than its "
                           "backoffLimit allows (a pod that failed and succeeded on retry is no failed run)."),
              checks=(f"`kubectl -n {ns} logs job/<failed job>`: the failing step and its error.",
                      "Was it out of memory or evicted? `kubectl describe pod` shows OOMKilled and the node.",
                      f"Are its dependencies reachable ({scope.dependencies})? Rerun with "
                      f"`kubectl -n {ns} create job --from=cronjob/{name} {name}-manual`.")),
    ]


def _backup_alerts(scope: Scope) -> list[Alert]:
    state = scope.module.spec.state
    if state is None or state.backup is None or state.backup.rpo is None:
        return []
    rpo = state.backup.rpo
    schedule = backup_schedule_name(scope.env, scope.module.name)
    last = f"velero_backup_last_successful_timestamp{{schedule={quote(schedule)}}}"
    age = f"time() - max({last})"
    never = Alert(
        name="BackupNeverCompleted", anchor="backup-never-completed", module=scope.module.name, severity="page",
        expr=f"absent({last})", for_=rpo.prometheus, labels={**scope.base_labels, "severity": "page"},
        summary=f"{scope.module.name}: no completed backup on record for the RPO of {rpo} in {scope.env.name}",
        description=(f"The Velero schedule {schedule} has no successful backup on record for {rpo}: it never "
                     "completed one since it was created (BackupStale cannot tell, having no last backup to "
                     "measure), or Velero's metrics are not scraped. A restore would find nothing."),
        checks=(f"`velero schedule describe {schedule}` and `velero backup get`: did every backup fail?",
                "Is Velero running and scraped, and its object store reachable and not out of quota?",
                f"Take a backup now: `velero backup create --from-schedule {schedule}`."))
    return [Alert(
        name="BackupStale", anchor="backup-stale", module=scope.module.name, severity="page",
        expr=f"{age} > {round(rpo.seconds)}", for_="5m",
        measure=age, threshold=round(rpo.seconds), labels={**scope.base_labels, "severity": "page"},
        summary=f"{scope.module.name}: last good backup older than the RPO of {rpo} in {scope.env.name}",
        description=(f"The Velero schedule {schedule} has not completed a backup within the recovery point "
                     f"objective ({rpo}); data written since then would be lost in a restore."),
        checks=(f"`velero schedule describe {schedule}` and `velero backup get`: did the last backups fail?",
                "Is the volume snapshot provider or object store reachable and not out of quota?",
                f"Take a backup now: `velero backup create --from-schedule {schedule}`.")), never]


def backup_schedule_name(env: Environment, module: str) -> str:
    """The Velero Schedule that backs up a stateful module."""
    return f"{env.spec.namespace}-{module}"


def alerts_of(bp: Blueprint, env: Environment, graph: Graph, module: ResolvedModule,
              slos: list[Slo] | None = None) -> list[Alert]:
    """Every alert of one module, in a stable order: its SLOs', then ``kind_alerts`` (``slos``: the
    module's ``slos_of``, when the caller has them already)."""
    scope = Scope(bp, env, graph, module)
    out: list[Alert] = []
    for slo in slos if slos is not None else slos_of(env, module):
        out += _slo_alerts(scope, slo)
    return scope.linked(out + _kind_alerts(scope))


def slo_alerts(scope: Scope, slo: Slo) -> list[Alert]:
    """The alerts of one SLO (in ``alerts_of``'s order), linked to the runbook."""
    return scope.linked(_slo_alerts(scope, slo))


def _slo_alerts(scope: Scope, slo: Slo) -> list[Alert]:
    return [*_burn_alerts(scope, slo), _absent_alert(scope, slo)]


def kind_alerts(bp: Blueprint, env: Environment, graph: Graph, module: ResolvedModule) -> list[Alert]:
    """The alerts of one module that watch its kind and state rather than an SLO: a worker's
    backlog, a cronjob's runs, a stateful module's backups. Worked out once per environment, module,
    blueprint and graph (``signals.memo``): the list is shared, never change it."""
    def compute() -> list[Alert]:
        scope = Scope(bp, env, graph, module)
        return scope.linked(_kind_alerts(scope))

    return memoised("kind alerts", env, (module, bp, graph), compute)


def _kind_alerts(scope: Scope) -> list[Alert]:
    module = scope.module
    out: list[Alert] = []
    if module.kind == "worker":
        backlog = _backlog_alert(scope)
        out += [backlog] if backlog else []
    if module.kind == "cronjob" and module.spec.schedule is not None:
        out += _cron_alerts(scope)
    return out + _backup_alerts(scope)
