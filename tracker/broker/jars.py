"""Resolve Apache Kafka and its runtime logging jars from Maven Central.

A tiny generated pom lists the broker and the log4j2 jars; Maven copies every
runtime dependency into ``<cache>/kafka-<version>/libs``. A marker file makes
the resolution happen once per version.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from tracker.errors import ConfigError

log = logging.getLogger(__name__)

LOG4J_VERSION = "2.24.3"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.tracker</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{kafka}</version></dependency>
{logging}
  </dependencies>
</project>
"""

# Kafka 4.x ships log4j2 as compile-only; slf4j-api is 1.7.x, so the binding is
# log4j-slf4j-impl (the SLF4J 1.x one), not log4j-slf4j2-impl.
_LOG4J2 = ("log4j-api", "log4j-core", "log4j-1.2-api", "log4j-slf4j-impl")


def _logging_deps(kafka_version: str) -> str:
    if kafka_version.startswith("3."):
        deps = [("ch.qos.reload4j", "reload4j", "1.2.25"), ("org.slf4j", "slf4j-reload4j", "1.7.36")]
    else:
        deps = [("org.apache.logging.log4j", a, LOG4J_VERSION) for a in _LOG4J2]
    return "\n".join(
        f"    <dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>"
        for g, a, v in deps
    )


def require_tool(name: str, hint: str) -> str:
    """Path of an executable on PATH, or a ConfigError that says how to get it."""
    path = shutil.which(name)
    if path is None:
        raise ConfigError(f"`{name}` was not found on PATH. {hint}")
    return path


def resolve_kafka(cache_dir: Path, version: str) -> Path:
    """Directory holding every jar the broker needs at run time (resolved once)."""
    home = cache_dir / f"kafka-{version}"
    libs = home / "libs"
    marker = home / ".resolved"
    if marker.exists() and any(libs.glob("kafka_2.13-*.jar")):
        return libs
    require_tool("java", "Install Java 17 (Debian: apt-get install openjdk-17-jre-headless).")
    mvn = require_tool("mvn", "Install Maven (Debian: apt-get install maven) to resolve the Kafka jars.")
    home.mkdir(parents=True, exist_ok=True)
    (home / "pom.xml").write_text(_POM.format(kafka=version, logging=_logging_deps(version)))
    log.warning("resolving Apache Kafka %s and its logging jars from Maven Central into %s", version, libs)
    proc = subprocess.run(
        [mvn, "-q", "-B", "-f", str(home / "pom.xml"), "dependency:copy-dependencies",
         f"-DoutputDirectory={libs}", "-DincludeScope=runtime"],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-2000:]
        raise ConfigError(f"Maven could not resolve org.apache.kafka:kafka_2.13:{version}:\n{tail}")
    marker.write_text(version)
    return libs
