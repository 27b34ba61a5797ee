"""The alarm lifecycle: what the security console, lamp and sounder do for each act."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.safety.alarms import (
    Alarm,
    AlarmState,
    AlarmType,
    Applied,
    Change,
    Outputs,
    Reason,
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

T0 = datetime(2026, 3, 10, 22, 15, tzinfo=UTC)
FIRE, INTRUSION = AlarmType.FIRE, AlarmType.INTRUSION
SUPERVISORY, TROUBLE = AlarmType.SUPERVISORY, AlarmType.TROUBLE


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def applied(outcome: Applied | Refused) -> Applied:
    assert isinstance(outcome, Applied), outcome
    assert outcome.ok
    return outcome


def refused(outcome: Applied | Refused) -> tuple[Reason, str]:
    assert isinstance(outcome, Refused), outcome
    assert not outcome.ok
    return outcome.code, outcome.message


def smoke_in_stacks() -> tuple[Alarm, ...]:
    return raise_((), "smoke-3", FIRE, "stacks", T0).alarms


def test_a_detector_alarm_raises_an_active_unacknowledged_alarm() -> None:
    done = applied(raise_((), "smoke-3", FIRE, "stacks", T0))
    assert done.change == Change.RAISED
    assert done.message == "fire alarm of smoke-3 in stacks raised"
    alarm = done.alarm
    assert done.alarms == (alarm,)
    assert (alarm.first_at, alarm.last_at, alarm.count) == (T0, T0, 1)
    assert alarm.state == AlarmState.ACTIVE_UNACKNOWLEDGED
    assert (alarm.active, alarm.is_open, alarm.latched) == (True, True, False)
    assert outputs(done.alarms) == Outputs(lamp=True, sounder=True)


def test_repeated_reports_are_counted_not_duplicated() -> None:
    alarms = smoke_in_stacks()
    for n in range(1, 4):
        done = applied(raise_(alarms, "smoke-3", FIRE, "stacks", at(n)))
        assert done.change == Change.REPEATED
        alarms = done.alarms
    assert len(alarms) == 1
    assert alarms[0].count == 4
    assert (alarms[0].first_at, alarms[0].last_at) == (T0, at(3))
    assert "4 reports" in done.message


def test_each_source_and_type_has_its_own_alarm() -> None:
    alarms = smoke_in_stacks()
    alarms = raise_(alarms, "smoke-4", FIRE, "stacks", at(1)).alarms
    alarms = raise_(alarms, "smoke-3", TROUBLE, "stacks", at(2)).alarms
    assert [a.key for a in alarms] == [("smoke-3", FIRE), ("smoke-4", FIRE), ("smoke-3", TROUBLE)]


def test_a_fire_alarm_latches_after_its_detector_clears() -> None:
    done = applied(clear(smoke_in_stacks(), "smoke-3", FIRE, at(5)))
    assert done.change == Change.CLEARED
    assert "stays latched until reset" in done.message
    alarm = done.alarm
    assert alarm.cleared_at == at(5)
    assert (alarm.latched, alarm.is_open, alarm.active) == (True, True, False)
    assert alarm.state == AlarmState.CLEARED_UNACKNOWLEDGED
    assert outputs(done.alarms) == Outputs(lamp=True, sounder=True)
    assert console_order(done.alarms) == [alarm]


def test_acknowledging_records_who_and_when_and_leaves_the_sounder_on() -> None:
    done = applied(acknowledge(smoke_in_stacks(), "smoke-3", FIRE, "mei", at(1)))
    assert done.change == Change.ACKNOWLEDGED
    assert (done.alarm.acknowledged_by, done.alarm.acknowledged_at) == ("mei", at(1))
    assert done.alarm.state == AlarmState.ACTIVE_ACKNOWLEDGED
    assert outputs(done.alarms) == Outputs(lamp=True, sounder=True)
    assert refused(acknowledge(done.alarms, "smoke-3", FIRE, "tom", at(2))) == (
        Reason.ALREADY_ACKNOWLEDGED,
        f"acknowledged already by mei at {at(1).isoformat()}",
    )


def test_silencing_turns_the_sounder_off_but_the_alarm_stays_active() -> None:
    done = applied(silence(smoke_in_stacks(), "smoke-3", FIRE, "mei", at(1)))
    assert done.change == Change.SILENCED
    assert "still active" in done.message
    assert (done.alarm.active, done.alarm.silenced, done.alarm.acknowledged) == (True, True, False)
    assert done.alarm.state == AlarmState.ACTIVE_UNACKNOWLEDGED
    assert outputs(done.alarms) == Outputs(lamp=True, sounder=False)
    assert refused(silence(done.alarms, "smoke-3", FIRE, "tom", at(2)))[0] == (
        Reason.ALREADY_SILENCED
    )


def test_a_new_fire_elsewhere_sounds_again_after_a_silence() -> None:
    alarms = applied(silence(smoke_in_stacks(), "smoke-3", FIRE, "mei", at(1))).alarms
    alarms = raise_(alarms, "flame-1", FIRE, "reading room", at(2)).alarms
    assert outputs(alarms) == Outputs(lamp=True, sounder=True)
    assert outputs(alarms, zones={"stacks"}) == Outputs(lamp=True, sounder=False)
    assert outputs(alarms, zones={"basement"}) == Outputs(lamp=False, sounder=False)


def test_a_repeat_while_still_active_does_not_undo_a_silence() -> None:
    alarms = applied(silence(smoke_in_stacks(), "smoke-3", FIRE, "mei", at(1))).alarms
    alarms = raise_(alarms, "smoke-3", FIRE, "stacks", at(2)).alarms
    assert outputs(alarms).sounder is False


def test_alarming_again_after_clearing_reactivates_the_latched_alarm() -> None:
    alarms = smoke_in_stacks()
    alarms = applied(acknowledge(alarms, "smoke-3", FIRE, "mei", at(1))).alarms
    alarms = applied(silence(alarms, "smoke-3", FIRE, "mei", at(1))).alarms
    alarms = applied(clear(alarms, "smoke-3", FIRE, at(3))).alarms
    done = applied(raise_(alarms, "smoke-3", FIRE, "stacks", at(4)))
    assert done.change == Change.REACTIVATED
    alarm = done.alarm
    assert alarm.state == AlarmState.ACTIVE_UNACKNOWLEDGED
    assert (alarm.count, alarm.first_at, alarm.cleared_at) == (2, T0, None)
    assert not alarm.silenced
    assert outputs(done.alarms) == Outputs(lamp=True, sounder=True)


def test_reset_is_refused_while_the_detector_still_reports_fire() -> None:
    code, message = refused(reset(smoke_in_stacks(), "smoke-3", FIRE, "mei", at(1)))
    assert code == Reason.STILL_IN_ALARM
    assert message == "smoke-3 still reports fire: reset once it has cleared"


def test_reset_after_clearing_closes_the_alarm_and_puts_out_the_lamp() -> None:
    alarms = smoke_in_stacks()
    alarms = applied(acknowledge(alarms, "smoke-3", FIRE, "mei", at(1))).alarms
    alarms = applied(clear(alarms, "smoke-3", FIRE, at(3))).alarms
    assert alarms[0].state == AlarmState.CLEARED
    done = applied(reset(alarms, "smoke-3", FIRE, "mei", at(4)))
    assert done.change == Change.RESET
    assert (done.alarm.reset_by, done.alarm.reset_at) == ("mei", at(4))
    assert done.alarm.state == AlarmState.RESET
    assert done.alarm.acknowledged_by == "mei"
    assert console_order(done.alarms) == []
    assert outputs(done.alarms) == Outputs(lamp=False, sounder=False)
    assert open_alarm(done.alarms, "smoke-3", FIRE) is None


def test_resetting_an_unacknowledged_alarm_acknowledges_it() -> None:
    alarms = applied(clear(smoke_in_stacks(), "smoke-3", FIRE, at(3))).alarms
    done = applied(reset(alarms, "smoke-3", FIRE, "tom", at(4)))
    assert (done.alarm.acknowledged_by, done.alarm.acknowledged_at) == ("tom", at(4))
    assert "acknowledging it" in done.message


def test_a_fire_after_reset_is_a_new_alarm() -> None:
    alarms = applied(clear(smoke_in_stacks(), "smoke-3", FIRE, at(3))).alarms
    alarms = applied(reset(alarms, "smoke-3", FIRE, "tom", at(4))).alarms
    done = applied(raise_(alarms, "smoke-3", FIRE, "stacks", at(10)))
    assert done.change == Change.RAISED
    assert len(done.alarms) == 2
    assert (done.alarm.count, done.alarm.first_at) == (1, at(10))
    assert done.alarms[0].state == AlarmState.RESET


def test_an_intrusion_latches_and_sounds_like_a_fire() -> None:
    alarms = raise_((), "beam-2", INTRUSION, "entrance", T0).alarms
    alarms = applied(clear(alarms, "beam-2", INTRUSION, at(0.1))).alarms
    assert alarms[0].latched
    assert outputs(alarms) == Outputs(lamp=True, sounder=True)


def test_a_trouble_alarm_closes_once_cleared_and_acknowledged_in_either_order() -> None:
    alarms = raise_((), "reader-1", TROUBLE, "desk", T0).alarms
    assert outputs(alarms) == Outputs(lamp=False, sounder=False)
    cleared_first = applied(clear(alarms, "reader-1", TROUBLE, at(1)))
    assert cleared_first.alarm.state == AlarmState.CLEARED_UNACKNOWLEDGED
    assert "closes when acknowledged" in cleared_first.message
    then_seen = applied(acknowledge(cleared_first.alarms, "reader-1", TROUBLE, "mei", at(2)))
    assert then_seen.alarm.state == AlarmState.RESET
    assert then_seen.alarm.reset_by is None
    assert then_seen.alarm.reset_at == at(2)
    assert "closed" in then_seen.message

    seen_first = applied(acknowledge(alarms, "reader-1", TROUBLE, "mei", at(1)))
    assert seen_first.alarm.state == AlarmState.ACTIVE_ACKNOWLEDGED
    then_cleared = applied(clear(seen_first.alarms, "reader-1", TROUBLE, at(2)))
    assert then_cleared.alarm.state == AlarmState.RESET
    assert console_order(then_cleared.alarms) == []


def test_a_trouble_alarm_has_nothing_to_reset_before_its_device_clears() -> None:
    alarms = raise_((), "reader-1", TROUBLE, "desk", T0).alarms
    code, message = refused(reset(alarms, "reader-1", TROUBLE, "mei", at(1)))
    assert code == Reason.STILL_IN_ALARM
    assert "do not latch" in message
    alarms = applied(clear(alarms, "reader-1", TROUBLE, at(2))).alarms
    assert applied(reset(alarms, "reader-1", TROUBLE, "mei", at(3))).alarm.state == (
        AlarmState.RESET
    )


def test_supervisory_and_trouble_alarms_do_not_sound_so_cannot_be_silenced() -> None:
    alarms = raise_((), "smoke-3", SUPERVISORY, "stacks", T0).alarms
    assert refused(silence(alarms, "smoke-3", SUPERVISORY, "mei", at(1))) == (
        Reason.DOES_NOT_SOUND,
        "supervisory alarms do not sound",
    )


def test_acts_on_an_alarm_that_is_not_open_are_refused() -> None:
    for act in (
        lambda: clear((), "smoke-3", FIRE, T0),
        lambda: acknowledge((), "smoke-3", FIRE, "mei", T0),
        lambda: silence((), "smoke-3", FIRE, "mei", T0),
        lambda: reset((), "smoke-3", FIRE, "mei", T0),
    ):
        assert refused(act()) == (Reason.NO_OPEN_ALARM, "no open fire alarm of smoke-3")


def test_a_second_restore_is_refused() -> None:
    alarms = applied(clear(smoke_in_stacks(), "smoke-3", FIRE, at(1))).alarms
    code, _ = refused(clear(alarms, "smoke-3", FIRE, at(2)))
    assert code == Reason.ALREADY_CLEARED


def test_a_late_restore_does_not_clear_a_newer_alarm_report() -> None:
    alarms = raise_(smoke_in_stacks(), "smoke-3", FIRE, "stacks", at(2)).alarms
    code, message = refused(clear(alarms, "smoke-3", FIRE, at(1)))
    assert code == Reason.STALE
    assert "still in alarm" in message
    assert alarms[0].active


def test_a_late_alarm_report_is_counted_but_does_not_reactivate() -> None:
    alarms = applied(clear(smoke_in_stacks(), "smoke-3", FIRE, at(2))).alarms
    done = applied(raise_(alarms, "smoke-3", FIRE, "stacks", at(1)))
    assert done.change == Change.REPEATED
    assert "late report" in done.message
    assert done.alarm.count == 2
    assert done.alarm.cleared_at == at(2)
    assert done.alarm.last_at == at(1)


def test_a_late_alarm_report_from_before_a_reset_raises_nothing() -> None:
    alarms = applied(clear(smoke_in_stacks(), "smoke-3", FIRE, at(2))).alarms
    alarms = applied(reset(alarms, "smoke-3", FIRE, "mei", at(3))).alarms
    code, message = refused(raise_(alarms, "smoke-3", FIRE, "stacks", at(1)))
    assert code == Reason.STALE
    assert "already closed" in message
    later = applied(raise_(alarms, "smoke-3", FIRE, "stacks", at(2.5)))
    assert later.change == Change.RAISED


def test_refusals_leave_the_alarms_as_they_were() -> None:
    alarms = smoke_in_stacks()
    outcome = reset(alarms, "smoke-3", FIRE, "mei", at(1))
    assert outcome.alarms == alarms


def test_times_without_a_zone_and_nameless_people_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        raise_((), "smoke-3", FIRE, "stacks", datetime(2026, 3, 10, 22, 15))
    with pytest.raises(ValueError, match="a name"):
        acknowledge(smoke_in_stacks(), "smoke-3", FIRE, " ", at(1))
    with pytest.raises(ValueError, match="a name"):
        raise_((), "", FIRE, "stacks", T0)


def test_silence_all_silences_each_sounding_alarm_once() -> None:
    alarms = smoke_in_stacks()
    alarms = raise_(alarms, "beam-2", INTRUSION, "entrance", at(1)).alarms
    alarms = raise_(alarms, "reader-1", TROUBLE, "desk", at(1)).alarms
    alarms, done = silence_all(alarms, "mei", at(2))
    assert [d.alarm.source for d in done] == ["smoke-3", "beam-2"]
    assert outputs(alarms) == Outputs(lamp=True, sounder=False)
    assert silence_all(alarms, "mei", at(3))[1] == []


def test_the_console_lists_by_precedence_then_state_then_oldest_first() -> None:
    alarms = raise_((), "reader-1", TROUBLE, "desk", T0).alarms
    alarms = raise_(alarms, "smoke-3", SUPERVISORY, "stacks", at(1)).alarms
    alarms = raise_(alarms, "beam-2", INTRUSION, "entrance", at(2)).alarms
    alarms = raise_(alarms, "smoke-4", FIRE, "stacks", at(3)).alarms
    alarms = raise_(alarms, "smoke-5", FIRE, "stacks", at(4)).alarms
    alarms = raise_(alarms, "smoke-6", FIRE, "stacks", at(5)).alarms
    alarms = applied(acknowledge(alarms, "smoke-4", FIRE, "mei", at(6))).alarms
    alarms = applied(clear(alarms, "smoke-5", FIRE, at(6))).alarms
    assert [a.source for a in console_order(alarms)] == [
        "smoke-6",  # fire, active unacknowledged
        "smoke-4",  # fire, active acknowledged, though older
        "smoke-5",  # fire, cleared unacknowledged
        "beam-2",
        "smoke-3",
        "reader-1",
    ]


def test_types_know_their_precedence_latching_and_sound() -> None:
    assert sorted(AlarmType, key=lambda t: t.precedence) == [
        FIRE,
        INTRUSION,
        SUPERVISORY,
        TROUBLE,
    ]
    assert [t.latches for t in AlarmType] == [True, True, False, False]
    assert [t.sounds for t in AlarmType] == [True, True, False, False]
