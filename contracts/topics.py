"""MQTT topic names: one tree per site and gateway under `smartlib/v1/`."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from contracts.names import check_name

ROOT = "smartlib/v1"


class GatewayStatus(StrEnum):
    """Retained payload of a gateway's status topic; `offline` is also its last will."""

    ONLINE = "online"
    OFFLINE = "offline"


class Topic(NamedTuple):
    """A parsed smartlib topic. `kind` is set for event topics only."""

    site: str
    gateway: str
    channel: str  # "events", "commands" or "status"
    kind: str | None = None


def event_topic(site: str, gateway: str, kind: str) -> str:
    return f"{ROOT}/{check_name(site, 'site')}/{check_name(gateway, 'gateway')}/events/{kind}"


def command_topic(site: str, gateway: str) -> str:
    return f"{ROOT}/{check_name(site, 'site')}/{check_name(gateway, 'gateway')}/commands"


def status_topic(site: str, gateway: str) -> str:
    return f"{ROOT}/{check_name(site, 'site')}/{check_name(gateway, 'gateway')}/status"


def events_filter(site: str = "+", gateway: str = "+") -> str:
    """Subscription filter for every event of one site/gateway (`+` for all)."""
    return f"{ROOT}/{site}/{gateway}/events/#"


def status_filter(site: str = "+", gateway: str = "+") -> str:
    return f"{ROOT}/{site}/{gateway}/status"


def live_topic() -> str:
    """Where servers share what they have applied, so every server's live stream sees it."""
    return f"{ROOT}/_server/live"


def shared_subscription(group: str, topic_filter: str) -> str:
    """A `$share/{group}/...` filter: the broker hands each message to one group member."""
    return f"$share/{check_name(group, 'share group')}/{topic_filter}"


def parse_topic(topic: str) -> Topic:
    """Split a smartlib topic into its parts; raise ValueError naming what is wrong."""
    parts = topic.split("/")
    if len(parts) < 5 or "/".join(parts[:2]) != ROOT:
        raise ValueError(f"not a {ROOT} topic: {topic!r}")
    site, gateway, channel, *rest = parts[2:]
    check_name(site, "site")
    check_name(gateway, "gateway")
    if channel == "events" and len(rest) == 1 and rest[0]:
        return Topic(site, gateway, channel, rest[0])
    if channel in ("commands", "status") and not rest:
        return Topic(site, gateway, channel)
    raise ValueError(f"unknown smartlib topic: {topic!r}")
