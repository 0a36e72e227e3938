"""``client.executions``: read, steer, replay and follow executions (Kitaru's method names).

Replay and its dry run go to the PlannerService, everything else to the
RunnerService. Results are the dataclasses of :mod:`kitaru_client.models`;
every failure is a :class:`~kitaru_client.errors.KitaruError` subclass.
Each method takes ``timeout=`` (seconds) to override the client's default
deadline for that call; streams (``watch``, ``follow_logs``) have no deadline
unless given one.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, TypeVar, Union

import grpc

from ._convert import (
    comparison_from_proto,
    event_from_proto,
    execution_from_proto,
    execution_status_to_proto,
    lineage_from_proto,
    log_entry_from_proto,
    log_event_from_proto,
    replay_plan_from_proto,
    verification_from_proto,
    wait_from_proto,
)
from .errors import (
    KitaruBackendError,
    KitaruDivergenceError,
    KitaruExecutionError,
    KitaruFeatureNotAvailableError,
    KitaruLogRetrievalError,
    KitaruNotFoundError,
    KitaruPendingWaitError,
    KitaruTimeoutError,
    KitaruUsageError,
    KitaruUserCodeError,
)
from .gen.kitaru.runner.v1 import execution_pb2
from .models import (
    DivergenceDetail,
    DivergenceKind,
    Execution,
    ExecutionComparison,
    ExecutionEvent,
    ExecutionLineage,
    ExecutionStatus,
    ExecutionVerification,
    FailureOrigin,
    LogEntry,
    PendingWait,
    ReplayPlan,
    StatusChange,
    VerifyExecutionsResult,
)
from .services import PlannerClient, RunnerClient

#: The most executions one ListExecutions page holds.
MAX_PAGE_SIZE = 200
#: The most lines one ListExecutionLogs page holds.
MAX_LOG_PAGE_SIZE = 1000
#: How many executions ``verify()`` checks by a filter unless given a ``limit``.
DEFAULT_VERIFY_LIMIT = 20

_STATUSES = ", ".join(s.value for s in ExecutionStatus)

_Item = TypeVar("_Item")


def _status_filter(status: Union[ExecutionStatus, str, None]) -> Optional[ExecutionStatus]:
    if status is None:
        return None
    try:
        return ExecutionStatus(status)
    except ValueError:
        raise KitaruUsageError(
            f"Unsupported status filter '{status}'. Expected one of: {_STATUSES}.", metadata={"status": str(status)}
        ) from None


def _positive(name: str, value: Optional[int]) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise KitaruUsageError(f"`{name}` must be >= 1 when provided.", metadata={name: str(value)})
    return value


def merge_inputs(inputs: Optional[Mapping[str, Any]], flow_inputs: Mapping[str, Any]) -> Dict[str, Any]:
    """Flow inputs given as ``inputs={...}`` and as keyword arguments; a name given both ways → usage error.

    ``inputs`` exists for input names that the method's own parameters take
    (``timeout``, ``request_id``, ``inputs``, ...).
    """
    merged = dict(inputs or {})
    twice = sorted(set(merged) & set(flow_inputs))
    if twice:
        raise KitaruUsageError(
            f"Flow input {', '.join(repr(n) for n in twice)} given both in `inputs` and as a keyword argument.",
            metadata={"inputs": ",".join(twice)},
        )
    merged.update(flow_inputs)
    return merged


def _collect_pages(
    fetch: Callable[[int, str], Tuple[List[_Item], str]], limit: Optional[int], max_page_size: int
) -> List[_Item]:
    """Follows page tokens until the last page, or until ``limit`` items (``fetch(page_size, token)`` reads one)."""
    items: List[_Item] = []
    token = ""
    while True:
        page, token = fetch(max_page_size if limit is None else min(limit - len(items), max_page_size), token)
        items.extend(page)
        if not token or (limit is not None and len(items) >= limit):
            return items[:limit]


@contextlib.contextmanager
def _log_retrieval(exec_id: str) -> Iterator[None]:
    """Backend failures while reading logs become :class:`KitaruLogRetrievalError` (Kitaru's class)."""
    try:
        yield
    except KitaruBackendError as e:
        if isinstance(e, KitaruLogRetrievalError):
            raise
        raise KitaruLogRetrievalError(
            f"Failed to retrieve logs for execution '{exec_id}': {e.message}",
            code=e.code,
            metadata={**e.metadata, "execId": exec_id},
            rpc_status=e.rpc_status,
        ) from e


class ExecutionsClient:
    """The executions API of a :class:`~kitaru_client.KitaruClient`: ``client.executions``."""

    def __init__(self, runner: RunnerClient, planner: PlannerClient) -> None:
        self._runner = runner
        self._planner = planner

    # --- reading -----------------------------------------------------------

    def get(self, exec_id: str, *, timeout: Optional[float] = None) -> Execution:
        """One execution with its checkpoint calls (outputs included). Unknown ID → :class:`KitaruNotFoundError`."""
        return execution_from_proto(self._runner.get_whole_execution(exec_id, timeout=timeout))

    def read_value(self, exec_id: str, path: str, *, timeout: Optional[float] = None) -> Any:
        """One value of an execution by its path (``"input"``, ``"result"``,
        ``"checkpoints/<invocation_id>/output"``, ``"checkpoints/<invocation_id>/override_value"``,
        ``"waits/<name>/value"``).

        ``get()`` already reads what a response left out; this reads the values
        ``list()`` results name in ``omitted_values``. No such value →
        :class:`KitaruNotFoundError`; a malformed path → :class:`KitaruUsageError`.
        """
        return self._runner.read_execution_value(exec_id, path, timeout=timeout)

    def list(
        self,
        *,
        flow: Optional[str] = None,
        status: Union[ExecutionStatus, str, None] = None,
        limit: Optional[int] = None,
        page: Optional[int] = None,
        size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> List[Execution]:
        """Executions, newest first, without checkpoint calls (as Kitaru).

        ``limit``: the first ``limit``; ``page``/``size``: page ``page`` (from 1)
        of ``size`` executions (``size`` alone: page 1); neither: all of them.
        ``limit`` with ``page``/``size``, ``page`` without ``size``, a value
        below 1 or an unknown ``status`` → :class:`KitaruUsageError`.
        """
        wanted = _status_filter(status)
        limit = _positive("limit", limit)
        page = _positive("page", page)
        size = _positive("size", size)
        if limit is not None and (page is not None or size is not None):
            raise KitaruUsageError("`limit` cannot be combined with `page`/`size`.", metadata={"limit": str(limit)})
        if page is not None and size is None:
            raise KitaruUsageError("`page` requires `size`.", metadata={"page": str(page)})
        skip = 0
        if size is not None:
            skip = ((page or 1) - 1) * size
            limit = skip + size
        status_pb = execution_status_to_proto(wanted) if wanted else execution_pb2.EXECUTION_STATUS_UNSPECIFIED

        def fetch(page_size: int, token: str) -> Tuple[List[Execution], str]:
            response = self._runner.list_executions(
                flow_name=flow or "", status=status_pb, page_size=page_size, page_token=token, timeout=timeout
            )
            return [execution_from_proto(e) for e in response.executions], response.next_page_token

        return _collect_pages(fetch, limit, MAX_PAGE_SIZE)[skip:]

    def latest(
        self,
        *,
        flow: Optional[str] = None,
        status: Union[ExecutionStatus, str, None] = None,
        timeout: Optional[float] = None,
    ) -> Execution:
        """The newest execution matching the filters, with its checkpoint calls.

        None → :class:`KitaruNotFoundError` (a ``LookupError``, like Kitaru's).
        """
        newest = self.list(flow=flow, status=status, limit=1, timeout=timeout)
        if not newest:
            filters = " and ".join(f"{k}='{v}'" for k, v in (("flow", flow), ("status", status)) if v is not None)
            raise KitaruNotFoundError(
                f"No executions found{' for ' + filters if filters else ''}.",
                resource_type="execution",
                metadata={k: str(v) for k, v in (("flow", flow), ("status", status)) if v is not None},
            )
        return self.get(newest[0].exec_id, timeout=timeout)

    def pending_waits(self, exec_id: str, *, timeout: Optional[float] = None) -> List[PendingWait]:
        """The pending waits of an execution, oldest first."""
        return [wait_from_proto(w) for w in self._runner.list_pending_waits(exec_id, timeout=timeout)]

    def verify(
        self,
        exec_ids: Optional[Sequence[str]] = None,
        *,
        flow: Optional[str] = None,
        status: Union[ExecutionStatus, str, None] = None,
        limit: int = DEFAULT_VERIFY_LIMIT,
        timeout: Optional[float] = None,
    ) -> VerifyExecutionsResult:
        """Checks recorded executions against the flow code the runner serves, running and writing nothing
        (``kitaru executions verify``): per execution, whether that code would continue it (``compatible``),
        diverges from its record (``diverged``, with ``divergence``), would fail, or was skipped.

        ``exec_ids`` (at most 200) selects by ID; otherwise ``flow`` and ``status``
        select the newest ``limit`` executions (default 20), paging as needed.
        IDs with a filter, ``limit`` below 1 or an unknown ``status`` → :class:`KitaruUsageError`.
        """
        ids = list(exec_ids or [])
        if ids:
            if flow is not None or status is not None:
                raise KitaruUsageError(
                    "Give execution IDs or a filter (`flow`, `status`), not both.", metadata={"count": str(len(ids))}
                )
            response = self._runner.verify_executions(exec_ids=ids, timeout=timeout)
            return VerifyExecutionsResult(
                flow_version=response.flow_version, results=[verification_from_proto(r) for r in response.results]
            )
        wanted = _status_filter(status)
        checked = _positive("limit", limit)
        status_pb = execution_status_to_proto(wanted) if wanted else execution_pb2.EXECUTION_STATUS_UNSPECIFIED
        versions: List[str] = []

        def fetch(page_size: int, token: str) -> Tuple[List[ExecutionVerification], str]:
            response = self._runner.verify_executions(
                flow_name=flow or "", status=status_pb, page_size=page_size, page_token=token, timeout=timeout
            )
            versions.append(response.flow_version)
            return [verification_from_proto(r) for r in response.results], response.next_page_token

        results = _collect_pages(fetch, checked, MAX_PAGE_SIZE)
        return VerifyExecutionsResult(flow_version=versions[-1] if versions else "", results=results)

    # --- steering ----------------------------------------------------------

    def input(self, exec_id: str, *, wait: str, value: Any, timeout: Optional[float] = None) -> Execution:
        """Answers a pending wait (``wait``: its name, else its wait ID); the execution continues by itself.

        A value the wait's schema rejects → :class:`KitaruWaitValidationError`
        (the execution keeps waiting); no such pending wait → :class:`KitaruStateError`.
        Returns the execution right after (without checkpoint calls).
        """
        return execution_from_proto(self._runner.resolve_wait(exec_id, wait, value, timeout=timeout))

    def abort_wait(self, exec_id: str, *, wait: str, timeout: Optional[float] = None) -> Execution:
        """Aborts a pending wait (name, else wait ID); the execution ends ``cancelled``."""
        return execution_from_proto(self._runner.abort_wait(exec_id, wait, timeout=timeout))

    def retry(self, exec_id: str, *, timeout: Optional[float] = None) -> Execution:
        """Restarts a ``failed`` execution under the same ID; completed calls are reused. Else → state error."""
        return execution_from_proto(self._runner.retry_execution(exec_id, timeout=timeout))

    def cancel(self, exec_id: str, *, timeout: Optional[float] = None) -> Execution:
        """Cancels a ``running`` or ``waiting`` execution; it ends ``cancelled``."""
        return execution_from_proto(self._runner.cancel_execution(exec_id, timeout=timeout))

    # --- replay ------------------------------------------------------------

    def replay(
        self,
        exec_id: str,
        *,
        from_: str,
        overrides: Optional[Mapping[str, Any]] = None,
        request_id: Optional[str] = None,
        timeout: Optional[float] = None,
        inputs: Optional[Mapping[str, Any]] = None,
        allow_override_type_change: bool = False,
        answer_waits_from_source: Sequence[str] = (),
        **flow_inputs: Any,
    ) -> Execution:
        """Replays an execution as a new one from checkpoint ``from_``; the source never changes.

        Flow inputs come as keyword arguments (shallow-merged onto the source's
        input), or in ``inputs`` for names the parameters above take.
        ``overrides`` maps ``checkpoint.<selector>`` keys to the output the new
        execution sees instead. The request carries ``request_id`` (a new UUID
        when None) and is retried with it on UNAVAILABLE/DEADLINE_EXCEEDED, so
        one call creates one execution. Bad selectors or keys →
        :class:`KitaruUsageError`/:class:`KitaruStateError`, nothing created.
        An override value must fit the checkpoint's declared output schema (or
        the JSON type of its recorded output), else :class:`KitaruUsageError`;
        ``allow_override_type_change=True`` lets a change of type through.
        ``answer_waits_from_source`` names waits (the name given to ``wait()``)
        the replay answers with the source's recorded answer to the wait of the
        same occurrence, recorded as copied from the source (``Wait.answered_by``);
        a wait the source never answered waits for input as usual
        (``Wait.source_answer_note`` says why). By default every wait asks again.
        """
        return execution_from_proto(
            self._planner.replay_execution(
                exec_id,
                from_,
                args=merge_inputs(inputs, flow_inputs),
                overrides=overrides,
                request_id=request_id,
                timeout=timeout,
                allow_override_type_change=allow_override_type_change,
                answer_waits_from_source=answer_waits_from_source,
            )
        )

    def plan(
        self,
        exec_id: str,
        *,
        from_: str,
        overrides: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
        inputs: Optional[Mapping[str, Any]] = None,
        allow_override_type_change: bool = False,
        answer_waits_from_source: Sequence[str] = (),
        **flow_inputs: Any,
    ) -> ReplayPlan:
        """The plan :meth:`replay` would follow, computed without creating anything; the same errors."""
        return replay_plan_from_proto(
            self._planner.plan_replay(
                exec_id,
                from_,
                args=merge_inputs(inputs, flow_inputs),
                overrides=overrides,
                timeout=timeout,
                allow_override_type_change=allow_override_type_change,
                answer_waits_from_source=answer_waits_from_source,
            )
        )

    # --- following ---------------------------------------------------------

    def watch(
        self, exec_id: str, *, follow_waits: bool = False, timeout: Optional[float] = None
    ) -> Iterator[ExecutionEvent]:
        """The execution's events: its history first, then live ones until it ends (or waits, unless ``follow_waits``).

        Stop early with ``break`` (or close the iterator): the stream is cancelled.
        """
        for event in self._runner.watch_execution(exec_id, follow_waits=follow_waits, timeout=timeout):
            self._runner.fill_omitted_event_value(event, timeout=timeout)
            plain = event_from_proto(event)
            if plain is not None:
                yield plain

    def logs(
        self,
        exec_id: str,
        *,
        checkpoint: Optional[str] = None,
        limit: Optional[int] = None,
        source: str = "step",
        timeout: Optional[float] = None,
    ) -> List[LogEntry]:
        """The lines checkpoint code wrote, oldest first (by call, attempt, then time).

        ``checkpoint`` keeps the lines of calls with that name, invocation ID or
        call ID. ``source`` is Kitaru's: only ``step`` is stored here (``runner``
        → :class:`KitaruFeatureNotAvailableError`). ``limit`` below 1 →
        :class:`KitaruUsageError`; backend failures → :class:`KitaruLogRetrievalError`.
        """
        _check_source(source)
        limit = _positive("limit", limit)

        def fetch(page_size: int, token: str) -> Tuple[List[LogEntry], str]:
            response = self._runner.list_execution_logs(
                exec_id, checkpoint=checkpoint or "", page_size=page_size, page_token=token, timeout=timeout
            )
            return [log_entry_from_proto(e) for e in response.entries], response.next_page_token

        with _log_retrieval(exec_id):
            return _collect_pages(fetch, limit, MAX_LOG_PAGE_SIZE)

    def follow_logs(
        self, exec_id: str, *, checkpoint: Optional[str] = None, timeout: Optional[float] = None
    ) -> Iterator[Union[LogEntry, StatusChange]]:
        """Log lines as they are written, with each status change, until the execution ends.

        Yields the lines written so far, then new ones (:class:`LogEntry`) and
        the execution's status changes (:class:`StatusChange`); the last item
        is its terminal status.
        """
        with _log_retrieval(exec_id):
            for response in self._runner.watch_execution_logs(exec_id, checkpoint=checkpoint or "", timeout=timeout):
                if response.HasField("status_changed"):
                    self._runner.fill_omitted_status_result(exec_id, response.status_changed, timeout=timeout)
                item = log_event_from_proto(response)
                if item is not None:
                    yield item

    def lineage(self, exec_id: str, *, timeout: Optional[float] = None) -> ExecutionLineage:
        """The replay family of any of its members: the original, its replays and theirs
        (``kitaru executions tree``). Unknown ID → :class:`KitaruNotFoundError`."""
        return lineage_from_proto(self._runner.get_execution_lineage(exec_id, timeout=timeout))

    def compare(self, base_exec_id: str, other_exec_id: str, *, timeout: Optional[float] = None) -> ExecutionComparison:
        """``other`` next to ``base`` call by call: reused, same output, changed output (with
        the JSON changes), overridden, new, not reached (``kitaru executions diff``)."""
        return comparison_from_proto(self._runner.compare_executions(base_exec_id, other_exec_id, timeout=timeout))

    def result(self, exec_id: str, *, timeout: Optional[float] = None) -> Any:
        """Waits for the execution to finish and returns the flow's result (Kitaru's ``handle.wait()``).

        Raises :class:`KitaruDivergenceError` (failed with origin divergence,
        ``detail`` set), :class:`KitaruUserCodeError` (failed in user code),
        :class:`KitaruExecutionError` (failed otherwise, or cancelled),
        :class:`KitaruPendingWaitError` when it stops at pending waits (answer
        them, then call again), :class:`KitaruTimeoutError` after ``timeout``
        seconds (the execution is left alone). Follows the watch stream (status
        changes only), and opens it again if it ends early.
        """
        started = time.monotonic()
        last: Optional[Execution] = None
        quiet_rounds = 0
        while True:
            remaining = None if timeout is None else timeout - (time.monotonic() - started)
            if remaining is not None and remaining <= 0:
                raise self._timed_out(exec_id, timeout, started, last)
            seen = 0
            try:
                for _ in self._runner.watch_execution(exec_id, status_only=True, timeout=remaining):
                    seen += 1
            except KitaruBackendError as e:
                if e.code != grpc.StatusCode.DEADLINE_EXCEEDED or remaining is None:
                    raise
                raise self._timed_out(exec_id, timeout, started, last) from e
            last = execution_from_proto(self._runner.get_execution(exec_id, timeout=remaining))
            if last.status.is_terminal or (last.status is ExecutionStatus.WAITING and last.pending_waits):
                return _outcome(last)
            # The stream ended while the execution still runs: back off so that
            # a server closing streams early is not hammered.
            quiet_rounds = quiet_rounds + 1 if seen == 0 else 0
            if quiet_rounds:
                time.sleep(min(2.0, 0.05 * 2**quiet_rounds))

    @staticmethod
    def _timed_out(exec_id: str, timeout: Optional[float], started: float, last: Optional[Execution]) -> KitaruTimeoutError:
        return KitaruTimeoutError(
            exec_id,
            timeout_seconds=timeout or 0.0,
            elapsed_seconds=time.monotonic() - started,
            last_status=last.status if last is not None else None,
        )


def _check_source(source: str) -> None:
    value = source.strip().lower()
    if value == "runner":
        raise KitaruFeatureNotAvailableError(
            "`source='runner'` is not available: kitaru stores the logs of checkpoint code (`step`); "
            "the runner's own lines are on its console.",
            metadata={"source": source},
        )
    if value != "step":
        raise KitaruUsageError(f"`source` must be 'step'; got '{source}'.", metadata={"source": source})


def _outcome(execution: Execution) -> Any:
    """The result of a settled execution, or the error waiting on it raises."""
    exec_id = execution.exec_id
    if execution.status is ExecutionStatus.COMPLETED:
        return execution.result
    if execution.status is ExecutionStatus.WAITING:
        raise KitaruPendingWaitError(exec_id, execution.pending_waits)
    failure = execution.failure
    metadata = {"execId": exec_id, "status": execution.status.value}
    if execution.status is ExecutionStatus.CANCELLED:
        raise KitaruExecutionError(
            f"Execution '{exec_id}' was cancelled.", exec_id=exec_id, status="cancelled", failure=failure, metadata=metadata
        )
    metadata["origin"] = failure.origin.value if failure else FailureOrigin.UNKNOWN.value
    if failure is not None and failure.origin is FailureOrigin.DIVERGENCE:
        detail = failure.divergence or DivergenceDetail(
            exec_id=exec_id,
            source_exec_id=execution.original_exec_id or "",
            invocation_id=failure.invocation_id or "",
            kind=DivergenceKind.DEPENDENCIES_CHANGED,
            recorded="",
            seen="",
        )
        raise KitaruDivergenceError(
            f"Execution '{exec_id}' diverged from its recorded call sequence at '{detail.invocation_id}': "
            f"{failure.message} Check that the flow still issues reused checkpoints in the same order with the "
            "same inputs, or replay from an earlier checkpoint.",
            exec_id=exec_id,
            status="failed",
            failure=failure,
            detail=detail,
            metadata={**metadata, "invocationId": detail.invocation_id},
        )
    if failure is None:
        text = "no failure metadata was recorded"
    else:
        at = f" (checkpoint '{failure.invocation_id}')" if failure.invocation_id else ""
        text = f"{failure.exception_type + ': ' if failure.exception_type else ''}{failure.message}{at}"
    cls = KitaruUserCodeError if failure is not None and failure.origin is FailureOrigin.USER_CODE else KitaruExecutionError
    raise cls(f"Execution '{exec_id}' failed: {text}.", exec_id=exec_id, status="failed", failure=failure, metadata=metadata)
