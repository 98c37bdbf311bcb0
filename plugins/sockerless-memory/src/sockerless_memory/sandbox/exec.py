"""``execve`` for the sandbox: find a program in the container and run it as a process.

A path found through ``PATH`` is classified by its content, like the kernel does:

* the sandbox's multi-call binary (``/bin/busybox`` of the built-in rootfs, or a real
  busybox ELF of an image): the applet named by ``argv[0]`` runs;
* a WebAssembly module (its magic number): it runs under wasmtime (:mod:`..wasm`);
* ``#!interpreter [arg]``: the interpreter runs with the script path;
* any other ELF executable: refused clearly, the sandbox cannot run native code;
* other text: run by ``/bin/sh``, as POSIX shells do on ``ENOEXEC``.
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod

from .. import wasm
from . import applets
from .fs import FileSystem
from .process import Process

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MULTICALL_MAGIC = b"\x7fSKL"
"""First bytes of the built-in multi-call binary placeholder."""
MULTICALL_NAMES = frozenset({"busybox", "busybox.static"})


class ExecError(Exception):
    """A program could not be started; ``status`` is what a shell reports (126 or 127)."""

    def __init__(self, name: str, reason: str, status: int) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason
        self.status = status


def is_executable(proc: Process, path: str) -> bool:
    """True for an existing non-directory with an execute bit."""
    return _is_executable(proc.kernel.fs, path, proc.cwd)


def _is_executable(fs: FileSystem, path: str, cwd: str) -> bool:
    try:
        st = fs.stat(path, cwd)
    except OSError:
        return False
    return not stat_mod.S_ISDIR(st.st_mode) and bool(st.st_mode & 0o111)


def find_program(proc: Process, name: str, path_var: str | None = None) -> str | None:
    """Search ``PATH`` like ``execvp``: a name with a slash is taken as it is."""
    search = path_var if path_var is not None else proc.env.get("PATH", DEFAULT_PATH)
    return search_path(proc.kernel.fs, name, search, proc.cwd)


def search_path(fs: FileSystem, name: str, search: str, cwd: str = "/") -> str | None:
    """``PATH`` lookup in a jail, without a process."""
    if "/" in name:
        return name if fs.exists(name, cwd) else None
    for directory in search.split(":"):
        candidate = f"{directory or '.'}/{name}"
        if _is_executable(fs, candidate, cwd):
            return candidate
    return None


def preflight(fs: FileSystem, argv: list[str], env: dict[str, str], cwd: str) -> None:
    """Check that ``argv`` can start, with the errors a container runtime gives.

    Raises :class:`ExecError` (status 127 for a missing program, 126 otherwise).
    """
    name = argv[0]
    path = search_path(fs, name, env.get("PATH", DEFAULT_PATH), cwd)
    if path is None:
        where = "no such file or directory" if "/" in name else "executable file not found in $PATH"
        raise ExecError(name, f'exec: "{name}": {where}', 127)
    try:
        st = fs.stat(path, cwd)
        fd = fs.open(path, os.O_RDONLY, cwd=cwd)
    except OSError as exc:
        raise ExecError(name, f'exec: "{name}": {os.strerror(exc.errno or errno.EACCES).lower()}', 126) from None
    try:
        head = os.read(fd, 256)
    finally:
        os.close(fd)
    if stat_mod.S_ISDIR(st.st_mode) or not st.st_mode & 0o111:
        raise ExecError(name, f'exec: "{name}": permission denied', 126)
    if head.startswith(b"\x7fELF") and os.path.basename(fs.realpath(path, cwd)) not in MULTICALL_NAMES:
        raise ExecError(name, f'exec: "{name}": exec format error: native executables cannot run in the memory sandbox', 126)


def _read_head(proc: Process, path: str) -> bytes:
    fd = proc.kernel.fs.open(path, os.O_RDONLY, cwd=proc.cwd)
    try:
        return os.read(fd, 256)
    finally:
        os.close(fd)


def execute(proc: Process, argv: list[str], *, path_var: str | None = None, depth: int = 0) -> int:
    """Replace ``proc``'s program with ``argv`` (searched in ``PATH``) and run it.

    Raises :class:`ExecError` when the program cannot be found or started.
    """
    name = argv[0]
    path = find_program(proc, name, path_var)
    if path is None:
        raise ExecError(name, "not found", 127)
    return execute_path(proc, path, argv, depth=depth)


def execute_path(proc: Process, path: str, argv: list[str], *, depth: int = 0) -> int:
    """Run the program at container path ``path`` with ``argv``."""
    fs = proc.kernel.fs
    try:
        st = fs.stat(path, proc.cwd)
        real = fs.realpath(path, proc.cwd)
    except OSError as exc:
        raise ExecError(argv[0], os.strerror(exc.errno or errno.ENOENT), 127) from None
    if stat_mod.S_ISDIR(st.st_mode):
        raise ExecError(argv[0], "Permission denied", 126)
    if not st.st_mode & 0o111:
        raise ExecError(argv[0], "Permission denied", 126)
    try:
        head = _read_head(proc, path)
    except OSError as exc:
        raise ExecError(argv[0], os.strerror(exc.errno or errno.EACCES), 126) from None
    proc.fds.close_on_exec()
    if head.startswith(MULTICALL_MAGIC) or (head.startswith(b"\x7fELF") and os.path.basename(real) in MULTICALL_NAMES):
        return run_multicall(proc, argv)
    if wasm.is_module(head):
        return run_wasm(proc, path, argv)
    if head.startswith(b"\x7fELF"):
        raise ExecError(argv[0], "cannot execute binary file: native executables cannot run in the memory sandbox", 126)
    if head.startswith(b"#!") and depth < 4:
        line = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        interp, _, arg = line.partition(" ")
        if not interp:
            raise ExecError(argv[0], "Exec format error", 126)
        new_argv = [interp] + ([arg.strip()] if arg.strip() else []) + [path] + argv[1:]
        interp_path = interp if fs.exists(interp, proc.cwd) else None
        if interp_path is None:
            raise ExecError(argv[0], f"{interp}: bad interpreter: No such file or directory", 127)
        proc.argv = new_argv
        return execute_path(proc, interp_path, new_argv, depth=depth + 1)
    proc.argv = ["/bin/sh", path, *argv[1:]]
    return execute_path(proc, "/bin/sh", proc.argv, depth=depth + 1)


def run_multicall(proc: Process, argv: list[str]) -> int:
    """Run the applet that ``argv[0]`` names (``busybox NAME ...`` shifts first)."""
    name = os.path.basename(argv[0])
    if name in MULTICALL_NAMES:
        if len(argv) < 2:
            proc.stdout.write(b"sockerless memory sandbox multi-call binary\nUsage: busybox APPLET [ARGS]...\n")
            return 0
        argv = argv[1:]
        name = os.path.basename(argv[0])
    func = applets.get(name)
    if func is None:
        raise ExecError(name, "applet not provided by the memory sandbox", 127)
    proc.argv = list(argv)
    return func(proc, argv)


def run_wasm(proc: Process, path: str, argv: list[str]) -> int:
    """Run the WebAssembly module at ``path`` with ``argv``."""
    from ..wasm.runner import ModuleError

    proc.argv = list(argv)
    try:
        return wasm.run(proc, path, argv)
    except ModuleError as exc:
        raise ExecError(argv[0], str(exc), exc.status) from None


def module_path(fs: FileSystem, argv: list[str], env: dict[str, str], cwd: str) -> str:
    """The module a ``wasi/wasm`` image's command names (found like a program, no execute bit needed).

    Raises :class:`ExecError` when it is missing or not a WebAssembly module.
    """
    name = argv[0]
    candidates = [name] if "/" in name else [f"{d or '.'}/{name}" for d in env.get("PATH", DEFAULT_PATH).split(":")]
    for path in candidates:
        try:
            fd = fs.open(path, os.O_RDONLY, cwd=cwd)
        except OSError:
            continue
        try:
            head = os.read(fd, 8)
        except OSError:
            head = b""  # a directory
        finally:
            os.close(fd)
        if not wasm.is_module(head):
            raise ExecError(name, f'exec: "{name}": exec format error: a wasi/wasm image runs WebAssembly modules only', 126)
        return path
    raise ExecError(name, f'exec: "{name}": no such file or directory', 127)


def run_module_entrypoint(proc: Process, argv: list[str]) -> int:
    """Run the command of a ``wasi/wasm`` image: its module, as the entrypoint."""
    try:
        path = module_path(proc.kernel.fs, argv, proc.env, proc.cwd)
        return run_wasm(proc, path, argv)
    except ExecError as exc:
        proc.stderr.write(f"{exc.reason}\n".encode())
        return exc.status


def run_entrypoint(proc: Process, argv: list[str]) -> int:
    """Run a container's (or an exec's) command: its status, or why it could not start."""
    try:
        return execute(proc, argv)
    except ExecError as exc:
        proc.stderr.write(f"{exc.reason}\n".encode())
        return exc.status
