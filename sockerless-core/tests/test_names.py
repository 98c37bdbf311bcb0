import pytest
from sockerless.api.errors import InvalidParameter
from sockerless.engine import names


def test_validate():
    assert names.validate("/web-1") == "web-1"
    assert names.validate("a.b_c") == "a.b_c"
    for bad in ("-x", "a", "a b", "", "ü1"):
        with pytest.raises(InvalidParameter):
            names.validate(bad)


def test_random_names_avoid_taken():
    taken = set()
    for _ in range(50):
        name = names.random_name(lambda n: n in taken)
        assert name not in taken
        assert names.VALID_NAME.match(name)
        taken.add(name)
