"""Translations: user-facing text lives in translations/<language>/*.json, never in code.

Each part of the dashboard keeps its own file (dashboard.json, catalog.json, ...); the
files of a language are merged, and a key defined twice is an error.

A page asks `t("key")`; a key missing from a language falls back to English, then to the
key itself, so a missing translation shows up plainly instead of breaking the page.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from fastapi import Request

DIRECTORY = Path(__file__).parent / "translations"
LANGUAGES = {"en": "English", "zh-CN": "简体中文"}
DEFAULT = "en"
COOKIE = "lang"


@cache
def catalogue(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((DIRECTORY / language).glob("*.json")):
        strings = json.loads(path.read_text(encoding="utf-8"))
        twice = merged.keys() & strings.keys()
        if twice:
            raise ValueError(f"{path}: keys already defined elsewhere: {sorted(twice)}")
        merged |= strings
    return merged


def translate(language: str, key: str, **values: object) -> str:
    text = catalogue(language).get(key) or catalogue(DEFAULT).get(key) or key
    return text.format(**values) if values else text


def pick_language(request: Request, default: str = DEFAULT) -> str:
    """?lang= first, then the cookie, then the browser's Accept-Language, then the default."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    accept = request.headers.get("accept-language", "").lower()
    if accept.startswith("zh"):
        return "zh-CN"
    if accept.startswith("en"):
        return "en"
    return default if default in LANGUAGES else DEFAULT
