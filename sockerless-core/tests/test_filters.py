import pytest
from sockerless.api.errors import InvalidParameter
from sockerless.api.filters import Filters


def test_both_forms_parse():
    modern = Filters.parse('{"label": {"a=b": true, "c": true}, "status": {"exited": true}}', ["label", "status"])
    legacy = Filters.parse('{"label": ["a=b", "c"], "status": ["exited"]}', ["label", "status"])
    assert modern.values == legacy.values == {"label": {"a=b", "c"}, "status": {"exited"}}


def test_unknown_key_and_garbage_are_400():
    with pytest.raises(InvalidParameter, match="invalid filter 'nope'"):
        Filters.parse('{"nope": ["x"]}', ["label"])
    with pytest.raises(InvalidParameter):
        Filters.parse("{not json", ["label"])
    with pytest.raises(InvalidParameter):
        Filters.parse('{"label": "x"}', ["label"])


def test_labels():
    f = Filters.parse('{"label": ["a=b", "c"]}', ["label"])
    assert f.match_labels({"a": "b", "c": ""})
    assert not f.match_labels({"a": "x", "c": "1"})
    assert not f.match_labels({"a": "b"})
    assert Filters().match_labels(None)


def test_bool_value():
    assert Filters.parse('{"dangling": ["true"]}', ["dangling"]).bool_value("dangling") is True
    assert Filters.parse('{"dangling": ["0"]}', ["dangling"]).bool_value("dangling") is False
    assert Filters().bool_value("dangling") is None
    with pytest.raises(InvalidParameter):
        Filters.parse('{"dangling": ["maybe"]}', ["dangling"]).bool_value("dangling")
