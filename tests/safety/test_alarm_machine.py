"""Random sequences of detector reports and people's acts never break the alarm rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from server.safety.alarms import (
    Alarm,
    AlarmType,
    Applied,
    Refused,
    acknowledge,
    clear,
    console_order,
    open_alarm,
    outputs,
    raise_,
    reset,
    silence,
    silence_all,
)

T0 = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
SOURCES = st.sampled_from(["smoke-1", "smoke-2", "beam-1", "reader-1"])
TYPES = st.sampled_from(list(AlarmType))
PEOPLE = st.sampled_from(["mei", "tom"])
ZONE = {"smoke-1": "stacks", "smoke-2": "stacks", "beam-1": "entrance", "reader-1": "desk"}


class AlarmLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.alarms: tuple[Alarm, ...] = ()
        self.minutes = 0
        self.seen_counts: dict[tuple[str, AlarmType, datetime], int] = {}
        self.closed: dict[int, Alarm] = {}  # position in the tuple -> the closed record
        self.in_alarm: dict[tuple[str, AlarmType], bool] = {}  # the latest report, in order
        self.late: set[tuple[str, AlarmType]] = set()  # keys that had a report out of order

    def now(self) -> datetime:
        self.minutes += 1
        return T0 + timedelta(minutes=self.minutes)

    def apply(self, outcome: Applied | Refused) -> None:
        if isinstance(outcome, Refused):
            assert outcome.alarms == self.alarms  # a refusal changes nothing
        self.alarms = outcome.alarms

    @rule(source=SOURCES, type=TYPES)
    def detector_alarms(self, source: str, type: AlarmType) -> None:
        self.apply(raise_(self.alarms, source, type, ZONE[source], self.now()))
        self.in_alarm[source, type] = True

    @rule(source=SOURCES, type=TYPES)
    def detector_restores(self, source: str, type: AlarmType) -> None:
        self.apply(clear(self.alarms, source, type, self.now()))
        self.in_alarm[source, type] = False

    @rule(source=SOURCES, type=TYPES, lag=st.integers(1, 5), alarm=st.booleans())
    def a_late_report_arrives(self, source: str, type: AlarmType, lag: int, alarm: bool) -> None:
        at = T0 + timedelta(minutes=self.minutes - lag, seconds=30)
        if alarm:
            self.apply(raise_(self.alarms, source, type, ZONE[source], at))
        else:
            self.apply(clear(self.alarms, source, type, at))
        self.late.add((source, type))

    @rule(source=SOURCES, type=TYPES, by=PEOPLE)
    def someone_acknowledges(self, source: str, type: AlarmType, by: str) -> None:
        self.apply(acknowledge(self.alarms, source, type, by, self.now()))

    @rule(source=SOURCES, type=TYPES, by=PEOPLE)
    def someone_silences(self, source: str, type: AlarmType, by: str) -> None:
        self.apply(silence(self.alarms, source, type, by, self.now()))

    @rule(by=PEOPLE)
    def someone_silences_everything(self, by: str) -> None:
        self.alarms, _ = silence_all(self.alarms, by, self.now())
        assert not outputs(self.alarms).sounder

    @rule(source=SOURCES, type=TYPES, by=PEOPLE)
    def someone_resets(self, source: str, type: AlarmType, by: str) -> None:
        before = open_alarm(self.alarms, source, type)
        outcome = reset(self.alarms, source, type, by, self.now())
        self.apply(outcome)
        if before is not None and before.cleared_at is None:
            assert isinstance(outcome, Refused)  # never reset while in alarm

    @precondition(lambda self: any(a.is_open for a in self.alarms))
    @rule(data=st.data())
    def someone_works_through_the_console(self, data: st.DataObject) -> None:
        alarm = data.draw(st.sampled_from(console_order(self.alarms)))
        act = data.draw(st.sampled_from([acknowledge, silence, reset]))
        self.apply(act(self.alarms, alarm.source, alarm.type, "mei", self.now()))

    @invariant()
    def at_most_one_open_alarm_per_source_and_type(self) -> None:
        keys = [a.key for a in self.alarms if a.is_open]
        assert len(keys) == len(set(keys))

    @invariant()
    def counts_never_decrease(self) -> None:
        for alarm in self.alarms:
            ident = (alarm.source, alarm.type, alarm.first_at)
            assert alarm.count >= self.seen_counts.get(ident, 1)
            self.seen_counts[ident] = alarm.count

    @invariant()
    def closed_alarms_stay_as_they_closed(self) -> None:
        for position, alarm in enumerate(self.alarms):
            if position in self.closed:
                assert alarm == self.closed[position]
            elif not alarm.is_open:
                self.closed[position] = alarm

    @invariant()
    def a_latching_alarm_leaves_the_console_only_by_a_reset_after_clearing(self) -> None:
        for alarm in self.alarms:
            if alarm.is_open:
                continue
            assert alarm.cleared_at is not None
            assert alarm.reset_at is not None
            assert alarm.reset_at >= alarm.cleared_at
            assert alarm.acknowledged
            if alarm.type.latches:
                assert alarm.reset_by is not None  # a person, never by itself

    @invariant()
    def an_open_alarm_is_active_while_its_source_last_reported_alarm(self) -> None:
        for alarm in self.alarms:
            if alarm.is_open and alarm.key not in self.late:
                assert alarm.active == self.in_alarm[alarm.key]

    @invariant()
    def outputs_follow_the_alarms(self) -> None:
        sounding_types = [a for a in self.alarms if a.is_open and a.type.sounds]
        assert outputs(self.alarms).lamp == bool(sounding_types)
        assert outputs(self.alarms).sounder == any(not a.silenced for a in sounding_types)
        if any(a.is_open and a.type == AlarmType.FIRE for a in self.alarms):
            assert outputs(self.alarms).lamp

    @invariant()
    def the_console_lists_every_open_alarm_by_precedence_then_state(self) -> None:
        listed = console_order(self.alarms)
        assert sorted(map(id, listed)) == sorted(id(a) for a in self.alarms if a.is_open)
        order = [(a.type.precedence, a.state.rank) for a in listed]
        assert order == sorted(order)


AlarmLifecycle.TestCase.settings = settings(max_examples=300, stateful_step_count=40)
test_alarm_lifecycle = AlarmLifecycle.TestCase
