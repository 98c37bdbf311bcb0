"""The plugin contract of Sockerless: every hook a plugin can implement.

Two kinds of hooks live here.

*Plugin hooks* (:class:`PluginHooks`) are called on every installed plugin: they register
backends and CLI commands, and observe the daemon (events, start, stop).

*Backend hooks* (:class:`BackendHooks`) are called on the **active backend only**: the
object built by the chosen :class:`~sockerless.plugins.backend.BackendSpec` is registered
with a plugin manager of its own, so a third party writes a backend as a class with
``@hookimpl`` methods. All backend hooks are ``firstresult``. A backend implements only
what differs from the core: when a hook has no implementation (the call returns
``None``), the core does the job itself where it can (state, IPAM, log storage) and
otherwise refuses with a 501 naming the backend and the operation.

Any hook implementation may be a coroutine function; the core awaits it. Implementations
run on the daemon's event loop, so blocking work belongs in a thread
(``await asyncio.to_thread(...)``). Raise :class:`~sockerless.api.errors.DockerError`
subclasses to answer the client with a Docker-style error.

Hook arguments are passed by name; an implementation may accept any subset of them, so
new arguments can be added without breaking existing plugins.

Versioning: :data:`HOOKS_VERSION` increases when a hook changes incompatibly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ..api.models.images import ImageRecord
    from ..archive import ArchiveFS
    from ..engine.daemon import Engine
    from ..engine.events import Event
    from ..engine.records import ContainerRecord, NetworkRecord, VolumeRecord
    from ..engine.stdio import ProcessIO
    from .backend import BackendInfo, BackendSpec, ContainerStats, RunningProcess, TopResult
    from .commands import CommandRegistry

HOOKS_VERSION = 1
PROJECT = "sockerless"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class PluginHooks:
    """Hooks called on every plugin found through the ``sockerless.plugins`` entry points."""

    # -- registration ------------------------------------------------------------------
    @hookspec
    def sockerless_register_backends(self) -> list[BackendSpec]:
        """Return the backends this plugin provides (possibly none)."""

    @hookspec
    def sockerless_add_commands(self, commands: CommandRegistry) -> None:
        """Add CLI subcommands, e.g. ``commands.group("sim").command("aws", ...)``."""

    # -- observers ---------------------------------------------------------------------
    @hookspec
    def sockerless_event(self, event: Event) -> None:
        """Called for every event the daemon publishes (what ``GET /events`` streams).

        Called on the event loop right after the state change; keep it quick.
        """

    @hookspec
    def sockerless_daemon_started(self, backend: str, data_root: str, listeners: list[str]) -> None:
        """The daemon has recovered its state and is listening."""

    @hookspec
    def sockerless_daemon_stopping(self) -> None:
        """The daemon is shutting down cleanly (not called on a crash)."""


class BackendHooks:
    """Hooks called on the active backend only (all ``firstresult``)."""

    # -- identity and recovery -----------------------------------------------------------
    @hookspec(firstresult=True)
    def sockerless_backend_info(self) -> BackendInfo:
        """Describe the backend: name, capabilities and what ``docker info`` shows. Required."""

    @hookspec(firstresult=True)
    def sockerless_backend_recover(self, containers: list[ContainerRecord], networks: list[NetworkRecord],
                                   volumes: list[VolumeRecord]) -> list[ContainerRecord] | None:
        """Called once at startup with every persisted container of this backend, and every
        persisted network and volume (so a backend can tell which of the resources it made
        still have a record: the others are orphans; an implementation may take only the
        arguments it needs).

        Return the containers whose main process is really still running (to be
        re-adopted); every other container that was running is marked exited by the
        core, as Docker does after a daemon crash. A backend that keeps nothing alive
        across restarts (the memory sandbox) returns an empty list.
        """

    @hookspec(firstresult=True)
    def sockerless_backend_close(self) -> None:
        """Release resources on a clean shutdown."""

    # -- serving the API (passthrough backends) -------------------------------------------
    @hookspec(firstresult=True)
    def sockerless_backend_api(self, engine: Engine) -> Any:
        """Take over serving the Docker API, for a backend that forwards to another engine.

        Called once at startup, after recovery. Return ``None`` (or leave unimplemented) to be
        served by the core's routes and state. Return an ASGI application to receive every
        HTTP request instead; the core still owns the listeners, TLS, the plugins and the CLI,
        and in front of the application it still:

        * rejects versions outside 1.24-1.45 and strips the ``/vX.Y`` prefix from
          ``scope["path"]``; the requested version is ``scope["sockerless.api_version"]``
          (a ``(major, minor)`` tuple, absent on unversioned paths);
        * adds its ``Api-Version``, ``Server``, ``Ostype`` and ``Docker-Experimental`` headers
          to every ``http.response.start`` (so the application must not send its own);
        * turns a :class:`~sockerless.api.errors.DockerError` raised before the response
          started into a Docker-style reply.

        Attach and exec hijack the connection through ``scope["extensions"]["sockerless.hijack"]``
        (see :mod:`sockerless.server.hijack`); the head written through it bypasses the core's
        header injection, so it should include the pairs in ``scope["sockerless.headers"]``.
        The core's routes and store are then unused: observer plugins see only the events the
        backend publishes with ``engine.events.publish(type, action, actor_id, attributes)``.
        """

    # -- containers ----------------------------------------------------------------------
    @hookspec(firstresult=True)
    def sockerless_container_create(self, container: ContainerRecord, image: ImageRecord) -> Any:
        """Prepare a new container (root filesystem, cloud definitions). Required.

        The record is already validated and named; ``image`` is the image it runs, whose
        ``Layers`` are unpacked at ``BackendContext.layer_path(layer)``. The backend may keep
        private data in ``container.backend_state``.
        """

    @hookspec(firstresult=True)
    def sockerless_container_start(self, container: ContainerRecord, io: ProcessIO) -> RunningProcess:
        """Start the main process with ``io`` as its standard streams. Required.

        Its environment is ``container.config.Env`` followed by ``container.runtime_env``.

        Return once it runs. Raise :class:`~sockerless.plugins.backend.StartError` when
        the program cannot be started (not found: 127, not executable: 126).
        """

    @hookspec(firstresult=True)
    def sockerless_container_readopt(self, container: ContainerRecord, io: ProcessIO) -> RunningProcess:
        """Follow a container that ``sockerless_backend_recover`` reported still running.

        ``io`` are fresh streams for the rest of the run (as for ``sockerless_container_start``;
        output from before the daemon restart is not repeated). Return the main process so the
        core notices its exit. Optional: unimplemented, a re-adopted container keeps running but
        the core only learns of its end from the next restart's recovery.
        """

    @hookspec(firstresult=True)
    def sockerless_container_kill(self, container: ContainerRecord, signal: int) -> Any:
        """Deliver ``signal`` (a Linux signal number) to the main process. Required."""

    @hookspec(firstresult=True)
    def sockerless_container_stop(self, container: ContainerRecord, signal: int, timeout: float) -> Any:
        """Stop the container; return ``True`` when handled.

        Unimplemented: the core sends ``signal``, waits ``timeout`` seconds, then SIGKILL.
        """

    @hookspec(firstresult=True)
    def sockerless_container_remove(self, container: ContainerRecord) -> Any:
        """Free everything the container holds (it is not running). Required."""

    @hookspec(firstresult=True)
    def sockerless_container_pause(self, container: ContainerRecord) -> Any:
        """Freeze every process of the container (capability ``pause``)."""

    @hookspec(firstresult=True)
    def sockerless_container_unpause(self, container: ContainerRecord) -> Any:
        """Thaw the container (capability ``pause``)."""

    @hookspec(firstresult=True)
    def sockerless_container_resize(self, container: ContainerRecord, height: int, width: int) -> Any:
        """Resize the main process's terminal (capability ``resize``)."""

    @hookspec(firstresult=True)
    def sockerless_container_top(self, container: ContainerRecord, ps_args: str) -> TopResult:
        """List the container's processes (capability ``top``)."""

    @hookspec(firstresult=True)
    def sockerless_container_stats(self, container: ContainerRecord) -> ContainerStats:
        """Sample the resource use of a running container (capability ``stats``)."""

    @hookspec(firstresult=True)
    def sockerless_container_attach(self, container: ContainerRecord, io: ProcessIO) -> Any:
        """Attach ``io`` to a running main process whose streams the core does not carry.

        Unimplemented: the core serves attach from the streams it handed to ``start``.
        Implemented: return an awaitable that ends when the attach session ends.
        """

    @hookspec(firstresult=True)
    def sockerless_container_logs(self, container: ContainerRecord, options: dict[str, Any]) -> Any:
        """Return an async iterator of ``LogRecord`` when the backend has its own log service.

        ``options``: ``since_ns`` and ``until_ns`` (0: unbounded), ``tail`` (-1: all), ``follow``
        (keep yielding new lines until the container has stopped and its last lines were read),
        ``stdout`` and ``stderr`` (the streams asked for; the core drops records of the others).
        The core frames each record (timestamps, details, multiplexing) and closes the iterator
        (``aclose``) when the client goes away. Unimplemented: the core's log store (fed from the
        main process's streams) answers.
        """

    # -- exec ------------------------------------------------------------------------------
    @hookspec(firstresult=True)
    def sockerless_exec_start(
        self, container: ContainerRecord, exec_id: str, argv: list[str], env: list[str], workdir: str,
        user: str, tty: bool, privileged: bool, io: ProcessIO,
    ) -> RunningProcess:
        """Run a command inside the running container (capability ``exec``).

        ``env`` holds the exec's own ``KEY=VALUE`` entries; the backend adds the
        container's. Raise :class:`~sockerless.plugins.backend.StartError` when the
        program cannot be started.
        """

    @hookspec(firstresult=True)
    def sockerless_exec_probe(self, container: ContainerRecord, argv: list[str], timeout: float) -> tuple[int, str]:
        """Run a health-check command with ``timeout`` enforced by the backend: ``(exit code, output)``.

        Optional: unimplemented, the core runs health checks through ``sockerless_exec_start``.
        Return ``-1`` as the exit code when the deadline passed.
        """

    @hookspec(firstresult=True)
    def sockerless_exec_resize(self, container: ContainerRecord, exec_id: str, height: int, width: int) -> Any:
        """Resize an exec's terminal (capability ``resize``)."""

    # -- archive (docker cp) -----------------------------------------------------------------
    @hookspec(firstresult=True)
    def sockerless_archive_filesystem(self, container: ContainerRecord, mounts: bool) -> ArchiveFS:
        """The container's files, for ``docker cp`` and ``docker export`` (capability ``archive``).

        Return an :class:`~sockerless.archive.ArchiveFS` confined to the container root (for a
        directory on this machine, :class:`~sockerless.archive.RootedFileSystem`); the core then
        does Docker's path resolution, tar production and extraction itself, in a worker thread,
        and calls its ``close()`` when done. ``mounts`` is true for ``docker cp`` (volumes and
        binds appear at their mount points, also before the first start) and false for
        ``docker export`` (the root filesystem alone). A backend without local files implements
        the three hooks below instead (its agent can run :mod:`sockerless.archive` itself).
        """

    @hookspec(firstresult=True)
    def sockerless_archive_stat(self, container: ContainerRecord, path: str) -> dict[str, Any]:
        """Stat a path: ``{name, size, mode, mtime, linkTarget}`` (capability ``archive``).

        Raise :class:`~sockerless.archive.PathNotFound` for a missing path.
        """

    @hookspec(firstresult=True)
    def sockerless_archive_get(self, container: ContainerRecord, path: str) -> Any:
        """Return ``(stat, async iterator of tar bytes)`` for a path (capability ``archive``)."""

    @hookspec(firstresult=True)
    def sockerless_archive_put(
        self, container: ContainerRecord, path: str, tar_stream: Any, no_overwrite_dir_non_dir: bool, copy_uid_gid: bool
    ) -> Any:
        """Extract a tar stream (async iterator of bytes) into ``path`` (capability ``archive``).

        Raise :class:`~sockerless.archive.PathNotFound` for a missing directory and
        :class:`~sockerless.archive.ArchiveError` for refused content.
        """

    # -- filesystem changes (docker diff, docker commit, RUN steps of docker build) ------------
    @hookspec(firstresult=True)
    def sockerless_container_changes(self, container: ContainerRecord) -> list[tuple[str, int]]:
        """The container's filesystem changes against its image (capability ``changes``).

        Return ``(path, kind)`` pairs, ``path`` absolute inside the container, ``kind``
        as Docker counts it: 0 modified, 1 added, 2 deleted. A directory whose content
        changed is itself modified. Files the runtime mounts in (``/etc/hostname``,
        ``/etc/hosts``, ``/etc/resolv.conf``) are not changes, as with Docker. A directory comes
        before what changed inside it (the order Docker's walk gives).
        """

    @hookspec(firstresult=True)
    def sockerless_container_export_changes(self, container: ContainerRecord, destination: str) -> Any:
        """Write the container's changes as an image layer (capability ``changes``).

        ``destination`` is a host path of a new file: write an uncompressed tar of
        everything added or modified (with the files' modes, owners, times and hard links)
        and an OCI whiteout (``.wh.NAME``, empty) for everything deleted, an opaque marker
        (``.wh..wh..opq``) in a directory that replaced a lower one. Member names are
        relative (``etc/passwd``), parents before children, directories included. The
        core may have paused the container. A never-started container gives an empty tar.
        """

    # -- networks and volumes ----------------------------------------------------------------
    @hookspec(firstresult=True)
    def sockerless_network_create(self, network: NetworkRecord) -> Any:
        """Realise a new network (IPAM is already done by the core)."""

    @hookspec(firstresult=True)
    def sockerless_network_remove(self, network: NetworkRecord) -> Any:
        """Tear a network down."""

    @hookspec(firstresult=True)
    def sockerless_network_connect(self, network: NetworkRecord, container: ContainerRecord, endpoint: Any) -> Any:
        """A container joined a network (``endpoint`` carries its address and aliases)."""

    @hookspec(firstresult=True)
    def sockerless_container_hosts(self, container: ContainerRecord, entries: list[tuple[str, list[str]]]) -> Any:
        """The names ``container`` resolves: ``(address, [names])`` of its running peers and links.

        Called before ``sockerless_container_start`` and whenever the entries change while it
        runs. For a backend without a DNS service of its own (write them to ``/etc/hosts``);
        a backend with real service discovery may ignore it.
        """

    @hookspec(firstresult=True)
    def sockerless_network_disconnect(self, network: NetworkRecord, container: ContainerRecord) -> Any:
        """A container left a network."""

    @hookspec(firstresult=True)
    def sockerless_volume_create(self, volume: VolumeRecord) -> str | None:
        """Provision a volume; return its mount point (or ``None`` for the core's default)."""

    @hookspec(firstresult=True)
    def sockerless_volume_remove(self, volume: VolumeRecord) -> Any:
        """Delete a volume's data."""

    # -- images --------------------------------------------------------------------------------
    @hookspec(firstresult=True)
    def sockerless_builtin_image(self, reference: str) -> Any:
        """Offer a built-in root filesystem for ``reference`` when no registry can be reached.

        Return ``(layer_builder, ImageConfig)`` where ``layer_builder(path)`` fills an empty
        directory, or ``None`` when the backend has no built-in image.
        """

