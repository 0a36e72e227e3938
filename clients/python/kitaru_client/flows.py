"""``client.flows``: start executions of the flows a runner serves."""

from __future__ import annotations

from typing import Any, List, Mapping, Optional

from ._convert import execution_from_proto, flow_from_proto
from .executions import merge_inputs
from .models import Execution, Flow
from .services import RunnerClient


class FlowsClient:
    """The flows API of a :class:`~kitaru_client.KitaruClient`: ``client.flows``."""

    def __init__(self, runner: RunnerClient) -> None:
        self._runner = runner

    def run(
        self,
        flow_name: str,
        request_id: Optional[str] = None,
        *,
        timeout: Optional[float] = None,
        inputs: Optional[Mapping[str, Any]] = None,
        **flow_inputs: Any,
    ) -> Execution:
        """Starts an execution of ``flow_name`` with the flow inputs as keyword arguments; returns it (usually running).

        The request carries ``request_id`` (a new UUID when None) and is
        retried with it on UNAVAILABLE/DEADLINE_EXCEEDED, so one call starts
        one execution; the same ID again returns the same execution. Inputs
        the flow's schema rejects → :class:`KitaruUsageError` with
        ``violations``; an unknown flow → :class:`KitaruNotFoundError`. Use
        ``inputs={...}`` for input names the parameters above take.
        """
        execution = self._runner.start_execution(
            flow_name, merge_inputs(inputs, flow_inputs), request_id=request_id, timeout=timeout
        )
        return execution_from_proto(execution)

    def list(self, *, timeout: Optional[float] = None) -> List[Flow]:
        """The flows the runner serves, sorted by name, with the JSON Schema of their input and the runner's flow version."""
        response = self._runner.list_flows_response(timeout=timeout)
        return [flow_from_proto(f, response.flow_version) for f in response.flows]
