"""The circuit breaker before the CRM: normal volumes pass, a spike or a count over the ceiling halts."""

from __future__ import annotations

import pytest

from expectations.circuit_breaker import CircuitBreakerTripped, check_mql_volume


@pytest.fixture
def breaker_env(duck, monkeypatch):
    monkeypatch.setenv("FUNNELHOUSE_DQ_MQL_CEILING", "100")
    monkeypatch.setenv("FUNNELHOUSE_DQ_MQL_SPIKE_FACTOR", "3")
    monkeypatch.setenv("FUNNELHOUSE_DQ_MQL_MIN_HISTORY", "3")
    return duck


def test_mql_spike_over_the_trailing_average_trips(breaker_env):
    for count in (10, 12, 8):
        check_mql_volume(count, breaker_env.settings)  # normal runs pass and build the history

    with pytest.raises(CircuitBreakerTripped) as tripped:
        check_mql_volume(50, breaker_env.settings)

    message = str(tripped.value)
    assert "50 MQL promotions" in message
    assert "3 x the trailing average 10.0 of the last 3 runs (= 30.0" in message
    assert "funnelhouse sync --override-circuit-breaker" in message
    rows = breaker_env.fetchall("select promotions_count, tripped from ops.mql_volume order by checked_at")
    assert rows == [(10, False), (12, False), (8, False), (50, True)]


def test_tripped_runs_do_not_raise_the_bar(breaker_env):
    for count in (10, 10, 10):
        check_mql_volume(count, breaker_env.settings)
    with pytest.raises(CircuitBreakerTripped):
        check_mql_volume(90, breaker_env.settings)

    # The halted run sent nothing, so the average is still 10: 40 still trips, 25 passes.
    with pytest.raises(CircuitBreakerTripped):
        check_mql_volume(40, breaker_env.settings)
    check_mql_volume(25, breaker_env.settings)


def test_ceiling_trips_even_without_history(breaker_env):
    with pytest.raises(
        CircuitBreakerTripped, match=r"101 MQL promotions .* ceiling FUNNELHOUSE_DQ_MQL_CEILING=100"
    ):
        check_mql_volume(101, breaker_env.settings)


def test_first_runs_pass_without_history(breaker_env):
    check_mql_volume(100, breaker_env.settings)  # at the ceiling, no history: allowed
    check_mql_volume(0, breaker_env.settings)
    assert breaker_env.fetchall("select count(*) from ops.mql_volume where not tripped") == [(2,)]


def test_a_few_promotions_after_quiet_runs_are_no_spike(breaker_env, monkeypatch):
    monkeypatch.setenv("FUNNELHOUSE_DQ_MQL_SPIKE_MIN_COUNT", "25")
    for count in (0, 1, 0):  # quiet 15-minute syncs
        check_mql_volume(count, breaker_env.settings)
    check_mql_volume(2, breaker_env.settings)  # 6 x the average, but only 2: a normal 15-minute slot
    check_mql_volume(25, breaker_env.settings)  # at the minimum count: still not judged as a spike
    with pytest.raises(CircuitBreakerTripped, match=r"26 MQL promotions .* trailing average"):
        check_mql_volume(26, breaker_env.settings)
