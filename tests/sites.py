"""Site files for tests: the demo site with its ptys and ports under a test's directory."""

from __future__ import annotations

from pathlib import Path

from hardware.catalogue import DEMO_SITE, Site, dump_site, load_site
from tests.services import free_port


def demo_site(tmp_path: Path) -> tuple[Site, Path]:
    site = load_site(DEMO_SITE, dev=str(tmp_path / "dev"), card_port=str(free_port()))
    path = tmp_path / "site.yaml"
    dump_site(site, path)
    return site, path
