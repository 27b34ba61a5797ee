"""One log format for every smartlib process, naming the process so demo output reads well."""

from __future__ import annotations

import logging


def setup(process: str, level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format=f"%(asctime)s {process:<7} %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("amqtt", "transitions", "uvicorn.access", "websockets"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
