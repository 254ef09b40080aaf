"""Parse many texts with a trained model, exactly as the running bot would."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Dict, List, Sequence


def parse_all(model_path: Path, texts: Sequence[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # Without Rasa's RepeatedLogFilter: it would stay on this process's root handlers (the
    # dashboard's, when it measures a model) and drop any log line identical to the one before,
    # a repeated alert included.
    configure_logging_and_warnings(logging.WARNING, filter_repeated_logs=False)
    configure_structlog(logging.WARNING)  # otherwise every parse is logged to stdout
    agent = Agent.load(str(model_path))

    async def parse() -> List[Dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(parse())
