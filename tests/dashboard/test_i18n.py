"""Translations: every language has every key, and pages pick the language a person asked for."""

from __future__ import annotations

import re
from pathlib import Path

from dashboard.i18n import DIRECTORY, LANGUAGES, catalogue, translate

TEMPLATES = Path(DIRECTORY).parent / "templates"
STATIC = Path(DIRECTORY).parent / "static"


def test_every_language_has_every_key() -> None:
    english = set(catalogue("en"))
    for language in LANGUAGES:
        assert set(catalogue(language)) == english, language


def test_every_key_used_by_a_page_exists() -> None:
    used: set[str] = set()
    for path in [*TEMPLATES.glob("*.html"), *STATIC.glob("*.js")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text()))
    assert used, "no translated text found: the pattern is wrong"
    known = set(catalogue("en"))
    # `t("a.b." ~ code)` names a family of keys: at least one of them must exist
    prefixes = {key for key in used if key.endswith(".")}
    assert all(any(k.startswith(p) for k in known) for p in prefixes), prefixes
    assert used - prefixes <= known, used - prefixes - known


def test_a_missing_key_shows_plainly_and_values_are_filled() -> None:
    assert translate("zh-CN", "no.such.key") == "no.such.key"
    assert translate("en", "devices.identify_sent", device="pad-1") == "Identify sent to pad-1"
