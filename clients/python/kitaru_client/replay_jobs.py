"""``client.replay_jobs``: replay many executions at once and compare each replay with its source.

A job selects its sources once (by flow, statuses, a time window, metadata
labels or IDs), replays each with the same ``from_``, inputs and overrides,
and records per source its replay, how that settled, whether its result
changed (with the JSON changes) and how many calls were reused, re-executed
or changed. The planner runs it; these methods start, read, cancel and
follow it. Every failure is a :class:`~kitaru_client.errors.KitaruError`;
a source the plan cannot apply to is not a failure of the job but an item
``refused`` with its typed error in ``item.error``.

::

    job = client.replay_jobs.start(flow="content_pipeline", statuses=["failed"], from_="publish")
    for progress in client.replay_jobs.watch(job.job_id):
        print(progress.job.totals.summary)      # "2 running, 0 results changed", ...
    for item in client.replay_jobs.items(job.job_id, changed_only=True):
        print(item.source_exec_id, "->", item.replay_exec_id, item.result_changes)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from ._replay_job_convert import replay_job_from_proto, replay_job_item_from_proto, selection_to_proto
from .executions import _collect_pages, _positive, _status_filter, merge_inputs
from .gen.kitaru.planner.v1 import planner_service_pb2
from .gen.kitaru.runner.v1 import replay_job_pb2
from .models import ExecutionStatus, ReplayJob, ReplayJobItem, ReplayJobPlans, ReplayJobProgress
from .services import PlannerClient, json_struct

#: The most jobs one ListReplayJobs page holds.
MAX_JOB_PAGE_SIZE = 200
#: The most items one ListReplayJobItems page holds.
MAX_ITEM_PAGE_SIZE = 1000

_Statuses = Optional[Sequence[Union[ExecutionStatus, str]]]


class ReplayJobsClient:
    """The replay jobs API of a :class:`~kitaru_client.KitaruClient`: ``client.replay_jobs``."""

    def __init__(self, planner: PlannerClient) -> None:
        self._planner = planner

    def start(
        self,
        *,
        from_: str,
        flow: Optional[str] = None,
        statuses: _Statuses = None,
        since: Optional[datetime] = None,
        until: Optional[datetime] = None,
        labels: Optional[Mapping[str, str]] = None,
        exec_ids: Optional[Sequence[str]] = None,
        limit: Optional[int] = None,
        overrides: Optional[Mapping[str, Any]] = None,
        allow_override_type_change: bool = False,
        answer_waits_from_source: Optional[Sequence[str]] = None,
        concurrency: Optional[int] = None,
        request_id: Optional[str] = None,
        timeout: Optional[float] = None,
        inputs: Optional[Mapping[str, Any]] = None,
        **flow_inputs: Any,
    ) -> ReplayJob:
        """Starts a job replaying every selected execution from checkpoint ``from_``; returns at once
        (state ``running``; follow it with :meth:`watch`).

        Selection (every one given must hold): ``flow``; ``statuses`` (default
        completed, failed, cancelled and waiting); created at or after
        ``since`` and before ``until`` (naive datetimes are UTC); metadata
        ``labels``; ``exec_ids`` (in this order); at most ``limit`` sources,
        newest first. Flow inputs come as keyword arguments (or ``inputs``),
        shallow-merged onto each source's input; ``overrides`` maps
        ``checkpoint.<selector>`` keys to outputs, for every source.
        ``answer_waits_from_source`` names waits each replay answers with its
        source's recorded answer instead of stopping there. ``concurrency``:
        replays running at once (default: the planner's setting).

        The request carries ``request_id`` (a new UUID when None) and is
        retried with it on UNAVAILABLE/DEADLINE_EXCEEDED: the same ID returns
        the same job and never replays a source twice (another spec under
        it → :class:`KitaruUsageError`). No ``flow`` nor ``exec_ids``, an
        unknown status or a selection larger than a job holds →
        :class:`KitaruUsageError`.
        """
        selection = _selection(flow, statuses, since, until, labels, exec_ids, limit)
        spec = _spec(selection, from_, merge_inputs(inputs, flow_inputs), overrides, allow_override_type_change)
        spec.answer_waits_from_source.extend(answer_waits_from_source or [])
        spec.concurrency = _positive("concurrency", concurrency) or 0
        response = self._planner.start_replay_job(spec, request_id=request_id, timeout=timeout)
        return replay_job_from_proto(response.job)

    def plan(
        self,
        *,
        from_: str,
        flow: Optional[str] = None,
        statuses: _Statuses = None,
        since: Optional[datetime] = None,
        until: Optional[datetime] = None,
        labels: Optional[Mapping[str, str]] = None,
        exec_ids: Optional[Sequence[str]] = None,
        limit: Optional[int] = None,
        overrides: Optional[Mapping[str, Any]] = None,
        allow_override_type_change: bool = False,
        answer_waits_from_source: Optional[Sequence[str]] = None,
        timeout: Optional[float] = None,
        inputs: Optional[Mapping[str, Any]] = None,
        **flow_inputs: Any,
    ) -> ReplayJobPlans:
        """What :meth:`start` would do, creating nothing (a plan-only request): every selected source
        with its plan (``planned``) or the typed error its replay would fail with (``refused``)."""
        selection = _selection(flow, statuses, since, until, labels, exec_ids, limit)
        spec = _spec(selection, from_, merge_inputs(inputs, flow_inputs), overrides, allow_override_type_change)
        spec.answer_waits_from_source.extend(answer_waits_from_source or [])
        spec.plan_only = True
        response = self._planner.start_replay_job(spec, timeout=timeout)
        return ReplayJobPlans(
            job=replay_job_from_proto(response.job), items=[replay_job_item_from_proto(i) for i in response.items]
        )

    def get(self, job_id: str, *, timeout: Optional[float] = None) -> ReplayJob:
        """A job with its totals. Unknown ID → :class:`KitaruNotFoundError`."""
        return replay_job_from_proto(self._planner.get_replay_job(job_id, timeout=timeout))

    def list(self, *, limit: Optional[int] = None, timeout: Optional[float] = None) -> List[ReplayJob]:
        """Jobs, newest first, with their totals: the first ``limit``, else all (paging as needed)."""
        limit = _positive("limit", limit)

        def fetch(page_size: int, token: str) -> Tuple[List[ReplayJob], str]:
            response = self._planner.list_replay_jobs(page_size=page_size, page_token=token, timeout=timeout)
            return [replay_job_from_proto(j) for j in response.jobs], response.next_page_token

        return _collect_pages(fetch, limit, MAX_JOB_PAGE_SIZE)

    def items(
        self,
        job_id: str,
        *,
        changed_only: bool = False,
        limit: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> List[ReplayJobItem]:
        """A job's sources in the job's order, each with its replay and the comparison
        (``changed_only``: those whose replay's result changed); the first ``limit``, else all."""
        limit = _positive("limit", limit)

        def fetch(page_size: int, token: str) -> Tuple[List[ReplayJobItem], str]:
            response = self._planner.list_replay_job_items(
                job_id, changed_only=changed_only, page_size=page_size, page_token=token, timeout=timeout
            )
            return [replay_job_item_from_proto(i) for i in response.items], response.next_page_token

        return _collect_pages(fetch, limit, MAX_ITEM_PAGE_SIZE)

    def cancel(self, job_id: str, *, timeout: Optional[float] = None) -> ReplayJob:
        """Cancels a job: no replay is started after it (its unstarted sources end ``skipped``);
        replays already started run on. An ended job is returned unchanged."""
        return replay_job_from_proto(self._planner.cancel_replay_job(job_id, timeout=timeout))

    def watch(self, job_id: str, *, timeout: Optional[float] = None) -> Iterator[ReplayJobProgress]:
        """The job's progress as it happens: first the job with every item, then the job with the
        items that changed, until the job ends (the last report's ``job.ended`` is True).

        Stop early with ``break`` (or close the iterator): the stream is cancelled.
        """
        report: planner_service_pb2.WatchReplayJobResponse
        for report in self._planner.watch_replay_job(job_id, timeout=timeout):
            yield ReplayJobProgress(
                job=replay_job_from_proto(report.job), items=[replay_job_item_from_proto(i) for i in report.items]
            )


def _selection(
    flow: Optional[str],
    statuses: _Statuses,
    since: Optional[datetime],
    until: Optional[datetime],
    labels: Optional[Mapping[str, str]],
    exec_ids: Optional[Sequence[str]],
    limit: Optional[int],
) -> replay_job_pb2.ReplayJobSelection:
    """The selection message; an unknown status or a ``limit`` below 1 → :class:`KitaruUsageError`."""
    wanted = [s for s in (_status_filter(s) for s in statuses or []) if s is not None]
    return selection_to_proto(
        flow=flow,
        statuses=wanted,
        since=since,
        until=until,
        labels=labels or {},
        exec_ids=exec_ids or [],
        limit=_positive("limit", limit),
    )


def _spec(
    selection: replay_job_pb2.ReplayJobSelection,
    from_: str,
    args: Mapping[str, Any],
    overrides: Optional[Mapping[str, Any]],
    allow_override_type_change: bool,
) -> replay_job_pb2.ReplayJobSpec:
    """The spec message with what :meth:`ReplayJobsClient.start` and ``plan`` share."""
    spec = replay_job_pb2.ReplayJobSpec(
        selection=selection,
        args=json_struct("inputs", args),
        overrides=json_struct("overrides", overrides),
        allow_override_type_change=allow_override_type_change,
    )
    setattr(spec, "from", from_)  # `from` is a Python keyword
    return spec
