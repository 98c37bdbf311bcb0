#!/usr/bin/env bash
# Build the ECS sidecar's agent image and push it: a busybox base plus the self-contained agent at
# /sockerless/sockerless-agent (what sockerless_ecs.sidecar's init container copies onto the task volume).
# No Docker engine needed: skopeo copies the base into an OCI layout, one layer is added, skopeo pushes.
#
#   plugins/sockerless-ecs/packaging/build-agent-image.sh DEST [options]
#     DEST                  where to push, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/sockerless-agent:1
#                           or 127.0.0.1:5000/sockerless/agent:dev
#     --agent PATH          the static agent (default: build it with plugins/sockerless-agent/packaging/build-static.sh)
#     --base REF            base image (default: 127.0.0.1:5000/library/busybox:latest, the local registry)
#     --dest-creds U:P      registry credentials for the push (ECR: AWS:$(aws ecr get-login-password))
#     --insecure            plain HTTP / no TLS verification for both registries (loopback registries)
#
# Needs skopeo and python3. Prints the pushed reference.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
dest="" agent="" base="127.0.0.1:5000/library/busybox:latest" creds="" tls=true
while [ $# -gt 0 ]; do
    case "$1" in
        --agent) agent="$2"; shift 2 ;;
        --base) base="$2"; shift 2 ;;
        --dest-creds) creds="$2"; shift 2 ;;
        --insecure) tls=false; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        -*) echo "build-agent-image.sh: unknown option $1" >&2; exit 2 ;;
        *) [ -z "$dest" ] || { echo "build-agent-image.sh: one destination only" >&2; exit 2; }; dest="$1"; shift ;;
    esac
done
[ -n "$dest" ] || { echo "usage: build-agent-image.sh DEST [--agent PATH] [--base REF] [--dest-creds U:P] [--insecure]" >&2; exit 2; }
command -v skopeo >/dev/null || { echo "build-agent-image.sh: skopeo is needed" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -z "$agent" ]; then
    agent="$work/sockerless-agent"
    "$repo/plugins/sockerless-agent/packaging/build-static.sh" "$agent" >/dev/null
fi
[ -x "$agent" ] || { echo "build-agent-image.sh: $agent is not an executable" >&2; exit 2; }
case "$base" in *://*) src="$base" ;; *) src="docker://$base" ;; esac
skopeo copy -q --src-tls-verify="$tls" "$src" "oci:$work/layout:base"
python3 - "$work/layout" "$agent" <<'PY'
"""Add one layer holding the agent to the OCI layout's image "base", as image "agent"."""
import gzip, hashlib, io, json, os, sys, tarfile, time

layout, agent = sys.argv[1], sys.argv[2]
blobs = os.path.join(layout, "blobs", "sha256")

def read(digest):
    with open(os.path.join(blobs, digest.split(":", 1)[1]), "rb") as f:
        return f.read()

def write(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest

index = json.load(open(os.path.join(layout, "index.json")))
entry = next(m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "base")
manifest = json.loads(read(entry["digest"]))
config = json.loads(read(manifest["config"]["digest"]))

raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
    folder = tarfile.TarInfo("sockerless")
    folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
    tar.addfile(folder)
    info = tar.gettarinfo(agent, arcname="sockerless/sockerless-agent")
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o755, 0, 0, "root", "root"
    with open(agent, "rb") as f:
        tar.addfile(info, f)
layer = raw.getvalue()
packed = gzip.compress(layer, mtime=0)
config["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(layer).hexdigest())
config.setdefault("history", []).append({"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                         "created_by": "sockerless build-agent-image.sh: the self-contained agent"})
config.setdefault("config", {}).setdefault("Labels", {})["io.sockerless.agent"] = "/sockerless/sockerless-agent"
config_bytes = json.dumps(config).encode()
manifest["config"] = {"mediaType": manifest["config"]["mediaType"], "digest": write(config_bytes),
                      "size": len(config_bytes)}
layer_type = ("application/vnd.oci.image.layer.v1.tar+gzip" if manifest.get("mediaType", "").startswith(
    "application/vnd.oci") or manifest["config"]["mediaType"].startswith("application/vnd.oci")
    else "application/vnd.docker.image.rootfs.diff.tar.gzip")
manifest["layers"].append({"mediaType": layer_type, "digest": write(packed), "size": len(packed)})
manifest_bytes = json.dumps(manifest).encode()
index["manifests"].append({"mediaType": entry.get("mediaType", "application/vnd.oci.image.manifest.v1+json"),
                           "digest": write(manifest_bytes), "size": len(manifest_bytes),
                           "annotations": {"org.opencontainers.image.ref.name": "agent"}})
json.dump(index, open(os.path.join(layout, "index.json"), "w"))
PY
case "$dest" in *://*) target="$dest" ;; *) target="docker://$dest" ;; esac
args=(copy -q --dest-tls-verify="$tls")
[ -z "$creds" ] || args+=(--dest-creds "$creds")
skopeo "${args[@]}" "oci:$work/layout:agent" "$target"
echo "$dest"
