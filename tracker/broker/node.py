"""One local Apache Kafka node in KRaft mode (broker + controller) on 127.0.0.1.

Layout under ``data_dir``: ``server.properties``, ``log4j2.properties``,
``kafka-data/`` (formatted once), ``logs/server.log`` (rolled over by size), ``broker.pid``.
Start and stop are idempotent; readiness means a metadata request succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tracker.broker.jars import require_tool, resolve_kafka
from tracker.errors import ConfigError

log = logging.getLogger(__name__)

LOG_FILE_KB = 20 * 1024
LOG_BACKUPS = 4
"""The node's log rolls over at LOG_FILE_KB into server.log.1 … .LOG_BACKUPS, the oldest dropped:
at most 100 MB. A client the broker refuses (an out-of-sequence producer) once grew it by
4 MB in 17 minutes, and nothing ever removed it."""

_LOG4J2 = """status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = {log_file}
appender.file.filePattern = {log_file}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = {max_kb} KB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = {backups}
appender.file.strategy.fileIndex = min
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = info
logger.state.name = state.change.logger
logger.state.level = warn
"""

_RELOAD4J = """log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File={log_file}
log4j.appender.file.MaxFileSize={max_kb}KB
log4j.appender.file.MaxBackupIndex={backups}
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
"""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port the OS considers free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child still answers kill(0); reap it if it is ours
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


async def _metadata_ok(bootstrap: str, timeout_s: float) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        await asyncio.wait_for(admin.describe_cluster(), timeout_s)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready yet"
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


def _accepts_tcp(bootstrap: str) -> bool:
    """True when any of the bootstrap servers (host:port, port 9092 when left out) accepts TCP."""
    for server in bootstrap.split(","):
        host, sep, port = server.strip().rpartition(":")
        if not sep:
            host, port = server.strip(), "9092"
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=1.0):
                return True
        except (OSError, ValueError):
            continue
    return False


def broker_answers(bootstrap: str, timeout_s: float = 3.0) -> bool:
    """True when a Kafka metadata request to ``bootstrap`` succeeds."""
    if not _accepts_tcp(bootstrap):
        return False
    quiet = logging.getLogger("aiokafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        return asyncio.run(_metadata_ok(bootstrap, timeout_s))
    finally:
        quiet.setLevel(level)


@dataclass
class KafkaNode:
    """A single-node KRaft Kafka managed by tracker."""

    data_dir: Path
    cache_dir: Path
    port: int = 9092
    controller_port: int | None = None
    version: str = "4.1.1"
    heap: str = "1g"
    jvm_options: tuple[str, ...] = ()
    """Further JVM options of the node (a test session's short-lived node: ``-XX:TieredStopAtLevel=1``)."""

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "logs" / "server.log"

    @property
    def _controller_port(self) -> int:
        return self.controller_port or self.port + 1

    def pid(self) -> int | None:
        """Pid of the running node started from this data dir, if any."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def status(self) -> str:
        """``running``, ``starting`` (process up, not answering) or ``stopped``."""
        if self.pid() is None:
            return "stopped"
        return "running" if broker_answers(self.bootstrap) else "starting"

    def _write_config(self) -> Path:
        kafka_data = self.data_dir / "kafka-data"
        cport = self._controller_port
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{cport}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{cport}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(kafka_data),
            "num.partitions": "4",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "8",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
            "log.retention.hours": "168",
            "log.segment.bytes": str(256 * 1024 * 1024),
        }
        if not self.version.startswith("3."):
            props["share.coordinator.state.topic.replication.factor"] = "1"
            props["share.coordinator.state.topic.min.isr"] = "1"
        path = self.data_dir / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        return path

    def _logging_opts(self) -> list[str]:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        if self.version.startswith("3."):
            cfg = self.data_dir / "log4j.properties"
            cfg.write_text(_RELOAD4J.format(log_file=self.log_file, max_kb=LOG_FILE_KB, backups=LOG_BACKUPS))
            return [f"-Dlog4j.configuration=file:{cfg}"]
        cfg = self.data_dir / "log4j2.properties"
        cfg.write_text(_LOG4J2.format(log_file=self.log_file, max_kb=LOG_FILE_KB, backups=LOG_BACKUPS))
        return [f"-Dlog4j2.configurationFile={cfg}"]

    def _java(self, libs: Path, *args: str) -> list[str]:
        java = require_tool("java", "Install Java 17 (Debian: apt-get install openjdk-17-jre-headless).")
        return [java, "-cp", f"{libs}/*", *args]

    def _format_once(self, libs: Path, config: Path) -> None:
        if (self.data_dir / "kafka-data" / "meta.properties").exists():
            return
        cluster_id = subprocess.run(
            self._java(libs, "kafka.tools.StorageTool", "random-uuid"),
            capture_output=True, text=True, check=True,
        ).stdout.strip().splitlines()[-1]
        proc = subprocess.run(
            self._java(libs, *self._logging_opts(), "kafka.tools.StorageTool", "format",
                       "-t", cluster_id, "-c", str(config)),
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            raise ConfigError(f"formatting KRaft storage in {self.data_dir} failed:\n{proc.stderr[-2000:]}")

    def start(self, timeout_s: float = 90.0) -> str:
        """Start the node (or find it running) and wait until it answers; returns the bootstrap."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.pid() is not None:
            self._wait_ready(timeout_s)
            return self.bootstrap
        for port in (self.port, self._controller_port):
            if not port_is_free(port):
                raise ConfigError(
                    f"port {port} on 127.0.0.1 is taken by another process; "
                    f"stop it or choose another with --port (TRACKER_BROKER_PORT)."
                )
        libs = resolve_kafka(self.cache_dir, self.version)
        config = self._write_config()
        self._format_once(libs, config)
        cmd = self._java(
            libs, f"-Xmx{self.heap}", f"-Xms{min_heap(self.heap)}", "-XX:+UseG1GC", *self.jvm_options,
            "-Djava.awt.headless=true", f"-Dkafka.logs.dir={self.log_file.parent}",
            *self._logging_opts(), "kafka.Kafka", str(config),
        )
        out = open(self.data_dir / "logs" / "stdout.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid_file.write_text(str(proc.pid))
        try:
            self._wait_ready(timeout_s, proc)
        except Exception:
            self.stop()
            raise
        return self.bootstrap

    def _wait_ready(self, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise ConfigError(f"the Kafka node exited with code {proc.returncode}; see {self.log_file}")
            if broker_answers(self.bootstrap, timeout_s=2.0):
                return
            time.sleep(0.5)
        raise ConfigError(f"the Kafka node did not answer on {self.bootstrap} within {timeout_s:.0f}s; see {self.log_file}")

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Stop the node cleanly (SIGTERM, then SIGKILL after timeout). False when it was not running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _pid_alive(pid):
            time.sleep(0.2)
        if _pid_alive(pid):
            log.warning("Kafka node %d did not stop within %.0fs; killing it", pid, timeout_s)
            os.kill(pid, signal.SIGKILL)
            while _pid_alive(pid):
                time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        return True


def min_heap(heap: str) -> str:
    """Initial heap: a quarter of the cap, in megabytes."""
    units = {"g": 1024, "m": 1, "k": 1 / 1024}
    mb = float(heap[:-1]) * units[heap[-1].lower()] if heap[-1].lower() in units else float(heap) / 2**20
    return f"{max(64, int(mb / 4))}m"
