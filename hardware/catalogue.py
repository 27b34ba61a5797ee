"""The device catalogue: which devices a site has, where they are, and how they are reached.

A site file (YAML) names the site, its zones, its gateways and every device with its
transport. `port` is what the gateway opens (a pyserial URL); for simulated devices
`sim` says what the simulator creates there (a pty linked at that path, or a TCP
listener on the socket:// address).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts import Name

DEMO_SITE = Path(__file__).parent / "sites" / "demo.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Zone(_Strict):
    id: Name
    name: str


class GatewaySpec(_Strict):
    id: Name
    zone: Name | None = None


class DeviceSpec(_Strict):
    id: Name
    gateway: Name
    zone: Name
    kind: Literal["rfid_pad", "card_reader"]
    protocol: Literal["node", "rdm6300"]
    port: str
    baudrate: int = 115200
    sim: Literal["pty", "tcp"] | None = None
    debounce_s: float = Field(default=2.0, ge=0)


class Site(_Strict):
    site: Name
    name: str
    zones: list[Zone]
    gateways: list[GatewaySpec]
    devices: list[DeviceSpec] = []

    @model_validator(mode="after")
    def _references(self) -> Site:
        zones = {z.id for z in self.zones}
        gateways = {g.id for g in self.gateways}
        for device in self.devices:
            if device.zone not in zones:
                raise ValueError(f"device {device.id}: unknown zone {device.zone!r}")
            if device.gateway not in gateways:
                raise ValueError(f"device {device.id}: unknown gateway {device.gateway!r}")
            if device.sim == "tcp" and not device.port.startswith("socket://"):
                raise ValueError(
                    f"device {device.id}: a tcp-simulated device needs a socket:// port"
                )
        ids = [d.id for d in self.devices]
        if len(ids) != len(set(ids)):
            raise ValueError("device ids must be unique within a site")
        return self

    def devices_of(self, gateway: str) -> list[DeviceSpec]:
        return [d for d in self.devices if d.gateway == gateway]


class CatalogueError(ValueError):
    """The site file cannot be used; the message says where and why."""


def load_site(path: Path, **values: str) -> Site:
    """Read a site file; `{name}` placeholders in ports are filled from `values`."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text.format(**values) if values else text)
        return Site.model_validate(raw)
    except (OSError, yaml.YAMLError, KeyError) as error:
        raise CatalogueError(f"{path}: {error}") from error
    except ValidationError as error:
        raise CatalogueError(f"{path}: {error}") from error


def dump_site(site: Site, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(site.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
