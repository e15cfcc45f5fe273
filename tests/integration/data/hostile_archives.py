#!/usr/bin/env python3
"""Makes hostile image archives for tests/integration/image_archive_test.cpp.

Usage: hostile_archives.py LAYOUT_DIR OUT_DIR
LAYOUT_DIR is a good OCI image layout (one image, at least one layer, uncompressed tar layers);
each archive written to OUT_DIR breaks one rule a loader must check.
"""
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def tar_dir(src, out):
    with tarfile.open(out, "w") as t:
        for name in sorted(os.listdir(src)):
            t.add(os.path.join(src, name), arcname=name)


def blob_path(d, digest):
    return os.path.join(d, "blobs", "sha256", digest[7:])


def read_json(path):
    with open(path) as f:
        return json.load(f)


def put_blob(d, data):
    digest = sha(data)
    with open(blob_path(d, digest), "wb") as f:
        f.write(data)
    return digest


def image_parts(d):
    index = read_json(os.path.join(d, "index.json"))
    mdesc = index["manifests"][0]
    manifest = read_json(blob_path(d, mdesc["digest"]))
    return index, mdesc, manifest


def rewrite(d, manifest, config=None, name="evil:1"):
    """Stores `config` (when given) and `manifest` with correct digests, and points index.json
    at the new manifest."""
    if config is not None:
        raw = json.dumps(config).encode()
        manifest["config"]["digest"] = put_blob(d, raw)
        manifest["config"]["size"] = len(raw)
    raw = json.dumps(manifest).encode()
    index = read_json(os.path.join(d, "index.json"))
    index["manifests"] = [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "digest": put_blob(d, raw), "size": len(raw),
                           "annotations": {"io.containerd.image.name": name}}]
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump(index, f)


def layer_tar(members):
    """A layer tar of (TarInfo-kind, name, extra) entries."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for kind, name, extra in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(extra)
                t.addfile(info, io.BytesIO(extra))
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = extra
                t.addfile(info)
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = extra
                t.addfile(info)
    return buf.getvalue()


def with_extra_layer(d, data, name="evil:1", edit=None, diff_id=None):
    """Adds a layer `data` (uncompressed) on top of the image; edit(config) may change it."""
    _, _, manifest = image_parts(d)
    config = read_json(blob_path(d, manifest["config"]["digest"]))
    digest = put_blob(d, data)
    manifest["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar",
                               "digest": digest, "size": len(data)})
    config["rootfs"]["diff_ids"].append(diff_id or digest)
    if edit:
        edit(config)
    rewrite(d, manifest, config, name)


def with_layers(d, datas, name, edit=None):
    for i, data in enumerate(datas):
        with_extra_layer(d, data, name, edit if i == len(datas) - 1 else None)


def set_config(key, value):
    def edit(config):
        config.setdefault("config", {})[key] = value
    return edit


def nested(depth):
    return ("[" * depth + "]" * depth).encode()


def fan_out(d):
    """index.json -> 200 x the same index -> 200 x the same manifest: 40,000 paths to one image."""
    index = read_json(os.path.join(d, "index.json"))
    mdesc = dict(index["manifests"][0])
    mdesc["annotations"] = {"io.containerd.image.name": "fan:1"}
    inner = json.dumps({"schemaVersion": 2, "manifests": [mdesc] * 200}).encode()
    idesc = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": put_blob(d, inner),
             "size": len(inner)}
    index["manifests"] = [idesc] * 200
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump(index, f)


def platforms(archs):
    """index.json -> an index of one manifest per architecture; only the real manifest (amd64)
    exists: a loader that picks another architecture fails on a missing blob."""
    def change(d):
        index = read_json(os.path.join(d, "index.json"))
        real = dict(index["manifests"][0])
        real.pop("annotations", None)
        entries = []
        for arch in archs:
            e = dict(real) if arch == "amd64" else {
                "mediaType": real["mediaType"], "digest": "sha256:" + "0" * 64, "size": 10}
            e["platform"] = {"os": "linux", "architecture": arch}
            entries.append(e)
        inner = json.dumps({"schemaVersion": 2, "manifests": entries}).encode()
        index["manifests"] = [{"mediaType": "application/vnd.oci.image.index.v1+json",
                               "digest": put_blob(d, inner), "size": len(inner),
                               "annotations": {"io.containerd.image.name": "multi:1"}}]
        with open(os.path.join(d, "index.json"), "w") as f:
            json.dump(index, f)
    return change


def docker_legacy(layout, out):
    """docker save's old layout: <id>/layer.tar (+ json, VERSION), <config hex>.json,
    repositories, manifest.json; a repeated layer is a symlink to the first one's layer.tar."""
    d = os.path.join(out, "docker-legacy.d")
    os.makedirs(d)
    _, _, manifest = image_parts(layout)
    config = read_json(blob_path(layout, manifest["config"]["digest"]))
    layers = []
    for i, l in enumerate(manifest["layers"] + [manifest["layers"][0]]):
        lid = hashlib.sha256(("layer%d" % i).encode()).hexdigest()
        os.makedirs(os.path.join(d, lid))
        if i == len(manifest["layers"]):  # the repeat: a symlink, as docker writes it
            os.symlink("../" + layers[0].split("/")[0] + "/layer.tar",
                       os.path.join(d, lid, "layer.tar"))
        else:
            shutil.copy(blob_path(layout, l["digest"]), os.path.join(d, lid, "layer.tar"))
        for name, text in (("VERSION", "1.0"), ("json", json.dumps({"id": lid}))):
            with open(os.path.join(d, lid, name), "w") as f:
                f.write(text)
        layers.append(lid + "/layer.tar")
    config["rootfs"]["diff_ids"].append(config["rootfs"]["diff_ids"][0])
    raw = json.dumps(config).encode()
    cname = hashlib.sha256(raw).hexdigest() + ".json"
    with open(os.path.join(d, cname), "wb") as f:
        f.write(raw)
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump([{"Config": cname, "RepoTags": ["legacy:1"], "Layers": layers}], f)
    with open(os.path.join(d, "repositories"), "w") as f:
        json.dump({"legacy": {"1": layers[-1].split("/")[0]}}, f)
    tar_dir(d, os.path.join(out, "docker-legacy.tar"))
    shutil.rmtree(d)


def deep_json(d):
    with open(os.path.join(d, "index.json"), "wb") as f:
        f.write(b'{"manifests":' + nested(200000) + b"}")


def poisoned(d):
    """A layer tar that is not the first layer, under the first layer's diff id."""
    _, _, manifest = image_parts(d)
    config = read_json(blob_path(d, manifest["config"]["digest"]))
    first = config["rootfs"]["diff_ids"][0]
    with_extra_layer(d, layer_tar([("file", "poison", b"x")]), "poison:1", diff_id=first)


def overlay_xattr_layer():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("look")
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        info.pax_headers = {"SCHILY.xattr.trusted.overlay.redirect": "/etc"}
        t.addfile(info)
    return buf.getvalue()


def make(layout, out, name, change):
    d = os.path.join(out, name + ".d")
    shutil.copytree(layout, d, symlinks=True)
    change(d)
    tar_dir(d, os.path.join(out, name + ".tar"))
    shutil.rmtree(d)


def first_layer(d):
    return blob_path(d, image_parts(d)[2]["layers"][0]["digest"])


def flip_a_byte(d):
    path = first_layer(d)
    with open(path, "r+b") as f:
        f.seek(1000)
        b = f.read(1)
        f.seek(1000)
        f.write(bytes([b[0] ^ 0xFF]))


def truncate(d):
    path = first_layer(d)
    os.truncate(path, os.path.getsize(path) // 2)


def missing_blob(d):
    os.unlink(first_layer(d))


def wrong_diff_id(d):
    _, _, manifest = image_parts(d)
    config = read_json(blob_path(d, manifest["config"]["digest"]))
    config["rootfs"]["diff_ids"][0] = "sha256:" + "0" * 64
    rewrite(d, manifest, config)


def config_through_symlink(d):
    # manifest.json's config is a symlink to the host's /etc/hostname: it must resolve inside.
    os.unlink(os.path.join(d, "index.json"))
    os.symlink("/etc/hostname", os.path.join(d, "cfg.json"))
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump([{"Config": "cfg.json", "RepoTags": ["evil:1"], "Layers": []}], f)


def traversal(out):
    with tarfile.open(os.path.join(out, "traversal.tar"), "w") as t:
        info = tarfile.TarInfo("../../md-evil-traversal")
        data = b"x"
        info.size = 1
        t.addfile(info, io.BytesIO(data))


def main():
    layout, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    make(layout, out, "digest-mismatch", flip_a_byte)
    make(layout, out, "truncated", truncate)
    make(layout, out, "missing-blob", missing_blob)
    make(layout, out, "diff-id-mismatch", wrong_diff_id)
    make(layout, out, "config-symlink", config_through_symlink)
    make(layout, out, "layer-hardlink-out",
         lambda d: with_extra_layer(d, layer_tar([("hardlink", "x", "../../../etc/passwd")])))
    make(layout, out, "layer-symlink-out",
         lambda d: with_extra_layer(d, layer_tar([("symlink", "link", "/"),
                                                  ("file", "link/md-evil-symlink", b"x")])))
    make(layout, out, "layer-dotdot",
         lambda d: with_extra_layer(d, layer_tar([("file", "../md-evil-dotdot", b"x")])))
    traversal(out)
    # Not hostile, but what real images do and a loader must take.
    empty = layer_tar([])
    make(layout, out, "repeated-layer", lambda d: with_layers(d, [empty, empty], "repeat:1"))
    make(layout, out, "many-layers", lambda d: with_layers(
        d, [layer_tar([("file", "m/%02d" % i, b"x")]) for i in range(60)], "many:1"))
    docker_legacy(layout, out)
    make(layout, out, "multi-platform", platforms(["arm64", "amd64", "s390x"]))
    make(layout, out, "other-platforms", platforms(["arm64", "s390x"]))
    make(layout, out, "bad-types", lambda d: with_extra_layer(
        d, empty, "types:1", lambda c: c.update({"created": 5, "history": [{"created_by": 7}]})))
    # Hostile: the loader must stay up, finish, and keep to the image's own files.
    make(layout, out, "deep-json", deep_json)
    make(layout, out, "fan-out", fan_out)
    make(layout, out, "poisoned", poisoned)
    make(layout, out, "overlay-xattr", lambda d: with_extra_layer(d, overlay_xattr_layer(), "xattr:1"))
    # The image's config, read as docker does.
    make(layout, out, "whiteout-passwd", lambda d: with_extra_layer(
        d, layer_tar([("file", "etc/.wh.passwd", b"")]), "nopasswd:1", set_config("User", "alice")))
    make(layout, out, "symlink-passwd", lambda d: with_extra_layer(
        d, layer_tar([("symlink", "etc/passwd", "passwd.real"),
                      ("file", "etc/passwd.real", b"alice:x:3000:3000::/home:/bin/sh\n")]),
        "linked:1", set_config("User", "alice")))
    make(layout, out, "relative-workdir", lambda d: with_extra_layer(
        d, empty, "reldir:1", set_config("WorkingDir", "data")))


if __name__ == "__main__":
    main()
