"""Prometheus metrics of one server process (its own registry, so tests can build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.ingested = Counter(
            "smartlib_events_ingested", "Events stored (each event once)", registry=self.registry
        )
        self.rejected = Counter(
            "smartlib_events_rejected",
            "Messages dead-lettered with a reason",
            registry=self.registry,
        )
        self.duplicates = Counter(
            "smartlib_events_duplicate", "Redelivered events ignored", registry=self.registry
        )
        self.batches = Counter(
            "smartlib_ingest_batches", "Transactions committed by ingest", registry=self.registry
        )
        self.ingest_errors = Counter(
            "smartlib_ingest_errors", "Batches that failed and were retried", registry=self.registry
        )
        self.live_clients = Gauge(
            "smartlib_live_clients", "Open live-stream connections", registry=self.registry
        )
        self.broker_connected = Gauge(
            "smartlib_broker_connected", "1 while connected to the broker", registry=self.registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
