"""Runs a loaded model's graph (the NLU pipeline, then the policies) one node after another.

Rasa 3.6 runs both graphs of every turn through `dask.get`, whose synchronous scheduler still
builds a task graph, orders it, and passes each node through a thread-pool-shaped queue, and Rasa
first recomputes the nodes the targets need, recursively, on every call. Under the load benchmark
that bookkeeping was about 7% of the Rasa server's CPU (py-spy: `get_sync` 30.4% of samples against
24.3% in the nodes themselves), for graphs that are a chain of a dozen nodes.

`SequentialGraphRunner` works out the order once per set of targets (a node after everything it
needs) and then calls the same `GraphNode`s with the same arguments dask would pass: each node
gets the `(name, output)` pairs of the nodes and inputs it needs, or the bare name of one that
does not exist, and a `RuntimeError` becomes Rasa's `GraphRunError`.

Installed by importing this module (bot/channels/twilio.py does, in the Rasa server): Rasa's
`MessageProcessor` loads every model, at start and on `PUT /model`, with this runner instead.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

import rasa.core.processor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphNode
from rasa.engine.runner.dask import DaskGraphRunner

# One step of a run: the node's name, the node, and the names of what it needs, in call order.
Step = Tuple[Text, GraphNode, List[Text]]


class SequentialGraphRunner(DaskGraphRunner):
    """A `DaskGraphRunner` that calls the nodes itself, in an order worked out once per targets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: Dict[Tuple[Text, ...], List[Step]] = {}

    def run(self, inputs: Optional[Dict[Text, Any]] = None,
            targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        """The targets' outputs by name, as `DaskGraphRunner.run` returns them."""
        run_targets = targets if targets else self._graph_schema.target_names
        plan = self._plan(tuple(run_targets))
        results: Dict[Text, Any] = self._inputs({name for name, _, _ in plan}, inputs or {})
        try:
            for name, node, needs in plan:
                results[name] = node(*(results.get(need, need) for need in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(results[target] for target in run_targets)

    def _plan(self, targets: Tuple[Text, ...]) -> List[Step]:
        if targets not in self._plans:
            self._plans[targets] = self._order(targets)
        return self._plans[targets]

    def _order(self, targets: Tuple[Text, ...]) -> List[Step]:
        """Every node the targets need, each after the nodes it needs (depth first)."""
        nodes = self._graph_schema.nodes
        plan: List[Step] = []
        placed = set()

        def place(name: Text) -> None:
            if name in placed or name not in nodes:
                return
            placed.add(name)
            needs = list(nodes[name].needs.values())
            for need in needs:
                place(need)
            plan.append((name, self._instantiated_nodes[name], needs))

        for target in targets:
            place(target)
        return plan

    @staticmethod
    def _inputs(node_names: set, inputs: Dict[Text, Any]) -> Dict[Text, Any]:
        """Each input as the `(name, value)` pair a node receives; Rasa's check that no input
        value names a node (dask would have replaced it with that node's output)."""
        for name, value in inputs.items():
            if isinstance(value, str) and value in node_names:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of the "
                    f"input names passed to the `run` method are the same as node names in the "
                    f"graph schema.")
        return {name: (name, value) for name, value in inputs.items()}


rasa.core.processor.DaskGraphRunner = SequentialGraphRunner
