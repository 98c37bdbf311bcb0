"""The workload grouping rule: explicit pods first, ``container:<id>`` sharing next, nothing implicit else."""

from __future__ import annotations

from types import SimpleNamespace

from sockerless.api.models.containers import ContainerConfig, HostConfig
from sockerless.engine.containers import ContainerService
from sockerless.engine.events import EventBus
from sockerless.engine.pods import PodService
from sockerless.engine.records import ContainerRecord
from sockerless.engine.store import Store


def make(store: Store, name: str, created: str, *, network: str = "bridge", pod: str = "") -> ContainerRecord:
    record = ContainerRecord(id=(name.encode().hex() + "0" * 64)[:64], name=name, created=created,
                             path="true", args=[], config=ContainerConfig(Image="alpine"),
                             host_config=HostConfig(NetworkMode=network), pod=pod)
    store.containers.put(record)
    return record


def service(tmp_path) -> tuple[PodService, Store]:
    store = Store(tmp_path / "data")
    engine = SimpleNamespace(store=store, events=EventBus(), containers=ContainerService(store, None, None, ""))
    return PodService(engine), store


def test_explicit_pod_groups_its_members_only(tmp_path):
    pods, store = service(tmp_path)
    pod = pods.create({"name": "ci"})
    main = make(store, "a", "2026-01-01T00:00:01Z", network="usernet", pod=pod.id)
    side = make(store, "b", "2026-01-01T00:00:02Z", network="usernet", pod=pod.id)
    other = make(store, "c", "2026-01-01T00:00:03Z", network="usernet")
    assert [c.name for c in pods.workload_group(side)] == ["a", "b"]
    assert [c.name for c in pods.workload_group(main)] == ["a", "b"]
    assert [c.name for c in pods.workload_group(other)] == ["c"]  # a shared user network never groups
    assert pods.status(pod) == "Created"
    store.close()


def test_container_network_mode_shares_the_workload(tmp_path):
    pods, store = service(tmp_path)
    root = make(store, "db", "2026-01-01T00:00:01Z")
    joined = make(store, "app", "2026-01-01T00:00:02Z", network=f"container:{root.id}")
    chained = make(store, "probe", "2026-01-01T00:00:03Z", network="container:app")
    make(store, "alone", "2026-01-01T00:00:04Z")
    for record in (root, joined, chained):
        assert [c.name for c in pods.workload_group(record)] == ["db", "app", "probe"]
    store.close()


def test_a_container_sharing_a_pod_members_network_joins_the_pod(tmp_path):
    pods, store = service(tmp_path)
    pod = pods.create({"name": "svc", "hostname": "h"})
    root = make(store, "main", "2026-01-01T00:00:01Z", pod=pod.id)
    late = ContainerRecord(id="f" * 64, name="late", created="2026-01-01T00:00:02Z", path="true", args=[],
                           config=ContainerConfig(Image="alpine"), host_config=HostConfig(NetworkMode=f"container:{root.id}"))
    pods.join(late, "")
    assert late.pod == pod.id
    store.close()
