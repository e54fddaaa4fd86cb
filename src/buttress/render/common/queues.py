"""The series that measure a worker's queue backlog, in one place: what KEDA scales a
``queueDepth`` target on, and what the backlog alert and the worker's dashboard watch.

- a Kafka topic: ``kafka_consumergroup_lag`` by consumer group and topic (kafka-exporter; KEDA's
  own Kafka scaler reads the same lag from the brokers);
- a RabbitMQ queue (``amqp://``, ``amqps://``): ``rabbitmq_queue_messages_ready`` by queue
  (RabbitMQ's Prometheus plugin; KEDA queries it through Prometheus, with no broker credentials).

Called by the Kubernetes renderer (the ScaledObject's trigger) and ``render.signals.alerts``.
"""

from __future__ import annotations

from dataclasses import dataclass

from buttress.model.parse import Blueprint
from buttress.model.resolve import ResolvedModule

AMQP_SCHEMES = frozenset({"amqp", "amqps"})
KAFKA_LAG_METRIC = "kafka_consumergroup_lag"
RABBITMQ_READY_METRIC = "rabbitmq_queue_messages_ready"


@dataclass(frozen=True)
class Backlog:
    """A queue's backlog series: its name and the labels selecting it."""

    metric: str
    labels: dict[str, str]

    @property
    def query(self) -> str:
        """PromQL for the whole backlog: ``sum(metric{label="value",...})``."""
        matchers = ",".join(f'{k}="{_escaped(v)}"' for k, v in self.labels.items())
        return f"sum({self.metric}{{{matchers}}})"


def _escaped(value: str) -> str:
    """A PromQL string literal's body."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def backlog(bp: Blueprint, module: ResolvedModule) -> Backlog | None:
    """The backlog series of the queue ``module`` consumes, or None when it consumes none."""
    queue = module.spec.queue
    if queue is None:
        return None
    endpoint = bp.spec.externals[queue.from_].endpoint
    if endpoint.scheme in AMQP_SCHEMES:
        return Backlog(RABBITMQ_READY_METRIC, {"queue": queue.topic})
    group = queue.consumer_group or module.name
    return Backlog(KAFKA_LAG_METRIC, {"consumergroup": group, "topic": queue.topic})
