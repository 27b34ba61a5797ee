"""Preservation metrics agree with the published values they come from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.climate.air import absolute_humidity, dew_point, relative_humidity
from server.climate.preservation import (
    Band,
    Sample,
    equilibrium_moisture_content,
    mould_isopleth,
    mould_risk,
    now,
    period,
    preservation_index,
    twpi,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
temperatures = st.floats(min_value=-20, max_value=45)
humidities = st.floats(min_value=1, max_value=100)


@pytest.mark.parametrize(
    ("temperature", "humidity", "published"),
    [(20, 50, 9.3), (25, 60, 16.7), (30, 80, 26.2), (10, 70, 4.8), (0, 100, 0.0)],
)
def test_dew_point_matches_psychrometric_tables(
    temperature: float, humidity: float, published: float
) -> None:
    assert dew_point(temperature, humidity) == pytest.approx(published, abs=0.05)


@given(t=temperatures, rh=humidities)
def test_dew_point_and_relative_humidity_are_inverses(t: float, rh: float) -> None:
    assert dew_point(t, rh) <= t + 1e-9
    assert relative_humidity(t, dew_point(t, rh)) == pytest.approx(rh, rel=1e-9)


def test_absolute_humidity_matches_the_tables() -> None:
    assert absolute_humidity(20, 100) == pytest.approx(17.3, abs=0.1)  # g/m³ at saturation
    assert absolute_humidity(20, 50) == pytest.approx(8.65, abs=0.05)


def test_dew_point_refuses_impossible_humidity() -> None:
    with pytest.raises(ValueError, match="relative humidity"):
        dew_point(20, 0)
    with pytest.raises(ValueError, match="relative humidity"):
        dew_point(20, 101)


def test_preservation_index_meets_ipis_benchmark() -> None:
    # IPI: PI 50 years at 20 °C and 45 %RH (Richardson, Cummings and Bigourdan 2023,
    # Heritage 6: 4202); 45 years, IPI's edge between "OK" and "risk", at 20 °C, 50 %RH.
    assert preservation_index(20, 45) == pytest.approx(50, abs=1.5)
    assert preservation_index(20, 50) == pytest.approx(45, abs=1)


# IPI's Dew Point Calculator (dpcalc.org), which reads its table at whole degrees and
# whole percent and shows whole years.
DPCALC = [
    (20, 70, 26),
    (24, 53, 25),
    (28, 74, 9),
    (33, 80, 5),
    (44, 97, 1),
    (14, 31, 161),
    (-13, 33, 7840),
]


@pytest.mark.parametrize(("temperature", "humidity", "years"), DPCALC)
def test_preservation_index_matches_ipis_calculator(
    temperature: float, humidity: float, years: int
) -> None:
    assert preservation_index(temperature, humidity) == pytest.approx(years, rel=0.05, abs=0.5)


@given(t=temperatures, rh=st.floats(min_value=0, max_value=99), dt=st.floats(0.1, 10))
def test_warmer_or_damper_air_never_preserves_better(t: float, rh: float, dt: float) -> None:
    assert preservation_index(t + dt, rh) < preservation_index(t, rh)
    assert preservation_index(t, min(rh + dt, 100)) < preservation_index(t, rh)


def test_five_degrees_cooler_nearly_doubles_the_index() -> None:
    assert preservation_index(15, 45) / preservation_index(20, 45) == pytest.approx(1.89, abs=0.02)


@pytest.mark.parametrize(
    ("temperature", "humidity", "published"),
    [
        # Wood Handbook (FPL-GTR-190) table 4-2, 70 °F
        (21.11, 30, 6.2),
        (21.11, 50, 9.2),
        (21.11, 65, 12.0),
        # IPI's Dew Point Calculator
        (20, 70, 13.1),
        (27.5, 74, 13.8),
        (32.5, 80, 15.4),
        (23.5, 52.5, 9.6),
        (14, 30.5, 6.4),
        (-13, 33, 6.6),
        (-18, 43.5, 8.1),
        (44, 97, 24.1),
        (28.5, 0, 0.0),
    ],
)
def test_equilibrium_moisture_content_matches_published_values(
    temperature: float, humidity: float, published: float
) -> None:
    assert equilibrium_moisture_content(temperature, humidity) == pytest.approx(published, abs=0.1)


def test_mould_isopleth_follows_hukka_and_viitanen() -> None:
    assert mould_isopleth(20) == pytest.approx(80, abs=0.05)
    assert mould_isopleth(25) == 80
    assert mould_isopleth(10) == pytest.approx(82.0, abs=0.05)
    assert mould_isopleth(5) == pytest.approx(88.0, abs=0.05)
    assert mould_isopleth(0) is None  # frozen: nothing grows
    assert mould_isopleth(55) is None
    assert mould_risk(22, 82)
    assert not mould_risk(22, 70)
    assert not mould_risk(-5, 100)


@given(t=st.floats(min_value=0.01, max_value=15))
def test_the_isopleth_falls_as_it_warms(t: float) -> None:
    here, warmer = mould_isopleth(t), mould_isopleth(t + 0.01)
    assert here is not None
    assert warmer is not None
    assert 80 < warmer < here < 100


@given(t=st.floats(min_value=15, max_value=49.99))
def test_the_isopleth_stays_near_80_percent_above_15_degrees(t: float) -> None:
    # the published cubic dips to 79.93 %RH near 17 °C before meeting 80 %RH at 20 °C
    assert mould_isopleth(t) == pytest.approx(80, abs=0.1)


def test_live_metrics() -> None:
    live = now(20, 45)
    assert live.dew_point == pytest.approx(7.7, abs=0.05)
    assert live.preservation_index == pytest.approx(51, abs=0.5)
    assert live.in_band
    assert not live.mould_risk
    assert now(20, 0).dew_point is None
    assert not now(27, 55).in_band


def hourly(*climates: tuple[float, float]) -> list[Sample]:
    return [Sample(START + timedelta(hours=i), t, rh) for i, (t, rh) in enumerate(climates)]


def test_twpi_of_a_steady_climate_is_its_pi() -> None:
    samples = hourly(*[(20, 45)] * 24)
    assert twpi(samples, end=START + timedelta(hours=24)) == pytest.approx(
        preservation_index(20, 45)
    )


def test_twpi_is_the_harmonic_mean_over_equal_intervals() -> None:
    a, b = preservation_index(20, 45), preservation_index(28, 65)
    samples = hourly((20, 45), (28, 65))
    assert twpi(samples, end=START + timedelta(hours=2)) == pytest.approx(2 / (1 / a + 1 / b))


def test_twpi_weighs_each_sample_by_the_time_it_stood() -> None:
    a, b = preservation_index(18, 40), preservation_index(26, 60)
    samples = [Sample(START, 18, 40), Sample(START + timedelta(minutes=45), 26, 60)]
    got = twpi(samples, end=START + timedelta(hours=1))
    assert got == pytest.approx(1 / (0.75 / a + 0.25 / b))


def test_an_outage_is_unknown_time_not_the_last_value() -> None:
    samples = [Sample(START, 20, 45), Sample(START + timedelta(days=3), 30, 80)]
    result = period(samples, end=START + timedelta(days=3, hours=1))
    assert result.hours == pytest.approx(2)  # one hour of each, not three days of the first
    assert twpi([]) is None
    with pytest.raises(ValueError, match="out of order"):
        twpi(list(reversed(samples)))


@given(
    climates=st.lists(st.tuples(temperatures, st.floats(0, 100)), min_size=1, max_size=30),
)
def test_twpi_lies_between_the_worst_and_best_pi_and_below_their_mean(
    climates: list[tuple[float, float]],
) -> None:
    samples = hourly(*climates)
    pis = [preservation_index(t, rh) for t, rh in climates]
    got = twpi(samples, end=START + timedelta(hours=len(climates)))
    assert got is not None
    assert min(pis) * (1 - 1e-9) <= got <= max(pis) * (1 + 1e-9)
    assert got <= sum(pis) / len(pis) * (1 + 1e-9)


def test_a_period_counts_mould_hours_and_time_in_band() -> None:
    samples = hourly((20, 45), (21, 50), (24, 82), (26, 85), (19, 35), (18, 45))
    result = period(samples, Band(), end=START + timedelta(hours=6))
    assert result.hours == pytest.approx(6)
    assert result.mould_hours == pytest.approx(2)
    assert result.hours_in_band == pytest.approx(3)
    assert result.fraction_in_band == pytest.approx(0.5)
    assert result.min_emc == pytest.approx(equilibrium_moisture_content(19, 35))
    assert result.max_emc == pytest.approx(equilibrium_moisture_content(26, 85))
    assert result.min_dew_point == pytest.approx(dew_point(19, 35))
    assert result.twpi is not None


def test_a_period_may_use_another_isopleth() -> None:
    samples = hourly((20, 70), (20, 60))
    strict = period(samples, end=START + timedelta(hours=2), isopleth=lambda t: 65.0)
    assert strict.mould_hours == pytest.approx(1)
    assert period(samples).mould_hours == 0


def test_a_band_must_make_sense() -> None:
    with pytest.raises(ValueError, match="temperature"):
        Band(temperature_low=25, temperature_high=16)
    with pytest.raises(ValueError, match="humidity"):
        Band(humidity_low=60, humidity_high=40)
