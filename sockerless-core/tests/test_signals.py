import pytest
from sockerless import signals
from sockerless.api.errors import InvalidParameter


@pytest.mark.parametrize(("text", "number"), [("TERM", 15), ("SIGTERM", 15), ("sigkill", 9), ("9", 9),
                                               ("USR1", 10), ("RTMIN", 34), ("RTMIN+2", 36), ("RTMAX-1", 63)])
def test_parse(text, number):
    assert signals.parse(text) == number


def test_names_and_errors():
    assert signals.name(15) == "TERM"
    assert signals.name(36) == "RTMIN+2"
    with pytest.raises(InvalidParameter, match="Invalid signal: FOO"):
        signals.parse_api("FOO")
    with pytest.raises(ValueError):
        signals.parse("99")
