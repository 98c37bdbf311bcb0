"""Layer garbage collection: a layer stays while an image or a container refers to it."""

from sockerless.api.models.containers import ContainerConfig, HostConfig
from sockerless.api.models.images import ImageRecord
from sockerless.engine.events import EventBus
from sockerless.engine.images import ImageService
from sockerless.engine.layers import LayerStore
from sockerless.engine.records import ContainerRecord
from sockerless.engine.store import Store


def _service(tmp_path):
    store = Store(tmp_path / "data")
    layers = LayerStore(tmp_path / "data" / "layers")
    users = lambda image_id: [(c.id, c.state.Running) for c in store.containers if c.image_id == image_id]  # noqa: E731
    return store, layers, ImageService(store, layers, EventBus(), lambda ref: None, users)


def test_forced_removal_keeps_layers_a_container_uses(tmp_path):
    store, layers, images = _service(tmp_path)
    layer, _ = layers.create_from_builder(lambda path: open(f"{path}/f", "w").close())
    store.images.put(ImageRecord(Id="sha256:" + "1" * 64, RepoTags=["app:1"], Layers=[layer]))
    store.containers.put(ContainerRecord(id="c" * 64, name="user", created="", path="true", args=[],
                                         config=ContainerConfig(), host_config=HostConfig(),
                                         image_id="sha256:" + "1" * 64, image_layers=[layer]))
    images.remove("sha256:" + "1" * 64, force=True)
    assert store.images.get("sha256:" + "1" * 64) is None
    assert layers.exists(layer)  # the stopped container still runs on it
    store.containers.delete("c" * 64)
    images.collect_layers([layer])
    assert not layers.exists(layer)
    store.close()


def test_layers_shared_between_images_survive_one_removal(tmp_path):
    store, layers, images = _service(tmp_path)
    layer, _ = layers.create_from_builder(lambda path: None)
    store.images.put(ImageRecord(Id="sha256:" + "2" * 64, RepoTags=["a:1"], Layers=[layer]))
    store.images.put(ImageRecord(Id="sha256:" + "3" * 64, RepoTags=["b:1"], Layers=[layer]))
    images.remove("a:1")
    assert layers.exists(layer)
    images.remove("b:1")
    assert not layers.exists(layer)
    store.close()
