from sockerless.api import versions


def test_split_path():
    assert versions.split_path("/v1.41/containers/json") == ("1.41", "/containers/json")
    assert versions.split_path("/containers/json") == (None, "/containers/json")
    assert versions.split_path("/vabc/containers/json") == (None, "/vabc/containers/json")
    assert versions.split_path("/v1.41.1/x") == ("1.41.1", "/x")


def test_check_messages():
    assert versions.check("1.45") is None
    assert versions.check("1.24") is None
    assert versions.check("1.46") == "client version 1.46 is too new. Maximum supported API version is 1.45"
    assert versions.check("1.41.1") is None
    assert versions.check("1.45.1") == "client version 1.45.1 is too new. Maximum supported API version is 1.45"
    assert versions.check("1.23").startswith("client version 1.23 is too old. Minimum supported API version is 1.24")
    assert versions.check("1").startswith("client version 1 is too old")


def test_at_least():
    assert versions.at_least((1, 44), "1.44")
    assert not versions.at_least((1, 41), "1.44")
