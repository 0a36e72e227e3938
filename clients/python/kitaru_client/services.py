"""The lower layer: one method per RPC of the RunnerService and the PlannerService.

Methods take plain arguments and return the generated messages
(``kitaru_client.gen.kitaru.*``); every failure is a
:class:`~kitaru_client.errors.KitaruError`. Each unary call gets the client's
``timeout`` unless the call gives its own; streams have no deadline unless
the call gives one. The idempotent creating calls (``start_execution``,
``start_replay``, ``replay_execution``, ``start_replay_job``) always send a request ID (a new UUID
when none is given) and are retried with that same ID on UNAVAILABLE or
DEADLINE_EXCEEDED, so a retry never creates a second execution.

:class:`~kitaru_client.KitaruClient` builds on these; use them directly for
what it leaves out, e.g. the calls the planner makes to the runner's internal
service (``get_call_graph`` and ``start_replay``: a runner that requires tokens
takes only service tokens there), or the raw ``stub``::

    with RunnerClient("http://127.0.0.1:50051") as runner:
        execution = runner.start_execution("content_pipeline", {"topic": "agents"})
        print(runner.get_execution(execution.exec_id).status)
"""

from __future__ import annotations

import json
import random
import time
import uuid
from typing import Any, Callable, ClassVar, Iterator, List, Mapping, Optional, Sequence, Tuple, TypeVar

import grpc
from google.protobuf import struct_pb2

from ._json import dict_from_struct, python_from_value, struct_from_mapping, value_from_python
from .connection import DEFAULT_TIMEOUT, parse_endpoint, open_channel
from .errors import KitaruError, KitaruInternalError, KitaruUsageError, error_from_rpc_error
from .gen.kitaru.planner.v1 import planner_service_pb2, planner_service_pb2_grpc
from .gen.kitaru.runner.v1 import (
    execution_pb2,
    lineage_pb2,
    replay_job_pb2,
    replay_plan_pb2,
    runner_internal_service_pb2,
    runner_internal_service_pb2_grpc,
    runner_service_pb2,
    runner_service_pb2_grpc,
)

T = TypeVar("T")

#: Status codes after which an idempotent creating call is sent again (same request ID).
RETRYABLE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
#: How many times an idempotent creating call is sent at most, by default.
DEFAULT_MAX_ATTEMPTS = 4
#: The pause before the second attempt; it doubles per attempt (with jitter), up to ``MAX_BACKOFF``.
INITIAL_BACKOFF = 0.2
MAX_BACKOFF = 2.0


def new_request_id() -> str:
    """A fresh request ID (a UUID4), as sent when the caller gives none."""
    return str(uuid.uuid4())


def json_struct(option: str, data: Optional[Mapping[str, Any]]) -> Any:
    """``data`` as a ``google.protobuf.Struct``; not JSON → :class:`KitaruUsageError` naming ``option``."""
    try:
        return struct_from_mapping(data or {})
    except (TypeError, ValueError) as e:
        raise KitaruUsageError(f"`{option}` must be a JSON object: {e}.", metadata={"option": option}) from e


def json_value(option: str, data: Any) -> Any:
    """``data`` as a ``google.protobuf.Value``; not JSON → :class:`KitaruUsageError` naming ``option``."""
    try:
        return value_from_python(data)
    except (TypeError, ValueError) as e:
        raise KitaruUsageError(f"`{option}` must be a JSON value: {e}.", metadata={"option": option}) from e


def _place_value(execution: execution_pb2.Execution, path: str, value: Any) -> None:
    """Puts a value read by its path (``omitted_values``) where the response left it out."""
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "waits" and parts[2] == "value":
        wait = next((w for w in execution.waits if w.name == parts[1]), None)
        if wait is not None:
            wait.value.CopyFrom(value_from_python(value))
            return
    if len(parts) == 3 and parts[0] == "checkpoints" and parts[2] in ("output", "override_value"):
        call = next((c for c in execution.checkpoints if c.invocation_id == parts[1]), None)
        if call is not None:
            getattr(call, parts[2]).CopyFrom(value_from_python(value))
            return
    raise KitaruInternalError(f"The server left out a value at {path!r}, which names no value of the execution.")


_Client = TypeVar("_Client", bound="_ServiceClient")


class _ServiceClient:
    """A channel (owned or given), its generated stub, a default deadline, retries, and error decoding.

    Args:
        target: ``http://host:port``, ``https://host:port`` or plain ``host:port`` (plaintext).
        timeout: default deadline of each unary call in seconds (None: none).
        channel: use this channel instead of opening one (``close()`` leaves it open).
        token: sent as ``authorization: Bearer <token>`` on every call.
        credentials: TLS credentials for an https target (default: system roots).
        max_attempts: how often the idempotent creating calls are sent at most.
    """

    #: The option name in error messages about ``target``.
    _option: ClassVar[str]
    #: The generated stub class of the service.
    _stub_class: ClassVar[Any]  # a class taking the channel (untyped generated code)

    def __init__(
        self,
        target: str,
        *,
        timeout: Optional[float] = DEFAULT_TIMEOUT,
        channel: Optional[grpc.Channel] = None,
        token: Optional[str] = None,
        credentials: Optional[grpc.ChannelCredentials] = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        if max_attempts < 1:
            raise KitaruUsageError("`max_attempts` must be >= 1.", metadata={"maxAttempts": str(max_attempts)})
        self.address = target
        self.timeout = timeout
        self.max_attempts = max_attempts
        self._owns_channel = channel is None
        if channel is None:
            endpoint = parse_endpoint(self._option, target, allow_bare=True)
            channel = open_channel(endpoint, token=token, credentials=credentials)
        self.channel: grpc.Channel = channel
        #: The generated stub, on the same channel (token included; errors not decoded).
        self.stub: Any = type(self)._stub_class(self.channel)

    def __enter__(self: _Client) -> _Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Closes the channel this client opened (a channel passed in stays open). Calls in flight fail."""
        if self._owns_channel:
            self.channel.close()

    def _deadline(self, timeout: Optional[float]) -> Optional[float]:
        return self.timeout if timeout is None else timeout

    def _unary(self, method: Callable[..., Any], request: Any, timeout: Optional[float]) -> Any:
        try:
            return method(request, timeout=self._deadline(timeout))
        except grpc.RpcError as e:
            raise error_from_rpc_error(e) from e

    def _retried(self, call: Callable[[], T]) -> T:
        """Runs ``call`` up to ``max_attempts`` times while it fails with a retryable code."""
        attempt = 1
        while True:
            try:
                return call()
            except KitaruError as e:
                if e.code not in RETRYABLE_CODES or attempt >= self.max_attempts:
                    raise
            pause = min(MAX_BACKOFF, INITIAL_BACKOFF * 2 ** (attempt - 1))
            time.sleep(pause * random.uniform(0.5, 1.0))
            attempt += 1

    def _stream(self, method: Callable[..., Any], request: Any, timeout: Optional[float]) -> Iterator[Any]:
        call = method(request, timeout=timeout)
        try:
            for message in call:
                yield message
        except grpc.RpcError as e:
            raise error_from_rpc_error(e) from e
        finally:
            call.cancel()  # a no-op once the stream ended; stops it when the caller stops early


class RunnerClient(_ServiceClient):
    """A client of ``kitaru.runner.v1.RunnerService``; ``max_attempts`` bounds ``start_execution``/``start_replay``."""

    _option = "runner_url"
    _stub_class = runner_service_pb2_grpc.RunnerServiceStub

    @property
    def internal_stub(self) -> Any:
        """The generated stub of ``kitaru.runner.v1.RunnerInternalService`` (the planner's calls), on the same channel."""
        return runner_internal_service_pb2_grpc.RunnerInternalServiceStub(self.channel)

    def start_execution(
        self,
        flow_name: str,
        input: Optional[Mapping[str, Any]] = None,
        *,
        request_id: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> execution_pb2.Execution:
        """StartExecution: starts ``flow_name`` with a JSON object as input; returns it (usually running).

        Idempotent on ``request_id`` (a new UUID when None or empty), and retried on
        UNAVAILABLE / DEADLINE_EXCEEDED with the same ID.
        """
        request = runner_service_pb2.StartExecutionRequest(
            flow_name=flow_name, input=json_struct("input", input), request_id=request_id or new_request_id()
        )
        response: runner_service_pb2.StartExecutionResponse = self._retried(
            lambda: self._unary(self.stub.StartExecution, request, timeout)
        )
        return response.execution

    def start_and_watch_execution(
        self,
        flow_name: str,
        input: Optional[Mapping[str, Any]] = None,
        *,
        request_id: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Tuple[execution_pb2.Execution, List[execution_pb2.ExecutionEvent]]:
        """StartAndWatchExecution: starts ``flow_name`` as :meth:`start_execution` does and reads
        the status changes streamed on the same call until the execution settles (completed,
        failed, cancelled or waiting); returns the execution as started and those events.

        Idempotent on ``request_id`` (a new UUID when None or empty); retried on
        UNAVAILABLE / DEADLINE_EXCEEDED with the same ID, which starts nothing new and
        follows the same execution.
        """
        request = runner_service_pb2.StartAndWatchExecutionRequest(
            flow_name=flow_name, input=json_struct("input", input), request_id=request_id or new_request_id()
        )

        def follow() -> Tuple[execution_pb2.Execution, List[execution_pb2.ExecutionEvent]]:
            started: Optional[execution_pb2.Execution] = None
            events: List[execution_pb2.ExecutionEvent] = []
            response: runner_service_pb2.StartAndWatchExecutionResponse
            for response in self._stream(self.stub.StartAndWatchExecution, request, self._deadline(timeout)):
                if response.WhichOneof("kind") == "execution":
                    started = response.execution
                elif response.WhichOneof("kind") == "event":
                    events.append(response.event)
            if started is None:
                raise KitaruInternalError("The server ended StartAndWatchExecution without an execution.")
            return started, events

        return self._retried(follow)

    def get_execution(
        self, exec_id: str, *, full: bool = False, checkpoints_page_token: str = "", timeout: Optional[float] = None
    ) -> execution_pb2.Execution:
        """GetExecution; ``full=True`` includes the checkpoint calls and their outputs.

        A long execution's calls come in several responses (each within the
        response bound): ``checkpoints_next_page_token`` of one, given as
        ``checkpoints_page_token``, reads the next.
        """
        view = execution_pb2.EXECUTION_VIEW_FULL if full else execution_pb2.EXECUTION_VIEW_BASIC
        request = runner_service_pb2.GetExecutionRequest(exec_id=exec_id, view=view, checkpoints_page_token=checkpoints_page_token)
        response: runner_service_pb2.GetExecutionResponse = self._unary(self.stub.GetExecution, request, timeout)
        return response.execution

    def get_whole_execution(self, exec_id: str, *, timeout: Optional[float] = None) -> execution_pb2.Execution:
        """GetExecution (full view) read to the last checkpoint call, with every value a response left out read and put in place."""
        execution = self.get_execution(exec_id, full=True, timeout=timeout)
        self.fill_omitted_values(execution, timeout=timeout)
        token = execution.checkpoints_next_page_token
        while token:
            page = self.get_execution(exec_id, full=True, checkpoints_page_token=token, timeout=timeout)
            kept = [omitted for omitted in page.omitted_values if omitted.path.startswith("checkpoints/")]
            del page.omitted_values[:]
            page.omitted_values.extend(kept)
            self.fill_omitted_values(page, timeout=timeout)
            execution.checkpoints.extend(page.checkpoints)
            token = page.checkpoints_next_page_token
        execution.checkpoints_next_page_token = ""
        return execution

    def read_execution_value(self, exec_id: str, path: str, *, timeout: Optional[float] = None) -> Any:
        """ReadExecutionValue: one value of an execution by its path, joined from its chunks and parsed.

        ``path`` is ``"input"``, ``"result"``, ``"checkpoints/<invocation_id>/output"``,
        ``"checkpoints/<invocation_id>/override_value"`` or ``"waits/<name>/value"``, as
        ``Execution.omitted_values`` names them.
        """
        request = runner_service_pb2.ReadExecutionValueRequest(exec_id=exec_id, path=path)
        chunks: List[bytes] = []
        total = -1
        response: runner_service_pb2.ReadExecutionValueResponse
        for response in self._stream(self.stub.ReadExecutionValue, request, timeout):
            chunks.append(response.chunk)
            total = response.total_bytes
        text = b"".join(chunks)
        if len(text) != total:
            raise KitaruInternalError(f"ReadExecutionValue sent {len(text)} of {total} bytes of {path!r}.")
        return json.loads(text.decode("utf-8"))

    def fill_omitted_values(self, execution: execution_pb2.Execution, *, timeout: Optional[float] = None) -> None:
        """Reads each value ``execution`` left out (``omitted_values``) and puts it in place."""
        for omitted in list(execution.omitted_values):
            value = self.read_execution_value(execution.exec_id, omitted.path, timeout=timeout)
            if omitted.path == "input":
                execution.input.Clear()
                execution.input.update(value)
                continue
            if omitted.path == "result":
                execution.result.CopyFrom(value_from_python(value))
                continue
            _place_value(execution, omitted.path, value)
        del execution.omitted_values[:]

    def fill_omitted_status_result(
        self, exec_id: str, change: execution_pb2.StatusChange, *, timeout: Optional[float] = None
    ) -> None:
        """Reads the result a streamed status change left out (beyond one message's value budget) and puts it in place."""
        for omitted in list(change.omitted_values):
            change.result.CopyFrom(value_from_python(self.read_execution_value(exec_id, omitted.path, timeout=timeout)))
        del change.omitted_values[:]

    def fill_omitted_event_value(self, event: execution_pb2.ExecutionEvent, *, timeout: Optional[float] = None) -> None:
        """Reads the result or the wait's answer a watch event left out and puts it in place."""
        kind = event.WhichOneof("kind")
        if kind == "status_changed":
            self.fill_omitted_status_result(event.exec_id, event.status_changed, timeout=timeout)
        elif kind == "wait_resolved":
            wait = event.wait_resolved
            for omitted in list(wait.omitted_values):
                wait.value.CopyFrom(value_from_python(self.read_execution_value(event.exec_id, omitted.path, timeout=timeout)))
            del wait.omitted_values[:]

    def list_executions(
        self,
        *,
        flow_name: str = "",
        status: execution_pb2.ExecutionStatus = execution_pb2.EXECUTION_STATUS_UNSPECIFIED,
        page_size: int = 0,
        page_token: str = "",
        timeout: Optional[float] = None,
    ) -> runner_service_pb2.ListExecutionsResponse:
        """ListExecutions: one page, newest first (``status`` is an ``ExecutionStatus`` enum value)."""
        request = runner_service_pb2.ListExecutionsRequest(
            flow_name=flow_name, status=status, page_size=page_size, page_token=page_token
        )
        response: runner_service_pb2.ListExecutionsResponse = self._unary(self.stub.ListExecutions, request, timeout)
        return response

    def list_pending_waits(self, exec_id: str, *, timeout: Optional[float] = None) -> List[execution_pb2.Wait]:
        """ListPendingWaits: the pending waits of an execution, oldest first."""
        request = runner_service_pb2.ListPendingWaitsRequest(exec_id=exec_id)
        response: runner_service_pb2.ListPendingWaitsResponse = self._unary(self.stub.ListPendingWaits, request, timeout)
        return list(response.waits)

    def resolve_wait(self, exec_id: str, wait: str, value: Any, *, timeout: Optional[float] = None) -> execution_pb2.Execution:
        """ResolveWait: answers a pending wait (by name, then wait ID) with a JSON value. Not retried."""
        request = runner_service_pb2.ResolveWaitRequest(exec_id=exec_id, wait=wait, value=json_value("value", value))
        response: runner_service_pb2.ResolveWaitResponse = self._unary(self.stub.ResolveWait, request, timeout)
        return response.execution

    def abort_wait(self, exec_id: str, wait: str, *, timeout: Optional[float] = None) -> execution_pb2.Execution:
        """AbortWait: aborts a pending wait; the execution ends cancelled."""
        request = runner_service_pb2.AbortWaitRequest(exec_id=exec_id, wait=wait)
        response: runner_service_pb2.AbortWaitResponse = self._unary(self.stub.AbortWait, request, timeout)
        return response.execution

    def retry_execution(self, exec_id: str, *, timeout: Optional[float] = None) -> execution_pb2.Execution:
        """RetryExecution: restarts a failed execution under the same ID. Not retried."""
        request = runner_service_pb2.RetryExecutionRequest(exec_id=exec_id)
        response: runner_service_pb2.RetryExecutionResponse = self._unary(self.stub.RetryExecution, request, timeout)
        return response.execution

    def cancel_execution(self, exec_id: str, *, timeout: Optional[float] = None) -> execution_pb2.Execution:
        """CancelExecution: a running or waiting execution ends cancelled."""
        request = runner_service_pb2.CancelExecutionRequest(exec_id=exec_id)
        response: runner_service_pb2.CancelExecutionResponse = self._unary(self.stub.CancelExecution, request, timeout)
        return response.execution

    def watch_execution(
        self, exec_id: str, *, follow_waits: bool = False, status_only: bool = False, timeout: Optional[float] = None
    ) -> Iterator[execution_pb2.ExecutionEvent]:
        """WatchExecution: the history (unless ``status_only``: status changes only, from the
        current one), then live events until terminal (or waiting, unless ``follow_waits``)."""
        request = runner_service_pb2.WatchExecutionRequest(exec_id=exec_id, follow_waits=follow_waits, status_only=status_only)
        response: runner_service_pb2.WatchExecutionResponse
        for response in self._stream(self.stub.WatchExecution, request, timeout):
            yield response.event

    def list_execution_logs(
        self,
        exec_id: str,
        *,
        checkpoint: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: Optional[float] = None,
    ) -> runner_service_pb2.ListExecutionLogsResponse:
        """ListExecutionLogs: one page of log lines, oldest first."""
        request = runner_service_pb2.ListExecutionLogsRequest(
            exec_id=exec_id, checkpoint=checkpoint, page_size=page_size, page_token=page_token
        )
        response: runner_service_pb2.ListExecutionLogsResponse = self._unary(
            self.stub.ListExecutionLogs, request, timeout
        )
        return response

    def watch_execution_logs(
        self, exec_id: str, *, checkpoint: str = "", timeout: Optional[float] = None
    ) -> Iterator[runner_service_pb2.WatchExecutionLogsResponse]:
        """WatchExecutionLogs: log lines so far, then new ones and status changes, until terminal."""
        request = runner_service_pb2.WatchExecutionLogsRequest(exec_id=exec_id, checkpoint=checkpoint)
        return self._stream(self.stub.WatchExecutionLogs, request, timeout)

    def get_execution_lineage(self, exec_id: str, *, timeout: Optional[float] = None) -> lineage_pb2.ExecutionLineage:
        """GetExecutionLineage: the replay family of an execution (original, replays, their replays)."""
        request = runner_service_pb2.GetExecutionLineageRequest(exec_id=exec_id)
        response: runner_service_pb2.GetExecutionLineageResponse = self._unary(
            self.stub.GetExecutionLineage, request, timeout
        )
        return response.lineage

    def compare_executions(
        self, base_exec_id: str, other_exec_id: str, *, timeout: Optional[float] = None
    ) -> lineage_pb2.ExecutionComparison:
        """CompareExecutions: two executions call by call, ``other`` relative to ``base``."""
        request = runner_service_pb2.CompareExecutionsRequest(base_exec_id=base_exec_id, other_exec_id=other_exec_id)
        response: runner_service_pb2.CompareExecutionsResponse = self._unary(
            self.stub.CompareExecutions, request, timeout
        )
        return response.comparison

    def list_flows(self, *, timeout: Optional[float] = None) -> List[execution_pb2.Flow]:
        """ListFlows: the flows this runner serves, sorted by name."""
        return list(self.list_flows_response(timeout=timeout).flows)

    def list_flows_response(self, *, timeout: Optional[float] = None) -> runner_service_pb2.ListFlowsResponse:
        """ListFlows, the whole response: the flows and the ``flow_version`` of the code this runner serves."""
        response: runner_service_pb2.ListFlowsResponse = self._unary(
            self.stub.ListFlows, runner_service_pb2.ListFlowsRequest(), timeout
        )
        return response

    def verify_executions(
        self,
        *,
        exec_ids: Sequence[str] = (),
        flow_name: str = "",
        status: execution_pb2.ExecutionStatus = execution_pb2.EXECUTION_STATUS_UNSPECIFIED,
        page_size: int = 0,
        page_token: str = "",
        timeout: Optional[float] = None,
    ) -> runner_service_pb2.VerifyExecutionsResponse:
        """VerifyExecutions: checks executions against the code this runner serves, running and writing nothing.

        By ``exec_ids`` (at most 200; the filter fields must then be empty), or one
        page of a filter, newest first.
        """
        request = runner_service_pb2.VerifyExecutionsRequest(
            exec_ids=list(exec_ids), flow_name=flow_name, status=status, page_size=page_size, page_token=page_token
        )
        response: runner_service_pb2.VerifyExecutionsResponse = self._unary(self.stub.VerifyExecutions, request, timeout)
        return response

    def get_call_graph(self, exec_id: str, *, timeout: Optional[float] = None) -> replay_plan_pb2.CallGraph:
        """GetCallGraph (RunnerInternalService, the planner's call): the lineage of an execution's calls, without outputs."""
        request = runner_internal_service_pb2.GetCallGraphRequest(exec_id=exec_id)
        response: runner_internal_service_pb2.GetCallGraphResponse = self._unary(
            self.internal_stub.GetCallGraph, request, timeout
        )
        return response.graph

    def start_replay(
        self,
        plan: replay_plan_pb2.ReplayPlan,
        *,
        request_id: Optional[str] = None,
        validate_only: bool = False,
        timeout: Optional[float] = None,
    ) -> execution_pb2.Execution:
        """StartReplay (RunnerInternalService, the planner's call): creates the execution a plan describes.

        Idempotent on ``request_id`` (a new UUID when None or empty) and retried like
        :meth:`start_execution`. ``validate_only`` creates nothing.
        """
        request = runner_internal_service_pb2.StartReplayRequest(
            plan=plan, request_id=request_id or new_request_id(), validate_only=validate_only
        )
        response: runner_internal_service_pb2.StartReplayResponse = self._retried(
            lambda: self._unary(self.internal_stub.StartReplay, request, timeout)
        )
        return response.execution

    @staticmethod
    def to_python(value: Any) -> Any:
        """A ``google.protobuf.Value`` or ``Struct`` (e.g. ``execution.result``) as plain Python data."""
        if isinstance(value, struct_pb2.Struct):
            return dict_from_struct(value)
        return python_from_value(value)


class PlannerClient(_ServiceClient):
    """A client of ``kitaru.planner.v1.PlannerService``; ``max_attempts`` bounds ``replay_execution`` and ``start_replay_job``."""

    _option = "planner_url"
    _stub_class = planner_service_pb2_grpc.PlannerServiceStub

    def plan_replay(
        self,
        exec_id: str,
        from_: str,
        *,
        args: Optional[Mapping[str, Any]] = None,
        overrides: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
        allow_override_type_change: bool = False,
        answer_waits_from_source: Sequence[str] = (),
    ) -> replay_plan_pb2.ReplayPlan:
        """PlanReplay: the plan of a replay, creating nothing; the same errors as :meth:`replay_execution`."""
        request = planner_service_pb2.PlanReplayRequest(
            exec_id=exec_id,
            args=json_struct("args", args),
            overrides=json_struct("overrides", overrides),
            allow_override_type_change=allow_override_type_change,
            answer_waits_from_source=list(answer_waits_from_source),
        )
        setattr(request, "from", from_)  # `from` is a Python keyword
        response: planner_service_pb2.PlanReplayResponse = self._unary(self.stub.PlanReplay, request, timeout)
        return response.plan

    def replay_execution(
        self,
        exec_id: str,
        from_: str,
        *,
        args: Optional[Mapping[str, Any]] = None,
        overrides: Optional[Mapping[str, Any]] = None,
        request_id: Optional[str] = None,
        timeout: Optional[float] = None,
        allow_override_type_change: bool = False,
        answer_waits_from_source: Sequence[str] = (),
    ) -> execution_pb2.Execution:
        """ReplayExecution: plans a replay and starts the new execution.

        Idempotent on ``request_id`` (a new UUID when None or empty), and retried on
        UNAVAILABLE / DEADLINE_EXCEEDED with the same ID.
        """
        request = planner_service_pb2.ReplayExecutionRequest(
            exec_id=exec_id,
            args=json_struct("args", args),
            overrides=json_struct("overrides", overrides),
            request_id=request_id or new_request_id(),
            allow_override_type_change=allow_override_type_change,
            answer_waits_from_source=list(answer_waits_from_source),
        )
        setattr(request, "from", from_)
        response: planner_service_pb2.ReplayExecutionResponse = self._retried(
            lambda: self._unary(self.stub.ReplayExecution, request, timeout)
        )
        return response.execution

    def start_replay_job(
        self,
        spec: replay_job_pb2.ReplayJobSpec,
        *,
        request_id: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> planner_service_pb2.StartReplayJobResponse:
        """StartReplayJob: selects the sources, stores the job and starts replaying them; with
        ``spec.plan_only`` it plans every source and creates nothing (the response's ``items``).

        Idempotent on ``request_id`` (a new UUID when None or empty): the same ID returns the
        same job and never replays a source twice; retried on UNAVAILABLE / DEADLINE_EXCEEDED
        with that ID.
        """
        request = planner_service_pb2.StartReplayJobRequest(spec=spec, request_id=request_id or new_request_id())
        response: planner_service_pb2.StartReplayJobResponse = self._retried(
            lambda: self._unary(self.stub.StartReplayJob, request, timeout)
        )
        return response

    def get_replay_job(self, job_id: str, *, timeout: Optional[float] = None) -> replay_job_pb2.ReplayJob:
        """GetReplayJob: a job with its totals."""
        request = planner_service_pb2.GetReplayJobRequest(job_id=job_id)
        response: planner_service_pb2.GetReplayJobResponse = self._unary(self.stub.GetReplayJob, request, timeout)
        return response.job

    def list_replay_jobs(
        self, *, page_size: int = 0, page_token: str = "", timeout: Optional[float] = None
    ) -> planner_service_pb2.ListReplayJobsResponse:
        """ListReplayJobs: one page of jobs, newest first (default 20, at most 200 per page)."""
        request = planner_service_pb2.ListReplayJobsRequest(page_size=page_size, page_token=page_token)
        response: planner_service_pb2.ListReplayJobsResponse = self._unary(self.stub.ListReplayJobs, request, timeout)
        return response

    def list_replay_job_items(
        self,
        job_id: str,
        *,
        changed_only: bool = False,
        page_size: int = 0,
        page_token: str = "",
        timeout: Optional[float] = None,
    ) -> planner_service_pb2.ListReplayJobItemsResponse:
        """ListReplayJobItems: one page of a job's sources in the job's order (default 100, at most
        1000 per page); ``changed_only``: those whose replay's result changed."""
        request = planner_service_pb2.ListReplayJobItemsRequest(
            job_id=job_id, changed_only=changed_only, page_size=page_size, page_token=page_token
        )
        response: planner_service_pb2.ListReplayJobItemsResponse = self._unary(
            self.stub.ListReplayJobItems, request, timeout
        )
        return response

    def cancel_replay_job(self, job_id: str, *, timeout: Optional[float] = None) -> replay_job_pb2.ReplayJob:
        """CancelReplayJob: no replay is started after it; started ones run on. An ended job is left as it is."""
        request = planner_service_pb2.CancelReplayJobRequest(job_id=job_id)
        response: planner_service_pb2.CancelReplayJobResponse = self._unary(self.stub.CancelReplayJob, request, timeout)
        return response.job

    def watch_replay_job(
        self, job_id: str, *, timeout: Optional[float] = None
    ) -> Iterator[planner_service_pb2.WatchReplayJobResponse]:
        """WatchReplayJob: the job and every item first, then the job and the changed items
        whenever something changed, until the job ends."""
        request = planner_service_pb2.WatchReplayJobRequest(job_id=job_id)
        return self._stream(self.stub.WatchReplayJob, request, timeout)
