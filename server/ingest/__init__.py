"""Ingest: events from gateways applied exactly once, malformed messages dead-lettered."""
