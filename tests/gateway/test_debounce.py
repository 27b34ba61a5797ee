"""Debouncing: one presentation per tag held on a pad, bounded memory however many tags pass."""

from __future__ import annotations

from gateway.readers.debounce import Debouncer


def test_a_tag_held_on_the_pad_is_one_presentation() -> None:
    debounce = Debouncer(2.0)
    assert debounce.first("A", 0.0)
    assert not debounce.first("A", 0.5)
    assert not debounce.first("A", 2.4)  # each sighting extends the window
    assert debounce.first("B", 2.5)
    assert debounce.first("A", 4.5)  # gone for 2.1 s: a new presentation
    assert debounce.suppressed == 2


def test_memory_stays_bounded_under_a_flood_of_distinct_tags() -> None:
    debounce = Debouncer(2.0, capacity=100)
    for i in range(10_000):
        assert debounce.first(f"T{i}", i * 0.0001)
    assert len(debounce._seen) == 100
