"""`wijkdeel keys rewrap` of 100,000 signals' data keys: wall time, rate, and memory.

Seeding goes straight through the records layer, as fast as it can: the data keys a signal
gets (`records.fields` wraps a fresh AES-256 key under the current master key version, with the
key's id as context), bulk-inserted while the keyring still has version 1 only. Then, as an
operator would: `wijkdeel keys rotate-master`, and `wijkdeel keys rewrap` on a pseudo-terminal
(so its progress bar renders as a user sees it), with /proc/PID/status polled for VmRSS and
VmHWM. Rewrap deliberately waits until the new master key version is older than every process's
keyring refresh interval (11 s) before its last pass; the bench lets that interval pass before it
starts the clock, so the figure is the work, not the wait.
"""

from __future__ import annotations

import base64
import contextlib
import os
import pty
import re
import select
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench import databases
from bench.report import Figure
from bench.server import WIJKDEEL, Wijkdeel, _die_with_parent, _proc_status
from records.db import Database
from records.keyring import Keyring

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PROGRESS = re.compile(r"rewrapping.*?(\d+)/(\d+)")
DONE = re.compile(r"rewrapped (\d+) key\(s\).*\(([\d,]+)/s\)")
CHUNK = 10_000


def seed_data_keys(database: Database, keyring: Keyring, count: int) -> int:
    """`count` data keys wrapped as `records.fields.new_data_key` wraps them, bulk-inserted."""
    from sqlalchemy import insert

    from records.fields import _wrap_context
    from records.models import DataKey

    now = datetime.now(UTC)
    table = DataKey.__table__  # type: ignore[attr-defined]
    version = keyring.current_version
    for start in range(0, count, CHUNK):
        rows = []
        for _ in range(min(CHUNK, count - start)):
            key_id = str(uuid.uuid4())
            version, wrapped = keyring.seal(os.urandom(32), context=_wrap_context(key_id))
            rows.append(
                {"id": key_id, "wrapped": wrapped, "wrap_version": version, "created_at": now}
            )
        with database.engine.begin() as conn:
            conn.execute(insert(table), rows)
    return version


def verify(url: str, root: bytes, version: int, sample: int = 200) -> tuple[int, int]:
    """(keys still wrapped under an older version, sampled keys that failed to open)."""
    from sqlalchemy import func, select

    from records.db import Database
    from records.fields import unwrap
    from records.keyring import KeyringStore
    from records.models import DataKey

    database = Database(url)
    try:
        store = KeyringStore(database, root, lambda: datetime.now(UTC))
        with database.read_session() as session:
            stale = session.scalar(
                select(func.count()).select_from(DataKey).where(DataKey.wrap_version < version)
            )
            rows = list(session.scalars(select(DataKey).limit(sample)))
        failed = 0
        for row in rows:
            try:
                unwrap(store, row.id, row.wrap_version, row.wrapped)
            except Exception:
                failed += 1
        return int(stale or 0), failed
    finally:
        database.dispose()


def _run_on_pty(installation: Wijkdeel, args: list[str]) -> dict[str, object]:
    master, slave = pty.openpty()
    env = {**installation.env(), "COLUMNS": "100", "TERM": "xterm"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(WIJKDEEL), *args],
        env=env,
        cwd=installation.workdir,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        preexec_fn=_die_with_parent,
    )
    os.close(slave)
    output = bytearray()
    samples: list[tuple[float, int, int, int]] = []  # (t, done, total, rss KiB)
    hwm = 0
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                output += chunk
            rss = _proc_status(process.pid, "VmRSS")
            hwm = max(hwm, _proc_status(process.pid, "VmHWM") or 0)
            found = PROGRESS.findall(ANSI.sub("", output[-400:].decode(errors="replace")))
            if rss and found:
                done, total = map(int, found[-1])
                samples.append((time.perf_counter() - started, done, total, rss))
            if process.poll() is not None and not ready:
                break
        process.wait(timeout=600)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    wall = time.perf_counter() - started
    text = ANSI.sub("", output.decode(errors="replace"))
    frames = [f.strip() for f in re.split(r"[\r\n]", text) if "rewrapping" in f]
    return {
        "returncode": process.returncode,
        "wall": wall,
        "samples": samples,
        "hwm_kib": hwm,
        "text": text,
        "frames": frames,
    }


def figure(backend: str, workdir: Path, *, count: int) -> Figure:
    with contextlib.ExitStack() as cleanup:
        db = databases.create(backend, "wijkdeel_bench_rewrap", workdir)
        cleanup.callback(db.drop)
        installation = Wijkdeel(db, workdir / f"rewrap-{backend}")
        installation.migrate()
        root = base64.b64decode(installation.master_key)
        # Version 1 is what every installation has from its first start. Keep that keyring, rotate,
        # and seed under version 1 while the new version settles: signals written before the
        # rotation.
        from records.keyring import KeyringStore

        database = Database(db.url)
        cleanup.callback(database.dispose)
        v1 = KeyringStore(database, root, lambda: datetime.now(UTC)).get()
        installation.cli("keys", "rotate-master")
        rotated = time.monotonic()
        seeded_at = time.perf_counter()
        old_version = seed_data_keys(database, v1, count)
        seed_s = time.perf_counter() - seeded_at
        print(
            f"    rewrap ({backend}): {count:,} data keys seeded in {seed_s:.1f} s", file=sys.stderr
        )
        settle = KeyringStore.REFRESH_SECONDS + 1.5 - (time.monotonic() - rotated)
        if settle > 0:
            time.sleep(settle)
        run = _run_on_pty(installation, ["keys", "rewrap"])
        if run["returncode"] != 0:
            raise RuntimeError(f"wijkdeel keys rewrap failed:\n{str(run['text'])[-2000:]}")
        stale, failed = verify(db.url, root, old_version + 1)
    text = str(run["text"])
    done_match = DONE.search(text)
    printed_rate = done_match.group(2) if done_match else "?"
    samples = list(run["samples"])  # type: ignore[call-overload]
    wall = float(run["wall"])  # type: ignore[arg-type]
    frames = list(run["frames"])  # type: ignore[call-overload]
    hwm_mib = int(run["hwm_kib"]) / 1024  # type: ignore[call-overload]
    working = [s for s in samples if 0 < s[1] < s[2]] or samples
    rss_early = working[0][3] / 1024 if working else float("nan")
    rss_late = working[-1][3] / 1024 if working else float("nan")
    growth = rss_late / rss_early - 1 if working else float("nan")
    constant = growth <= 0.10 and hwm_mib <= rss_early * 1.15
    bar = frames[-1] if frames else "(no progress bar seen)"
    ok = stale == 0 and failed == 0 and bool(frames) and printed_rate != "?" and constant
    print(f"    rewrap ({backend}) progress bar: {bar}", file=sys.stderr)
    return Figure(
        f"wijkdeel keys rewrap of {count:,} signals' data keys ({backend})",
        f"{wall:.1f} s, {count / wall:,.0f}/s (printed {printed_rate}/s); RSS {rss_early:.0f} → "
        f"{rss_late:.0f} MiB, peak {hwm_mib:.0f}; bar {'shown' if frames else 'MISSING'}",
        "constant memory, progress bar, rate printed",
        "yes" if ok else "no",
        None,
        {
            "wall_s": wall,
            "printed_rate": printed_rate,
            "rss_first_batch_mib": rss_early,
            "rss_last_batch_mib": rss_late,
            "peak_mib": hwm_mib,
            "rss_growth": growth,
            "rss_samples": [
                (round(t, 2), d, n, round(r / 1024, 1))
                for t, d, n, r in samples[:: max(1, len(samples) // 40)]
            ],
            "progress_bar": bar,
            "stale_after": stale,
            "sample_unwrap_failures": failed,
            "last_output": text.strip().splitlines()[-3:],
        },
    )
