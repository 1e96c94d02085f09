"""Gateway throughput and latency: the full policy chain against nginx, a bare proxy and no proxy at all.

Why: the gateway sits in front of every public call, so what it adds is paid on every request. This measures,
in one run on loopback and against the same upstream, requests per second and p50/p99 latency at 1 and at 32
connections for:

* the upstream called directly (the floor);
* nginx proxying to it (a C proxy with pooled upstream connections; one worker);
* a bare Litestar proxy on uvicorn that forwards with httpx's default transport (no policy at all);
* the full gateway chain, ``omnigate serve gateway`` (uvicorn on uvloop), with Redis: JWT verification, the
  revocation check and the GCRA rate limits (pool + plan; one Redis round trip), the version lifecycle check,
  usage recording, the bulkhead, tracing, the access log (written to a file) and the proxy;
* the same with two worker processes (``omnigate serve gateway --workers 2``), and the same app served by granian
  with one and two workers (:func:`create_gateway_asgi` is its factory), so the server is chosen by measurement.

Every server runs at once; load comes from wrk, in rounds that interleave the rows (each cell is the median of its
rounds), and latency percentiles are wrk's. Client, servers and upstream share the machine's cores, so compare rows
of one run, not runs across machines.

    apt-get install -y nginx wrk   # wrk is required; without nginx its row is skipped
    .venv/bin/pip install granian  # optional; without it its row is skipped
    .venv/bin/python bench/gateway.py [--rounds 3] [--duration 5] [--warmup 2] [--redis-url redis://127.0.0.1:6379/15]
                                      [--baseline /tmp/base] [--profile gateway.collapsed] [--record]

``--baseline DIR`` also runs ``omnigate serve gateway`` (one process, and two workers) from another source tree
(``git worktree add /tmp/base HEAD`` or ``git archive HEAD | tar -x -C /tmp/base``), so a change to the gateway is
measured before and after in the same run (runs minutes apart on a shared machine differ more than most
changes). ``--profile`` samples the uvicorn gateway with py-spy (``pip install py-spy``) during an extra
32-connection run (not in the table) and writes collapsed stacks (open them in speedscope or flamegraph.pl).
``--record`` appends the run to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.metadata
import json
import os
import platform
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import redis

if TYPE_CHECKING:
    from litestar.types import ASGIApp

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PATH = "/inventory/v1/availability?sku=X"
BODY = '{"sku":"X","available_to_sell":146,"positions":[]}'
CONNECTIONS = (1, 32)

LITESTAR_UPSTREAM = """
from litestar import Litestar, get

@get("/inventory/v1/availability", sync_to_thread=False)
def availability(sku: str) -> dict[str, object]:
    return {"sku": sku, "available_to_sell": 146, "positions": []}

app = Litestar([availability])
"""

BARE_PROXY = """
import httpx
from litestar import Litestar, Request, Response, route

client = httpx.AsyncClient(base_url={upstream!r})  # httpx's default transport and pool

@route("/{{path:path}}", http_method=["GET"])
async def proxy(request: Request, path: str) -> Response[bytes]:
    target = request.url.path + ("?" + request.url.query if request.url.query else "")
    upstream = await client.get(target, headers={{"authorization": request.headers.get("authorization", "")}})
    return Response(upstream.content, status_code=upstream.status_code, media_type=upstream.headers["content-type"])

app = Litestar([proxy], on_shutdown=[client.aclose])
"""

NGINX_COMMON = """
worker_processes 1;
daemon off;
pid {tmp}/nginx-{name}.pid;
error_log {tmp}/nginx-{name}.err warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 10000000;
  client_body_temp_path {tmp}/nginx-{name}-body;
  proxy_temp_path {tmp}/nginx-{name}-proxy;
  fastcgi_temp_path {tmp}/nginx-{name}-fastcgi;
  uwsgi_temp_path {tmp}/nginx-{name}-uwsgi;
  scgi_temp_path {tmp}/nginx-{name}-scgi;
{body}
}}
"""

NGINX_UPSTREAM = """
  server {{
    listen 127.0.0.1:{port};
    location / {{ default_type application/json; return 200 '{body}'; }}
  }}
"""

NGINX_PROXY = """
  upstream backend {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{ proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}
"""

ROUTES = """
# Written by bench/gateway.py: one OAuth route to the bench upstream, limits far above what the bench sends.
[plans.standard]
rate = 50

[plans.anonymous]
rate = 10

[plans.bench]
rate = 1000000
burst = 1000000

[pool]
rate = 1000000
burst = 1000000
reserved_for_customer = 0

[upstreams.inventory]
max_concurrency = 256
queue_timeout = 1.0

[[routes]]
api = "inventory"
versions = [1]
upstream = "inventory"
class = "customer"
read_scopes = ["inventory:read"]
"""

WRK_SCRIPT = """
wrk.headers["Authorization"] = "Bearer {token}"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non_2xx": %d, "socket_errors": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def create_gateway_asgi() -> ASGIApp:
    """Granian's factory (``bench.gateway:create_gateway_asgi``): the gateway built as ``omnigate serve gateway``
    builds it (``omnigate/runtime.py::serve_one``), from the same ``OMNIGATE_*`` variables.

    Imports are local: run as a script, this file's directory is first on ``sys.path`` and would shadow the
    ``gateway`` package.
    """
    from omnigate.catalog import get_service
    from omnigate.runtime import build_bus, freeze_startup_objects
    from service_kit.app import ServiceRuntime
    from service_kit.http.registry import ServiceRegistry
    from service_kit.settings import Settings
    from service_kit.telemetry import configure_logging, configure_tracing, instrument_asgi

    settings = Settings.from_env()
    configure_logging("gateway", level=settings.log_level, fmt=settings.log_format)
    configure_tracing("gateway", settings.otel_exporter)
    bus = build_bus(settings)
    runtime = ServiceRuntime(settings=settings, registry=ServiceRegistry(settings.service_urls), bus=bus)
    app = get_service("gateway").create_app(runtime)
    app.on_shutdown.append(bus.aclose)
    app.on_startup.append(freeze_startup_objects)
    return instrument_asgi(app)


@dataclass(frozen=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Processes:
    """Servers started by the bench; every one is stopped on the way out, whatever happens."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    @contextlib.contextmanager
    def running(
        self, name: str, command: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT
    ) -> Iterator[int]:
        log = (self.tmp / f"{name}.log").open("ab")
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def wait_until_up(base: str, what: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(base + PATH, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
    raise SystemExit(f"{what} did not start on {base}; its log ends with:\n{tail}")


def check(base: str, token: str, *, gateway: bool) -> None:
    """One request before measuring: it must succeed (and, through the gateway, carry the policy headers)."""
    response = httpx.get(base + PATH, headers={"authorization": f"Bearer {token}"}, timeout=5)
    if response.status_code != 200 or response.json().get("sku") != "X":
        raise SystemExit(f"{base}{PATH} answered {response.status_code}: {response.text[:500]}")
    if gateway:
        missing = [h for h in ("ratelimit", "ratelimit-policy", "x-trace-id") if h not in response.headers]
        if missing:
            raise SystemExit(f"the gateway's answer lacks {missing}: is the policy chain running?")


def wrk(base: str, script: Path, connections: int, seconds: float) -> Result:
    threads = 1 if connections == 1 else 2
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(script),
        base + PATH,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^BENCH (.*)$", output, re.MULTILINE)
    if match is None:
        raise SystemExit(f"could not read wrk's output:\n{output}")
    raw = json.loads(match.group(1))
    return Result(
        rps=raw["requests"] / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        errors=raw["non_2xx"] + raw["socket_errors"],
    )


@dataclass(frozen=True)
class Target:
    name: str
    base: str
    gateway: bool
    log: Path | None = None
    """The gateway's log, where its access log goes."""


def measure(targets: list[Target], script: Path, args: argparse.Namespace) -> dict[str, dict[int, Result]]:
    """Every target at every connection count, ``--rounds`` times, interleaved (the order rotates each round) so
    that a slow spell of a shared machine spreads over the rows; each cell is the median of its rounds."""
    for target in targets:
        for connections in CONNECTIONS:
            wrk(target.base, script, connections, args.warmup)
    runs: dict[tuple[str, int], list[Result]] = {(t.name, c): [] for t in targets for c in CONNECTIONS}
    for round_ in range(args.rounds):
        order = targets[round_ % len(targets) :] + targets[: round_ % len(targets)]
        for connections in CONNECTIONS:
            for target in order:
                r = wrk(target.base, script, connections, args.duration)
                runs[(target.name, connections)].append(r)
                print(f"  round {round_ + 1} {connections:>2} conns {r.rps:8.0f} req/s  p50 {r.p50_ms:6.2f} ms", end="")
                print(f"  p99 {r.p99_ms:7.2f} ms  errors {r.errors}  {target.name}")
    return {
        target.name: {
            connections: Result(
                rps=statistics.median(r.rps for r in runs[(target.name, connections)]),
                p50_ms=statistics.median(r.p50_ms for r in runs[(target.name, connections)]),
                p99_ms=statistics.median(r.p99_ms for r in runs[(target.name, connections)]),
                errors=sum(r.errors for r in runs[(target.name, connections)]),
            )
            for connections in CONNECTIONS
        }
        for target in targets
    }


def nginx_config(tmp: Path, name: str, body: str) -> Path:
    for kind in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / f"nginx-{name}-{kind}").mkdir(exist_ok=True)
    path = tmp / f"nginx-{name}.conf"
    path.write_text(NGINX_COMMON.format(tmp=tmp, name=name, body=body))
    return path


def nginx_command(tmp: Path, config: Path) -> list[str]:
    return ["nginx", "-p", str(tmp), "-e", str(tmp / "nginx-startup.err"), "-c", str(config)]


def omnigate(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "omnigate"), *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"omnigate {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def access_log_lines(log: Path) -> int:
    with log.open(errors="replace") as lines:
        return sum('"omnigate.gateway.access"' in line for line in lines)


def version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_note(upstream_kind: str, load_before: float) -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    nginx_version = "not installed"
    if shutil.which("nginx"):
        nginx_version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip().split("/")[-1]
    return (
        f"{os.cpu_count()} cores ({cpu}), Linux {platform.release()}, Python {platform.python_version()}; "
        f"wrk, gateway and upstream share the cores (no pinning). Upstream: {upstream_kind}. "
        f"uvicorn {version('uvicorn')} (uvloop + httptools), granian {version('granian')} (uvloop), "
        f"litestar {version('litestar')}, nginx {nginx_version} (1 worker). 1-minute load average before the run "
        f"{load_before:.2f}, after {os.getloadavg()[0]:.2f} (the bench alone keeps both cores busy: ~2)."
    )


def render(rows: dict[str, dict[int, Result] | str], args: argparse.Namespace, note: str) -> str:
    lines = [
        "| setup | 1 conn req/s | p50 ms | p99 ms | 32 conns req/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        if isinstance(row, str):
            lines.append(f"| {name} | skipped: {row} |||||||")
            continue
        one, many = row[1], row[32]
        lines.append(
            f"| {name} | {one.rps:.0f} | {one.p50_ms:.2f} | {one.p99_ms:.2f} "
            f"| {many.rps:.0f} | {many.p50_ms:.2f} | {many.p99_ms:.2f} | {one.errors + many.errors} |"
        )
    direct = rows.get("direct upstream")
    lines.append("")
    chains = [name for name in rows if name.startswith("full chain")]
    for name in chains:
        chain = rows.get(name)
        if isinstance(chain, dict) and isinstance(direct, dict):
            added = chain[1].p50_ms - direct[1].p50_ms
            lines.append(
                f"* {name}: added p50 at 1 connection {added:.2f} ms (target ≤ 1 ms); "
                f"{chain[32].rps:.0f} req/s at 32 connections (target ≥ 3000)."
            )
    header = [
        f"Every server up at once; after a {args.warmup:g} s warm-up of each, {args.rounds} rounds of "
        f"{args.duration:g} s wrk runs per cell, interleaved (the row order rotates each round); each cell is the "
        "median of its rounds, errors (non-2xx and socket errors) their sum. wrk: 1 thread at 1 connection, "
        "2 threads at 32; latency percentiles are wrk's.",
        "",
        f"Machine: {note}",
        "",
    ]
    return "\n".join(header + lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per cell (the median is reported)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per target and connection count")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15", help="Redis for the rate limits")
    parser.add_argument("--upstream", choices=["auto", "nginx", "litestar"], default="auto")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also run the uvicorn chain from this source tree (e.g. `git worktree add /tmp/base HEAD`)",
    )
    parser.add_argument("--profile", type=Path, help="write py-spy collapsed stacks of the uvicorn gateway here")
    parser.add_argument("--record", action="store_true", help="append this run to bench/RESULTS.md")
    parser.add_argument("--title", default="", help="words added to the recorded section's heading")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is required: apt-get install -y wrk (and nginx for its row)")
    has_nginx = shutil.which("nginx") is not None
    if not has_nginx:
        print("nginx is not installed: its row is skipped (apt-get install -y nginx)")
    upstream_kind = args.upstream if args.upstream != "auto" else ("nginx" if has_nginx else "litestar")
    if upstream_kind == "nginx" and not has_nginx:
        raise SystemExit("--upstream nginx needs nginx: apt-get install -y nginx")
    has_granian = version("granian") != "not installed"
    if not has_granian:
        print("granian is not installed: its row is skipped (.venv/bin/pip install granian)")
    prefix = f"omnigate-bench-{os.getpid()}:"
    store = redis.Redis.from_url(args.redis_url)
    try:
        store.ping()
    except redis.RedisError as exc:
        raise SystemExit(f"the full chain needs Redis at {args.redis_url}: {exc}") from exc

    skipped: dict[str, str] = {}
    order: list[str] = []  # rows in the order they were set up, skipped ones included
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="omnigate-bench-") as directory:
        tmp = Path(directory)
        servers = Processes(tmp)
        with contextlib.ExitStack() as stack:
            targets: list[Target] = []

            def start(log: str, command: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> str:
                """Start a server on a fresh port (``{port}`` in its command) and wait until it answers."""
                port = str(free_port())
                command = [part.replace("{port}", port) for part in command]
                gateway_env = None if env is None else {**env, "OMNIGATE_PORT": port}
                pids[log] = stack.enter_context(servers.running(log, command, gateway_env, cwd))
                base = f"http://127.0.0.1:{port}"
                wait_until_up(base, log, tmp / f"{log}.log")
                return base

            pids: dict[str, int] = {}
            if upstream_kind == "nginx":
                port = free_port()
                config = nginx_config(tmp, "upstream", NGINX_UPSTREAM.format(port=port, body=BODY))
                stack.enter_context(servers.running("upstream", nginx_command(tmp, config)))
                upstream_kind = "nginx `return 200` with a 51-byte JSON body (1 worker)"
            else:
                port = free_port()
                serve = f"\nimport uvicorn\nuvicorn.run(app, port={port}, log_level='warning')"
                stack.enter_context(servers.running("upstream", [sys.executable, "-c", LITESTAR_UPSTREAM + serve]))
                upstream_kind = "a one-route Litestar app on uvicorn returning a small JSON body"
            upstream = f"http://127.0.0.1:{port}"
            wait_until_up(upstream, "the upstream", tmp / "upstream.log")
            targets.append(Target("direct upstream", upstream, gateway=False))
            order.append("direct upstream")

            name = "nginx proxy (1 worker, keepalive pool)"
            order.append(name)
            if has_nginx:
                port = free_port()
                config = nginx_config(
                    tmp, "proxy", NGINX_PROXY.format(port=port, upstream_port=upstream.rsplit(":", 1)[1])
                )
                stack.enter_context(servers.running("nginx-proxy", nginx_command(tmp, config)))
                base = f"http://127.0.0.1:{port}"
                wait_until_up(base, "the nginx proxy", tmp / "nginx-proxy.log")
                targets.append(Target(name, base, gateway=False))
            else:
                skipped[name] = "nginx not installed (apt-get install -y nginx)"

            bare = (
                BARE_PROXY.format(upstream=upstream)
                + "\nimport uvicorn\nuvicorn.run(app, port={port}, log_level='warning')"
            )
            name = "bare Litestar + httpx default transport, uvicorn"
            targets.append(Target(name, start("bare-proxy", [sys.executable, "-c", bare]), gateway=False))
            order.append(name)

            env = {
                **os.environ,
                "OMNIGATE_DATA_DIR": str(tmp),
                "OMNIGATE_GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'gateway.db'}",
                "OMNIGATE_REDIS_URL": args.redis_url,
                "OMNIGATE_BUS_PREFIX": prefix,
                "OMNIGATE_ROUTES_FILE": str(tmp / "routes.toml"),
                "OMNIGATE_INVENTORY_URL": upstream,
                "OMNIGATE_ISSUER": "http://127.0.0.1",  # one issuer for every gateway (loopback: http is allowed)
                "OMNIGATE_LOG_LEVEL": "INFO",  # the access log is part of the chain
                "OMNIGATE_LOG_FORMAT": "json",
            }
            (tmp / "routes.toml").write_text(ROUTES)
            omnigate(env, "db", "upgrade", "--service", "gateway")
            create = ("clients", "create", "--name", "bench", "--scopes", "inventory:read", "--tenant", "demo")
            client = json.loads(omnigate(env, *create, "--plan", "bench"))

            name = "full chain, uvicorn (`omnigate serve`)"
            gateway = start("gateway-uvicorn", [str(BIN / "omnigate"), "serve", "gateway", "--port", "{port}"], env)
            targets.append(Target(name, gateway, gateway=True, log=tmp / "gateway-uvicorn.log"))
            order.append(name)
            if args.baseline is not None:  # the same command from another tree: a before/after in one run
                name = "full chain, uvicorn (`omnigate serve`), baseline tree"
                command = [sys.executable, "-c", "from omnigate.cli import main; main()", "serve", "gateway"]
                command += ["--port", "{port}"]
                baseline = start("gateway-baseline", command, {**env, "PYTHONPATH": str(args.baseline)}, args.baseline)
                targets.append(Target(name, baseline, gateway=True, log=tmp / "gateway-baseline.log"))
                order.append(name)
            # Two processes on the one port: the chain is CPU-bound in one Python process, and the machine has two
            # cores (shared with wrk, nginx and Redis here). Limits stay exact: both processes share Redis.
            name = "full chain, uvicorn, 2 workers (`omnigate serve --workers 2`)"
            command = [str(BIN / "omnigate"), "serve", "gateway", "--port", "{port}", "--workers", "2"]
            served = start("gateway-workers", command, env)
            targets.append(Target(name, served, gateway=True, log=tmp / "gateway-workers.log"))
            order.append(name)
            if args.baseline is not None:  # the headline row's before/after, in the same run
                name = "full chain, uvicorn, 2 workers, baseline tree"
                command = [sys.executable, "-c", "from omnigate.cli import main; main()", "serve", "gateway"]
                command += ["--port", "{port}", "--workers", "2"]
                environment = {**env, "PYTHONPATH": str(args.baseline)}
                baseline = start("gateway-workers-baseline", command, environment, args.baseline)
                targets.append(Target(name, baseline, gateway=True, log=tmp / "gateway-workers-baseline.log"))
                order.append(name)
            for workers in (1, 2):  # the server is chosen by measurement: granian beside uvicorn, 1 and 2 workers
                name = "full chain, granian" + (f", {workers} workers" if workers > 1 else "")
                order.append(name)
                if not has_granian:
                    skipped[name] = "granian not installed (.venv/bin/pip install granian)"
                    continue
                command = [
                    str(BIN / "granian"),
                    *("--interface", "asgi", "--factory", "--workers", str(workers), "--loop", "uvloop"),
                    *("--http", "1", "--no-ws", "--log-level", "warning", "--host", "127.0.0.1", "--port", "{port}"),
                    "bench.gateway:create_gateway_asgi",
                ]
                log = f"gateway-granian-{workers}"
                targets.append(Target(name, start(log, command, env), gateway=True, log=tmp / f"{log}.log"))

            issued = httpx.post(
                gateway + "/oauth/token",
                auth=(client["client_id"], client["client_secret"]),
                data={"grant_type": "client_credentials", "scope": "inventory:read"},
            )
            if issued.status_code != 200:
                raise SystemExit(f"POST /oauth/token answered {issued.status_code}: {issued.text}")
            token = issued.json()["access_token"]
            script = tmp / "auth.lua"
            script.write_text(WRK_SCRIPT.format(token=token))
            for target in targets:
                check(target.base, token, gateway=target.gateway)
            print(f"upstream: {upstream_kind}; {len(targets)} targets, {args.rounds} rounds")
            measured = measure(targets, script, args)
            if args.profile is not None:
                profile(pids["gateway-uvicorn"], gateway, script, args)
            for target in targets:
                if target.log is not None:  # the access log is part of the chain: check that it was written
                    print(f"access log lines written by {target.name}: {access_log_lines(target.log)}")
        for key in store.scan_iter(f"{prefix}*"):
            store.delete(key)
    rows: dict[str, dict[int, Result] | str] = {name: measured.get(name) or skipped[name] for name in order}

    table = render(rows, args, machine_note(upstream_kind, load_before))
    print("\n" + table)
    if args.record:
        reproduce = "`" + shlex.join([".venv/bin/python", "bench/gateway.py", *sys.argv[1:]]) + "`"
        heading = f"## Gateway chain (`bench/gateway.py`), {datetime.date.today().isoformat()}"
        section = f"\n\n{heading}{' — ' + args.title if args.title else ''}\n\nReproduce: {reproduce}\n\n{table}\n"
        with (ROOT / "bench" / "RESULTS.md").open("a") as results:
            results.write(section)
        print("\nappended to bench/RESULTS.md")


def profile(pid: int, base: str, script: Path, args: argparse.Namespace) -> None:
    """Sample the gateway with py-spy during an extra 32-connection run (its numbers are not in the table)."""
    py_spy = BIN / "py-spy"
    if not py_spy.exists():
        print("    py-spy is not installed (.venv/bin/pip install py-spy): no profile")
        return
    seconds = int(args.duration)
    sampler = subprocess.Popen(
        [str(py_spy), "record", "-p", str(pid), "-d", str(seconds), "-r", "200", "-f", "raw", "-o", str(args.profile)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1)
    wrk(base, script, 32, seconds)
    _, error = sampler.communicate(timeout=60)
    if sampler.returncode != 0:
        print(f"    py-spy failed: {error.decode(errors='replace')[-500:]}")
    else:
        print(f"    profile written to {args.profile}")


if __name__ == "__main__":
    main()
