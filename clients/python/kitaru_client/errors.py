"""The kitaru error hierarchy for Python, rebuilt from gRPC status details.

Mirrors ``clients/ts/src/errors/kitaru-error.ts``::

    KitaruError
    ├── KitaruUsageError            invalid input: fix the request
    │   ├── KitaruWaitValidationError   wait input rejected by its schema
    │   └── KitaruContextError          authoring API used outside a flow
    ├── KitaruStateError            the execution's state forbids the operation
    │   └── KitaruNotFoundError         no such execution (or flow)
    ├── KitaruExecutionError        an execution ended unsuccessfully
    │   ├── KitaruUserCodeError         ... because user code threw
    │   └── KitaruDivergenceError       ... because the durable call sequence diverged
    ├── KitaruBackendError          a backend (database, runner) is unavailable
    └── KitaruInternalError         a bug in kitaru

:func:`error_from_rpc_error` picks the class from the ``google.rpc.ErrorInfo``
(domain ``kitaru.dev``) in the ``grpc-status-details-bin`` trailer and fills
its fields from the typed details (``kitaru.errors.v1.*``, ``BadRequest``,
``ResourceInfo``, ``kitaru.runner.v1.Failure``). Messages are never parsed
(contract §7). A status without a kitaru ErrorInfo (a proxy, another server,
a connection failure) maps by its code, the same way the TypeScript client does.
"""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Type, TypeVar

import grpc
from google.protobuf.message import DecodeError, Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status as _rpc_status

from kitaru.errors.v1 import errors_pb2
from kitaru.runner.v1 import execution_pb2

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


class KitaruUsageError(KitaruError):
    """The request is invalid (INVALID_ARGUMENT): fix it; retrying unchanged fails the same way.

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


class KitaruContextError(KitaruUsageError):
    """The authoring API was used where it cannot work (raised inside the runner)."""

    default_reason = ErrorReason.CONTEXT


class KitaruStateError(KitaruError):
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


class KitaruNotFoundError(KitaruStateError):
    """No execution (or flow) has that ID or name (NOT_FOUND).

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


class KitaruExecutionError(KitaruError):
    """An execution ended failed or cancelled.

    Attributes: ``exec_id``, ``status`` ("failed" or "cancelled") and ``failure``
    (the ``kitaru.runner.v1.Failure`` detail, or None).
    """

    default_reason = ErrorReason.EXECUTION

    def __init__(
        self,
        message: str,
        *,
        exec_id: str = "",
        status: str = "",
        failure: Optional[execution_pb2.Failure] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.exec_id = exec_id
        self.status = status
        self.failure = failure


class KitaruUserCodeError(KitaruExecutionError):
    """An execution failed because the flow body or a checkpoint raised."""

    default_reason = ErrorReason.USER_CODE


class KitaruDivergenceError(KitaruExecutionError):
    """A replayed or recovered run broke durable call sequence compatibility.

    ``detail`` is the ``kitaru.errors.v1.DivergenceDetail`` (invocation ID, what
    was recorded and what was seen), or None if the server sent none.
    """

    default_reason = ErrorReason.DIVERGENCE

    def __init__(self, message: str, *, detail: Optional[errors_pb2.DivergenceDetail] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.detail = detail


class KitaruBackendError(KitaruError):
    """A backend (the database, the runner) is unavailable; retrying later may succeed."""

    default_reason = ErrorReason.BACKEND


class KitaruInternalError(KitaruError):
    """A bug in kitaru; the cause is in the failing service's log."""

    default_reason = ErrorReason.INTERNAL


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
    return {
        "exec_id": st.exec_id if st else "",
        "status": st.status if st else "",
        "failure": d.find(execution_pb2.Failure),
    }


def _usage(cls: Type[KitaruUsageError]):
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


def _execution(cls: Type[KitaruExecutionError]):
    def build(message: str, base: Dict[str, Any], d: _Details) -> KitaruError:
        return cls(message, **_execution_fields(d), **base)

    return build


_DECODERS = {
    ErrorReason.USAGE: _usage(KitaruUsageError),
    ErrorReason.CONTEXT: _usage(KitaruContextError),
    ErrorReason.WAIT_VALIDATION: _wait_validation,
    ErrorReason.STATE: lambda m, base, d: KitaruStateError(m, **_state_fields(d), **base),
    ErrorReason.NOT_FOUND: _not_found,
    ErrorReason.EXECUTION: _execution(KitaruExecutionError),
    ErrorReason.USER_CODE: _execution(KitaruUserCodeError),
    ErrorReason.DIVERGENCE: lambda m, base, d: KitaruDivergenceError(
        m, detail=d.find(errors_pb2.DivergenceDetail), **_execution_fields(d), **base
    ),
    ErrorReason.BACKEND: lambda m, base, d: KitaruBackendError(m, **base),
    ErrorReason.INTERNAL: lambda m, base, d: KitaruInternalError(m, **base),
}


def _status_from_call(e: grpc.RpcError) -> Optional[status_pb2.Status]:
    """The ``google.rpc.Status`` of a failed call, or None when the server sent none."""
    try:
        return _rpc_status.from_call(e)  # type: ignore[arg-type]
    except ValueError:
        # from_call insists that the trailer's code and message equal the call's;
        # the details are still good when, e.g., a proxy rewrote the message.
        pass
    except AttributeError:
        return None  # not a grpc.Call (e.g. a bare RpcError in a test)
    for key, value in e.trailing_metadata() or ():  # type: ignore[attr-defined]
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
    metadata ``grpcCode`` (e.g. "PERMISSION_DENIED").
    """
    d = _Details(status)
    info = d.find(error_details_pb2.ErrorInfo)
    metadata = dict(info.metadata) if info else {}
    if info is not None and info.domain == ERROR_DOMAIN and info.reason in _DECODERS:
        base = {"reason": info.reason, "code": code, "metadata": metadata, "rpc_status": status}
        return _DECODERS[info.reason](message, base, d)

    metadata["grpcCode"] = code.name if isinstance(code, grpc.StatusCode) else str(code)
    base = {"code": code, "metadata": metadata, "rpc_status": status}
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return _usage(KitaruUsageError)(message, base, d)
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
    code = e.code() if hasattr(e, "code") else grpc.StatusCode.UNKNOWN  # type: ignore[attr-defined]
    message = (e.details() if hasattr(e, "details") else None) or str(e)  # type: ignore[attr-defined]
    error = error_from_status(code, message, _status_from_call(e))
    error.__cause__ = e
    return error
