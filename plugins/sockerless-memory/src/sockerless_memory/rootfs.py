"""The built-in base root filesystem of the memory backend.

It is laid out like a busybox-based Alpine image: ``/bin/busybox`` (here a small
placeholder that the sandbox recognises as its multi-call binary) and one relative
symlink per applet the sandbox provides, in the directory Alpine puts it in, plus the
usual ``/etc`` files. Only applets that really exist are linked, so ``command -v`` and
``which`` tell the truth. ``bash`` is linked too: CI tools run ``bash -c`` and the
sandbox shell understands the bash extensions they use.
"""

from __future__ import annotations

import os

from .sandbox import applets
from .sandbox.exec import MULTICALL_MAGIC

MULTICALL_BODY = MULTICALL_MAGIC + b" sockerless memory sandbox multi-call binary\n"

# Where busybox's own install table puts each applet (everything else goes to /bin), plus
# the sandbox's applets that busybox does not have.
_PLACES = {
    "usr/bin": (
        "[ [[ ar ascii awk basename bc blkdiscard bunzip2 bzcat bzip2 cal chvt clear cmp crc32 crontab cut dc "
        "deallocvt diff dirname dos2unix du dumpleases env expand expr factor fallocate find fold free ftpget "
        "ftpput groups head hexdump hostid id killall last less logger logname lsscsi lzcat lzma md5sum microcom "
        "mkfifo mkpasswd nc nl nproc nsenter nslookup od openvt passwd paste patch printf realpath renice reset "
        "seq setkeycodes setsid sha1sum sha256sum sha3sum sha512sum shred shuf sort strings tac tail taskset tee "
        "telnet test tftp time timeout top tr traceroute truncate ts tty unexpand uniq unix2dos unlink unlzma "
        "unshare unxz unzip uptime uudecode uuencode w wc wget which who whoami xargs xxd xz xzcat yes "
        "cksum comm getconf install pgrep pkill printenv rsync sha224sum sha384sum split"
    ),
    "usr/sbin": "arping brctl chroot crond fsfreeze httpd loadfont nologin partprobe rdate telnetd udhcpd",
    "sbin": (
        "acpid adjtimex arp blockdev depmod fdisk findfs fstrim getty halt hwclock ifconfig ifdown ifup init "
        "insmod ip ipneigh klogd logread losetup lsmod mdev mkswap modinfo modprobe nameif pivot_root poweroff "
        "reboot rmmod route start-stop-daemon sulogin swapoff swapon switch_root sysctl syslogd udhcpc"
    ),
}
_DIRECTORY_OF = {name: place for place, names in _PLACES.items() for name in names.split()}
_ALWAYS = ("sh", "bash")

ETC_FILES = {
    "etc/passwd": (
        "root:x:0:0:root:/root:/bin/sh\n"
        "bin:x:1:1:bin:/bin:/sbin/nologin\n"
        "daemon:x:2:2:daemon:/sbin:/sbin/nologin\n"
        "nobody:x:65534:65534:nobody:/:/sbin/nologin\n"
    ),
    "etc/group": "root:x:0:root\nbin:x:1:root,bin,daemon\ndaemon:x:2:root,bin,daemon\nnogroup:x:65533:\nnobody:x:65534:\n",
    "etc/shadow": "root:*::0:::::\nnobody:!::0:::::\n",
    "etc/shells": "/bin/sh\n/bin/ash\n/bin/bash\n",
    "etc/os-release": (
        'NAME="Sockerless built-in rootfs"\n'
        "ID=sockerless\n"
        "ID_LIKE=alpine\n"
        'PRETTY_NAME="Sockerless memory sandbox built-in rootfs"\n'
    ),
    "etc/hostname": "localhost\n",
    "etc/hosts": "127.0.0.1\tlocalhost localhost.localdomain\n::1\tlocalhost ip6-localhost ip6-loopback\n",
    "etc/resolv.conf": "",
    "etc/profile": 'export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n',
}

DIRECTORIES = (
    "bin", "dev", "dev/pts", "dev/shm", "etc", "home", "lib", "media", "mnt", "opt", "proc", "root",
    "run", "sbin", "srv", "sys", "tmp", "usr", "usr/bin", "usr/sbin", "usr/lib", "usr/local",
    "usr/local/bin", "usr/local/sbin", "usr/share", "var", "var/cache", "var/lib", "var/local",
    "var/log", "var/opt", "var/spool", "var/tmp",
)


def applet_directory(name: str) -> str:
    """Where Alpine keeps the link for applet ``name``."""
    return _DIRECTORY_OF.get(name, "bin")


def build(root: str) -> None:
    """Create the built-in rootfs in the empty (or missing) directory ``root``."""
    os.makedirs(root, exist_ok=True)
    for directory in DIRECTORIES:
        os.makedirs(os.path.join(root, directory), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    os.chmod(os.path.join(root, "var/tmp"), 0o1777)
    os.chmod(os.path.join(root, "root"), 0o700)
    for rel, text in ETC_FILES.items():
        path = os.path.join(root, rel)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    os.chmod(os.path.join(root, "etc/shadow"), 0o640)
    busybox = os.path.join(root, "bin/busybox")
    with open(busybox, "wb") as handle:
        handle.write(MULTICALL_BODY)
    os.chmod(busybox, 0o755)
    for name in sorted(set(applets.load()) | set(_ALWAYS)):
        if "/" in name or name == "busybox":
            continue
        directory = applet_directory(name)
        depth = directory.count("/") + 1
        target = "../" * depth + "bin/busybox" if directory != "bin" else "busybox"
        link = os.path.join(root, directory, name)
        if not os.path.lexists(link):
            os.symlink(target, link)
