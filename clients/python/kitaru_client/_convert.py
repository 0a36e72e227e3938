"""From the generated wire messages to the plain dataclasses of :mod:`kitaru_client.models`.

Unset or unknown enum values (a newer server) read as the most cautious
public value, as in the TypeScript client: an execution ``running`` (so
waiting callers keep waiting), a call ``running``, a wait ``pending``, an
origin ``unknown``, a log line ``info``.
"""

from __future__ import annotations

from typing import Dict, Optional, Union

from ._json import (
    datetime_from_timestamp,
    optional_struct,
    optional_value,
    struct_field,
)
from .gen.kitaru.errors.v1 import errors_pb2
from .gen.kitaru.runner.v1 import execution_pb2 as pb
from .gen.kitaru.runner.v1 import lineage_pb2, replay_plan_pb2, runner_service_pb2
from .models import (
    CallComparison,
    CallComparisonKind,
    ExecutionComparison,
    ExecutionLineage,
    JsonChange,
    LineageEdge,
    LineageNode,
    AttemptStatus,
    CallAttempt,
    CheckpointCall,
    CheckpointStatus,
    DivergenceDetail,
    DivergenceKind,
    EventKind,
    Execution,
    ExecutionEvent,
    ExecutionStatus,
    ExecutionVerification,
    Failure,
    FailureOrigin,
    Flow,
    FlowVersionRun,
    LogEntry,
    LogLevel,
    PendingWait,
    PlannedCall,
    PlannedOverride,
    ReplayOrigin,
    ReplayPlan,
    StatusChange,
    VerificationVerdict,
    VersionHold,
    WaitStatus,
)

_EXECUTION_STATUS: Dict[int, ExecutionStatus] = {
    pb.EXECUTION_STATUS_RUNNING: ExecutionStatus.RUNNING,
    pb.EXECUTION_STATUS_WAITING: ExecutionStatus.WAITING,
    pb.EXECUTION_STATUS_COMPLETED: ExecutionStatus.COMPLETED,
    pb.EXECUTION_STATUS_FAILED: ExecutionStatus.FAILED,
    pb.EXECUTION_STATUS_CANCELLED: ExecutionStatus.CANCELLED,
}
_EXECUTION_STATUS_TO_PB: Dict[ExecutionStatus, pb.ExecutionStatus] = {
    ExecutionStatus.RUNNING: pb.EXECUTION_STATUS_RUNNING,
    ExecutionStatus.WAITING: pb.EXECUTION_STATUS_WAITING,
    ExecutionStatus.COMPLETED: pb.EXECUTION_STATUS_COMPLETED,
    ExecutionStatus.FAILED: pb.EXECUTION_STATUS_FAILED,
    ExecutionStatus.CANCELLED: pb.EXECUTION_STATUS_CANCELLED,
}

_CALL_STATUS: Dict[int, CheckpointStatus] = {
    pb.CHECKPOINT_CALL_STATUS_COMPLETED: CheckpointStatus.COMPLETED,
    pb.CHECKPOINT_CALL_STATUS_FAILED: CheckpointStatus.FAILED,
    pb.CHECKPOINT_CALL_STATUS_REUSED: CheckpointStatus.REUSED,
    pb.CHECKPOINT_CALL_STATUS_CANCELLED: CheckpointStatus.CANCELLED,
}

_ATTEMPT_STATUS: Dict[int, AttemptStatus] = {
    pb.CALL_ATTEMPT_STATUS_COMPLETED: AttemptStatus.COMPLETED,
    pb.CALL_ATTEMPT_STATUS_CANCELLED: AttemptStatus.CANCELLED,
}

_WAIT_STATUS: Dict[int, WaitStatus] = {
    pb.WAIT_STATUS_RESOLVED: WaitStatus.RESOLVED,
    pb.WAIT_STATUS_ABORTED: WaitStatus.ABORTED,
}

_ORIGIN: Dict[int, FailureOrigin] = {
    pb.FAILURE_ORIGIN_USER_CODE: FailureOrigin.USER_CODE,
    pb.FAILURE_ORIGIN_RUNTIME: FailureOrigin.RUNTIME,
    pb.FAILURE_ORIGIN_BACKEND: FailureOrigin.BACKEND,
    pb.FAILURE_ORIGIN_DIVERGENCE: FailureOrigin.DIVERGENCE,
}

_DIVERGENCE_KIND: Dict[int, DivergenceKind] = {
    errors_pb2.DIVERGENCE_KIND_DEPENDS_ON_CHANGED_CALL: DivergenceKind.DEPENDS_ON_CHANGED_CALL,
    errors_pb2.DIVERGENCE_KIND_ORDER_CHANGED: DivergenceKind.ORDER_CHANGED,
    errors_pb2.DIVERGENCE_KIND_NAME_CHANGED: DivergenceKind.NAME_CHANGED,
    errors_pb2.DIVERGENCE_KIND_CALL_REPLACED: DivergenceKind.CALL_REPLACED,
    errors_pb2.DIVERGENCE_KIND_WAIT_CHANGED: DivergenceKind.WAIT_CHANGED,
}

_VERDICT: Dict[int, VerificationVerdict] = {
    pb.VERIFICATION_VERDICT_COMPATIBLE: VerificationVerdict.COMPATIBLE,
    pb.VERIFICATION_VERDICT_DIVERGED: VerificationVerdict.DIVERGED,
    pb.VERIFICATION_VERDICT_FAILED: VerificationVerdict.FAILED,
    pb.VERIFICATION_VERDICT_SKIPPED: VerificationVerdict.SKIPPED,
}

_LOG_LEVEL: Dict[int, LogLevel] = {
    pb.LOG_LEVEL_DEBUG: LogLevel.DEBUG,
    pb.LOG_LEVEL_WARN: LogLevel.WARN,
    pb.LOG_LEVEL_ERROR: LogLevel.ERROR,
}

_CALL_EVENTS = {
    "call_started": EventKind.CALL_STARTED,
    "call_completed": EventKind.CALL_COMPLETED,
    "call_reused": EventKind.CALL_REUSED,
    "call_failed": EventKind.CALL_FAILED,
    "call_cancelled": EventKind.CALL_CANCELLED,
}
_WAIT_EVENTS = {"wait_pending": EventKind.WAIT_PENDING, "wait_resolved": EventKind.WAIT_RESOLVED}


def execution_status_from_proto(status: int) -> ExecutionStatus:
    """The public status of an ``ExecutionStatus`` value (unset reads as running)."""
    return _EXECUTION_STATUS.get(status, ExecutionStatus.RUNNING)


def execution_status_to_proto(status: ExecutionStatus) -> pb.ExecutionStatus:
    """The ``ExecutionStatus`` value of a public status."""
    return _EXECUTION_STATUS_TO_PB[status]


def _text(value: str) -> Optional[str]:
    return value or None


def divergence_from_proto(detail: errors_pb2.DivergenceDetail) -> DivergenceDetail:
    """The plain divergence evidence (an unset kind, only from a newer server, reads as the most general rule)."""
    return DivergenceDetail(
        exec_id=detail.exec_id,
        source_exec_id=detail.source_exec_id,
        invocation_id=detail.invocation_id,
        kind=_DIVERGENCE_KIND.get(detail.kind, DivergenceKind.DEPENDENCIES_CHANGED),
        recorded=detail.recorded,
        seen=detail.seen,
        recorded_dependencies=list(detail.recorded_dependencies),
        seen_dependencies=list(detail.seen_dependencies),
        recorded_flow_version=_text(detail.recorded_flow_version),
        flow_version=_text(detail.flow_version),
        replay_command=_text(detail.replay_command),
        replay_from=_text(detail.replay_from),
    )


def failure_from_proto(failure: pb.Failure) -> Failure:
    """The plain failure metadata of a ``kitaru.runner.v1.Failure``."""
    return Failure(
        origin=_ORIGIN.get(failure.origin, FailureOrigin.UNKNOWN),
        message=failure.message,
        exception_type=failure.exception_type,
        traceback=_text(failure.traceback),
        invocation_id=_text(failure.invocation_id),
        divergence=divergence_from_proto(failure.divergence) if failure.HasField("divergence") else None,
    )


def _optional_failure(
    message: Union[pb.Execution, pb.CheckpointCall, pb.CallAttempt, pb.StatusChange],
) -> Optional[Failure]:
    return failure_from_proto(message.failure) if message.HasField("failure") else None


def _attempt_from_proto(attempt: pb.CallAttempt) -> CallAttempt:
    return CallAttempt(
        number=attempt.number,
        status=_ATTEMPT_STATUS.get(attempt.status, AttemptStatus.FAILED),
        started_at=datetime_from_timestamp(attempt, "start_time"),
        ended_at=datetime_from_timestamp(attempt, "end_time"),
        failure=_optional_failure(attempt),
    )


def checkpoint_from_proto(call: pb.CheckpointCall) -> CheckpointCall:
    """The plain :class:`CheckpointCall` of a ``kitaru.runner.v1.CheckpointCall``."""
    return CheckpointCall(
        call_id=call.call_id,
        invocation_id=call.invocation_id,
        name=call.name,
        status=_CALL_STATUS.get(call.status, CheckpointStatus.RUNNING),
        sequence=call.sequence,
        attempt_count=call.attempts,
        attempts=[_attempt_from_proto(a) for a in call.attempt_history],
        output=optional_value(call, "output"),
        overridden=call.overridden,
        override_value=optional_value(call, "override_value"),
        reused_from_call_id=_text(call.reused_from_call_id),
        data_dependencies=list(call.data_dependencies),
        load_dependencies=list(call.load_dependencies),
        output_names=list(call.output_names),
        metadata=struct_field(call, "metadata"),
        failure=_optional_failure(call),
        started_at=datetime_from_timestamp(call, "start_time"),
        ended_at=datetime_from_timestamp(call, "end_time"),
    )


def wait_from_proto(wait: pb.Wait) -> PendingWait:
    """The plain :class:`PendingWait` of a ``kitaru.runner.v1.Wait``."""
    return PendingWait(
        wait_id=wait.wait_id,
        name=wait.name,
        exec_id=wait.exec_id,
        status=_WAIT_STATUS.get(wait.status, WaitStatus.PENDING),
        question=_text(wait.question),
        schema=optional_struct(wait, "schema"),
        metadata=struct_field(wait, "metadata"),
        value=optional_value(wait, "value"),
        created_at=datetime_from_timestamp(wait, "create_time"),
        resolved_at=datetime_from_timestamp(wait, "resolve_time"),
        answered_by=_text(wait.answered_by),
        answer_source_exec_id=_text(wait.answer_source_exec_id),
        source_answer_note=_text(wait.source_answer_note),
    )


def execution_from_proto(execution: pb.Execution) -> Execution:
    """The plain :class:`Execution` of a ``kitaru.runner.v1.Execution``."""
    return Execution(
        exec_id=execution.exec_id,
        flow_name=execution.flow_name,
        status=execution_status_from_proto(execution.status),
        input=struct_field(execution, "input"),
        result=optional_value(execution, "result"),
        failure=_optional_failure(execution),
        original_exec_id=_text(execution.original_exec_id),
        retry_count=execution.retry_count,
        pending_waits=[wait_from_proto(w) for w in execution.pending_waits],
        checkpoints=[checkpoint_from_proto(c) for c in execution.checkpoints],
        checkpoint_count=execution.checkpoint_count,
        replay=_replay_origin(execution.replay) if execution.HasField("replay") else None,
        metadata=struct_field(execution, "metadata"),
        started_at=datetime_from_timestamp(execution, "create_time"),
        updated_at=datetime_from_timestamp(execution, "update_time"),
        ended_at=datetime_from_timestamp(execution, "end_time"),
        omitted_values=[(value.path, value.bytes) for value in execution.omitted_values],
        flow_version=execution.flow_version,
        flow_version_runs=[
            FlowVersionRun(flow_version=run.flow_version, started_at=datetime_from_timestamp(run, "start_time"))
            for run in execution.flow_version_runs
        ],
        version_hold=_optional_hold(execution),
        waits=[wait_from_proto(w) for w in execution.waits],
    )


def version_hold_from_proto(hold: pb.VersionHold) -> VersionHold:
    """The plain :class:`VersionHold` of a ``kitaru.runner.v1.VersionHold``."""
    return VersionHold(
        required_flow_version=hold.required_flow_version,
        divergence=divergence_from_proto(hold.divergence) if hold.HasField("divergence") else None,
        created_at=datetime_from_timestamp(hold, "create_time"),
    )


def _optional_hold(message: Union[pb.Execution, pb.StatusChange]) -> Optional[VersionHold]:
    return version_hold_from_proto(message.version_hold) if message.HasField("version_hold") else None


def _replay_origin(replay: pb.ReplayOrigin) -> ReplayOrigin:
    # `from` is a Python keyword: the generated field is only reachable with getattr.
    return ReplayOrigin(
        from_=getattr(replay, "from"),
        roots=list(replay.roots),
        override_keys=list(replay.override_keys),
        source_flow_version=_text(replay.source_flow_version),
        answer_waits_from_source=list(replay.answer_waits_from_source),
    )


def _planned_call(call: replay_plan_pb2.PlannedCall) -> PlannedCall:
    return PlannedCall(invocation_id=call.invocation_id, call_id=call.call_id, name=call.name, sequence=call.sequence)


def _planned_override(override: replay_plan_pb2.CheckpointOverride) -> PlannedOverride:
    return PlannedOverride(
        key=override.key,
        selector=override.selector,
        target=_planned_call(override.target) if override.HasField("target") else None,
        value=optional_value(override, "value"),
        consumers=list(override.consumer_invocation_ids),
    )


def replay_plan_from_proto(plan: replay_plan_pb2.ReplayPlan) -> ReplayPlan:
    """The plain :class:`ReplayPlan` of a ``kitaru.runner.v1.ReplayPlan``."""
    return ReplayPlan(
        source_exec_id=plan.source_exec_id,
        flow_name=plan.flow_name,
        from_=getattr(plan, "from"),
        from_call=_planned_call(plan.from_call) if plan.HasField("from_call") else None,
        roots=[_planned_call(c) for c in plan.roots],
        reexecute=[_planned_call(c) for c in plan.reexecute],
        reuse=[_planned_call(c) for c in plan.reuse],
        overrides=[_planned_override(o) for o in plan.overrides],
        input=struct_field(plan, "input"),
        source_flow_version=plan.source_flow_version,
        flow_version=plan.flow_version,
        answer_waits_from_source=list(plan.answer_waits_from_source),
    )


def log_entry_from_proto(entry: pb.LogEntry) -> LogEntry:
    """The plain :class:`LogEntry` of a ``kitaru.runner.v1.LogEntry``."""
    return LogEntry(
        exec_id=entry.exec_id,
        invocation_id=entry.invocation_id,
        checkpoint_name=entry.checkpoint_name,
        call_id=entry.call_id,
        attempt=entry.attempt,
        level=_LOG_LEVEL.get(entry.level, LogLevel.INFO),
        message=entry.message,
        source=entry.source,
        time=datetime_from_timestamp(entry, "time"),
    )


def flow_from_proto(flow: pb.Flow, flow_version: str = "") -> Flow:
    """The plain :class:`Flow` of a ``kitaru.runner.v1.Flow`` served as ``flow_version``."""
    return Flow(name=flow.flow_name, input_schema=optional_struct(flow, "input_schema"), flow_version=flow_version)


def status_change_from_proto(change: pb.StatusChange) -> StatusChange:
    """The plain :class:`StatusChange` of a ``kitaru.runner.v1.StatusChange``."""
    return StatusChange(
        status=execution_status_from_proto(change.status),
        result=optional_value(change, "result"),
        failure=_optional_failure(change),
        metadata=struct_field(change, "metadata"),
        flow_version=_text(change.flow_version),
        version_hold=_optional_hold(change),
    )


def event_from_proto(event: pb.ExecutionEvent) -> Optional[ExecutionEvent]:
    """The plain :class:`ExecutionEvent`; ``None`` for a kind this client does not know (a newer server)."""
    kind = event.WhichOneof("kind")
    time = datetime_from_timestamp(event, "time")
    if kind in _CALL_EVENTS:
        call = checkpoint_from_proto(getattr(event, kind))
        return ExecutionEvent(kind=_CALL_EVENTS[kind], exec_id=event.exec_id, time=time, call=call)
    if kind in _WAIT_EVENTS:
        wait = wait_from_proto(getattr(event, kind))
        return ExecutionEvent(kind=_WAIT_EVENTS[kind], exec_id=event.exec_id, time=time, wait=wait)
    if kind == "status_changed":
        change = status_change_from_proto(event.status_changed)
        return ExecutionEvent(kind=EventKind.STATUS_CHANGED, exec_id=event.exec_id, time=time, status_change=change)
    return None


def log_event_from_proto(response: runner_service_pb2.WatchExecutionLogsResponse) -> Optional[Union[LogEntry, StatusChange]]:
    """A log line or a status change of a ``WatchExecutionLogs`` message; ``None`` for an unknown kind."""
    kind = response.WhichOneof("kind")
    if kind == "entry":
        return log_entry_from_proto(response.entry)
    if kind == "status_changed":
        return status_change_from_proto(response.status_changed)
    return None


_EDGE_PREFIX = "LINEAGE_EDGE_KIND_"
_COMPARISON_PREFIX = "CALL_COMPARISON_KIND_"
_CHANGE_PREFIX = "JSON_CHANGE_KIND_"


def lineage_from_proto(lineage: lineage_pb2.ExecutionLineage) -> ExecutionLineage:
    """The plain :class:`ExecutionLineage` of a ``kitaru.runner.v1.ExecutionLineage``."""
    return ExecutionLineage(
        exec_id=lineage.exec_id,
        root_exec_id=lineage.root_exec_id,
        nodes=[_lineage_node(node) for node in lineage.nodes],
        truncated=lineage.truncated,
    )


def _lineage_node(node: lineage_pb2.LineageNode) -> LineageNode:
    edge = lineage_pb2.LineageEdgeKind.Name(node.edge)[len(_EDGE_PREFIX) :].lower()
    return LineageNode(
        exec_id=node.exec_id,
        flow_name=node.flow_name,
        status=execution_status_from_proto(node.status),
        edge=LineageEdge(edge),
        parent_exec_id=_text(node.parent_exec_id),
        replay=_replay_origin(node.replay) if node.HasField("replay") else None,
        retry_count=node.retry_count,
        checkpoint_count=node.checkpoint_count,
        started_at=datetime_from_timestamp(node, "create_time"),
        updated_at=datetime_from_timestamp(node, "update_time"),
        flow_version=node.flow_version,
    )


def comparison_from_proto(comparison: lineage_pb2.ExecutionComparison) -> ExecutionComparison:
    """The plain :class:`ExecutionComparison` of a ``kitaru.runner.v1.ExecutionComparison``."""
    return ExecutionComparison(
        base_exec_id=comparison.base_exec_id,
        other_exec_id=comparison.other_exec_id,
        calls=[_call_comparison(call) for call in comparison.calls],
        input_changes=[json_change_from_proto(change) for change in comparison.input_changes],
        result_changes=[json_change_from_proto(change) for change in comparison.result_changes],
        counts=dict(comparison.counts),
        base_flow_version=comparison.base_flow_version,
        other_flow_version=comparison.other_flow_version,
    )


def _call_comparison(call: lineage_pb2.CallComparison) -> CallComparison:
    kind = lineage_pb2.CallComparisonKind.Name(call.kind)[len(_COMPARISON_PREFIX) :].lower()
    return CallComparison(
        invocation_id=call.invocation_id,
        name=call.name,
        kind=CallComparisonKind(kind),
        base=checkpoint_from_proto(call.base) if call.HasField("base") else None,
        other=checkpoint_from_proto(call.other) if call.HasField("other") else None,
        changes=[json_change_from_proto(change) for change in call.changes],
    )


def json_change_from_proto(change: lineage_pb2.JsonChange) -> JsonChange:
    """The plain :class:`JsonChange` of a ``kitaru.runner.v1.JsonChange``."""
    return JsonChange(
        path=change.path,
        kind=lineage_pb2.JsonChangeKind.Name(change.kind)[len(_CHANGE_PREFIX) :].lower(),
        before=optional_value(change, "before"),
        after=optional_value(change, "after"),
    )


def verification_from_proto(result: pb.ExecutionVerification) -> ExecutionVerification:
    """The plain :class:`ExecutionVerification`; a verdict this client does not know (a newer server) reads as skipped."""
    return ExecutionVerification(
        exec_id=result.exec_id,
        flow_name=result.flow_name,
        status=execution_status_from_proto(result.status),
        verdict=_VERDICT.get(result.verdict, VerificationVerdict.SKIPPED),
        outcome=result.outcome,
        matched_calls=result.matched_calls,
        recorded_calls=result.recorded_calls,
        divergence=divergence_from_proto(result.divergence) if result.HasField("divergence") else None,
        recorded_flow_version=_text(result.recorded_flow_version),
    )
