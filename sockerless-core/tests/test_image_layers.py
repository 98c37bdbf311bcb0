"""Layer garbage collection: a layer stays while an image or a container refers to it."""

from sockerless.api.models.containers import ContainerConfig, HostConfig
from sockerless.api.models.images import ImageConfig
from sockerless.engine.events import EventBus
from sockerless.engine.images import ImageService, ImageStore
from sockerless.engine.records import ContainerRecord
from sockerless.engine.store import Store


def _service(tmp_path):
    store = Store(tmp_path / "data")
    images = ImageStore(store, tmp_path / "data" / "image")
    users = lambda image_id: [(c.id, c.state.Running) for c in store.containers if c.image_id == image_id]  # noqa: E731
    service = ImageService(images, EventBus(), lambda ref: None, users,
                           container_layers=lambda: [x for c in store.containers for x in c.image_layers])
    return store, images, service


def _image(images, layer, tag, cmd="a"):
    return images.create_image(ImageConfig(Cmd=[cmd]), [layer], [{"created_by": cmd}], [tag])


def test_forced_removal_keeps_layers_a_container_uses(tmp_path):
    store, images, service = _service(tmp_path)
    layer = images.add_layer_from_builder(lambda path: open(f"{path}/f", "w").close()).diff_id
    image = _image(images, layer, "app:1")
    store.containers.put(ContainerRecord(id="c" * 64, name="user", created="", path="true", args=[],
                                         config=ContainerConfig(), host_config=HostConfig(),
                                         image_id=image.Id, image_layers=[layer]))
    service.remove(image.Id, force=True)
    assert store.images.get(image.Id) is None
    assert images.has_layer(layer)  # the stopped container still runs on it
    store.containers.delete("c" * 64)
    service.collect_layers([layer])
    assert not images.has_layer(layer)
    assert not images.layer_path(layer).exists()
    store.close()


def test_layers_shared_between_images_survive_one_removal(tmp_path):
    store, images, service = _service(tmp_path)
    layer = images.add_layer_from_builder(lambda path: None).diff_id
    _image(images, layer, "a:1", "a")
    _image(images, layer, "b:1", "b")
    service.remove("a:1")
    assert images.has_layer(layer)
    service.remove("b:1")
    assert not images.has_layer(layer)
    store.close()
