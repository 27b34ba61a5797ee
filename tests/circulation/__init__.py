"""Tests of the circulation context."""
