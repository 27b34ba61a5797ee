"""The composition root: CLI, settings loading and process wiring."""
