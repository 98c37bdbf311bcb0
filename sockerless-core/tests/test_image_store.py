"""The image store: layer unpacking (whiteouts, safety), content addressing, persistence, recovery."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile

import pytest
from sockerless.api.errors import InvalidParameter
from sockerless.api.models.images import ImageConfig
from sockerless.engine.images import ImageStore
from sockerless.engine.images.unpack import LayerFormatError
from sockerless.engine.store import Store


def _tar(*entries: tuple[str, str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, kind, content in entries:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, content
                tar.addfile(info)
            elif kind == "hard":
                info.type, info.linkname = tarfile.LNKTYPE, content
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), 0o4755 if name.endswith("suid") else 0o644
                tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


@pytest.fixture
def images(tmp_path):
    store = Store(tmp_path / "data")
    yield ImageStore(store, tmp_path / "data" / "image")
    store.close()


def test_layer_keeps_whiteouts_links_and_modes(images):
    data = _tar(("etc", "dir", b""), ("etc/.wh.shadow", "file", b""), ("etc/.wh..wh..opq", "file", b""),
                ("bin/sh", "sym", "/bin/busybox"), ("bin/suid", "file", b"x"), ("bin/hard", "hard", "bin/suid"))
    info = images.add_layer(io.BytesIO(data))
    assert info.diff_id == info.digest == "sha256:" + hashlib.sha256(data).hexdigest()
    root = images.layer_path(info.diff_id)
    assert (root / "etc/.wh.shadow").is_file() and (root / "etc/.wh..wh..opq").is_file()
    assert os.readlink(root / "bin/sh") == "/bin/busybox"
    assert os.stat(root / "bin/suid").st_mode & 0o7777 == 0o4755
    assert os.stat(root / "bin/hard").st_ino == os.stat(root / "bin/suid").st_ino
    with images.open_layer_tar(info.diff_id) as tar:
        assert tar.read() == data


def test_gzip_layer_has_the_diff_id_of_its_tar_and_round_trips(images):
    data = _tar(("a", "file", b"hello"))
    compressed = gzip.compress(data)
    info = images.add_layer(io.BytesIO(compressed))
    assert info.diff_id == "sha256:" + hashlib.sha256(data).hexdigest()
    assert info.digest == "sha256:" + hashlib.sha256(compressed).hexdigest()
    with images.open_layer_tar(info.diff_id) as tar:
        assert tar.read() == data
    assert images.compressed_blob(info.diff_id).Digest == info.digest


@pytest.mark.parametrize("entries", [
    (("../escape", "file", b"x"),),
    (("link", "sym", "/etc"), ("link/passwd", "file", b"x")),
    (("hard", "hard", "../../etc/passwd"),),
])
def test_entries_cannot_leave_the_layer(images, tmp_path, entries):
    with pytest.raises(LayerFormatError):
        images.add_layer(io.BytesIO(_tar(*entries)))
    assert not (tmp_path / "data" / "image" / "escape").exists()
    assert [p for p in images.layer_dirs.root.iterdir()] == []


def test_bad_data_is_refused_and_nothing_is_left(images):
    with pytest.raises(LayerFormatError):
        images.add_layer(io.BytesIO(b"not a tar at all" * 100))
    assert list(images.layer_dirs.root.iterdir()) == []


def test_image_id_is_the_config_digest_and_survives_reopen(tmp_path):
    store = Store(tmp_path / "data")
    images = ImageStore(store, tmp_path / "data" / "image")
    layer = images.add_layer(io.BytesIO(_tar(("f", "file", b"1"))))
    image = images.create_image(ImageConfig(Cmd=["sh"], Env=["A=1"]), [layer.diff_id], [{"created_by": "x"}], ["app:1"])
    assert image.Id == "sha256:" + hashlib.sha256(images.config_bytes(image)).hexdigest()
    assert images.get("app:1").Id == image.Id and images.get(image.Id[7:19]).Id == image.Id
    with pytest.raises(InvalidParameter):
        images.create_image(ImageConfig(), ["sha256:" + "0" * 64], [])
    store.close()
    store = Store(tmp_path / "data")
    reopened = ImageStore(store, tmp_path / "data" / "image")
    reopened.recover()
    again = reopened.get("app:1")
    assert again.Config.Cmd == ["sh"] and reopened.layer_paths(again) == [reopened.layer_path(layer.diff_id)]
    assert reopened.layer_path(layer.diff_id).is_dir()
    store.close()


def test_recovery_drops_half_written_data(tmp_path):
    store = Store(tmp_path / "data")
    images = ImageStore(store, tmp_path / "data" / "image")
    (images.blobs.root / "sha256" / ".tmp-crashed").write_bytes(b"partial")
    (images.layer_dirs.root / ".unpack-crashed").mkdir()
    (images.layer_dirs.root / ("a" * 64)).mkdir()  # unpacked but never recorded
    orphan = images.blobs.put_bytes(b"downloaded, never recorded")
    kept = images.add_layer(io.BytesIO(_tar(("k", "file", b"k"))))
    images.recover()
    assert not images.blobs.exists(orphan) and images.blobs.exists(kept.digest) and images.has_layer(kept.diff_id)
    images.delete_layer(kept.diff_id)
    assert list((images.blobs.root / "sha256").iterdir()) == []
    assert list(images.layer_dirs.root.iterdir()) == []
    store.close()


def test_a_download_that_does_not_match_its_digest_is_dropped(images):
    from sockerless.engine.images.blobs import DigestMismatch

    writer = images.blobs.writer()
    writer.write(b"tampered")
    with pytest.raises(DigestMismatch):
        writer.commit("sha256:" + hashlib.sha256(b"original").hexdigest())
    assert images.blobs.digests() == []
    assert [p.name for p in (images.blobs.root / "sha256").iterdir()] == []
