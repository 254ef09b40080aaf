"""The deployment files describe the topology `make run-cluster` runs, with probes that mean something.

Containers cannot run on this machine, so these tests parse docker-compose.yml, the Kubernetes
manifests and the nginx upstreams, and check them against what the code serves.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[2]
READY, LIVE = "/webhooks/health/ready", "/webhooks/health/live"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def manifests() -> dict:
    """(kind, name) -> document, over every file in deploy/kubernetes/."""
    documents = {}
    for path in sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            documents[(doc["kind"], doc["metadata"]["name"])] = doc
    return documents


def test_compose_runs_two_rasa_replicas_the_action_server_the_dashboard_postgres_redis_and_a_balancer(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "actions", "rasa-1", "rasa-2", "dashboard",
                             "loadbalancer"}
    upstreams = re.findall(r"server (\S+):5005", (ROOT / "deploy" / "nginx.conf").read_text())
    assert upstreams == ["rasa-1", "rasa-2"]
    for name in ("rasa-1", "rasa-2"):
        rasa = services[name]
        assert READY in " ".join(rasa["healthcheck"]["test"])
        assert "deploy/endpoints.yml" in rasa["command"]
        assert rasa["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "/health" in " ".join(services["dashboard"]["healthcheck"]["test"])
    assert set(services["loadbalancer"]["depends_on"]) == {"rasa-1", "rasa-2"}


def test_compose_keeps_conversations_and_application_data_in_separate_postgres_databases_and_locks_in_redis(compose):
    env = compose["services"]["rasa-1"]["environment"]
    app, tracker = sa.engine.make_url(env["DATABASE_URL"]), sa.engine.make_url(env["TRACKER_STORE_URL"])
    assert app.drivername == tracker.drivername == "postgresql"
    assert app.host == tracker.host == "postgres" and app.database != tracker.database
    assert env["LOCK_STORE_URL"].startswith("redis://redis:")
    assert compose["services"]["dashboard"]["environment"]["DATABASE_URL"] == env["DATABASE_URL"]


def test_kubernetes_runs_two_rasa_replicas_with_readiness_on_the_databases_and_a_service_for_each_part(manifests):
    rasa = manifests[("Deployment", "rasa")]["spec"]
    assert rasa["replicas"] == 2
    [container] = rasa["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == READY
    assert container["livenessProbe"]["httpGet"]["path"] == LIVE
    assert "deploy/endpoints.yml" in " ".join(container["command"])
    assert {("Service", n) for n in ("rasa", "actions", "dashboard")} <= set(manifests)
    [dashboard] = manifests[("Deployment", "dashboard")]["spec"]["template"]["spec"]["containers"]
    assert dashboard["readinessProbe"]["httpGet"]["path"] == "/health"
    for kind, name in [("Deployment", "rasa"), ("Deployment", "actions"), ("Deployment", "dashboard"),
                       ("Job", "safer-sleep-migrate")]:
        [part] = manifests[(kind, name)]["spec"]["template"]["spec"]["containers"]
        assert {"configMapRef": {"name": "safer-sleep-config"}} in part["envFrom"]
        assert {"secretRef": {"name": "safer-sleep-secrets"}} in part["envFrom"]
    for deployment in ("rasa", "actions", "dashboard"):
        spec = manifests[("Deployment", deployment)]["spec"]
        assert spec["selector"]["matchLabels"] == spec["template"]["metadata"]["labels"]
        service = manifests[("Service", deployment)]["spec"]
        assert service["selector"] == spec["selector"]["matchLabels"]


def test_the_container_endpoints_use_the_same_stores_and_reach_the_action_server_by_its_service_name():
    local = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    deployed = yaml.safe_load((ROOT / "deploy" / "endpoints.yml").read_text())
    assert deployed["tracker_store"] == local["tracker_store"]
    assert deployed["lock_store"] == local["lock_store"]
    assert deployed["action_endpoint"]["url"] == "http://actions:5055/webhook"


def test_the_probed_routes_are_served_by_a_channel_the_rasa_server_loads():
    from bot.channels.health import HealthChannel

    assert "bot.channels.health.HealthChannel" in yaml.safe_load((ROOT / "credentials.yml").read_text())
    blueprint = HealthChannel.__new__(HealthChannel).blueprint(lambda _message: None)
    routes = {f"/webhooks/{HealthChannel.name()}{route.uri}" for route in blueprint._future_routes}
    assert routes == {READY, LIVE}


def test_kubernetes_runs_retention_daily_one_run_at_a_time_with_a_command_the_cli_accepts(manifests):
    from bot.cli import build_parser

    cron = manifests[("CronJob", "safer-sleep-retention")]["spec"]
    assert cron["concurrencyPolicy"] == "Forbid"
    minute, hour, *every_day = cron["schedule"].split()
    assert every_day == ["*", "*", "*"] and minute.isdigit() and hour.isdigit()
    [container] = cron["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert {"configMapRef": {"name": "safer-sleep-config"}} in container["envFrom"]
    python, dash_m, module, *arguments = container["command"]
    assert (python, dash_m, module) == ("python", "-m", "bot")
    parsed = build_parser().parse_args(arguments)
    assert (parsed.command, parsed.retention, parsed.dry_run) == ("retention", "run", False)
