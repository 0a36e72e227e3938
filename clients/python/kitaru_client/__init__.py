"""The Python client of kitaru: durable executions, their waits, replays and logs, over gRPC.

Shaped like Kitaru's own Python client::

    from kitaru_client import KitaruClient

    with KitaruClient() as client:  # KITARU_RUNNER_URL / KITARU_PLANNER_URL / KITARU_TOKEN
        source = client.executions.latest(flow="content_pipeline", status="completed")
        replayed = client.executions.replay(source.exec_id, from_="write_draft", topic="New topic")
        print(client.executions.result(replayed.exec_id))

- :class:`KitaruClient` with ``executions`` (:class:`ExecutionsClient`) and
  ``flows`` (:class:`FlowsClient`); results are the dataclasses of
  :mod:`kitaru_client.models`.
- Errors: the :class:`KitaruError` hierarchy of :mod:`kitaru_client.errors`,
  decoded from the ``google.rpc.Status`` details alone.
- The lower layer, one method per RPC with the generated messages:
  :class:`RunnerClient`, :class:`PlannerClient` (:mod:`kitaru_client.services`),
  and the generated code itself under ``kitaru_client.gen.kitaru.*``
  (e.g. ``kitaru_client.gen.kitaru.runner.v1.runner_service_pb2_grpc``).
"""

from .client import KitaruClient
from .connection import DEFAULT_PLANNER_URL, DEFAULT_RUNNER_URL, DEFAULT_TIMEOUT
from .errors import (
    ERROR_DOMAIN,
    ErrorReason,
    FieldViolation,
    KitaruBackendError,
    KitaruAuthError,
    KitaruPermissionError,
    KitaruContextError,
    KitaruDivergenceError,
    KitaruError,
    KitaruExecutionError,
    KitaruFeatureNotAvailableError,
    KitaruInternalError,
    KitaruLogRetrievalError,
    KitaruNotFoundError,
    KitaruPendingWaitError,
    KitaruRuntimeError,
    KitaruStateError,
    KitaruTimeoutError,
    KitaruUsageError,
    KitaruUserCodeError,
    KitaruWaitValidationError,
    error_from_rpc_error,
    error_from_status,
)
from .executions import ExecutionsClient
from .flows import FlowsClient
from .models import (
    AttemptStatus,
    CallAttempt,
    CallComparison,
    CallComparisonKind,
    CheckpointCall,
    CheckpointStatus,
    DivergenceDetail,
    DivergenceKind,
    EventKind,
    Execution,
    ExecutionComparison,
    ExecutionEvent,
    ExecutionLineage,
    ExecutionStatus,
    ExecutionVerification,
    Failure,
    FailureOrigin,
    Flow,
    FlowVersionRun,
    JsonChange,
    LineageEdge,
    LineageNode,
    LogEntry,
    LogLevel,
    PendingWait,
    PlannedCall,
    PlannedOverride,
    ReplayOrigin,
    ReplayPlan,
    StatusChange,
    VerificationVerdict,
    VerifyExecutionsResult,
    VersionHold,
    WaitStatus,
)
from .services import PlannerClient, RunnerClient, new_request_id

__version__ = "0.1.0"

__all__ = [
    "LineageNode",
    "LineageEdge",
    "JsonChange",
    "ExecutionLineage",
    "ExecutionComparison",
    "CallComparisonKind",
    "CallComparison",
    "DEFAULT_PLANNER_URL",
    "DEFAULT_RUNNER_URL",
    "DEFAULT_TIMEOUT",
    "ERROR_DOMAIN",
    "AttemptStatus",
    "CallAttempt",
    "CheckpointCall",
    "CheckpointStatus",
    "DivergenceDetail",
    "DivergenceKind",
    "ErrorReason",
    "EventKind",
    "Execution",
    "ExecutionEvent",
    "ExecutionStatus",
    "ExecutionVerification",
    "ExecutionsClient",
    "Failure",
    "FailureOrigin",
    "FieldViolation",
    "Flow",
    "FlowVersionRun",
    "FlowsClient",
    "KitaruBackendError",
    "KitaruAuthError",
    "KitaruPermissionError",
    "KitaruClient",
    "KitaruContextError",
    "KitaruDivergenceError",
    "KitaruError",
    "KitaruExecutionError",
    "KitaruFeatureNotAvailableError",
    "KitaruInternalError",
    "KitaruLogRetrievalError",
    "KitaruNotFoundError",
    "KitaruPendingWaitError",
    "KitaruRuntimeError",
    "KitaruStateError",
    "KitaruTimeoutError",
    "KitaruUsageError",
    "KitaruUserCodeError",
    "KitaruWaitValidationError",
    "LogEntry",
    "LogLevel",
    "PendingWait",
    "PlannedCall",
    "PlannedOverride",
    "PlannerClient",
    "ReplayOrigin",
    "ReplayPlan",
    "RunnerClient",
    "StatusChange",
    "VerificationVerdict",
    "VerifyExecutionsResult",
    "VersionHold",
    "WaitStatus",
    "error_from_rpc_error",
    "error_from_status",
    "new_request_id",
]
