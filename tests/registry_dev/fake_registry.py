#!/usr/bin/env python3
"""A tiny registry v2 that misbehaves on purpose, for run.sh (127.0.0.1 only).

    fake_registry.py PORTFILE LOGFILE [--bad-blob] [--truncate-once] [--bearer USER:PASS]
                     [--redirect]

Serves one image as repository "fake/img": tag "1" (an OCI manifest: a config and one layer),
tag "multi" (an OCI index: linux/arm64/v8 and linux/amd64 manifests, each with its own config).
Manifests are sent chunked. Options:
  --bad-blob        the layer's bytes are wrong (same length): a digest mismatch
  --truncate-once   the first GET of the layer ends after half of its bytes
  --bearer U:P      /v2/ answers 401 Bearer realm=http://127.0.0.1:PORT/token; the token
                    endpoint wants basic U:P and gives {"access_token": ...}; everything else
                    wants that bearer token
  --redirect        blob GETs answer 307 to http://localhost:PORT/storage/<hex> and manifest
                    GETs to .../storage/manifests/<ref> (another host name), which refuses any
                    Authorization header
Each request is logged as "METHOD PATH auth=<Authorization or ->". The port is written to
PORTFILE once listening.
"""
import base64
import hashlib
import http.server
import json
import sys
import threading

ARGS = sys.argv[3:]
BEARER = ARGS[ARGS.index("--bearer") + 1] if "--bearer" in ARGS else None
TOKEN = "tok-" + hashlib.sha256(b"fake").hexdigest()[:16]
LOG = open(sys.argv[2], "a", buffering=1)
LOCK = threading.Lock()
STATE = {"layer_gets": 0}


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


BLOBS = {}


def blob(data):
    BLOBS[digest(data)] = data
    return {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest(data),
            "size": len(data)}


LAYER = bytes(range(256)) * 64  # 16 KiB, not a real tar: only its digest matters here
LAYER_DESC = blob(LAYER)


def manifest(arch):
    cfg = json.dumps({"architecture": arch, "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": [LAYER_DESC["digest"]]}}).encode()
    cdesc = blob(cfg)
    cdesc["mediaType"] = "application/vnd.oci.image.config.v1+json"
    body = json.dumps({"schemaVersion": 2,
                       "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": cdesc, "layers": [LAYER_DESC]}).encode()
    return body


MANIFESTS = {}
for arch in ("amd64", "arm64"):
    m = manifest(arch)
    MANIFESTS[digest(m)] = ("application/vnd.oci.image.manifest.v1+json", m)
AMD64 = [d for d, (_, m) in MANIFESTS.items() if b'"amd64"' in BLOBS[json.loads(m)["config"]["digest"]]][0]
ARM64 = [d for d in MANIFESTS if d != AMD64][0]
INDEX = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": [
                        {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                         "digest": ARM64, "size": len(MANIFESTS[ARM64][1]),
                         "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
                        {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                         "digest": AMD64, "size": len(MANIFESTS[AMD64][1]),
                         "platform": {"os": "linux", "architecture": "amd64"}}]}).encode()
MANIFESTS[digest(INDEX)] = ("application/vnd.oci.image.index.v1+json", INDEX)
TAGS = {"1": AMD64, "multi": digest(INDEX)}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body=b"", headers=None, chunked=False):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if chunked:
            for i in range(0, len(body), 100):  # many small chunks, with an extension
                part = body[i:i + 100]
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\nX-Trailer: 1\r\n\r\n")
        else:
            self.wfile.write(body)

    def error(self, status, code):
        body = json.dumps({"errors": [{"code": code, "message": code.lower().replace("_", " ")}]})
        headers = {"Content-Type": "application/json"}
        if status == 401 and BEARER:
            port = self.server.server_address[1]
            headers["WWW-Authenticate"] = (
                'Bearer realm="http://127.0.0.1:%d/token",service="fake",scope="repository:fake/img:pull"'
                % port)
        self.send(status, body.encode(), headers)

    def authorized(self):
        return not BEARER or self.headers.get("Authorization") == "Bearer " + TOKEN

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        auth = self.headers.get("Authorization") or "-"
        LOG.write("%s %s auth=%s host=%s\n" % (self.command, self.path, auth,
                                               self.headers.get("Host")))
        path = self.path.split("?")[0]
        if path == "/token":
            return self.token()
        if path.startswith("/storage/"):
            if auth != "-":
                return self.error(400, "AUTHORIZATION_LEAKED")
            if path.startswith("/storage/manifests/"):
                return self.manifest(path[len("/storage/manifests/"):])
            return self.layer_or_blob("sha256:" + path[len("/storage/"):])
        if not self.authorized():
            return self.error(401, "UNAUTHORIZED")
        if path == "/v2/":
            return self.send(200, b"{}")
        prefix = "/v2/fake/img/"
        if path.startswith(prefix + "manifests/"):
            ref = path[len(prefix + "manifests/"):]
            if "--redirect" in ARGS:  # as some mirrors and proxies do
                port = self.server.server_address[1]
                loc = "http://localhost:%d/storage/manifests/%s" % (port, ref)
                return self.send(307, b"", {"Location": loc})
            return self.manifest(ref)
        if path.startswith(prefix + "blobs/"):
            d = path[len(prefix + "blobs/"):]
            if "--redirect" in ARGS:
                port = self.server.server_address[1]
                loc = "http://localhost:%d/storage/%s" % (port, d[len("sha256:"):])
                return self.send(307, b"", {"Location": loc})
            return self.layer_or_blob(d)
        return self.error(404, "NAME_UNKNOWN")

    def manifest(self, ref):
        d = TAGS.get(ref, ref)
        if d not in MANIFESTS:
            return self.error(404, "MANIFEST_UNKNOWN")
        mt, body = MANIFESTS[d]
        return self.send(200, body, {"Content-Type": mt, "Docker-Content-Digest": d},
                         chunked=True)

    def token(self):
        want = "Basic " + base64.b64encode(BEARER.encode()).decode()
        if self.headers.get("Authorization") != want:
            return self.error(401, "UNAUTHORIZED")
        self.send(200, json.dumps({"access_token": TOKEN, "expires_in": 300}).encode(),
                  {"Content-Type": "application/json"})

    def layer_or_blob(self, d):
        if d not in BLOBS:
            return self.error(404, "BLOB_UNKNOWN")
        data = BLOBS[d]
        if d == LAYER_DESC["digest"]:
            with LOCK:
                STATE["layer_gets"] += 1
                first = STATE["layer_gets"] == 1
            if "--bad-blob" in ARGS:
                data = bytes(len(data))
            if "--truncate-once" in ARGS and first:
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
        self.send(200, data, {"Content-Type": "application/octet-stream"})


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
