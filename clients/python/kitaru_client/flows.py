"""``client.flows``: start executions of the flows a runner serves."""

from __future__ import annotations

import time
from typing import Any, List, Mapping, Optional

from ._convert import execution_from_proto, flow_from_proto
from .executions import ExecutionsClient, _outcome, merge_inputs
from .gen.kitaru.runner.v1 import execution_pb2
from .models import Execution, Flow
from .services import RunnerClient

#: Statuses a StartAndWatchExecution stream ends at.
_SETTLED = (
    execution_pb2.EXECUTION_STATUS_COMPLETED,
    execution_pb2.EXECUTION_STATUS_FAILED,
    execution_pb2.EXECUTION_STATUS_CANCELLED,
    execution_pb2.EXECUTION_STATUS_WAITING,
)


class FlowsClient:
    """The flows API of a :class:`~kitaru_client.KitaruClient`: ``client.flows``."""

    def __init__(self, runner: RunnerClient, executions: ExecutionsClient) -> None:
        self._runner = runner
        self._executions = executions

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

    def execute(
        self,
        flow_name: str,
        request_id: Optional[str] = None,
        *,
        timeout: Optional[float] = None,
        inputs: Optional[Mapping[str, Any]] = None,
        **flow_inputs: Any,
    ) -> Any:
        """Runs ``flow_name`` to its end and returns the flow's result: started as :meth:`run`
        starts it, its status streamed on the same call (StartAndWatchExecution), then read once.

        Raises as ``client.executions.result()`` does: :class:`KitaruUserCodeError`,
        :class:`KitaruDivergenceError` or :class:`KitaruExecutionError` for an execution that
        failed or was cancelled, :class:`KitaruPendingWaitError` for one that stopped at a wait
        (answer it, then ``client.executions.result(exec_id)``), :class:`KitaruTimeoutError`
        after ``timeout`` seconds.
        """
        started = time.monotonic()
        execution, events = self._runner.start_and_watch_execution(
            flow_name, merge_inputs(inputs, flow_inputs), request_id=request_id, timeout=timeout
        )
        exec_id = execution.exec_id
        remaining = None if timeout is None else max(0.001, timeout - (time.monotonic() - started))
        settled = any(e.WhichOneof("kind") == "status_changed" and e.status_changed.status in _SETTLED for e in events)
        if not settled:  # the stream ended first (a runner restarting): follow it as result() does
            return self._executions.result(exec_id, timeout=remaining)
        return _outcome(execution_from_proto(self._runner.get_execution(exec_id, timeout=remaining)))

    def list(self, *, timeout: Optional[float] = None) -> List[Flow]:
        """The flows the runner serves, sorted by name, with the JSON Schema of their input and the runner's flow version."""
        response = self._runner.list_flows_response(timeout=timeout)
        return [flow_from_proto(f, response.flow_version) for f in response.flows]
