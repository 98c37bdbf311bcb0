"""One container of the memory backend: its root filesystem and the kernel of its current run."""

from __future__ import annotations

import asyncio
import os
import posixpath
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sockerless.engine.records import ContainerRecord
from sockerless.engine.stdio import ProcessIO
from sockerless.plugins.backend import ExitResult, StartError

from .copying import discard_tree
from .init import INIT_PATH, run_init
from .sandbox.archivefs import JailArchiveFS
from .sandbox.exec import DEFAULT_PATH, ExecError, module_path, preflight, run_entrypoint, run_module_entrypoint
from .sandbox.files import NullFile, OpenFile, StreamInput, StreamOutput
from .sandbox.fs import FileSystem, Mount
from .sandbox.kernel import Kernel
from .sandbox.process import Credentials, Process, ProcessSpec
from .sandbox.signals import SIGKILL
from .tty import Terminal

FS_RELEASE_TIMEOUT = 5.0
ROOT_MODE = 0o755  # the container's "/" is its upper directory (as with overlayfs)
WASI_PLATFORM = "wasi/wasm"
"""``backend_state["platform"]`` of a container whose image is for WebAssembly: its command is a module."""


class SandboxProcess:
    """A sandbox process as the core sees it (``RunningProcess``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._future: asyncio.Future[ExitResult] = loop.create_future()
        self.pid = 0
        self.process: Process | None = None

    def exited(self, proc: Process) -> None:
        """Called on the process's thread when it ends."""
        assert proc.status is not None
        result = ExitResult(code=proc.status.shell_status)
        try:
            self._loop.call_soon_threadsafe(_resolve, self._future, result)
        except RuntimeError:  # the loop is closed: the daemon is going away
            pass

    async def wait(self) -> ExitResult:
        """Wait for the process to end."""
        return await asyncio.shield(self._future)

    def kill(self) -> None:
        """SIGKILL (health-check timeouts)."""
        if self.process is not None:
            self.process.deliver(SIGKILL)


def _resolve(future: asyncio.Future[ExitResult], result: ExitResult) -> None:
    if not future.done():
        future.set_result(result)


class MemoryContainer:
    """Files and live state of one container.

    Its root filesystem is a copy-on-write union: ``rootfs`` is the container's own upper
    directory, over the image's layer directories (``lowers``, top-most first), which are
    shared by every container of the image and never written. A container created before
    the union existed has no lowers: its ``rootfs`` is a full copy and is used alone.
    """

    def __init__(self, record_id: str, directory: Path, lowers: list[Path] | None = None) -> None:
        self.id = record_id
        self.directory = directory
        self.rootfs = directory / "rootfs"
        self.lowers: list[Path] = list(lowers or [])
        self.kernel: Kernel | None = None
        self.fs: FileSystem | None = None
        self.terminal: Terminal | None = None
        self.env: dict[str, str] = {}
        self.cwd = "/"
        self.creds = Credentials()
        self.exec_terminals: dict[str, Terminal] = {}
        self.peer_hosts: list[tuple[str, list[str]]] = []
        self.wasi = False
        """True while running an image for platform ``wasi/wasm``: commands are modules."""
        self._lock = threading.Lock()

    # -- creation --------------------------------------------------------------------------
    def materialize(self) -> None:
        """Create the container's empty upper directory: nothing of the image is copied."""
        self.rootfs.mkdir(parents=True, exist_ok=True)
        os.chmod(self.rootfs, ROOT_MODE)

    def _jail(self, mounts: list[Mount] | None = None) -> FileSystem:
        missing = [str(p) for p in self.lowers if not p.is_dir()]
        if missing:
            raise StartError(f"the image layer data of this container is missing ({missing[0]}): "
                             "its image was removed; create the container again", 126)
        return FileSystem(str(self.rootfs), mounts or (), lowers=[str(p) for p in self.lowers])

    def destroy(self) -> Path | None:
        """Take the container's files out of the namespace; returns what is left to delete."""
        self._release_fs()
        return discard_tree(self.directory)

    # -- running ---------------------------------------------------------------------------
    def start(self, record: ContainerRecord, io: ProcessIO, loop: asyncio.AbstractEventLoop,
              on_init_exit: Callable[[], None]) -> SandboxProcess:
        """Start pid 1 of a new run."""
        self._release_fs()
        fs = self._jail(self._mounts(record))
        config = record.config
        kernel = Kernel(fs, hostname=config.Hostname or record.short_id,
                        memory_limit=record.host_config.Memory or None)
        wasi = record.backend_state.get("platform") == WASI_PLATFORM
        entry = run_module_entrypoint if wasi else run_entrypoint
        try:
            creds = kernel.resolve_user(config.User)
        except LookupError as exc:
            fs.close()
            raise StartError(str(exc), 126) from None
        env = _environment([*(config.Env or []), *record.runtime_env], config.Hostname, kernel.home_of(creds.uid), tty=config.Tty)
        cwd = config.WorkingDir or "/"
        try:
            fs.makedirs(cwd)
            argv = [record.path, *record.args]
            if wasi:
                module_path(fs, argv, env, cwd)
            else:
                preflight(fs, argv, env, cwd)
        except ExecError as exc:
            fs.close()
            raise StartError(exc.reason, exc.status) from None
        except OSError as exc:
            fs.close()
            raise StartError(f"cannot prepare the container filesystem: {exc}", 126) from None
        self.fs, self.kernel, self.env, self.cwd, self.creds = fs, kernel, env, cwd, creds
        self.wasi = wasi
        handle = SandboxProcess(loop)
        stdio = self._stdio(io, kernel, main=True)

        def exited(proc: Process) -> None:
            self._drop_terminal_ref(kernel)
            handle.exited(proc)
            on_init_exit()

        if record.host_config.Init is True:
            spec = ProcessSpec(argv=[INIT_PATH, "--", *argv], env=dict(env), cwd=cwd, creds=creds)
            proc = kernel.spawn(spec, stdio, lambda p: run_init(p, argv, entry), on_exit=exited)
        else:
            spec = ProcessSpec(argv=argv, env=dict(env), cwd=cwd, creds=creds)
            proc = kernel.spawn(spec, stdio, lambda p: entry(p, argv), on_exit=exited)
        handle.pid, handle.process = proc.pid, proc
        return handle

    def exec(self, exec_id: str, argv: list[str], env: list[str], workdir: str, user: str,
             io: ProcessIO, loop: asyncio.AbstractEventLoop) -> SandboxProcess:
        """Start a ``docker exec`` process."""
        kernel = self.kernel
        if kernel is None or kernel.init is None or kernel.init.exited():
            raise StartError(f"container {self.id[:12]} is not running", 126)
        creds = self.creds
        if user:
            try:
                creds = kernel.resolve_user(user)
            except LookupError as exc:
                raise StartError(str(exc), 126) from None
        merged = dict(self.env)
        for entry in env:
            key, _, value = entry.partition("=")
            merged[key] = value
        if user:
            merged["HOME"] = kernel.home_of(creds.uid)
        cwd = workdir or self.cwd
        try:
            if self.wasi:
                module_path(kernel.fs, argv, merged, cwd)
            else:
                preflight(kernel.fs, argv, merged, cwd)
            if not kernel.fs.is_dir(cwd):
                raise StartError(f"chdir to cwd (\"{cwd}\") set in config.json failed: no such file or directory", 126)
        except ExecError as exc:
            raise StartError(exc.reason, exc.status) from None
        handle = SandboxProcess(loop)
        stdio = self._stdio(io, kernel, main=False, exec_id=exec_id)

        def exited(proc: Process) -> None:
            self.exec_terminals.pop(exec_id, None)
            handle.exited(proc)

        entry = run_module_entrypoint if self.wasi else run_entrypoint
        proc = kernel.spawn(ProcessSpec(argv=list(argv), env=merged, cwd=cwd, creds=creds), stdio,
                            lambda p: entry(p, list(argv)), on_exit=exited)
        handle.pid, handle.process = proc.pid, proc
        return handle

    def _stdio(self, io: ProcessIO, kernel: Kernel, *, main: bool, exec_id: str = "") -> tuple[OpenFile, OpenFile, OpenFile]:
        if io.tty:
            terminal = Terminal(io.stdin, io.stdout, lambda sig: self._signal_terminal(kernel, terminal, sig),
                                io.console_size)
            slave = terminal.slave
            if main:
                self.terminal = terminal
                kernel.tty = slave.acquire()
            else:
                self.exec_terminals[exec_id] = terminal
            return slave.acquire(), slave.acquire(), slave
        stdin: OpenFile = StreamInput(io.stdin) if io.stdin is not None else NullFile()
        return stdin, StreamOutput(io.stdout), StreamOutput(io.stderr)

    @staticmethod
    def _signal_terminal(kernel: Kernel, terminal: Terminal, signum: int) -> None:
        """Interrupt keys reach the processes reading from that terminal."""
        for proc in kernel.processes():
            if proc.exited():
                continue
            files = [proc.fds.get(fd) for fd in (0, 1, 2)]
            if any(f is terminal.slave for f in files):
                proc.deliver(signum)

    def _drop_terminal_ref(self, kernel: Kernel) -> None:
        tty, kernel.tty = kernel.tty, None
        if tty is not None:
            tty.release()

    def signal(self, signum: int) -> None:
        """``docker kill``: to pid 1 (SIGKILL ends the whole container)."""
        kernel = self.kernel
        if kernel is None:
            return
        if signum == SIGKILL:
            kernel.signal_all(SIGKILL)
            return
        init = kernel.init
        if init is not None:
            init.deliver(signum)  # from outside the namespace

    def _mounts(self, record: ContainerRecord) -> list[Mount]:
        tmpfs_root = self.directory / "tmpfs"
        shutil.rmtree(tmpfs_root, ignore_errors=True)
        mounts = []
        tmpfs_targets = [m.Destination for m in record.mounts if m.Type == "tmpfs"]
        tmpfs_targets += sorted(record.host_config.Tmpfs) if isinstance(record.host_config.Tmpfs, dict) else []
        for index, target in enumerate(tmpfs_targets):
            source = tmpfs_root / str(index)
            source.mkdir(parents=True, mode=0o1777)
            os.chmod(source, 0o1777)
            mounts.append(Mount(target=target, source=str(source)))
        mounts += _data_mounts(record)
        taken = {m.target for m in mounts}
        mounts += [m for m in identity_files(record, self.directory, self.peer_hosts) if m.target not in taken]
        _ensure_mount_points(self._jail(), mounts)
        return mounts

    def update_hosts(self, record: ContainerRecord, entries: list[tuple[str, list[str]]]) -> None:
        """New names to resolve (peers on its networks, links): rewritten into a running container's /etc/hosts."""
        self.peer_hosts = [(address, list(names)) for address, names in entries]
        hosts = self.directory / "hosts"
        if self.kernel is not None and hosts.is_file():
            hostname = record.config.Hostname or record.short_id
            _write_host_file(hosts, _hosts_text(record, hostname, self.peer_hosts))

    def archive_fs(self, record: ContainerRecord, *, with_mounts: bool) -> JailArchiveFS:
        """The container's files for ``docker cp`` (``with_mounts``) or ``docker export`` (the root only).

        A running container is seen through its live jail, tmpfs mounts included; otherwise a
        jail of the root with the volumes and binds mounted, as Docker mounts them for a copy.
        """
        if with_mounts and record.state.Running and self.fs is not None:
            return JailArchiveFS(self.fs, owned=False)
        mounts: list[Mount] = []
        if with_mounts:
            mounts = [m for m in _data_mounts(record) if os.path.exists(m.source)]
            taken = {m.target for m in mounts}
            for target, name in (("/etc/hostname", "hostname"), ("/etc/hosts", "hosts")):
                if target not in taken and (self.directory / name).is_file():
                    mounts.append(Mount(target=target, source=str(self.directory / name)))
            _ensure_mount_points(self._jail(), mounts)  # as dockerd does before a copy into a created container
        return JailArchiveFS(self._jail(mounts), owned=True)

    def _release_fs(self) -> None:
        """Close the previous run's jail once its processes are gone."""
        kernel, fs = self.kernel, self.fs
        if fs is None:
            return
        deadline = time.monotonic() + FS_RELEASE_TIMEOUT
        while kernel is not None and any(not p.exited() for p in kernel.processes()) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.fs = None
        fs.close()


def _data_mounts(record: ContainerRecord) -> list[Mount]:
    """The container's volumes and bind mounts."""
    return [Mount(target=m.Destination, source=m.Source, readonly=not m.RW)
            for m in record.mounts if m.Type in ("bind", "volume") and m.Source]


def _environment(entries: list[str], hostname: str, home: str, *, tty: bool) -> dict[str, str]:
    env: dict[str, str] = {"PATH": DEFAULT_PATH, "HOSTNAME": hostname}
    if tty:
        env["TERM"] = "xterm"
    for entry in entries:
        key, _, value = entry.partition("=")
        env[key] = value
    env.setdefault("HOME", home)
    return env


def _hosts_text(record: ContainerRecord, hostname: str, peers: list[tuple[str, list[str]]] = ()) -> str:
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
             "ff00::0\tip6-mcastprefix", "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters"]
    for entry in record.host_config.ExtraHosts or []:
        host, _, address = entry.partition("=") if "=" in entry else entry.partition(":")
        if host and address:
            lines.append(f"{address}\t{host}")
    for endpoint in record.networks.values():
        if endpoint.IPAddress:
            lines.append(f"{endpoint.IPAddress}\t{hostname}")
            break
    for address, names in peers:  # what Docker's embedded DNS would answer (the sandbox has no DNS)
        lines.append(f"{address}\t{' '.join(names)}")
    return "\n".join(lines) + "\n"


def _write_host_file(path: Path, text: str) -> None:
    # in place (the file is mounted by inode), overwritten before it is cut: a reader never sees it empty
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        data = text.encode()
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


def identity_files(record: ContainerRecord, directory: Path, peers: list[tuple[str, list[str]]] = ()) -> list[Mount]:
    """``/etc/hostname`` and ``/etc/hosts``: files of the container's own directory, mounted in,
    as Docker bind-mounts them (so they never touch the image or the container's changes)."""
    hostname = record.config.Hostname or record.short_id
    directory.mkdir(parents=True, exist_ok=True)
    files = {"/etc/hostname": (directory / "hostname", f"{hostname}\n"),
             "/etc/hosts": (directory / "hosts", _hosts_text(record, hostname, peers))}
    mounts = []
    for target, (path, text) in files.items():
        _write_host_file(path, text)
        mounts.append(Mount(target=target, source=str(path)))
    return mounts


def _ensure_mount_points(jail: FileSystem, mounts: list[Mount]) -> None:
    """Create mount points inside the rootfs: a directory, or an empty file for a file mount.

    ``jail`` is a jail of the bare rootfs (no mounts); it is closed here.
    """
    try:
        for mount in mounts:
            if jail.exists(mount.target, follow=False):
                continue
            try:
                if os.path.isdir(mount.source):
                    jail.makedirs(mount.target)
                else:
                    jail.makedirs(posixpath.dirname(mount.target))
                    jail.write_bytes(mount.target, b"")
            except OSError:
                pass  # something else is in the way: the mount table still covers the path
    finally:
        jail.close()
