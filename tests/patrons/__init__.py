"""Tests of the patrons context."""
