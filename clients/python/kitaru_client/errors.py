"""The kitaru error hierarchy for Python, rebuilt from gRPC status details.

Mirrors ``proto/ts/src/errors/kitaru-error.ts`` (same classes, same
``reason`` values) and, like Kitaru's own ``kitaru.errors``, also derives from
the matching built-in exceptions, so ``except ValueError`` / ``LookupError`` /
``TimeoutError`` code written for Kitaru keeps working::

    KitaruError
    ├── KitaruUsageError (ValueError)          invalid input: fix the request
    │   ├── KitaruWaitValidationError              wait input rejected by its schema
    │   └── KitaruContextError (RuntimeError)      authoring API used outside a flow
    ├── KitaruStateError (RuntimeError)        the execution's state forbids the operation
    │   ├── KitaruNotFoundError (LookupError)      no such execution (or flow)
    │   ├── KitaruPendingWaitError                 client side: the awaited execution waits for input
    │   └── KitaruTimeoutError (TimeoutError)      client side: it did not finish in time
    ├── KitaruAuthError (PermissionError)      no valid bearer token (UNAUTHENTICATED)
    ├── KitaruPermissionError (PermissionError) the token does not allow the call (PERMISSION_DENIED)
    ├── KitaruRuntimeError (RuntimeError)
    │   ├── KitaruExecutionError                   an execution ended unsuccessfully
    │   │   ├── KitaruUserCodeError                    ... because user code raised
    │   │   └── KitaruDivergenceError                  ... because the durable call sequence diverged
    │   ├── KitaruBackendError                     a backend (database, runner) is unavailable
    │   │   └── KitaruLogRetrievalError                ... while reading logs
    │   └── KitaruInternalError                    a bug in kitaru
    └── KitaruFeatureNotAvailableError (NotImplementedError)

:func:`error_from_rpc_error` picks the class from the ``google.rpc.ErrorInfo``
(domain ``kitaru.dev``) in the ``grpc-status-details-bin`` trailer and fills
its fields from the typed details (``kitaru.errors.v1.*``, ``BadRequest``,
``ResourceInfo``, ``kitaru.runner.v1.Failure``). Messages are never parsed
(contract §7). A status without a kitaru ErrorInfo (a proxy, another server,
a connection failure) maps by its code, the same way the TypeScript client does.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Type, TypeVar

import grpc
from google.protobuf.message import DecodeError, Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status as _rpc_status

from ._convert import divergence_from_proto, failure_from_proto
from .gen.kitaru.errors.v1 import errors_pb2
from .gen.kitaru.runner.v1 import execution_pb2
from .models import DivergenceDetail, ExecutionStatus, Failure, FailureOrigin, PendingWait

#: The ``google.rpc.ErrorInfo.domain`` of every kitaru error.
ERROR_DOMAIN = "kitaru.dev"

#: The trailer carrying the serialized ``google.rpc.Status``.
STATUS_DETAILS_KEY = "grpc-status-details-bin"


class ErrorReason:
    """The ``google.rpc.ErrorInfo.reason`` values kitaru sends."""

    USAGE = "KITARU_USAGE_ERROR"
    WAIT_VALIDATION = "KITARU_WAIT_VALIDATION_ERROR"
    CONTEXT = "KITARU_CONTEXT_ERROR"
    STATE = "KITARU_STATE_ERROR"
    NOT_FOUND = "KITARU_NOT_FOUND"
    EXECUTION = "KITARU_EXECUTION_ERROR"
    USER_CODE = "KITARU_USER_CODE_ERROR"
    DIVERGENCE = "KITARU_DIVERGENCE_ERROR"
    BACKEND = "KITARU_BACKEND_ERROR"
    UNAUTHENTICATED = "KITARU_UNAUTHENTICATED"
    PERMISSION_DENIED = "KITARU_PERMISSION_DENIED"
    INTERNAL = "KITARU_INTERNAL_ERROR"


class FieldViolation(NamedTuple):
    """A problem with one field of a JSON value; ``field`` is a dotted path ("" for the root)."""

    field: str
    description: str


class KitaruError(Exception):
    """Base class of every kitaru error. Branch on the class (or ``reason``), not the message.

    Attributes:
        message: the status message.
        reason: the ``ErrorInfo.reason`` (the class's own reason when the server sent none).
        code: the gRPC status code, when the error came from a call.
        metadata: ``ErrorInfo.metadata`` (lowerCamel keys, string values); errors mapped
            from a status without kitaru details also get ``grpcCode``.
        rpc_status: the decoded ``google.rpc.Status``, when the server sent one.
    """

    default_reason = ""

    def __init__(
        self,
        message: str,
        *,
        reason: Optional[str] = None,
        code: Optional[grpc.StatusCode] = None,
        metadata: Optional[Dict[str, str]] = None,
        rpc_status: Optional[status_pb2.Status] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.code = code
        self.metadata: Dict[str, str] = dict(metadata or {})
        self.rpc_status = rpc_status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, reason={self.reason!r})"


class KitaruUsageError(KitaruError, ValueError):
    """The request is invalid (INVALID_ARGUMENT): fix it; retrying unchanged fails the same way.

    Also raised by the client itself for arguments it can check (a status
    filter, ``limit < 1``, a flow input that is not JSON).

    Attributes:
        violations: field problems from ``google.rpc.BadRequest`` (or ``WaitValidation``).
        bad_request: the ``google.rpc.BadRequest`` detail, if sent.
    """

    default_reason = ErrorReason.USAGE

    def __init__(
        self,
        message: str,
        *,
        violations: Sequence[FieldViolation] = (),
        bad_request: Optional[error_details_pb2.BadRequest] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.violations: List[FieldViolation] = list(violations)
        self.bad_request = bad_request


class KitaruWaitValidationError(KitaruUsageError):
    """A wait input was rejected by the wait's schema; the execution still waits.

    Attributes: ``exec_id``, ``wait_name``, ``wait_id`` and ``wait_validation``
    (the ``kitaru.errors.v1.WaitValidation`` detail).
    """

    default_reason = ErrorReason.WAIT_VALIDATION

    def __init__(
        self,
        message: str,
        *,
        exec_id: str = "",
        wait_name: str = "",
        wait_id: str = "",
        wait_validation: Optional[errors_pb2.WaitValidation] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.exec_id = exec_id
        self.wait_name = wait_name
        self.wait_id = wait_id
        self.wait_validation = wait_validation


class KitaruContextError(KitaruUsageError, RuntimeError):
    """The authoring API was used where it cannot work (raised inside the runner)."""

    default_reason = ErrorReason.CONTEXT


class KitaruStateError(KitaruError, RuntimeError):
    """The execution's state forbids the operation (FAILED_PRECONDITION).

    Attributes (each the typed detail, or None):
        selector: ``kitaru.errors.v1.SelectorResolution`` (a checkpoint selector matched 0 or 2+ calls).
        state: ``kitaru.errors.v1.ExecutionStateDetail`` (execution, status, refused operation).
        wait_selection: ``kitaru.errors.v1.WaitSelection`` (a wait selector matched 0 or 2+ waits).
    """

    default_reason = ErrorReason.STATE

    def __init__(
        self,
        message: str,
        *,
        selector: Optional[errors_pb2.SelectorResolution] = None,
        state: Optional[errors_pb2.ExecutionStateDetail] = None,
        wait_selection: Optional[errors_pb2.WaitSelection] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.selector = selector
        self.state = state
        self.wait_selection = wait_selection


class KitaruNotFoundError(KitaruStateError, LookupError):
    """No execution (or flow) has that ID or name (NOT_FOUND); also ``executions.latest()`` finding none.

    A ``LookupError`` too, which is what Kitaru's ``latest()`` raises.

    Attributes: ``resource_type`` ("execution" or "flow"), ``resource_name``,
    ``resource_info`` (the ``google.rpc.ResourceInfo`` detail).
    """

    default_reason = ErrorReason.NOT_FOUND

    def __init__(
        self,
        message: str,
        *,
        resource_type: str = "",
        resource_name: str = "",
        resource_info: Optional[error_details_pb2.ResourceInfo] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.resource_type = resource_type
        self.resource_name = resource_name
        self.resource_info = resource_info


class KitaruRuntimeError(KitaruError, RuntimeError):
    """Something failed while running: an execution, a backend, kitaru itself (Kitaru's grouping)."""


class KitaruExecutionError(KitaruRuntimeError):
    """An execution ended failed or cancelled (raised by ``executions.result()``, or sent by a service).

    Attributes:
        exec_id: the execution.
        status: its public status (``failed`` or ``cancelled``), or None when unknown.
        failure: why it failed (:class:`~kitaru_client.models.Failure`), or None.
        failure_origin: ``failure.origin`` (Kitaru's attribute), or None.
    """

    default_reason = ErrorReason.EXECUTION

    def __init__(
        self,
        message: str,
        *,
        exec_id: str = "",
        status: Optional[str] = None,
        failure: Optional[Failure] = None,
        failure_origin: Optional[FailureOrigin] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.exec_id = exec_id
        self.status: Optional[ExecutionStatus] = _public_status(status)
        self.failure = failure
        self.failure_origin = failure_origin or (failure.origin if failure is not None else None)


def _public_status(status: Optional[str]) -> Optional[ExecutionStatus]:
    try:
        return ExecutionStatus(status) if status else None
    except ValueError:
        return None


class KitaruUserCodeError(KitaruExecutionError):
    """An execution failed because the flow body or a checkpoint raised."""

    default_reason = ErrorReason.USER_CODE


class KitaruDivergenceError(KitaruExecutionError):
    """A replayed or recovered run broke durable call sequence compatibility.

    ``detail`` (:class:`~kitaru_client.models.DivergenceDetail`) says at which
    invocation ID, what was recorded and what was seen; None if none was sent.
    Check that the flow still issues reused checkpoints in the same order with
    the same inputs, or replay from an earlier checkpoint. When code of another
    flow version resumed the execution, ``detail`` also names both versions
    (``recorded_flow_version``, ``flow_version``) and the replay that continues
    the work on the new code (``replay_command``, ``replay_from``).
    """

    default_reason = ErrorReason.DIVERGENCE

    def __init__(self, message: str, *, detail: Optional[DivergenceDetail] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.detail = detail


class KitaruBackendError(KitaruRuntimeError):
    """A backend (the database, the runner) is unavailable (UNAVAILABLE); retrying later may succeed.

    Also what a connection failure or an expired deadline becomes.
    """

    default_reason = ErrorReason.BACKEND


class KitaruLogRetrievalError(KitaruBackendError):
    """The logs of an execution could not be read (``executions.logs()``/``follow_logs()``)."""

    default_reason = ErrorReason.BACKEND


class KitaruAuthError(KitaruError, PermissionError):
    """The call carried no token the service accepts (UNAUTHENTICATED): set ``KITARU_TOKEN`` or ``token=``."""

    default_reason = ErrorReason.UNAUTHENTICATED


class KitaruPermissionError(KitaruError, PermissionError):
    """The token is valid but does not allow the call, e.g. acting in another namespace (PERMISSION_DENIED)."""

    default_reason = ErrorReason.PERMISSION_DENIED


class KitaruInternalError(KitaruRuntimeError):
    """A bug in kitaru; the cause is in the failing service's log."""

    default_reason = ErrorReason.INTERNAL


class KitaruFeatureNotAvailableError(KitaruError, NotImplementedError):
    """A Kitaru feature this implementation does not offer (e.g. ``logs(source="runner")``)."""

    default_reason = ErrorReason.USAGE


class KitaruPendingWaitError(KitaruStateError):
    """The execution ``executions.result()`` waited on stopped at pending waits. Never sent on the wire.

    Nothing failed: answer each wait in ``pending_waits`` with
    ``client.executions.input(exec_id, wait=..., value=...)``, then wait again.
    """

    def __init__(self, exec_id: str, pending_waits: Sequence[PendingWait]) -> None:
        names = [w.name for w in pending_waits]
        if len(pending_waits) == 1:
            only = pending_waits[0]
            question = f": {only.question}" if only.question else "."
            message = (
                f"Execution '{exec_id}' is waiting for input at wait '{only.name}'{question} Answer it with "
                f"client.executions.input('{exec_id}', wait='{only.name}', value=...), then wait again."
            )
        else:
            message = (
                f"Execution '{exec_id}' is waiting for input at {len(names)} waits ({', '.join(names)}). "
                f"Answer each with client.executions.input('{exec_id}', wait=<name>, value=...), then wait again."
            )
        state = errors_pb2.ExecutionStateDetail(exec_id=exec_id, status="waiting", operation="wait")
        super().__init__(message, state=state, metadata={"execId": exec_id, "waitNames": ",".join(names)})
        self.exec_id = exec_id
        self.pending_waits: List[PendingWait] = list(pending_waits)


class KitaruTimeoutError(KitaruStateError, TimeoutError):
    """``executions.result()`` gave up waiting (Kitaru's local wait timeout). Never sent on the wire.

    The execution was not changed and may still be running.
    """

    def __init__(
        self, exec_id: str, *, timeout_seconds: float, elapsed_seconds: float, last_status: Optional[ExecutionStatus]
    ) -> None:
        status = f" (last status: {last_status})" if last_status is not None else ""
        message = (
            f"Timed out after {elapsed_seconds:.1f}s waiting for execution '{exec_id}' to finish{status}. "
            "The remote execution was not changed and may still be running."
        )
        super().__init__(message, metadata={"execId": exec_id, "timeoutSeconds": str(timeout_seconds)})
        self.exec_id = exec_id
        self.timeout_seconds = timeout_seconds
        self.elapsed_seconds = elapsed_seconds
        self.last_status = last_status


# ---------------------------------------------------------------------------
# wire -> error

M = TypeVar("M", bound=Message)


class _Details:
    """The details of one status, unpacked on demand by type."""

    def __init__(self, status: Optional[status_pb2.Status]) -> None:
        self._anys = list(status.details) if status is not None else []

    def find(self, cls: Type[M]) -> Optional[M]:
        for any_ in self._anys:
            if any_.Is(cls.DESCRIPTOR):
                msg = cls()
                try:
                    if any_.Unpack(msg):
                        return msg
                except DecodeError:
                    pass  # a malformed detail is ignored, like a missing one
        return None


def _violations(d: _Details) -> List[FieldViolation]:
    bad = d.find(error_details_pb2.BadRequest)
    return [FieldViolation(v.field, v.description) for v in bad.field_violations] if bad else []


def _state_fields(d: _Details) -> Dict[str, Any]:
    return {
        "selector": d.find(errors_pb2.SelectorResolution),
        "state": d.find(errors_pb2.ExecutionStateDetail),
        "wait_selection": d.find(errors_pb2.WaitSelection),
    }


def _execution_fields(d: _Details) -> Dict[str, Any]:
    st = d.find(errors_pb2.ExecutionStateDetail)
    failure = d.find(execution_pb2.Failure)
    return {
        "exec_id": st.exec_id if st else "",
        "status": st.status if st else None,
        "failure": failure_from_proto(failure) if failure is not None else None,
    }


def _divergence(d: _Details) -> Optional[DivergenceDetail]:
    detail = d.find(errors_pb2.DivergenceDetail)
    return divergence_from_proto(detail) if detail is not None else None


_Decoder = Callable[[str, Dict[str, Any], _Details], KitaruError]


def _usage(cls: Type[KitaruUsageError]) -> _Decoder:
    def build(message: str, base: Dict[str, Any], d: _Details) -> KitaruError:
        return cls(message, violations=_violations(d), bad_request=d.find(error_details_pb2.BadRequest), **base)

    return build


def _wait_validation(message: str, base: Dict[str, Any], d: _Details) -> KitaruError:
    w = d.find(errors_pb2.WaitValidation)
    violations = [FieldViolation(v.field, v.description) for v in w.violations] if w else _violations(d)
    return KitaruWaitValidationError(
        message,
        exec_id=w.exec_id if w else "",
        wait_name=w.wait_name if w else "",
        wait_id=w.wait_id if w else "",
        wait_validation=w,
        violations=violations,
        bad_request=d.find(error_details_pb2.BadRequest),
        **base,
    )


def _not_found(message: str, base: Dict[str, Any], d: _Details) -> KitaruError:
    r = d.find(error_details_pb2.ResourceInfo)
    return KitaruNotFoundError(
        message,
        resource_type=r.resource_type if r else "",
        resource_name=r.resource_name if r else "",
        resource_info=r,
        **_state_fields(d),
        **base,
    )


def _execution(cls: Type[KitaruExecutionError]) -> _Decoder:
    def build(message: str, base: Dict[str, Any], d: _Details) -> KitaruError:
        return cls(message, **_execution_fields(d), **base)

    return build


_DECODERS: Dict[str, _Decoder] = {
    ErrorReason.USAGE: _usage(KitaruUsageError),
    ErrorReason.CONTEXT: _usage(KitaruContextError),
    ErrorReason.WAIT_VALIDATION: _wait_validation,
    ErrorReason.STATE: lambda m, base, d: KitaruStateError(m, **_state_fields(d), **base),
    ErrorReason.NOT_FOUND: _not_found,
    ErrorReason.EXECUTION: _execution(KitaruExecutionError),
    ErrorReason.USER_CODE: _execution(KitaruUserCodeError),
    ErrorReason.DIVERGENCE: lambda m, base, d: KitaruDivergenceError(
        m, detail=_divergence(d), **_execution_fields(d), **base
    ),
    ErrorReason.BACKEND: lambda m, base, d: KitaruBackendError(m, **base),
    ErrorReason.UNAUTHENTICATED: lambda m, base, d: KitaruAuthError(m, **base),
    ErrorReason.PERMISSION_DENIED: lambda m, base, d: KitaruPermissionError(m, **base),
    ErrorReason.INTERNAL: lambda m, base, d: KitaruInternalError(m, **base),
}


def _status_from_call(e: grpc.RpcError) -> Optional[status_pb2.Status]:
    """The ``google.rpc.Status`` of a failed call, or None when the server sent none."""
    call: Any = e  # a grpc.Call at run time (every failed call is one)
    try:
        status: Optional[status_pb2.Status] = _rpc_status.from_call(call)
        return status
    except ValueError:
        # from_call insists that the trailer's code and message equal the call's;
        # the details are still good when, e.g., a proxy rewrote the message.
        pass
    except AttributeError:
        return None  # not a grpc.Call (e.g. a bare RpcError in a test)
    trailers: Any = call.trailing_metadata() or ()  # (key, value) pairs at run time
    for key, value in trailers:
        if key == STATUS_DETAILS_KEY:
            try:
                return status_pb2.Status.FromString(value)
            except DecodeError:
                return None
    return None


def error_from_status(
    code: grpc.StatusCode, message: str, status: Optional[status_pb2.Status]
) -> KitaruError:
    """Rebuilds a kitaru error from a status code, message and optional ``google.rpc.Status``.

    The class comes from ``ErrorInfo.reason`` alone. Without a kitaru ErrorInfo
    the code decides: INVALID_ARGUMENT → KitaruUsageError, NOT_FOUND →
    KitaruNotFoundError, FAILED_PRECONDITION → KitaruStateError, INTERNAL /
    UNKNOWN / DATA_LOSS / UNIMPLEMENTED → KitaruInternalError, any other code
    (UNAVAILABLE, DEADLINE_EXCEEDED, ...) → KitaruBackendError; such errors get
    metadata ``grpcCode`` (e.g. "ABORTED"). RESOURCE_EXHAUSTED (a request larger
    than the transport accepts) → KitaruUsageError, UNAUTHENTICATED →
    KitaruAuthError, PERMISSION_DENIED → KitaruPermissionError.
    """
    d = _Details(status)
    info = d.find(error_details_pb2.ErrorInfo)
    metadata = dict(info.metadata) if info else {}
    if info is not None and info.domain == ERROR_DOMAIN and info.reason in _DECODERS:
        base = {"reason": info.reason, "code": code, "metadata": metadata, "rpc_status": status}
        return _DECODERS[info.reason](message, base, d)

    metadata["grpcCode"] = code.name if isinstance(code, grpc.StatusCode) else str(code)
    base = {"code": code, "metadata": metadata, "rpc_status": status}
    if code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED):
        return _usage(KitaruUsageError)(message, base, d)
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return KitaruAuthError(message, **base)
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return KitaruPermissionError(message, **base)
    if code == grpc.StatusCode.NOT_FOUND:
        return _not_found(message, base, d)
    if code == grpc.StatusCode.FAILED_PRECONDITION:
        return KitaruStateError(message, **base)
    if code in (
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DATA_LOSS,
        grpc.StatusCode.UNIMPLEMENTED,
    ):
        return KitaruInternalError(message, **base)
    return KitaruBackendError(message, **base)


def error_from_rpc_error(e: grpc.RpcError) -> KitaruError:
    """Rebuilds the kitaru error behind a failed gRPC call (``raise error_from_rpc_error(e) from e``)."""
    # A grpc.Call (every failed call) has code() and details(); a bare RpcError may not.
    call: Any = e
    code = call.code() if hasattr(call, "code") else grpc.StatusCode.UNKNOWN
    message = (call.details() if hasattr(call, "details") else None) or str(e)
    error = error_from_status(code, message, _status_from_call(e))
    error.__cause__ = e
    return error
