from sockerless.engine.logs import STDERR, STDOUT, ContainerLog


def test_lines_streams_and_partial_lines(tmp_path):
    log = ContainerLog(tmp_path / "c.log")
    log.feed(STDOUT, [(1, b"a\nb"), (2, b"c\n")])
    log.feed(STDERR, [(3, b"err\n")])
    log.feed(STDOUT, [(4, b"tail-without-newline")])
    log.end_follow()
    records = [(r.time_ns, r.stream, r.data) for r in log.records()]
    assert records == [(1, STDOUT, b"a\n"), (2, STDOUT, b"bc\n"), (3, STDERR, b"err\n"),
                       (4, STDOUT, b"tail-without-newline")]


def test_select_window_tail_and_binary_safety(tmp_path):
    log = ContainerLog(tmp_path / "c.log")
    for i in range(10):
        log.feed(STDOUT if i % 2 else STDERR, [(i, bytes([i, 255, 0]) + b"\n")])
    assert [r.time_ns for r in log.select(streams={STDOUT, STDERR}, tail=3)] == [7, 8, 9]
    assert [r.time_ns for r in log.select(streams={STDOUT}, since_ns=4, until_ns=8)] == [5, 7]
    assert log.select(streams={STDOUT}, tail=0) == []
    assert log.records()[3].data == bytes([3, 255, 0]) + b"\n"


def test_interleaved_batches_sort_by_time(tmp_path):
    log = ContainerLog(tmp_path / "c.log")
    log.feed(STDOUT, [(1, b"one\n"), (3, b"three\n")])
    log.feed(STDERR, [(2, b"two\n")])
    assert [r.data for r in log.records()] == [b"one\n", b"two\n", b"three\n"]


def test_truncated_record_is_ignored(tmp_path):
    path = tmp_path / "c.log"
    log = ContainerLog(path)
    log.feed(STDOUT, [(1, b"kept\n"), (2, b"cut\n")])
    log.end_follow()
    path.write_bytes(path.read_bytes()[:-2])
    assert [r.data for r in ContainerLog(path).records()] == [b"kept\n"]
