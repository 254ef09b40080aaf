"""Liveness and readiness for the Rasa server, for load balancers, Docker and Kubernetes probes.

Listed in credentials.yml like a channel (Rasa mounts channel blueprints under /webhooks/), it
serves two unauthenticated GETs that reveal nothing but a status word:

- `/webhooks/health/live`: the process answers (restart it if not).
- `/webhooks/health/ready`: a model is loaded and both the application database and the tracker
  store answer `SELECT 1` within READY_TIMEOUT_SECONDS; 503 otherwise, so a replica whose
  database is unreachable is taken out of rotation rather than answering without its data.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import sqlalchemy as sa
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.alerts import DATABASE_UNAVAILABLE, alert
from bot.config import Settings, get_settings
from bot.db.session import engine_for

READY_TIMEOUT_SECONDS = 3.0


class HealthChannel(InputChannel):
    """Not a conversation channel: only the two probe routes."""

    @classmethod
    def name(cls) -> Text:
        return "health"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(get_settings())

    def __init__(self, settings: Settings) -> None:
        self.urls = sorted({settings.database_url, settings.tracker_store_url})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("project_health", __name__)

        @blueprint.route("/live", methods=["GET"])
        async def live(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return response.json({"status": "no model loaded"}, status=503)
            try:
                await asyncio.wait_for(asyncio.to_thread(self._databases_answer), READY_TIMEOUT_SECONDS)
            except (sa.exc.SQLAlchemyError, asyncio.TimeoutError) as error:
                alert(DATABASE_UNAVAILABLE, "readiness check failed (%s)", type(error).__name__)
                return response.json({"status": "database unavailable"}, status=503)
            return response.json({"status": "ok"})

        return blueprint

    def _databases_answer(self) -> None:
        for url in self.urls:
            with engine_for(url).connect() as connection:
                connection.execute(sa.text("SELECT 1"))
