"""`make run`: start the action server and the Rasa server, restart either if it dies, stop both together.

The children run in their own sessions, so Ctrl-C reaches only this supervisor, which then stops
each child in order with SIGTERM (Sanic's graceful shutdown) and SIGKILL only if one hangs.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Dict, List, Optional

from bot.config import Settings
from bot.db import migrate
from bot.training.replica_sync import ReplicaModelSync

STOP_TIMEOUT_SECONDS = 15
READY_TIMEOUT_SECONDS = 300
RESTART_WINDOW_SECONDS = 60
MAX_RESTARTS_IN_WINDOW = 5


@dataclass
class Service:
    """A child process we start, watch and stop."""

    name: str
    command: List[str]
    process: Optional[subprocess.Popen] = None
    started_at: List[float] = field(default_factory=list)
    # Called each time it is started (a Rasa replica notes which live model file it reads).
    on_start: Optional[Callable[[], None]] = None


def rasa_executable() -> str:
    return os.path.join(os.path.dirname(sys.executable), "rasa")


def child_environment(settings: Settings, token: str) -> Dict[str, str]:
    """Pass resolved settings down, so every child sees the same values as this process."""
    env = dict(os.environ)
    env.update(
        RASA_TOKEN=token,
        RASA_PORT=str(settings.rasa_port),
        ACTIONS_PORT=str(settings.actions_port),
        DATABASE_URL=settings.database_url,
        TRACKER_STORE_URL=settings.tracker_store_url,
    )
    if settings.lock_store_url:
        env["LOCK_STORE_URL"] = settings.lock_store_url
    return env


def action_server(settings: Settings) -> Service:
    return Service(
        "action server",
        [rasa_executable(), "run", "actions", "--actions", "actions",
         "--port", str(settings.actions_port)],
    )


def rasa_server(settings: Settings, token: str, port: Optional[int] = None) -> Service:
    port = port or settings.rasa_port
    return Service(
        "rasa server" if port == settings.rasa_port else f"rasa server on port {port}",
        [rasa_executable(), "run", "--model", str(settings.model_path),
         "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
         "--port", str(port), "--enable-api", f"--auth-token={token}"],
    )


def replica_urls_environment(settings: Settings, ports: List[int]) -> Dict[str, str]:
    """RASA_REPLICA_URLS for the children (the dashboard promotes models): every replica started
    here, unless the operator listed the replicas themselves."""
    started = tuple(f"http://127.0.0.1:{port}" for port in ports)
    if settings.rasa_replica_urls != started[:1]:
        return {}
    return {"RASA_REPLICA_URLS": ",".join(started)}


def check_cluster_settings(settings: Settings) -> None:
    """Several Rasa servers are safe only on shared stores: PostgreSQL for the inbox's advisory
    locks and the conversations, Redis for the lock store. Refuse anything else, clearly."""
    problems = [f"{name} must be a postgresql:// URL for several replicas, got {url.split('://')[0]}://…"
                for name, url in (("DATABASE_URL", settings.database_url),
                                  ("TRACKER_STORE_URL", settings.tracker_store_url))
                if not url.startswith("postgresql")]
    if not settings.lock_store_url:
        problems.append("LOCK_STORE_URL (redis://…) must be set for several replicas")
    if problems:
        raise SystemExit("Cannot start several replicas:\n  " + "\n  ".join(problems))


def dashboard() -> Service:
    """The health visitors' dashboard (waitress, bot/dashboard/serve.py) on DASHBOARD_PORT."""
    return Service("dashboard", [sys.executable, "-m", "bot", "dashboard"])


def wait_until_ready(url: str, services: List[Service], timeout: float) -> bool:
    """Poll `url` until it answers, giving up early if a child has died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(s.process and s.process.poll() is not None for s in services):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    return False


def stop(services: List[Service]) -> None:
    """Stop children in reverse start order: SIGTERM, then SIGKILL after a timeout."""
    for service in reversed(services):
        if service.process and service.process.poll() is None:
            service.process.terminate()
    for service in reversed(services):
        if not service.process:
            continue
        try:
            service.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait()


def how_to_talk(settings: Settings, token: str, token_was_generated: bool) -> str:
    port = settings.rasa_port
    lines = [
        "",
        "Safer Sleep & Pregnancy Support is running.",
        f"  Talk to it:  curl -s localhost:{port}/webhooks/rest/webhook "
        "-H 'Content-Type: application/json' -d '{\"sender\": \"me\", \"message\": \"hi\"}'",
        "  Or run:      make shell",
        f"  HTTP API:    http://localhost:{port}/status?token=<token>",
        f"  Conversations are stored in {settings.tracker_store_url}",
        f"  Dashboard:   http://localhost:{settings.dashboard_port}/ (add staff with "
        "python -m bot staff add EMAIL --role health_visitor)",
        "  Press Ctrl-C to stop.",
    ]
    if token_was_generated:
        lines.insert(4, f"  RASA_TOKEN was not set; this run's API token is {token}")
    return "\n".join(lines)


def model_in_service_or_exit(settings: Settings) -> List[str]:
    """Exit with the reason when there is no model to serve (a production install whose first model
    the promotion gate refused); otherwise the warning lines to print when the model trained from
    the current data was refused, so whoever runs `make run` knows it serves an older model, and
    when the model in service itself fails the gate (a development install's first model)."""
    from bot.training import promotion_gate, refresh, services

    refused = refresh.not_in_service(settings, settings.project_root / "config.yml")
    if not settings.model_path.is_file():
        lines = [f"No model to serve: {settings.model_path} does not exist."]
        lines += refresh.explain(refused) if refused else ["Train one with `make train`."]
        raise SystemExit("\n".join(lines))
    lines = []
    if refused is not None:
        lines += ["", "WARNING: this is not the model trained from the current data/, domain.yml and config.yml.",
                  *refresh.explain(refused)]
    live = services.in_service(settings)
    failing = promotion_gate.failures(live.figures, None) if live else []
    if failing:
        lines += ["", f"WARNING: the model in service ({live.model_id}) did not pass the promotion gate:",
                  *(f"  - {failure}" for failure in failing)]
    return lines


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """Treat SIGTERM (e.g. from a container runtime) like Ctrl-C."""
    raise KeyboardInterrupt


def prepare_database(settings: Settings) -> None:
    """Create var/ (and missing PostgreSQL databases) and bring DATABASE_URL to the newest schema
    before anything serves."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    for url in {settings.database_url, settings.tracker_store_url}:
        migrate.create_postgres_database_if_missing(url)
    print("Bringing the database up to date…", flush=True)
    migrate.upgrade(settings.database_url)


def shell(settings: Settings) -> int:
    """`make shell`: the action server in the background and `rasa shell` in the foreground."""
    for line in model_in_service_or_exit(settings):
        print(line, file=sys.stderr)
    token = settings.rasa_token or secrets.token_urlsafe(24)
    prepare_database(settings)
    env = child_environment(settings, token)
    actions = action_server(settings)
    start(actions, env, settings.project_root)
    try:
        return subprocess.call(
            [rasa_executable(), "shell", "--model", str(settings.model_path),
             "--endpoints", "endpoints.yml", "--port", str(settings.rasa_port)],
            env=env, cwd=settings.project_root,
        )
    except KeyboardInterrupt:
        return 0
    finally:
        stop([actions])


def start(service: Service, env: Dict[str, str], cwd: Path) -> None:
    service.process = subprocess.Popen(service.command, env=env, cwd=cwd, start_new_session=True)
    service.started_at.append(time.monotonic())
    if service.on_start is not None:
        service.on_start()


def keep_running(services: List[Service], env: Dict[str, str], cwd: Path,
                 each_tick: Callable[[], None] = lambda: None) -> int:
    """Restart a child that dies, so a crash costs seconds, not the service; give up (and return
    its exit code) if one keeps dying. `each_tick` runs every half second."""
    while True:
        time.sleep(0.5)
        each_tick()
        for service in services:
            code = service.process.poll()
            if code is None:
                continue
            recent = [t for t in service.started_at if time.monotonic() - t < RESTART_WINDOW_SECONDS]
            if len(recent) >= MAX_RESTARTS_IN_WINDOW:
                print(f"The {service.name} keeps exiting (code {code}); stopping.", file=sys.stderr)
                return code or 1
            print(f"The {service.name} exited with code {code}; restarting it.", file=sys.stderr, flush=True)
            start(service, env, cwd)


def run(settings: Settings, replicas: int = 1) -> int:
    """Start every process (`replicas` Rasa servers on consecutive ports from RASA_PORT), report
    how to use them, and return when they stop."""
    if replicas > 1:
        check_cluster_settings(settings)
    warning = model_in_service_or_exit(settings)
    token = settings.rasa_token or secrets.token_urlsafe(24)
    prepare_database(settings)
    env = child_environment(settings, token)
    ports = [settings.rasa_port + n for n in range(replicas)]
    env.update(replica_urls_environment(settings, ports))
    replicas_started = [rasa_server(settings, token, port) for port in ports]
    model_sync = ReplicaModelSync(settings.model_path, token)
    for port, replica in zip(ports, replicas_started):
        replica.on_start = partial(model_sync.started, f"http://127.0.0.1:{port}")
    services = [action_server(settings), *replicas_started, dashboard()]
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    # A shell starts background jobs with Ctrl-C ignored, and Python then never turns SIGINT into
    # KeyboardInterrupt; restore it, so Ctrl-C (SIGINT to the process group) always stops everything.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        for service in services:
            print(f"Starting the {service.name}…", flush=True)
            start(service, env, settings.project_root)
        if all(wait_until_ready(f"http://127.0.0.1:{port}/", services, READY_TIMEOUT_SECONDS) for port in ports):
            if replicas > 1:
                print(f"Rasa replicas on ports {', '.join(map(str, ports))}; put a load balancer in front "
                      "(probe /webhooks/health/ready).", flush=True)
                print(f"  Promoting a model from another shell: export RASA_REPLICA_URLS="
                      f"{env.get('RASA_REPLICA_URLS', ','.join(settings.rasa_replica_urls))} "
                      "so every replica switches.", flush=True)
            print(how_to_talk(settings, token, settings.rasa_token is None), flush=True)
            if warning:
                print("\n".join(warning), file=sys.stderr, flush=True)
        return keep_running(services, env, settings.project_root, each_tick=model_sync.check)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    finally:
        stop(services)
