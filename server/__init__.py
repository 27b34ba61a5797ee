"""The system of record and the rules: one sub-package per domain context."""
