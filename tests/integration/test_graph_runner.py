"""The sequential graph runner must give exactly what Rasa's dask runner gives, with the real model.

Both runs use the same loaded nodes: `DaskGraphRunner.run(runner, ...)` is Rasa's own scheduling
of the very graph `SequentialGraphRunner.run` walks. Texts: the risk development sets (disclosures
of every category and benign look-alikes) and one of them, so the risk path and the ordinary path
are both covered; parses are compared whole, then each is told to the policies."""
import asyncio
from pathlib import Path

import numpy as np
import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.graph_runner import SequentialGraphRunner
from bot.risk.examples import load_directory

DEV_SETS = Path("tests/evaluation/risk_dev")
TEXTS_PER_RUN = 400


@pytest.fixture(scope="module")
def agent(model_path) -> Agent:
    return Agent.load(str(model_path))


def texts() -> list:
    pairs = load_directory(DEV_SETS)
    step = max(1, len(pairs) // TEXTS_PER_RUN)
    return [text for text, _ in pairs[::step]] + ["/restart", "hi", ""]


def parse_with(run, metadata, text: str) -> dict:
    target = metadata.nlu_target
    [message] = run(inputs={"__message__": [UserMessage(text, message_id="m")]}, targets=[target])[target]
    return message.as_dict(only_output_properties=False)


def comparable(value):
    """`value` with NumPy arrays and scalars as plain lists and numbers, so `==` compares them all."""
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [comparable(item) for item in value]
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return value


def predict_with(run, metadata, tracker: DialogueStateTracker):
    target = metadata.core_target
    prediction = run(inputs={"__tracker__": tracker}, targets=[target])[target]
    return (prediction.policy_name, comparable(prediction.probabilities), prediction.events,
            prediction.is_end_to_end_prediction)


def test_the_model_is_loaded_with_the_sequential_runner(agent):
    assert isinstance(agent.processor.graph_runner, SequentialGraphRunner)


def test_every_parse_and_prediction_equals_what_the_dask_runner_gives(agent):
    runner, metadata = agent.processor.graph_runner, agent.processor.model_metadata
    dask_run = lambda **kwargs: DaskGraphRunner.run(runner, **kwargs)  # noqa: E731
    domain = agent.domain
    compared = 0
    for text in texts():
        parsed = parse_with(runner.run, metadata, text)
        assert comparable(parsed) == comparable(parse_with(dask_run, metadata, text)), text
        tracker = DialogueStateTracker.from_events("equivalence", [
            ActionExecuted(ACTION_LISTEN_NAME), UserUttered(text, parsed.get("intent"), parsed.get("entities"),
                                                            parse_data=parsed)], domain.slots)
        assert predict_with(runner.run, metadata, tracker) == predict_with(dask_run, metadata, tracker), text
        compared += 1
    assert compared > 300


def test_a_whole_turn_gives_the_same_replies_through_either_runner(agent):
    async def replies(sender: str) -> list:
        out = CollectingOutputChannel()
        for text in ("hi", "is it ok to swaddle my baby", "what temperature should the room be", "thanks"):
            await agent.handle_message(UserMessage(text, out, sender))
        return [m.get("text") for m in out.messages]

    sequential = asyncio.run(replies("sequential"))
    runner = agent.processor.graph_runner
    runner.run = lambda **kwargs: DaskGraphRunner.run(runner, **kwargs)
    try:
        stock = asyncio.run(replies("dask"))
    finally:
        del runner.run
    assert sequential == stock and len(sequential) >= 4


def test_an_input_value_naming_a_node_is_refused_as_rasa_refuses_it(agent):
    runner, metadata = agent.processor.graph_runner, agent.processor.model_metadata
    a_node = next(iter(runner._graph_schema.nodes))
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        runner.run(inputs={"__message__": a_node}, targets=[metadata.nlu_target])
