import pytest
from sockerless.api.errors import InvalidParameter
from sockerless.engine import timeutil


def test_rfc3339_round_trip():
    ns = 1_796_291_902_634_831_452
    assert timeutil.rfc3339_nano(ns) == "2026-12-03T09:58:22.634831452Z"
    assert timeutil.parse_rfc3339("2026-12-03T09:58:22.634831452Z") == ns
    assert timeutil.rfc3339_nano(1_000_000_000) == "1970-01-01T00:00:01Z"
    assert timeutil.rfc3339_fixed(1_000_000_000) == "1970-01-01T00:00:01.000000000Z"
    assert timeutil.parse_rfc3339("1970-01-01T01:00:01+01:00") == 1_000_000_000


def test_parse_timestamp_forms():
    now = 10_000 * 1_000_000_000
    assert timeutil.parse_timestamp("5000", now=now) == 5000 * 1_000_000_000
    assert timeutil.parse_timestamp("5000.5", now=now) == 5000 * 1_000_000_000 + 500_000_000
    assert timeutil.parse_timestamp("10m", now=now) == now - 600 * 1_000_000_000
    assert timeutil.parse_timestamp("1h30m", now=now) == now - 5400 * 1_000_000_000
    with pytest.raises(InvalidParameter):
        timeutil.parse_timestamp("yesterday", now=now)


def test_human_duration():
    assert timeutil.human_duration(0.2) == "Less than a second"
    assert timeutil.human_duration(1) == "1 second"
    assert timeutil.human_duration(30) == "30 seconds"
    assert timeutil.human_duration(90) == "About a minute"
    assert timeutil.human_duration(600) == "10 minutes"
    assert timeutil.human_duration(3600) == "About an hour"
    assert timeutil.human_duration(5 * 3600) == "5 hours"
    assert timeutil.human_duration(3 * 86400) == "3 days"
