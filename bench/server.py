"""Real servers in subprocesses: `wijkdeel serve --no-worker` (after `wijkdeel migrate`), and the
baseline app under uvicorn — each on a free port of 127.0.0.1, logging to a file in the run's temp
dir, always stopped (and a child dies with the suite: PR_SET_PDEATHSIG)."""

from __future__ import annotations

import base64
import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import REPO
from bench.databases import BenchDatabase

BIN = Path(sys.executable).parent
WIJKDEEL = BIN / "wijkdeel"
PR_SET_PDEATHSIG = 1


class ServiceError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:
    _LIBC = None


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it when the suite dies, however it dies.

    libc is loaded beforehand, so the child makes one system call and nothing else."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _proc_status(pid: int, key: str) -> int | None:
    """A `kB` line of /proc/PID/status, in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    base: str
    log: Path
    argv: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mib(self) -> float:
        kib = _proc_status(self.pid, "VmRSS")
        return (kib or 0) / 1024

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGINT (uvicorn's graceful stop), then SIGTERM, then SIGKILL."""
        for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            if self.process.poll() is not None:
                return
            try:
                self.process.send_signal(sig)
                self.process.wait(wait)
            except subprocess.TimeoutExpired:
                continue
            except ProcessLookupError:
                return


def spawn(
    name: str,
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    log: Path,
    port: int,
    health: str = "/health",
    timeout: float = 90.0,
) -> Service:
    """Start a server and wait until it answers `health`; a clear error with its log if not."""
    handle = log.open("ab")
    try:
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    finally:
        handle.close()
    service = Service(name, process, f"http://127.0.0.1:{port}", log, argv)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceError(
                f"{name} exited with {process.returncode} before it served; its output:\n"
                f"{service.log_tail()}"
            )
        try:
            if httpx.get(service.base + health, timeout=2).status_code == 200:
                return service
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    service.stop()
    raise ServiceError(
        f"{name} did not answer {health} within {timeout:.0f} s:\n{service.log_tail()}"
    )


def clean_env() -> dict[str, str]:
    """The environment without any WIJKDEEL_* setting of the caller's shell."""
    return {k: v for k, v in os.environ.items() if not k.startswith("WIJKDEEL_")}


@dataclass
class Wijkdeel:
    """One wijkdeel installation: its database, its settings, its working directory."""

    db: BenchDatabase
    workdir: Path
    port: int = field(default_factory=free_port)
    master_key: str = field(
        default_factory=lambda: base64.b64encode(secrets.token_bytes(32)).decode()
    )
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            **clean_env(),
            "WIJKDEEL_ENV": "development",
            "WIJKDEEL_DATABASE_URL": self.db.url,
            "WIJKDEEL_MASTER_KEY": self.master_key,
            "WIJKDEEL_ISSUER": self.base,
            "WIJKDEEL_VAR_DIR": str(self.workdir / "var"),
            "WIJKDEEL_TOKEN_TTL": "3600",
            # Rate limiting is per client: one bench client would otherwise be capped at 50/s.
            "WIJKDEEL_RATE_LIMIT": "1000000",
            "WIJKDEEL_RATE_BURST": "1000000",
            **self.extra_env,
        }

    def cli(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run `wijkdeel ARGS…` against this installation; raises with its stderr on failure."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        answer = subprocess.run(
            [str(WIJKDEEL), *args],
            env=self.env(),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if answer.returncode != 0:
            command = " ".join(args)
            raise ServiceError(
                f"`wijkdeel {command}` failed ({answer.returncode}):\n{answer.stderr[-3000:]}"
            )
        return answer

    def migrate(self) -> None:
        self.cli("migrate")

    def serve(self) -> Service:
        self.workdir.mkdir(parents=True, exist_ok=True)
        return spawn(
            f"wijkdeel serve ({self.db.backend})",
            [str(WIJKDEEL), "serve", "--no-worker", "--port", str(self.port)],
            env=self.env(),
            cwd=self.workdir,
            log=self.workdir / f"serve-{self.port}.log",
            port=self.port,
        )

    def popen(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        """A long-running `wijkdeel ARGS…` (e.g. `worker`), output to `log`."""
        with log.open("ab") as handle:
            return subprocess.Popen(
                [str(WIJKDEEL), *args],
                env=self.env(),
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )


def serve_baseline(db: BenchDatabase, workdir: Path) -> Service:
    """The baseline app under uvicorn with wijkdeel's server options: one process, no access
    log, no server header, proxy headers."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**clean_env(), "BENCH_BASELINE_DATABASE_URL": db.url}
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.baseline:app",
        "--app-dir",
        str(REPO),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--no-server-header",
        "--proxy-headers",
    ]
    return spawn(
        f"baseline ({db.backend})",
        argv,
        env=env,
        cwd=REPO,
        log=workdir / f"baseline-{port}.log",
        port=port,
    )


def seed_baseline(db: BenchDatabase, rows: int) -> list[str]:
    """Create the baseline's table and rows (in a subprocess: its models stay out of ours)."""
    return baseline_command(db, "seed", rows).split()


def baseline_command(db: BenchDatabase, command: str, number: int) -> str:
    """`python -m bench.baseline COMMAND NUMBER` on `db`; its standard output."""
    answer = subprocess.run(
        [sys.executable, "-m", "bench.baseline", command, str(number)],
        env={**clean_env(), "BENCH_BASELINE_DATABASE_URL": db.url},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if answer.returncode != 0:
        raise ServiceError(f"`bench.baseline {command}` failed:\n{answer.stderr[-3000:]}")
    return answer.stdout
