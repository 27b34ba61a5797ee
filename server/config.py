"""Settings of one server process, validated at start and passed down."""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from contracts import Name


class ServerSettings(BaseSettings):
    """From SMARTLIB_* environment variables, then the [server] table of SMARTLIB_CONFIG."""

    model_config = SettingsConfigDict(env_prefix="SMARTLIB_", extra="ignore")

    database_url: str = "sqlite:///data/smartlib.sqlite"
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    # Names this process to the broker; two servers sharing a broker need different ones.
    instance: Name = "server1"
    # When set, servers with the same group split the events between them ($share/...).
    share_group: Name | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    ingest_batch: int = Field(default=500, ge=1)
    command_retry_s: float = Field(default=2.0, gt=0)
    command_attempts: int = Field(default=5, ge=1)
    default_language: str = "en"
    # how phone numbers without a country code are read (ISO 3166 region, e.g. "GB", "CN")
    phone_region: str = Field(default="US", pattern=r"^[A-Z]{2}$")
    # the library's time zone (IANA name): loans fall due at the end of a local open day
    timezone: str = "UTC"
    # the branch this server's desks and kiosks lend at, unless a request names another
    branch: Name = "main"
    # how often ready holds past their pickup deadline are let go (server/jobs.py)
    hold_expiry_every_s: float = Field(default=60.0, gt=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name like Europe/Oslo)"
            ) from error
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

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
            sources += (TomlConfigSettingsSource(settings_cls, Path(config), ("server",)),)
        return sources
