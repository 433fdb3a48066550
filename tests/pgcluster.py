"""A throw-away PostgreSQL server for the tests: a cluster in a temporary folder, on a Unix
socket only, started as an unprivileged user, removed when stopped.

The server binaries come from Debian's ``postgresql`` package (``make test`` installs it where it
is missing); ``WENYANG_PG_BIN`` names another folder of them. ``start()`` returns ``None`` with
the reason in ``Cluster.why_not`` where no server can be started, so the tests that need one skip
with that message; CI is never such a place (``make test`` fails first if it cannot install it).

    cluster = start()
    dsn = cluster.dsn("wenyang")     # postgresql://…@/wenyang?host=/tmp/…&port=…
    cluster.stop()
"""
from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "wenyang_admin"
TEMPLATE = "wenyang_template"  # a migrated, seeded library that tests copy (tests/conftest.py)
_numbers = itertools.count(1)


def bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: ``WENYANG_PG_BIN``, PATH, or Debian's."""
    named = os.environ.get("WENYANG_PG_BIN")
    if named:
        return Path(named)
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                    key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(debian[-1]).parent if debian else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    folder: Path
    port: int
    binaries: Path
    run_as: list[str] = field(default_factory=list)  # ["runuser", "-u", "nobody", "--"] as root

    @property
    def socket_dir(self) -> str:
        return str(self.folder)

    def dsn(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@/{database}?host={self.folder}&port={self.port}"

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self.run_as, str(self.binaries / "pg_ctl"), "-D", str(self.folder / "data"), *args],
                              capture_output=True, text=True, timeout=120)

    def stop(self) -> None:
        self._pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


why_not = ""


def start() -> Cluster | None:
    """A new cluster, started; None (and ``why_not`` says why) where none can be."""
    global why_not
    binaries = bin_dir()
    if binaries is None or not (binaries / "initdb").exists():
        why_not = ("no PostgreSQL server binaries (initdb) on this machine: install Debian's postgresql "
                   "package, or name their folder in WENYANG_PG_BIN")
        return None
    folder = Path(tempfile.mkdtemp(prefix="wenyang-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        user = "nobody"
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            why_not = "running as root and there is no unprivileged user 'nobody' to run PostgreSQL as"
            return None
        if not shutil.which("runuser"):
            why_not = "running as root without runuser (util-linux) to start PostgreSQL as an unprivileged user"
            return None
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        run_as = ["runuser", "-u", user, "--"]
    cluster = Cluster(folder, _free_port(), binaries, run_as)
    made = subprocess.run([*run_as, str(binaries / "initdb"), "-D", str(folder / "data"), "-U", SUPERUSER,
                           "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                          capture_output=True, text=True, timeout=300)
    if made.returncode != 0:
        why_not = f"initdb failed: {made.stderr.strip()[-500:]}"
        shutil.rmtree(folder, ignore_errors=True)
        return None
    # Throw-away data: no durability asked of the disk.
    options = (f"-k {folder} -p {cluster.port} -c listen_addresses='' -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
    started = cluster._pg_ctl("-l", str(folder / "server.log"), "-w", "-t", "60", "-o", options, "start")
    if started.returncode != 0:
        log = (folder / "server.log").read_text(errors="replace")[-800:] if (folder / "server.log").exists() else ""
        why_not = f"the PostgreSQL server did not start: {started.stderr.strip()[-300:]} {log}"
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return cluster


def server_library_dsn(cluster, files: Path) -> str:
    """A new database made from the template (a migrated, seeded library) with its shared
    folder at ``files``; its connection string."""
    import psycopg

    name = f"wenyang_test_{next(_numbers)}"
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    with psycopg.connect(cluster.dsn(name), autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = %s WHERE key = 'files_root'", [str(files)])
    return cluster.dsn(name)


def drop_database(cluster, name: str) -> None:
    import psycopg

    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")



@contextlib.contextmanager
def database(cluster: Cluster, name: str):
    """An empty database ``name`` on ``cluster`` for the block, dropped after it; its address."""
    import psycopg

    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield cluster.dsn(name)
    finally:
        drop_database(cluster, name)


@contextlib.contextmanager
def small_disk_database(cluster: Cluster, name: str, files: Path):
    """A library (from the template, its shared folder at ``files``) whose tables live on a
    small filesystem of their own (a tmpfs in /tmp, where the server's user can reach it,
    mounted for the block; a tablespace on it), so that a test can fill that disk: yields
    (address, fill, free), or None where no filesystem can be mounted here (mounting needs root)."""
    import psycopg

    folder = Path(tempfile.mkdtemp(prefix="wenyang-small-disk-", dir="/tmp" if os.path.isdir("/tmp") else None))
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(folder)],
                                           capture_output=True).returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        yield None
        return
    filler = folder / "filler"
    space = f"{name}_space"
    try:
        (folder / "tables").mkdir()
        if cluster.run_as:
            entry = pwd.getpwnam(cluster.run_as[2])
            os.chown(folder / "tables", entry.pw_uid, entry.pw_gid)
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE TABLESPACE {space} LOCATION '{folder / 'tables'}'")
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} TABLESPACE {space}")
        with psycopg.connect(cluster.dsn(name), autocommit=True) as conn:
            conn.execute("UPDATE meta SET value = %s WHERE key = 'files_root'", [str(files)])

        def fill() -> None:
            with open(filler, "ab") as out:
                with contextlib.suppress(OSError):
                    while True:
                        out.write(b"\0" * 65536)
                        out.flush()

        yield cluster.dsn(name), fill, lambda: filler.unlink(missing_ok=True)
    finally:
        filler.unlink(missing_ok=True)
        drop_database(cluster, name)
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute(f"DROP TABLESPACE IF EXISTS {space}")
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":  # make test: are the server's programs here? (exit 1 if not)
    import sys

    found = bin_dir()
    ok = found is not None and (found / "initdb").exists() and (found / "pg_ctl").exists() \
        and (os.geteuid() != 0 or shutil.which("runuser") is not None)
    print(f"PostgreSQL server programs: {found if ok else 'not found'}")
    sys.exit(0 if ok else 1)
