"""The plain, typed results of the client: executions, checkpoint calls, waits, plans, logs, events.

Every class is a frozen dataclass built from the wire messages by
:mod:`kitaru_client._convert`; statuses are ``str`` enums (``status ==
"completed"`` works), JSON values are plain Python data (``dict``, ``list``,
``str``, ``int``, ``float``, ``bool``, ``None``) and times are timezone-aware
UTC ``datetime`` objects. Field names follow Kitaru's Python client and the
CLI's ``-o json`` items (``exec_id``, ``started_at``, ``original_call_id``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

if TYPE_CHECKING:  # errors.py imports this module
    from .errors import KitaruError


class _StrEnum(str, Enum):
    """A ``str`` enum whose ``str()`` is its value on every Python version."""

    def __str__(self) -> str:
        return str(self.value)


class ExecutionStatus(_StrEnum):
    """The public status of an execution (Kitaru's names)."""

    RUNNING = "running"
    WAITING = "waiting"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """True for completed, failed and cancelled: the execution will not change by itself."""
        return self in (ExecutionStatus.COMPLETED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED)


class CheckpointStatus(_StrEnum):
    """The status of one checkpoint call; ``reused`` means a replay took the source's output."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    REUSED = "reused"
    CANCELLED = "cancelled"


class AttemptStatus(_StrEnum):
    """How one attempt of a checkpoint call ended."""

    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class WaitStatus(_StrEnum):
    """The status of one wait."""

    PENDING = "pending"
    RESOLVED = "resolved"
    ABORTED = "aborted"


class FailureOrigin(_StrEnum):
    """Where a failure came from (Kitaru's ``FailureOrigin``)."""

    USER_CODE = "user_code"
    RUNTIME = "runtime"
    BACKEND = "backend"
    DIVERGENCE = "divergence"
    UNKNOWN = "unknown"


class DivergenceKind(_StrEnum):
    """Which durable-sequence rule a replayed or recovered run broke."""

    DEPENDENCIES_CHANGED = "dependencies_changed"
    DEPENDS_ON_CHANGED_CALL = "depends_on_changed_call"
    ORDER_CHANGED = "order_changed"
    NAME_CHANGED = "name_changed"
    #: On a resume by code of another flow version: a call the record does not
    #: hold was issued where the record holds another (a renamed or inserted checkpoint).
    CALL_REPLACED = "call_replaced"
    #: On a resume by code of another flow version: a wait the record does not
    #: hold was reached while recorded waits were not reached yet.
    WAIT_CHANGED = "wait_changed"


class LogLevel(_StrEnum):
    """The severity of a log line."""

    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


class EventKind(_StrEnum):
    """What an :class:`ExecutionEvent` reports."""

    CALL_STARTED = "call_started"
    CALL_COMPLETED = "call_completed"
    CALL_REUSED = "call_reused"
    CALL_FAILED = "call_failed"
    CALL_CANCELLED = "call_cancelled"
    WAIT_PENDING = "wait_pending"
    WAIT_RESOLVED = "wait_resolved"
    STATUS_CHANGED = "status_changed"


@dataclass(frozen=True)
class DivergenceDetail:
    """The evidence of a divergence: what was recorded and what the new run did at one invocation ID."""

    exec_id: str
    #: The execution compared against (the replay source, or the same one on retry and recovery).
    source_exec_id: str
    invocation_id: str
    kind: DivergenceKind
    #: What was recorded, in words.
    recorded: str
    #: What the new run did instead, in words.
    seen: str
    recorded_dependencies: List[str] = field(default_factory=list)
    seen_dependencies: List[str] = field(default_factory=list)
    #: The flow version that recorded the calls compared against; ``None`` when unknown or the same.
    recorded_flow_version: Optional[str] = None
    #: The flow version of the code that diverged; ``None`` when unknown.
    flow_version: Optional[str] = None
    #: On a resume by code of another flow version: the command that continues
    #: the work on that code, e.g. ``kitaru executions replay kr-... --from write_draft``.
    replay_command: Optional[str] = None
    #: The ``from_`` of that replay (an invocation ID of ``exec_id``).
    replay_from: Optional[str] = None


@dataclass(frozen=True)
class Failure:
    """Why an execution, a checkpoint call or one attempt failed."""

    origin: FailureOrigin
    message: str
    #: The class name of the thrown error, e.g. ``"TypeError"``.
    exception_type: str
    #: The stack trace as the runtime printed it; ``None`` when there is none.
    traceback: Optional[str] = None
    #: The failing checkpoint call's invocation ID, when one failed.
    invocation_id: Optional[str] = None
    #: Set when ``origin`` is ``divergence``.
    divergence: Optional[DivergenceDetail] = None


@dataclass(frozen=True)
class CallAttempt:
    """One run of a checkpoint function (Kitaru's attempt)."""

    #: 1 for the first attempt, then 2, 3, ...
    number: int
    status: AttemptStatus
    started_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None
    failure: Optional[Failure] = None


@dataclass(frozen=True)
class CheckpointCall:
    """One recorded call of a checkpoint.

    A call reused by a replay has status ``reused``, no attempts, and names
    its source call in ``reused_from_call_id`` (Kitaru: ``original_call_id``).
    ``output`` and ``override_value`` are only filled by ``executions.get()``.
    """

    #: Globally unique ID of this call.
    call_id: str
    #: Deterministic ID within the execution: ``name``, ``name_2``, ... or the flow's explicit ``id``.
    invocation_id: str
    name: str
    status: CheckpointStatus
    #: Issue order within the execution, from 1.
    sequence: int
    #: Attempts made (1 without retries; 0 for a reused call).
    attempt_count: int
    #: Every attempt, oldest first, each with its own failure (Kitaru's ``attempts`` list).
    attempts: List[CallAttempt] = field(default_factory=list)
    #: What the call returned (for a reused call: what the source recorded); ``None`` if not recorded.
    output: Any = None
    #: True when a replay override replaced the output the flow and the consumers saw.
    overridden: bool = False
    #: The value the flow and the consumers saw instead of ``output``, when ``overridden``.
    override_value: Any = None
    #: For a reused call, the call ID in the source execution; ``None`` otherwise.
    reused_from_call_id: Optional[str] = None
    #: Invocation IDs whose output handles were passed to this call.
    data_dependencies: List[str] = field(default_factory=list)
    #: Invocation IDs the flow body loaded between the previous call and this one.
    load_dependencies: List[str] = field(default_factory=list)
    #: Output names of a multi-output checkpoint; empty for a single output.
    output_names: List[str] = field(default_factory=list)
    #: Metadata the checkpoint attached with ``log()``.
    metadata: Dict[str, Any] = field(default_factory=dict)
    failure: Optional[Failure] = None
    started_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None

    @property
    def original_call_id(self) -> Optional[str]:
        """Kitaru's name for :attr:`reused_from_call_id`."""
        return self.reused_from_call_id


@dataclass(frozen=True)
class PendingWait:
    """A point in a flow body waiting for input (also the resolved waits of watch events).

    Answer it with ``client.executions.input(exec_id, wait=<name or wait_id>, value=...)``.
    """

    wait_id: str
    #: The wait's name (``name_2``, ... for a repeated name).
    name: str
    exec_id: str
    status: WaitStatus
    #: The question for whoever answers; ``None`` when the flow gave none.
    question: Optional[str] = None
    #: JSON Schema of the expected value; ``None`` when any JSON value is accepted.
    schema: Optional[Dict[str, Any]] = None
    metadata: Dict[str, Any] = field(default_factory=dict)
    #: The accepted value, once resolved.
    value: Any = None
    created_at: Optional[datetime] = None
    resolved_at: Optional[datetime] = None
    #: Who or what answered, when it was not an input: ``copied from execution <id>``
    #: for an answer a replay copied from its source; ``None`` otherwise.
    answered_by: Optional[str] = None
    #: The execution whose recorded answer was copied; ``None`` unless copied.
    answer_source_exec_id: Optional[str] = None
    #: Why a wait the replay was asked to answer from its source waits for input instead.
    source_answer_note: Optional[str] = None

    @property
    def entered_waiting_at(self) -> Optional[datetime]:
        """Kitaru's name for :attr:`created_at`."""
        return self.created_at


@dataclass(frozen=True)
class ReplayOrigin:
    """What the replay that created an execution asked for."""

    #: The ``from_`` selector as given.
    from_: str
    #: Invocation IDs of the replay roots.
    roots: List[str] = field(default_factory=list)
    #: Override keys as given, e.g. ``checkpoint.research``.
    override_keys: List[str] = field(default_factory=list)
    #: The flow version that had last run the source when the replay was
    #: created; ``None`` when unknown. The replay runs on ``Execution.flow_version``.
    source_flow_version: Optional[str] = None
    #: Wait names the replay answers from the source's recorded answers.
    answer_waits_from_source: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class FlowVersionRun:
    """One flow version that ran an execution's body, from when it took the body over."""

    flow_version: str
    started_at: Optional[datetime] = None


@dataclass(frozen=True)
class VersionHold:
    """An execution kept for runners of one flow version.

    Code of another version resumed it and does not issue the recorded calls
    the recorded way; ``divergence.replay_command`` continues the work on that code.
    """

    #: Only a runner serving this flow version continues the execution.
    required_flow_version: str
    #: Where the other version's code diverged, with both versions.
    divergence: Optional[DivergenceDetail] = None
    created_at: Optional[datetime] = None


@dataclass(frozen=True)
class Execution:
    """One run of a flow.

    ``checkpoints`` is filled by ``executions.get()``/``latest()`` and empty in
    ``list()`` results and in what mutating calls return; ``checkpoint_count``
    is always set.
    """

    exec_id: str
    flow_name: str
    status: ExecutionStatus
    #: The validated flow input.
    input: Dict[str, Any] = field(default_factory=dict)
    #: The flow's return value once completed.
    result: Any = None
    failure: Optional[Failure] = None
    #: The execution this one was replayed from; ``None`` when it was not replayed.
    original_exec_id: Optional[str] = None
    #: How many times ``retry()`` restarted it.
    retry_count: int = 0
    #: Waits pending now, oldest first.
    pending_waits: List[PendingWait] = field(default_factory=list)
    #: Checkpoint calls in issue order (``get()`` only).
    checkpoints: List[CheckpointCall] = field(default_factory=list)
    #: Number of recorded checkpoint calls.
    checkpoint_count: int = 0
    replay: Optional[ReplayOrigin] = None
    #: Metadata the flow body attached with ``log()``.
    metadata: Dict[str, Any] = field(default_factory=dict)
    started_at: Optional[datetime] = None
    #: When its status last changed.
    updated_at: Optional[datetime] = None
    #: When it reached a terminal status.
    ended_at: Optional[datetime] = None
    #: Values this response left out (a response carries at most 2 MiB of
    #: values, as encoded), as ``(path, bytes)``: empty from ``get()``, which reads them;
    #: read one from a ``list()`` result with ``executions.read_value()``.
    omitted_values: List[Tuple[str, int]] = field(default_factory=list)
    #: The flow version of the code that created it (``--flow-version``, by
    #: default a digest of the flows module); ``""`` for executions recorded
    #: before flow versions.
    flow_version: str = ""
    #: The flow versions that ran its body, in the order they took it over;
    #: the last ran it most recently.
    flow_version_runs: List[FlowVersionRun] = field(default_factory=list)
    #: Set while it waits for a runner of one flow version (``status`` stays ``running``).
    version_hold: Optional[VersionHold] = None
    #: Every wait the body reached, in the order reached, with its status and answer (``get()`` only).
    waits: List[PendingWait] = field(default_factory=list)

    @property
    def pending_wait(self) -> Optional[PendingWait]:
        """The oldest pending wait, or ``None`` (Kitaru's single ``pending_wait``)."""
        return self.pending_waits[0] if self.pending_waits else None


@dataclass(frozen=True)
class PlannedCall:
    """One call of the source execution, as named in a replay plan."""

    invocation_id: str
    call_id: str
    name: str
    #: Issue order in the source execution.
    sequence: int


@dataclass(frozen=True)
class PlannedOverride:
    """One ``checkpoint.<selector>`` override: its target call and the consumers that receive the value."""

    #: The key as given, e.g. ``checkpoint.research``.
    key: str
    #: The selector part of the key, trimmed.
    selector: str
    target: Optional[PlannedCall]
    #: The value the new execution sees instead of the recorded output.
    value: Any
    #: Invocation IDs of the direct consumers (they are replay roots).
    consumers: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReplayPlan:
    """What a replay would re-execute and reuse, computed without creating anything.

    ``reexecute`` holds the roots and all their descendants, ``reuse`` every
    other recorded call, both in issue order.
    """

    source_exec_id: str
    flow_name: str
    #: The ``from_`` selector as given.
    from_: str
    #: The call ``from_`` resolved to.
    from_call: Optional[PlannedCall]
    roots: List[PlannedCall] = field(default_factory=list)
    reexecute: List[PlannedCall] = field(default_factory=list)
    reuse: List[PlannedCall] = field(default_factory=list)
    overrides: List[PlannedOverride] = field(default_factory=list)
    #: The new execution's input: the source input shallow-merged with the given inputs.
    input: Dict[str, Any] = field(default_factory=dict)
    #: The flow version that last ran the source; ``""`` when unknown.
    source_flow_version: str = ""
    #: The flow version the replay would run on (the runner's).
    flow_version: str = ""
    #: Wait names the replay would answer from the source's recorded answers.
    answer_waits_from_source: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class LogEntry:
    """One line checkpoint code wrote (``console.*`` or the authoring API's ``logger``)."""

    exec_id: str
    #: The checkpoint call's invocation ID.
    invocation_id: str
    checkpoint_name: str
    call_id: str
    #: The attempt that wrote it (1, 2, ... after retries).
    attempt: int
    level: LogLevel
    message: str
    #: ``console`` or ``logger``.
    source: str
    time: Optional[datetime] = None

    @property
    def timestamp(self) -> Optional[datetime]:
        """Kitaru's name for :attr:`time`."""
        return self.time


@dataclass(frozen=True)
class Flow:
    """A flow the runner serves."""

    name: str
    #: JSON Schema of the flow's input; ``None`` when its schema has no JSON Schema form.
    input_schema: Optional[Dict[str, Any]] = None
    #: The flow version of the code the runner serves it with (``--flow-version``, or a digest of its flows module).
    flow_version: str = ""


@dataclass(frozen=True)
class StatusChange:
    """An execution's new status, with its result (completed) or failure (failed)."""

    status: ExecutionStatus
    result: Any = None
    failure: Optional[Failure] = None
    #: The execution's metadata as of this change.
    metadata: Dict[str, Any] = field(default_factory=dict)
    #: The flow version that ran (or runs) the body as of this change; ``None`` when unknown.
    flow_version: Optional[str] = None
    #: Set when the execution is held for runners of one flow version.
    version_hold: Optional[VersionHold] = None


@dataclass(frozen=True)
class ExecutionEvent:
    """One thing that happened to an execution, as ``executions.watch()`` yields it.

    ``call`` is set for the ``call_*`` kinds, ``wait`` for ``wait_pending`` and
    ``wait_resolved`` (see ``wait.status``), ``status_change`` for
    ``status_changed``. Durable events are always delivered; ``call_started``
    is best effort.
    """

    kind: EventKind
    exec_id: str
    time: Optional[datetime] = None
    call: Optional[CheckpointCall] = None
    wait: Optional[PendingWait] = None
    status_change: Optional[StatusChange] = None


class LineageEdge(_StrEnum):
    """How an execution joined its family."""

    ORIGINAL = "original"
    REPLAY_OF = "replay_of"


@dataclass(frozen=True)
class LineageNode:
    """One execution of a replay family (retries keep the ID: ``retry_count``)."""

    exec_id: str
    flow_name: str
    status: ExecutionStatus
    edge: LineageEdge
    #: The execution it was replayed from; ``None`` for the original.
    parent_exec_id: Optional[str] = None
    replay: Optional[ReplayOrigin] = None
    retry_count: int = 0
    checkpoint_count: int = 0
    started_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    #: The flow version that last ran it (or created it); ``""`` when unknown.
    flow_version: str = ""


@dataclass(frozen=True)
class ExecutionLineage:
    """An execution's family: the original at ``root_exec_id``, then its replays depth first."""

    exec_id: str
    root_exec_id: str
    nodes: List[LineageNode] = field(default_factory=list)
    #: The family was larger than the service returns at once.
    truncated: bool = False


class CallComparisonKind(_StrEnum):
    """What happened to one call in the other execution, relative to the base."""

    REUSED = "reused"
    SAME_OUTPUT = "same_output"
    CHANGED_OUTPUT = "changed_output"
    OVERRIDDEN = "overridden"
    NEW = "new"
    NOT_REACHED = "not_reached"


@dataclass(frozen=True)
class JsonChange:
    """One difference between two JSON values; ``path`` is a JSON pointer (``""`` is the whole value)."""

    path: str
    kind: str
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class CallComparison:
    """One invocation ID in both executions (or in one of them)."""

    invocation_id: str
    name: str
    kind: CallComparisonKind
    base: Optional[CheckpointCall] = None
    other: Optional[CheckpointCall] = None
    #: What the flow saw changing (output, or the override value).
    changes: List[JsonChange] = field(default_factory=list)


@dataclass(frozen=True)
class ExecutionComparison:
    """Two executions compared call by call, with their input and result differences."""

    base_exec_id: str
    other_exec_id: str
    calls: List[CallComparison] = field(default_factory=list)
    input_changes: List[JsonChange] = field(default_factory=list)
    result_changes: List[JsonChange] = field(default_factory=list)
    #: How many calls of each kind (every kind present, zero included).
    counts: Dict[str, int] = field(default_factory=dict)
    #: The flow versions that last ran the two executions; ``""`` when unknown.
    #: They differ when the code changed between them.
    base_flow_version: str = ""
    other_flow_version: str = ""


class VerificationVerdict(_StrEnum):
    """What checking a recorded execution against flow code found."""

    #: The code issues every recorded call and wait the recorded way: it would continue the execution.
    COMPATIBLE = "compatible"
    #: The code diverges from the record (``divergence`` says where).
    DIVERGED = "diverged"
    #: The flow body threw before it reached the end of the record.
    FAILED = "failed"
    #: Not checked: the flow is not served by the code, or nothing ran yet.
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ExecutionVerification:
    """The result of checking one recorded execution against flow code, without running anything."""

    exec_id: str
    flow_name: str
    status: ExecutionStatus
    verdict: VerificationVerdict
    #: Where the check stopped, in words: "would wait at 'approve'", "would complete", ...
    outcome: str
    #: Recorded calls the code issued the recorded way.
    matched_calls: int = 0
    #: Recorded checkpoint calls of the execution.
    recorded_calls: int = 0
    #: The evidence, when ``diverged``.
    divergence: Optional[DivergenceDetail] = None
    #: The flow version that last ran its body; ``None`` when unknown.
    recorded_flow_version: Optional[str] = None


@dataclass(frozen=True)
class VerifyExecutionsResult:
    """What ``executions.verify()`` found: one result per execution, and the code checked."""

    #: The flow version of the code checked: the runner's.
    flow_version: str
    results: List[ExecutionVerification] = field(default_factory=list)


class ReplayJobState(_StrEnum):
    """Where a replay job stands."""

    #: Starting replays, or waiting for started ones to settle.
    RUNNING = "running"
    #: Every source was replayed (or refused with its error) and every replay settled.
    SUCCEEDED = "succeeded"
    #: Cancelled: no replay was started after the cancel; those started before ran on.
    CANCELLED = "cancelled"


class ReplayJobItemState(_StrEnum):
    """Where one source of a replay job stands."""

    #: Not started yet.
    PENDING = "pending"
    #: Its replay was created and has not settled yet.
    STARTED = "started"
    #: Its replay settled (completed, failed, cancelled or waiting) and was compared with the source.
    SETTLED = "settled"
    #: The plan cannot apply to this source (``error`` says why); nothing was created.
    REFUSED = "refused"
    #: Not started: the job was cancelled first.
    SKIPPED = "skipped"
    #: Planned by a plan-only request (``plan`` holds the plan); nothing was created.
    PLANNED = "planned"


@dataclass(frozen=True)
class ReplayJobSelection:
    """Which executions a job replays; every field given must hold."""

    #: Executions of this flow (``None`` when the job names its sources by ID).
    flow: Optional[str] = None
    #: Executions in one of these statuses; empty: completed, failed, cancelled and waiting.
    statuses: List[ExecutionStatus] = field(default_factory=list)
    #: Created at or after this time.
    since: Optional[datetime] = None
    #: Created before this time.
    until: Optional[datetime] = None
    #: Metadata keys (logged by the flow) that must hold these values.
    labels: Dict[str, str] = field(default_factory=dict)
    #: These executions, in this order.
    exec_ids: List[str] = field(default_factory=list)
    #: At most this many sources, newest first; ``None``: every match (a job holds at most 10 000).
    limit: Optional[int] = None


@dataclass(frozen=True)
class ReplayJobSpec:
    """What a job asks every source's replay for."""

    selection: ReplayJobSelection
    #: The checkpoint selector every replay starts from.
    from_: str
    #: Flow input fields shallow-merged onto each source's input.
    args: Dict[str, Any] = field(default_factory=dict)
    #: ``checkpoint.<selector>`` overrides applied to every source.
    overrides: Dict[str, Any] = field(default_factory=dict)
    allow_override_type_change: bool = False
    #: Wait names each replay answers from its source's recorded answer instead of stopping there.
    answer_waits_from_source: List[str] = field(default_factory=list)
    plan_only: bool = False
    #: Replays running at once; ``None``: the planner's ``--replay-job-concurrency``.
    concurrency: Optional[int] = None


@dataclass(frozen=True)
class ReplayJobTotals:
    """A job's sources counted by outcome."""

    sources: int = 0
    pending: int = 0
    running: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    waiting: int = 0
    refused: int = 0
    skipped: int = 0
    planned: int = 0
    #: Settled replays whose result differs from their source's.
    results_changed: int = 0

    @property
    def summary(self) -> str:
        """One line as the CLI prints it, e.g. ``"41 completed, 3 failed, 17 results changed"``
        (counts of 0 left out; the changed results always shown)."""
        counts = [
            (self.completed, "completed"),
            (self.failed, "failed"),
            (self.cancelled, "cancelled"),
            (self.waiting, "waiting"),
            (self.running, "running"),
            (self.pending, "pending"),
            (self.refused, "refused"),
            (self.skipped, "skipped"),
            (self.planned, "planned"),
        ]
        parts = [f"{count} {label}" for count, label in counts if count > 0]
        changed = self.results_changed
        parts.append(f"{changed} result{'' if changed == 1 else 's'} changed")
        return ", ".join(parts)


@dataclass(frozen=True)
class ReplayJob:
    """A bulk replay: many sources, one request, each replay compared with its source."""

    #: ``rj-...``; ``""`` for the answer of a plan-only request (nothing is stored).
    job_id: str
    request_id: str
    state: ReplayJobState
    spec: ReplayJobSpec
    #: The selected sources, in the order the job replays them (fixed at creation).
    source_exec_ids: List[str] = field(default_factory=list)
    totals: ReplayJobTotals = field(default_factory=ReplayJobTotals)
    created_at: Optional[datetime] = None
    cancelled_at: Optional[datetime] = None
    #: When every replay settled; ``None`` while the job runs.
    ended_at: Optional[datetime] = None
    namespace: str = ""

    @property
    def ended(self) -> bool:
        """True once every replay of the job settled (succeeded, or cancelled and settled)."""
        return self.ended_at is not None


@dataclass(frozen=True)
class ReplayJobItem:
    """One source of a job: its replay and how the two compare."""

    #: Position of the source in the job, from 0.
    index: int
    source_exec_id: str
    state: ReplayJobItemState
    #: The replay's execution ID; ``None`` until it is created.
    replay_exec_id: Optional[str] = None
    #: The replay's status when it settled (or when last seen); ``None`` before it exists.
    replay_status: Optional[ExecutionStatus] = None
    #: ``refused``: the typed error a single replay of this source fails with
    #: (a :class:`~kitaru_client.errors.KitaruError` subclass, not raised).
    error: Optional[KitaruError] = None
    #: ``settled``: whether the replay's result differs from the source's.
    result_changed: bool = False
    #: ``settled``: how the result differs (at most 50 changes).
    result_changes: List[JsonChange] = field(default_factory=list)
    #: ``settled``: calls the replay took from the source.
    reused_calls: int = 0
    #: ``settled``: calls run again with the same output.
    reexecuted_calls: int = 0
    #: ``settled``: calls run again with another output (or ending), or overridden.
    changed_calls: int = 0
    #: ``settled``: calls only the replay issued.
    new_calls: int = 0
    #: ``planned``: the plan of this source's replay.
    plan: Optional[ReplayPlan] = None
    updated_at: Optional[datetime] = None
    #: Why the replay failed, when it settled failed.
    replay_failure: Optional[Failure] = None


@dataclass(frozen=True)
class ReplayJobPlans:
    """The answer of a plan-only request: the job as it would be (not stored) and every source's plan or error."""

    job: ReplayJob
    items: List[ReplayJobItem] = field(default_factory=list)


@dataclass(frozen=True)
class ReplayJobProgress:
    """One progress report of ``replay_jobs.watch()``."""

    #: The job with its totals now.
    job: ReplayJob
    #: The items that changed since the previous report (every item in the first).
    items: List[ReplayJobItem] = field(default_factory=list)
