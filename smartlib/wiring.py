"""Turning a site's device catalogue into one gateway's settings."""

from __future__ import annotations

from pathlib import Path

from gateway.config import GatewaySettings, ReaderSettings
from hardware.catalogue import load_site


def gateway_settings(site_file: Path | None, gateway: str | None) -> GatewaySettings:
    """Settings from env/config file, with the readers of `gateway` taken from the site file."""
    overrides: dict[str, object] = {}
    if gateway:
        overrides["gateway"] = gateway
    settings = GatewaySettings(**overrides)
    if site_file is None:
        return settings
    site = load_site(site_file)
    readers = [
        ReaderSettings(
            device=d.id,
            kind=d.kind,
            protocol=d.protocol,
            port=d.port,
            baudrate=d.baudrate,
            debounce_s=d.debounce_s,
        )
        for d in site.devices_of(settings.gateway)
    ]
    if not readers and not any(g.id == settings.gateway for g in site.gateways):
        known = ", ".join(g.id for g in site.gateways)
        raise ValueError(f"gateway {settings.gateway!r} is not in {site_file} (it has: {known})")
    return settings.model_copy(update={"site": site.site, "readers": readers})
