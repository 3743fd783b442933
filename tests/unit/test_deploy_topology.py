"""The distributed topology's files — deploy/compose.yaml, deploy/kubernetes/tracker.yaml,
deploy/Dockerfile — say what tracker understands: every container runs a command
tracker's CLI accepts, with settings tracker has and values it takes, on the port its
probes, healthchecks and scrape configuration use. No container engine runs here, so the
files are read, not started; the image's package is built and run by
tests/integration/test_installed_package.py from the Dockerfile's own COPY lines."""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import click
import pytest
import yaml

from tracker.cli.main import main
from tracker.ops.dashboards import files
from tracker.ops.web import metrics_app
from tracker.settings import PREFIX, Settings, variable

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
KUBERNETES = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "tracker.yaml").read_text()))
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
SERVICES = COMPOSE["services"]


@dataclass
class Container:
    where: str
    args: list[str]
    env: dict[str, str]


def substituted(value: object) -> str:
    """A compose value with ``${VAR:-default}`` / ``${VAR}`` read as an unset VAR would read."""
    return re.sub(r"\$\{\w+(?::?-([^}]*))?\}", lambda m: m.group(1) or "", str(value))


def is_tracker(image: str) -> bool:
    return image.rsplit("/", 1)[-1].split(":")[0] == "tracker"


def compose_containers() -> Iterator[Container]:
    for name, service in SERVICES.items():
        if is_tracker(service["image"]):
            env = {k: substituted(v) for k, v in (service.get("environment") or {}).items()}
            yield Container(f"compose service {name}", [on_host(service, a) for a in service["command"]], env)


def on_host(service: dict, arg: str) -> str:
    """``arg`` with a bind-mounted container path read from the folder mounted there."""
    for volume in service.get("volumes", []):
        source, _, target = volume.partition(":")
        target = target.split(":")[0]
        if source.startswith(".") and (arg == target or arg.startswith(target + "/")):
            return str((DEPLOY / source).resolve()) + arg[len(target):]
    return arg


def kubernetes_env(pod: dict) -> dict[str, str]:
    maps = {d["metadata"]["name"]: d["data"] for d in KUBERNETES if d["kind"] == "ConfigMap"}
    env: dict[str, str] = {}
    for container in pod["containers"]:
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                env.update(maps[source["configMapRef"]["name"]])
    return env


def pod_specs() -> Iterator[tuple[str, dict, dict]]:
    for doc in KUBERNETES:
        if doc["kind"] in ("Deployment", "Job"):
            template = doc["spec"]["template"]
            yield f"{doc['kind']} {doc['metadata']['name']}", template["metadata"], template["spec"]


def kubernetes_containers() -> Iterator[Container]:
    for where, _, spec in pod_specs():
        for container in spec.get("initContainers", []) + spec["containers"]:
            if is_tracker(container["image"]):
                env = {k: str(v) for s in [kubernetes_env({"containers": [container]})] for k, v in s.items()}
                yield Container(f"{where} container {container['name']}", list(container["args"]), env)


CONTAINERS = list(compose_containers()) + list(kubernetes_containers())


def parse(args: list[str]) -> list[str]:
    """The command path tracker's CLI resolves ``args`` to, every option and argument
    checked as the command would check it before running; ``--help`` is accepted."""
    ctx = main.make_context("tracker", list(args))
    path = ["tracker"]
    while isinstance(ctx.command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        name, command, rest = ctx.command.resolve_command(ctx, rest)
        assert command is not None and name is not None
        path.append(name)
        ctx = command.make_context(name, rest, parent=ctx)
    return path


@pytest.mark.parametrize("container", CONTAINERS, ids=lambda c: c.where)
def test_every_tracker_container_runs_a_command_tracker_accepts(container):
    try:
        path = parse(container.args)
    except click.exceptions.Exit as done:  # --help
        assert done.exit_code == 0
        return
    except click.UsageError as exc:
        pytest.fail(f"{container.where}: tracker {shlex.join(container.args)}: {exc.format_message()}")
    assert len(path) > 1, f"{container.where} runs no command"


@pytest.mark.parametrize("container", CONTAINERS, ids=lambda c: c.where)
def test_every_setting_given_to_a_container_is_one_tracker_has_and_takes(container, monkeypatch):
    known = {variable(name) for name in Settings.model_fields}
    unknown = sorted(k for k in container.env if k.startswith(PREFIX) and k not in known)
    assert not unknown, f"{container.where}: tracker has no setting {', '.join(unknown)}"
    for key in [k for k in os.environ if k.startswith(PREFIX)]:
        monkeypatch.delenv(key)
    for key, value in container.env.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)  # raises on a value it does not take
    assert settings.store_url.startswith("http://"), f"{container.where} writes to the embedded store"


def web_port(env: dict[str, str]) -> int:
    return int(env.get(variable("web_port"), Settings.model_fields["web_port"].default))


def test_the_image_serves_metrics_on_every_interface_at_the_port_it_exposes():
    env = dict(re.findall(r"(TRACKER_\w+)=(\S+)", DOCKERFILE))
    assert env[variable("web_host")] == "0.0.0.0"
    assert f"EXPOSE {web_port(env)}" in DOCKERFILE


def test_compose_healthchecks_and_prometheus_reach_each_service_where_it_listens():
    routes = {r.resource.canonical for r in metrics_app().router.routes() if r.resource is not None}
    scrape = yaml.safe_load((DEPLOY / "compose" / "prometheus.yml").read_text())["scrape_configs"]
    targets = {(name, sd["port"]) for job in scrape for sd in job["dns_sd_configs"] for name in sd["names"]}
    long_running = {n: s for n, s in SERVICES.items() if is_tracker(s["image"]) and s.get("restart") != "no"
                    and not s.get("profiles")}
    assert set(long_running) == {"worker", "collect", "notify"}
    for name, service in long_running.items():
        port = web_port({k: substituted(v) for k, v in service["environment"].items()})
        url = urlsplit(service["healthcheck"]["test"][-1].split("'")[1])
        assert (url.port, url.path) == (port, "/healthz") and url.path in routes
        assert (name, port) in targets, f"Prometheus does not scrape {name} on {port}"
    assert {name for name, _ in targets} <= set(SERVICES)


def test_compose_services_start_after_the_tables_and_topics_exist():
    for name, service in SERVICES.items():
        for needed, how in (service.get("depends_on") or {}).items():
            assert needed in SERVICES, f"{name} depends on a service compose does not have: {needed}"
            if how["condition"] == "service_completed_successfully":
                assert SERVICES[needed].get("restart") == "no", f"{name} waits for {needed}, which never ends"
    for name in ("worker", "collect", "notify"):
        assert {"migrate", "topics"} <= set(SERVICES[name]["depends_on"]), name
    assert parse(SERVICES["migrate"]["command"]) == ["tracker", "db", "migrate"]
    assert parse(SERVICES["topics"]["command"]) == ["tracker", "topics", "create"]


def test_compose_grafana_is_provisioned_with_this_topologys_clickhouse_and_prometheus(monkeypatch, tmp_path):
    job = SERVICES["grafana-provisioning"]
    out = job["command"][job["command"].index("--out") + 1]
    assert any(v.endswith(f":{out}") for v in job["volumes"])
    for key, value in job["environment"].items():
        monkeypatch.setenv(key, substituted(value))
    sources = files(Settings(_env_file=None))["provisioning/datasources/tracker.yaml"]["datasources"]
    clickhouse, prometheus = sources[0]["jsonData"], urlsplit(sources[1]["url"])
    assert clickhouse["host"] in SERVICES and clickhouse["port"] == 8123
    assert clickhouse["username"] == SERVICES["clickhouse"]["environment"]["CLICKHOUSE_USER"]
    assert prometheus.hostname in SERVICES and f"{prometheus.port}:{prometheus.port}" in SERVICES["prometheus"]["ports"]
    grafana = SERVICES["grafana"]
    assert grafana["environment"]["GF_PATHS_PROVISIONING"].startswith(
        next(v.split(":")[1] for v in grafana["volumes"] if v.startswith("grafana-provisioning:")))


def test_kubernetes_pods_are_probed_and_scraped_where_tracker_listens():
    routes = {r.resource.canonical for r in metrics_app().router.routes() if r.resource is not None}
    deployments = [(w, m, s) for w, m, s in pod_specs() if w.startswith("Deployment")]
    assert {w.split()[-1] for w, _, _ in deployments} == {"tracker-worker", "tracker-collect", "tracker-notify"}
    for where, meta, spec in deployments:
        (container,) = spec["containers"]
        port = web_port(kubernetes_env(spec))
        named = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert meta["annotations"]["prometheus.io/port"] == str(port) == str(named["metrics"]), where
        assert meta["annotations"]["prometheus.io/path"] in routes
        for probe in ("readinessProbe", "livenessProbe"):
            http = container[probe]["httpGet"]
            assert named[http["port"]] == port and http["path"] in routes, (where, probe)


def test_kubernetes_selectors_match_their_pods_and_settings_come_from_the_configmap():
    maps = {d["metadata"]["name"] for d in KUBERNETES if d["kind"] == "ConfigMap"}
    for doc in KUBERNETES:
        if doc["kind"] == "Deployment":
            labels = doc["spec"]["template"]["metadata"]["labels"]
            assert doc["spec"]["selector"]["matchLabels"].items() <= labels.items(), doc["metadata"]["name"]
    for where, _, spec in pod_specs():
        for container in spec.get("initContainers", []) + spec["containers"]:
            refs = [s["configMapRef"]["name"] for s in container["envFrom"] if "configMapRef" in s]
            assert refs and set(refs) <= maps, f"{where} {container['name']}"


def test_the_dockerfile_copies_what_exists_and_runs_the_tracker_command():
    copies = re.findall(r"(?m)^COPY\s+(.+?)\s+\S+$", DOCKERFILE)
    sources = [s for line in copies for s in line.split()]
    assert sources and all((ROOT / s).exists() for s in sources), sources
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert re.search(r'(?m)^ENTRYPOINT \["(\w+)"\]', DOCKERFILE).group(1) in scripts
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert all(f"!{s}" in ignored for s in sources), "the build context leaves out a file the image copies"


def test_compose_alerts_link_to_a_runbook_the_host_can_open(monkeypatch):
    """The notifier binds 0.0.0.0 in its container, and alerts linked to http://<container id>:8080/runbook,
    which nobody could open; its runbook is published on the host and the alerts link there."""
    from tracker.ops.web import RUNBOOK_PATH, runbook_link

    notify = SERVICES["notify"]
    env = {k: substituted(v) for k, v in notify["environment"].items()}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    link = urlsplit(runbook_link(Settings(_env_file=None)))  # type: ignore[call-arg]
    published = {int(host): int(inside) for host, inside in (p.split(":") for p in notify["ports"])}
    assert link.hostname == "localhost" and link.path == RUNBOOK_PATH
    assert published[link.port] == web_port(env)
