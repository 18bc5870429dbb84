"""The load generator: bounded HTTP load from a second process on 127.0.0.1.

`wrk` (Debian's package) with a generated Lua script when it is installed, otherwise an asyncio
client run as `python -m bench.load SPEC.json` — either way a process of its own, so the load
never shares an interpreter with the server or the suite. Every run is bounded: a fixed number of
connections for a fixed time (or a fixed number of requests).

Kinds of load:
- `read`: GET `path` + a random id from `ids`, with `headers` (the bearer token);
- `insert`: POST `path` with a realistic JSON body (a fresh valid BSN each time);
- `mixed`: `read`, with a share of `insert` requests on `write_path` with `write_headers`;
- `soak`: `mixed`, and as many again PATCHes of a random id's handling status by the reader
  (`write_share` each), always the asyncio client;
- `token`: POST a client-credentials grant with a fresh `private_key_jwt` assertion each time
  (always the asyncio client: every assertion is single-use and signed before the clock starts).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

# A signal as a kinderwerker would send it: all four content fields, no named recipients.
BSN_PLACEHOLDER = "000000000"
SIGNAL_BODY: dict[str, Any] = {
    "subject": {"bsn": BSN_PLACEHOLDER, "name": "Sam de Vries", "birthDate": "2017-03-02"},
    "category": "opvoeding",
    "urgency": "normal",
    "summary": "Vaak zonder ontbijt naar de club, oogt moe",
    "details": (
        "Sinds september komt Sam drie keer per week zonder ontbijt naar de naschoolse club. "
        "Hij is vaak moe, valt soms in slaap tijdens activiteiten en vertelde dat er thuis veel "
        "ruzie is. Moeder is moeilijk bereikbaar; de oudere zus haalt hem meestal op. "
        "Besproken met de coördinator op 12 november."
    ),
    "contact": {
        "name": "Petra Jansen",
        "phone": "06-12345678",
        "email": "petra@kinderwerk.example",
    },
}
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def elfproef_bsn(rng: random.Random, first: int | None = None) -> str:
    """A random nine-digit number that passes the elfproef."""
    while True:
        digits = [first if first is not None else rng.randint(1, 9)]
        digits += [rng.randint(0, 9) for _ in range(7)]
        check = sum(w * d for w, d in zip(range(9, 1, -1), digits, strict=True)) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


def signal_body(bsn: str) -> bytes:
    return json.dumps(SIGNAL_BODY, separators=(",", ":")).replace(BSN_PLACEHOLDER, bsn).encode()


@dataclass
class LoadSpec:
    kind: str
    base: str
    path: str
    seconds: float = 5.0
    connections: int = 16
    ids: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    write_path: str = ""
    write_headers: dict[str, str] = field(default_factory=dict)
    write_share: float = 0.2
    requests: int | None = None  # stop after this many (asyncio client only)
    timeout: float = 10.0
    # For `token`: the client that asks, and the key it signs its assertions with.
    client_id: str = ""
    private_pem: str = ""
    kid: str = ""
    purpose: str = ""
    seed: int = 1
    force_asyncio: bool = False


@dataclass
class LoadResult:
    tool: str
    requests: int
    ok: int
    errors: dict[str, int]
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        """Successful (2xx) responses per second."""
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def brief(self) -> str:
        errors = f", {self.error_count} errors {self.errors}" if self.error_count else ""
        return f"{self.rps:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms{errors}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rps": round(self.rps, 1)}


class LoadError(RuntimeError):
    pass


_wrk_checked: dict[str, str | None] = {}


def wrk_path(*, install: bool = True) -> str | None:
    """wrk, installed from Debian's packages once if it is missing and we may."""
    if "path" in _wrk_checked:
        return _wrk_checked["path"]
    path = shutil.which("wrk")
    if path is None and install and shutil.which("apt-get") and os.geteuid() == 0:
        print("· wrk not found: trying `apt-get install -y wrk` once", file=sys.stderr)
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "wrk"],
                capture_output=True,
                timeout=240,
                check=False,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
        path = shutil.which("wrk")
        if path is None:
            print("· wrk could not be installed: using the asyncio client", file=sys.stderr)
    _wrk_checked["path"] = path
    return path


def run(spec: LoadSpec) -> LoadResult:
    """One bounded load run from a second process."""
    use_wrk = (
        not spec.force_asyncio
        and spec.kind in ("read", "insert", "mixed")
        and spec.requests is None
        and wrk_path() is not None
    )
    return _run_wrk(spec) if use_wrk else _run_asyncio_process(spec)


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for ASCII


def _lua_headers(headers: dict[str, str]) -> str:
    pairs = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
    return "{" + pairs + "}"


def wrk_script(spec: LoadSpec) -> str:
    body = signal_body(BSN_PLACEHOLDER).decode()
    prefix, suffix = body.split(BSN_PLACEHOLDER)
    ids = ",\n".join(_lua_string(i) for i in spec.ids) if spec.ids else ""
    read_headers = _lua_headers(spec.headers)
    write_headers = _lua_headers(
        {"Content-Type": "application/json", **(spec.write_headers or spec.headers)}
    )
    write_path = spec.write_path or spec.path
    return f"""
local ids = {{
{ids}
}}
local n_ids = #ids
local read_path = {_lua_string(spec.path)}
local write_path = {_lua_string(write_path)}
local read_headers = {read_headers}
local write_headers = {write_headers}
local kind = {_lua_string(spec.kind)}
local write_share = {spec.write_share}
local body_prefix = {_lua_string(prefix)}
local body_suffix = {_lua_string(suffix)}

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", {spec.seed} * 1000 + threads)
end

function init(args)
  math.randomseed(seed or {spec.seed})
end

local function bsn()
  while true do
    local digits = {{math.random(3, 9)}}
    local total = digits[1] * 9
    for i = 2, 8 do
      local d = math.random(0, 9)
      digits[i] = d
      total = total + (10 - i) * d
    end
    local check = total % 11
    if check < 10 then
      return table.concat(digits) .. check
    end
  end
end

local function read()
  return wrk.format("GET", read_path .. ids[math.random(n_ids)], read_headers)
end

local function insert()
  return wrk.format("POST", write_path, write_headers, body_prefix .. bsn() .. body_suffix)
end

function request()
  if kind == "read" then
    return read()
  elseif kind == "insert" then
    return insert()
  elseif math.random() < write_share then
    return insert()
  else
    return read()
  end
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50": %d, "p90": %d, "p99": %d, "max": %d}}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def _run_wrk(spec: LoadSpec) -> LoadResult:
    wrk = wrk_path()
    assert wrk is not None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(wrk_script(spec))
        script = handle.name
    try:
        seconds = max(1, round(spec.seconds))
        answer = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{spec.connections}",
                f"-d{seconds}s",
                f"--timeout={int(spec.timeout)}s",
                "-s",
                script,
                spec.base,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + spec.timeout + 30,
            check=False,
        )
    finally:
        os.unlink(script)
    line = next((x for x in answer.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if answer.returncode != 0 or line is None:
        raise LoadError(f"wrk failed ({answer.returncode}): {answer.stderr.strip()[-500:]}")
    data = json.loads(line[len("WRKJSON ") :])
    socket_errors = {k: data[k] for k in ("connect", "read", "write", "timeout") if data[k]}
    errors = {**socket_errors, **({"non_2xx": data["status"]} if data["status"] else {})}
    return LoadResult(
        tool="wrk",
        requests=data["requests"],
        ok=max(0, data["requests"] - data["status"]),
        errors=errors,
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50"] / 1000,
        p90_ms=data["p90"] / 1000,
        p99_ms=data["p99"] / 1000,
        max_ms=data["max"] / 1000,
    )


def _run_asyncio_process(spec: LoadSpec) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(asdict(spec), handle)
        path = handle.name
    try:
        limit = (spec.seconds if spec.requests is None else 3600) + spec.timeout + 120
        answer = subprocess.run(
            [sys.executable, "-m", "bench.load", path],
            capture_output=True,
            text=True,
            timeout=limit,
            check=False,
            cwd=Path(__file__).resolve().parent.parent,
        )
    finally:
        os.unlink(path)
    if answer.returncode != 0:
        raise LoadError(f"asyncio load client failed: {answer.stderr.strip()[-1500:]}")
    data = json.loads(answer.stdout.strip().splitlines()[-1])
    data.pop("rps", None)
    return LoadResult(**data)


# --- the asyncio client (runs in its own process) -------------------------------------------


class _Requests:
    """Builds the raw HTTP/1.1 requests of one spec."""

    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        host = urlsplit(spec.base).netloc
        self.host = host
        self.assertions: list[str] = []
        if spec.kind == "token":
            self.assertions = self._assertions()

    def _assertions(self) -> list[str]:
        from jose import jwt

        spec = self.spec
        count = spec.requests or max(200, int(spec.seconds * 1000))
        audience = f"{spec.base}/v1/oauth/token"
        now = int(time.time())
        signed = []
        for _ in range(count):
            claims = {
                "iss": spec.client_id,
                "sub": spec.client_id,
                "aud": audience,
                "iat": now,
                "exp": now + 240,
                "jti": secrets.token_urlsafe(16),
            }
            signed.append(
                jwt.encode(claims, spec.private_pem, algorithm="ES256", headers={"kid": spec.kid})
            )
        signed.reverse()  # popped from the end
        return signed

    def _raw(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def _read(self) -> bytes:
        spec = self.spec
        return self._raw("GET", spec.path + self.rng.choice(spec.ids), spec.headers)

    def _insert(self) -> bytes:
        spec = self.spec
        headers = {"Content-Type": "application/json", **(spec.write_headers or spec.headers)}
        body = signal_body(elfproef_bsn(self.rng, first=self.rng.randint(3, 9)))
        return self._raw("POST", spec.write_path or spec.path, headers, body)

    def _patch(self) -> bytes:
        # Moving a handling status forward or back: 200 or 409, a write either way.
        spec = self.spec
        headers = {"Content-Type": "application/json", **spec.headers}
        status = self.rng.choice(("acknowledged", "in_progress"))
        body = json.dumps({"status": status}).encode()
        return self._raw("PATCH", spec.path + self.rng.choice(spec.ids), headers, body)

    def _token(self) -> bytes | None:
        if not self.assertions:
            return None
        form = {
            "grant_type": "client_credentials",
            "purpose": self.spec.purpose,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertions.pop(),
        }
        body = "&".join(f"{k}={quote(v, safe='')}" for k, v in form.items() if v).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self._raw("POST", self.spec.path, headers, body)

    def next(self) -> bytes | None:
        kind = self.spec.kind
        if kind == "read":
            return self._read()
        if kind == "insert":
            return self._insert()
        if kind == "mixed":
            return self._insert() if self.rng.random() < self.spec.write_share else self._read()
        if kind == "soak":
            draw = self.rng.random()
            if draw < self.spec.write_share:
                return self._insert()
            if draw < 2 * self.spec.write_share:
                return self._patch()
            return self._read()
        if kind == "token":
            return self._token()
        raise ValueError(f"unknown load kind {kind}")


async def _response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked, close = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            close = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, not close


async def _drive(spec: LoadSpec) -> LoadResult:
    requests = _Requests(spec)
    parts = urlsplit(spec.base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    issued = 0
    started = time.perf_counter()
    deadline = started + spec.seconds if spec.requests is None else float("inf")
    finished_at = started

    def claim() -> bytes | None:
        nonlocal issued
        if time.perf_counter() >= deadline:
            return None
        if spec.requests is not None and issued >= spec.requests:
            return None
        request = requests.next()
        if request is not None:
            issued += 1
        return request

    async def connection() -> None:
        nonlocal finished_at
        reader = writer = None
        while True:
            request = claim()
            if request is None:
                break
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                assert reader is not None
                before = time.perf_counter()
                writer.write(request)
                async with asyncio.timeout(spec.timeout):
                    status, keep = await _response(reader)
                latencies.append(time.perf_counter() - before)
                statuses[status] += 1
                if not keep:
                    writer.close()
                    reader = writer = None
            except TimeoutError:
                errors["timeout"] += 1
                if writer:
                    writer.close()
                reader = writer = None
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                errors["connect"] += 1
                if writer:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.01)
        finished_at = max(finished_at, time.perf_counter())
        if writer:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(spec.connections)))
    elapsed = finished_at - started
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
    non_2xx = sum(statuses.values()) - ok
    all_errors = dict(errors) | ({"non_2xx": non_2xx} if non_2xx else {})
    return LoadResult(
        tool="asyncio",
        requests=sum(statuses.values()),
        ok=ok,
        errors=all_errors,
        seconds=elapsed,
        p50_ms=pct(50),
        p90_ms=pct(90),
        p99_ms=pct(99),
        max_ms=latencies[-1] * 1000 if latencies else 0.0,
        statuses={str(k): v for k, v in sorted(statuses.items())},
    )


def main(argv: list[str]) -> int:
    spec = LoadSpec(**json.loads(Path(argv[0]).read_text()))
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(_drive(spec))
    else:
        result = uvloop.run(_drive(spec))
    print(json.dumps(result.as_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
