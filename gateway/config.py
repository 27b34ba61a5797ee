"""Settings of one gateway process: which site and gateway it is, its broker, its readers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from contracts import Name


class ReaderSettings(BaseModel):
    """One reader on a serial line; `port` is a pyserial URL (/dev/ttyUSB0, socket://host:port)."""

    device: Name
    kind: Literal["rfid_pad", "card_reader"]
    protocol: Literal["node", "rdm6300"]
    port: str
    baudrate: int = 115200
    # a tag or card seen again within this many seconds is the same presentation
    debounce_s: float = Field(default=2.0, ge=0)
    # a node silent for this long is reported offline (node protocol only)
    heartbeat_timeout_s: float = Field(default=10.0, gt=0)


class GatewaySettings(BaseSettings):
    """From SMARTLIB_* environment variables, then the [gateway] table of SMARTLIB_CONFIG."""

    model_config = SettingsConfigDict(env_prefix="SMARTLIB_", extra="ignore")

    site: Name = "main"
    gateway: Name = "gw1"
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    outbox_path: Path = Path("data/gateway-outbox.sqlite")
    readers: list[ReaderSettings] = []
    # a command older than this when it arrives (queued while offline) is refused
    command_max_age_s: float = 300.0
    heartbeat_interval_s: float = 30.0

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: tuple[PydanticBaseSettingsSource, ...] = (init_settings, env_settings)
        config = os.environ.get("SMARTLIB_CONFIG")
        if config:
            sources += (TomlConfigSettingsSource(settings_cls, Path(config), ("gateway",)),)
        return sources
