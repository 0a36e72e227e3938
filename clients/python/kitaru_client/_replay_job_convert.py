"""Replay jobs between the wire messages and the dataclasses of :mod:`kitaru_client.models`.

Apart from :mod:`kitaru_client._convert` because a refused source carries a
``google.rpc.Status``, decoded into its :class:`~kitaru_client.errors.KitaruError`
the way a failed call is (and :mod:`kitaru_client.errors` imports ``_convert``).
Unset or unknown states read as the most cautious value: a job ``running``, an
item ``pending``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Dict, Mapping, Optional, Sequence

import grpc
from google.protobuf import timestamp_pb2
from google.rpc import status_pb2

from ._convert import (
    execution_status_from_proto,
    execution_status_to_proto,
    failure_from_proto,
    json_change_from_proto,
    replay_plan_from_proto,
)
from ._json import datetime_from_timestamp, struct_field
from .errors import KitaruError, error_from_status
from .gen.kitaru.runner.v1 import execution_pb2, replay_job_pb2
from .models import (
    ExecutionStatus,
    ReplayJob,
    ReplayJobItem,
    ReplayJobItemState,
    ReplayJobSelection,
    ReplayJobSpec,
    ReplayJobState,
    ReplayJobTotals,
)

_JOB_STATE: Dict[int, ReplayJobState] = {
    replay_job_pb2.REPLAY_JOB_STATE_RUNNING: ReplayJobState.RUNNING,
    replay_job_pb2.REPLAY_JOB_STATE_SUCCEEDED: ReplayJobState.SUCCEEDED,
    replay_job_pb2.REPLAY_JOB_STATE_CANCELLED: ReplayJobState.CANCELLED,
}

_ITEM_STATE: Dict[int, ReplayJobItemState] = {
    replay_job_pb2.REPLAY_JOB_ITEM_STATE_PENDING: ReplayJobItemState.PENDING,
    replay_job_pb2.REPLAY_JOB_ITEM_STATE_STARTED: ReplayJobItemState.STARTED,
    replay_job_pb2.REPLAY_JOB_ITEM_STATE_SETTLED: ReplayJobItemState.SETTLED,
    replay_job_pb2.REPLAY_JOB_ITEM_STATE_REFUSED: ReplayJobItemState.REFUSED,
    replay_job_pb2.REPLAY_JOB_ITEM_STATE_SKIPPED: ReplayJobItemState.SKIPPED,
    replay_job_pb2.REPLAY_JOB_ITEM_STATE_PLANNED: ReplayJobItemState.PLANNED,
}

#: ``google.rpc.Status.code`` (an int) to its ``grpc.StatusCode``.
_STATUS_CODE: Dict[int, grpc.StatusCode] = {code.value[0]: code for code in grpc.StatusCode}


def timestamp_from_datetime(moment: datetime) -> timestamp_pb2.Timestamp:
    """A ``Timestamp`` of a datetime; a naive one is taken as UTC."""
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def selection_to_proto(
    *,
    flow: Optional[str],
    statuses: Sequence[ExecutionStatus],
    since: Optional[datetime],
    until: Optional[datetime],
    labels: Mapping[str, str],
    exec_ids: Sequence[str],
    limit: Optional[int],
) -> replay_job_pb2.ReplayJobSelection:
    """The ``ReplayJobSelection`` of a job's selection options (statuses already checked)."""
    selection = replay_job_pb2.ReplayJobSelection(
        flow_name=flow or "",
        statuses=[execution_status_to_proto(s) for s in statuses],
        labels=dict(labels),
        exec_ids=list(exec_ids),
        limit=limit or 0,
    )
    if since is not None:
        selection.since.CopyFrom(timestamp_from_datetime(since))
    if until is not None:
        selection.until.CopyFrom(timestamp_from_datetime(until))
    return selection


def error_from_rpc_status(status: status_pb2.Status) -> KitaruError:
    """The typed error a ``google.rpc.Status`` carries, as a failed call would raise it."""
    code = _STATUS_CODE.get(status.code, grpc.StatusCode.UNKNOWN)
    return error_from_status(code, status.message, status)


def _selection_from_proto(selection: replay_job_pb2.ReplayJobSelection) -> ReplayJobSelection:
    return ReplayJobSelection(
        flow=selection.flow_name or None,
        statuses=[execution_status_from_proto(s) for s in selection.statuses],
        since=datetime_from_timestamp(selection, "since"),
        until=datetime_from_timestamp(selection, "until"),
        labels=dict(selection.labels),
        exec_ids=list(selection.exec_ids),
        limit=selection.limit or None,
    )


def _spec_from_proto(spec: replay_job_pb2.ReplayJobSpec) -> ReplayJobSpec:
    return ReplayJobSpec(
        selection=_selection_from_proto(spec.selection),
        from_=getattr(spec, "from"),
        args=struct_field(spec, "args"),
        overrides=struct_field(spec, "overrides"),
        allow_override_type_change=spec.allow_override_type_change,
        answer_waits_from_source=list(spec.answer_waits_from_source),
        plan_only=spec.plan_only,
        concurrency=spec.concurrency or None,
    )


def _totals_from_proto(totals: replay_job_pb2.ReplayJobTotals) -> ReplayJobTotals:
    return ReplayJobTotals(
        sources=totals.sources,
        pending=totals.pending,
        running=totals.running,
        completed=totals.completed,
        failed=totals.failed,
        cancelled=totals.cancelled,
        waiting=totals.waiting,
        refused=totals.refused,
        skipped=totals.skipped,
        planned=totals.planned,
        results_changed=totals.results_changed,
    )


def replay_job_from_proto(job: replay_job_pb2.ReplayJob) -> ReplayJob:
    """The plain :class:`ReplayJob` of a ``kitaru.runner.v1.ReplayJob``."""
    return ReplayJob(
        job_id=job.job_id,
        request_id=job.request_id,
        state=_JOB_STATE.get(job.state, ReplayJobState.RUNNING),
        spec=_spec_from_proto(job.spec),
        source_exec_ids=list(job.source_exec_ids),
        totals=_totals_from_proto(job.totals),
        created_at=datetime_from_timestamp(job, "create_time"),
        cancelled_at=datetime_from_timestamp(job, "cancel_time"),
        ended_at=datetime_from_timestamp(job, "end_time"),
        namespace=job.namespace,
    )


def _replay_status(item: replay_job_pb2.ReplayJobItem) -> Optional[ExecutionStatus]:
    if item.replay_status == execution_pb2.EXECUTION_STATUS_UNSPECIFIED:
        return None
    return execution_status_from_proto(item.replay_status)


def replay_job_item_from_proto(item: replay_job_pb2.ReplayJobItem) -> ReplayJobItem:
    """The plain :class:`ReplayJobItem`; a refused source's status becomes its typed error."""
    return ReplayJobItem(
        index=item.index,
        source_exec_id=item.source_exec_id,
        state=_ITEM_STATE.get(item.state, ReplayJobItemState.PENDING),
        replay_exec_id=item.replay_exec_id or None,
        replay_status=_replay_status(item),
        error=error_from_rpc_status(item.error) if item.HasField("error") else None,
        result_changed=item.result_changed,
        result_changes=[json_change_from_proto(change) for change in item.result_changes],
        reused_calls=item.reused_calls,
        reexecuted_calls=item.reexecuted_calls,
        changed_calls=item.changed_calls,
        new_calls=item.new_calls,
        plan=replay_plan_from_proto(item.plan) if item.HasField("plan") else None,
        updated_at=datetime_from_timestamp(item, "update_time"),
        replay_failure=failure_from_proto(item.replay_failure) if item.HasField("replay_failure") else None,
    )
