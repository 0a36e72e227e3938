import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from kitaru_client.gen.kitaru.errors.v1 import errors_pb2 as _errors_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExecutionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_STATUS_UNSPECIFIED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_RUNNING: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_WAITING: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_COMPLETED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_FAILED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_CANCELLED: _ClassVar[ExecutionStatus]

class FailureOrigin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FAILURE_ORIGIN_UNSPECIFIED: _ClassVar[FailureOrigin]
    FAILURE_ORIGIN_USER_CODE: _ClassVar[FailureOrigin]
    FAILURE_ORIGIN_RUNTIME: _ClassVar[FailureOrigin]
    FAILURE_ORIGIN_BACKEND: _ClassVar[FailureOrigin]
    FAILURE_ORIGIN_DIVERGENCE: _ClassVar[FailureOrigin]
    FAILURE_ORIGIN_UNKNOWN: _ClassVar[FailureOrigin]

class ExecutionView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_VIEW_UNSPECIFIED: _ClassVar[ExecutionView]
    EXECUTION_VIEW_BASIC: _ClassVar[ExecutionView]
    EXECUTION_VIEW_FULL: _ClassVar[ExecutionView]

class CheckpointCallStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHECKPOINT_CALL_STATUS_UNSPECIFIED: _ClassVar[CheckpointCallStatus]
    CHECKPOINT_CALL_STATUS_RUNNING: _ClassVar[CheckpointCallStatus]
    CHECKPOINT_CALL_STATUS_COMPLETED: _ClassVar[CheckpointCallStatus]
    CHECKPOINT_CALL_STATUS_FAILED: _ClassVar[CheckpointCallStatus]
    CHECKPOINT_CALL_STATUS_REUSED: _ClassVar[CheckpointCallStatus]
    CHECKPOINT_CALL_STATUS_CANCELLED: _ClassVar[CheckpointCallStatus]

class CallAttemptStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALL_ATTEMPT_STATUS_UNSPECIFIED: _ClassVar[CallAttemptStatus]
    CALL_ATTEMPT_STATUS_COMPLETED: _ClassVar[CallAttemptStatus]
    CALL_ATTEMPT_STATUS_FAILED: _ClassVar[CallAttemptStatus]
    CALL_ATTEMPT_STATUS_CANCELLED: _ClassVar[CallAttemptStatus]

class WaitStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WAIT_STATUS_UNSPECIFIED: _ClassVar[WaitStatus]
    WAIT_STATUS_PENDING: _ClassVar[WaitStatus]
    WAIT_STATUS_RESOLVED: _ClassVar[WaitStatus]
    WAIT_STATUS_ABORTED: _ClassVar[WaitStatus]

class LogLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOG_LEVEL_UNSPECIFIED: _ClassVar[LogLevel]
    LOG_LEVEL_DEBUG: _ClassVar[LogLevel]
    LOG_LEVEL_INFO: _ClassVar[LogLevel]
    LOG_LEVEL_WARN: _ClassVar[LogLevel]
    LOG_LEVEL_ERROR: _ClassVar[LogLevel]

class VerificationVerdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_VERDICT_UNSPECIFIED: _ClassVar[VerificationVerdict]
    VERIFICATION_VERDICT_COMPATIBLE: _ClassVar[VerificationVerdict]
    VERIFICATION_VERDICT_DIVERGED: _ClassVar[VerificationVerdict]
    VERIFICATION_VERDICT_FAILED: _ClassVar[VerificationVerdict]
    VERIFICATION_VERDICT_SKIPPED: _ClassVar[VerificationVerdict]
EXECUTION_STATUS_UNSPECIFIED: ExecutionStatus
EXECUTION_STATUS_RUNNING: ExecutionStatus
EXECUTION_STATUS_WAITING: ExecutionStatus
EXECUTION_STATUS_COMPLETED: ExecutionStatus
EXECUTION_STATUS_FAILED: ExecutionStatus
EXECUTION_STATUS_CANCELLED: ExecutionStatus
FAILURE_ORIGIN_UNSPECIFIED: FailureOrigin
FAILURE_ORIGIN_USER_CODE: FailureOrigin
FAILURE_ORIGIN_RUNTIME: FailureOrigin
FAILURE_ORIGIN_BACKEND: FailureOrigin
FAILURE_ORIGIN_DIVERGENCE: FailureOrigin
FAILURE_ORIGIN_UNKNOWN: FailureOrigin
EXECUTION_VIEW_UNSPECIFIED: ExecutionView
EXECUTION_VIEW_BASIC: ExecutionView
EXECUTION_VIEW_FULL: ExecutionView
CHECKPOINT_CALL_STATUS_UNSPECIFIED: CheckpointCallStatus
CHECKPOINT_CALL_STATUS_RUNNING: CheckpointCallStatus
CHECKPOINT_CALL_STATUS_COMPLETED: CheckpointCallStatus
CHECKPOINT_CALL_STATUS_FAILED: CheckpointCallStatus
CHECKPOINT_CALL_STATUS_REUSED: CheckpointCallStatus
CHECKPOINT_CALL_STATUS_CANCELLED: CheckpointCallStatus
CALL_ATTEMPT_STATUS_UNSPECIFIED: CallAttemptStatus
CALL_ATTEMPT_STATUS_COMPLETED: CallAttemptStatus
CALL_ATTEMPT_STATUS_FAILED: CallAttemptStatus
CALL_ATTEMPT_STATUS_CANCELLED: CallAttemptStatus
WAIT_STATUS_UNSPECIFIED: WaitStatus
WAIT_STATUS_PENDING: WaitStatus
WAIT_STATUS_RESOLVED: WaitStatus
WAIT_STATUS_ABORTED: WaitStatus
LOG_LEVEL_UNSPECIFIED: LogLevel
LOG_LEVEL_DEBUG: LogLevel
LOG_LEVEL_INFO: LogLevel
LOG_LEVEL_WARN: LogLevel
LOG_LEVEL_ERROR: LogLevel
VERIFICATION_VERDICT_UNSPECIFIED: VerificationVerdict
VERIFICATION_VERDICT_COMPATIBLE: VerificationVerdict
VERIFICATION_VERDICT_DIVERGED: VerificationVerdict
VERIFICATION_VERDICT_FAILED: VerificationVerdict
VERIFICATION_VERDICT_SKIPPED: VerificationVerdict

class Failure(_message.Message):
    __slots__ = ("origin", "message", "exception_type", "invocation_id", "divergence", "traceback")
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EXCEPTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    DIVERGENCE_FIELD_NUMBER: _ClassVar[int]
    TRACEBACK_FIELD_NUMBER: _ClassVar[int]
    origin: FailureOrigin
    message: str
    exception_type: str
    invocation_id: str
    divergence: _errors_pb2.DivergenceDetail
    traceback: str
    def __init__(self, origin: _Optional[_Union[FailureOrigin, str]] = ..., message: _Optional[str] = ..., exception_type: _Optional[str] = ..., invocation_id: _Optional[str] = ..., divergence: _Optional[_Union[_errors_pb2.DivergenceDetail, _Mapping]] = ..., traceback: _Optional[str] = ...) -> None: ...

class Execution(_message.Message):
    __slots__ = ("name", "exec_id", "flow_name", "status", "input", "result", "failure", "original_exec_id", "retry_count", "pending_waits", "checkpoints", "checkpoint_count", "replay", "create_time", "update_time", "end_time", "metadata", "omitted_values", "flow_version", "flow_version_runs", "version_hold", "waits", "checkpoints_next_page_token")
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    FLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    RETRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    PENDING_WAITS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_COUNT_FIELD_NUMBER: _ClassVar[int]
    REPLAY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    OMITTED_VALUES_FIELD_NUMBER: _ClassVar[int]
    FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    FLOW_VERSION_RUNS_FIELD_NUMBER: _ClassVar[int]
    VERSION_HOLD_FIELD_NUMBER: _ClassVar[int]
    WAITS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTS_NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    name: str
    exec_id: str
    flow_name: str
    status: ExecutionStatus
    input: _struct_pb2.Struct
    result: _struct_pb2.Value
    failure: Failure
    original_exec_id: str
    retry_count: int
    pending_waits: _containers.RepeatedCompositeFieldContainer[Wait]
    checkpoints: _containers.RepeatedCompositeFieldContainer[CheckpointCall]
    checkpoint_count: int
    replay: ReplayOrigin
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    metadata: _struct_pb2.Struct
    omitted_values: _containers.RepeatedCompositeFieldContainer[OmittedValue]
    flow_version: str
    flow_version_runs: _containers.RepeatedCompositeFieldContainer[FlowVersionRun]
    version_hold: VersionHold
    waits: _containers.RepeatedCompositeFieldContainer[Wait]
    checkpoints_next_page_token: str
    def __init__(self, name: _Optional[str] = ..., exec_id: _Optional[str] = ..., flow_name: _Optional[str] = ..., status: _Optional[_Union[ExecutionStatus, str]] = ..., input: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., result: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., failure: _Optional[_Union[Failure, _Mapping]] = ..., original_exec_id: _Optional[str] = ..., retry_count: _Optional[int] = ..., pending_waits: _Optional[_Iterable[_Union[Wait, _Mapping]]] = ..., checkpoints: _Optional[_Iterable[_Union[CheckpointCall, _Mapping]]] = ..., checkpoint_count: _Optional[int] = ..., replay: _Optional[_Union[ReplayOrigin, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., omitted_values: _Optional[_Iterable[_Union[OmittedValue, _Mapping]]] = ..., flow_version: _Optional[str] = ..., flow_version_runs: _Optional[_Iterable[_Union[FlowVersionRun, _Mapping]]] = ..., version_hold: _Optional[_Union[VersionHold, _Mapping]] = ..., waits: _Optional[_Iterable[_Union[Wait, _Mapping]]] = ..., checkpoints_next_page_token: _Optional[str] = ...) -> None: ...

class FlowVersionRun(_message.Message):
    __slots__ = ("flow_version", "start_time")
    FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    flow_version: str
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, flow_version: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class VersionHold(_message.Message):
    __slots__ = ("required_flow_version", "divergence", "create_time")
    REQUIRED_FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    DIVERGENCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    required_flow_version: str
    divergence: _errors_pb2.DivergenceDetail
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, required_flow_version: _Optional[str] = ..., divergence: _Optional[_Union[_errors_pb2.DivergenceDetail, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OmittedValue(_message.Message):
    __slots__ = ("path", "bytes")
    PATH_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    path: str
    bytes: int
    def __init__(self, path: _Optional[str] = ..., bytes: _Optional[int] = ...) -> None: ...

class ReplayOrigin(_message.Message):
    __slots__ = ("roots", "override_keys", "source_flow_version", "answer_waits_from_source")
    FROM_FIELD_NUMBER: _ClassVar[int]
    ROOTS_FIELD_NUMBER: _ClassVar[int]
    OVERRIDE_KEYS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    ANSWER_WAITS_FROM_SOURCE_FIELD_NUMBER: _ClassVar[int]
    roots: _containers.RepeatedScalarFieldContainer[str]
    override_keys: _containers.RepeatedScalarFieldContainer[str]
    source_flow_version: str
    answer_waits_from_source: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, roots: _Optional[_Iterable[str]] = ..., override_keys: _Optional[_Iterable[str]] = ..., source_flow_version: _Optional[str] = ..., answer_waits_from_source: _Optional[_Iterable[str]] = ..., **kwargs) -> None: ...

class CheckpointCall(_message.Message):
    __slots__ = ("call_id", "invocation_id", "name", "status", "attempts", "sequence", "data_dependencies", "load_dependencies", "output_names", "output", "reused_from_call_id", "overridden", "failure", "start_time", "end_time", "metadata", "override_value", "attempt_history")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DATA_DEPENDENCIES_FIELD_NUMBER: _ClassVar[int]
    LOAD_DEPENDENCIES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_NAMES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    REUSED_FROM_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    OVERRIDDEN_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    OVERRIDE_VALUE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_HISTORY_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    invocation_id: str
    name: str
    status: CheckpointCallStatus
    attempts: int
    sequence: int
    data_dependencies: _containers.RepeatedScalarFieldContainer[str]
    load_dependencies: _containers.RepeatedScalarFieldContainer[str]
    output_names: _containers.RepeatedScalarFieldContainer[str]
    output: _struct_pb2.Value
    reused_from_call_id: str
    overridden: bool
    failure: Failure
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    metadata: _struct_pb2.Struct
    override_value: _struct_pb2.Value
    attempt_history: _containers.RepeatedCompositeFieldContainer[CallAttempt]
    def __init__(self, call_id: _Optional[str] = ..., invocation_id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[_Union[CheckpointCallStatus, str]] = ..., attempts: _Optional[int] = ..., sequence: _Optional[int] = ..., data_dependencies: _Optional[_Iterable[str]] = ..., load_dependencies: _Optional[_Iterable[str]] = ..., output_names: _Optional[_Iterable[str]] = ..., output: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., reused_from_call_id: _Optional[str] = ..., overridden: bool = ..., failure: _Optional[_Union[Failure, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., override_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., attempt_history: _Optional[_Iterable[_Union[CallAttempt, _Mapping]]] = ...) -> None: ...

class CallAttempt(_message.Message):
    __slots__ = ("number", "status", "start_time", "end_time", "failure")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    number: int
    status: CallAttemptStatus
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    failure: Failure
    def __init__(self, number: _Optional[int] = ..., status: _Optional[_Union[CallAttemptStatus, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., failure: _Optional[_Union[Failure, _Mapping]] = ...) -> None: ...

class Wait(_message.Message):
    __slots__ = ("wait_id", "name", "question", "schema", "metadata", "status", "value", "create_time", "resolve_time", "exec_id", "omitted_values", "answered_by", "answer_source_exec_id", "source_answer_note")
    WAIT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    OMITTED_VALUES_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_BY_FIELD_NUMBER: _ClassVar[int]
    ANSWER_SOURCE_EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ANSWER_NOTE_FIELD_NUMBER: _ClassVar[int]
    wait_id: str
    name: str
    question: str
    schema: _struct_pb2.Struct
    metadata: _struct_pb2.Struct
    status: WaitStatus
    value: _struct_pb2.Value
    create_time: _timestamp_pb2.Timestamp
    resolve_time: _timestamp_pb2.Timestamp
    exec_id: str
    omitted_values: _containers.RepeatedCompositeFieldContainer[OmittedValue]
    answered_by: str
    answer_source_exec_id: str
    source_answer_note: str
    def __init__(self, wait_id: _Optional[str] = ..., name: _Optional[str] = ..., question: _Optional[str] = ..., schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., status: _Optional[_Union[WaitStatus, str]] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., exec_id: _Optional[str] = ..., omitted_values: _Optional[_Iterable[_Union[OmittedValue, _Mapping]]] = ..., answered_by: _Optional[str] = ..., answer_source_exec_id: _Optional[str] = ..., source_answer_note: _Optional[str] = ...) -> None: ...

class ExecutionEvent(_message.Message):
    __slots__ = ("exec_id", "time", "call_started", "call_completed", "call_reused", "call_failed", "wait_pending", "wait_resolved", "status_changed", "call_cancelled")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    CALL_STARTED_FIELD_NUMBER: _ClassVar[int]
    CALL_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    CALL_REUSED_FIELD_NUMBER: _ClassVar[int]
    CALL_FAILED_FIELD_NUMBER: _ClassVar[int]
    WAIT_PENDING_FIELD_NUMBER: _ClassVar[int]
    WAIT_RESOLVED_FIELD_NUMBER: _ClassVar[int]
    STATUS_CHANGED_FIELD_NUMBER: _ClassVar[int]
    CALL_CANCELLED_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    time: _timestamp_pb2.Timestamp
    call_started: CheckpointCall
    call_completed: CheckpointCall
    call_reused: CheckpointCall
    call_failed: CheckpointCall
    wait_pending: Wait
    wait_resolved: Wait
    status_changed: StatusChange
    call_cancelled: CheckpointCall
    def __init__(self, exec_id: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., call_started: _Optional[_Union[CheckpointCall, _Mapping]] = ..., call_completed: _Optional[_Union[CheckpointCall, _Mapping]] = ..., call_reused: _Optional[_Union[CheckpointCall, _Mapping]] = ..., call_failed: _Optional[_Union[CheckpointCall, _Mapping]] = ..., wait_pending: _Optional[_Union[Wait, _Mapping]] = ..., wait_resolved: _Optional[_Union[Wait, _Mapping]] = ..., status_changed: _Optional[_Union[StatusChange, _Mapping]] = ..., call_cancelled: _Optional[_Union[CheckpointCall, _Mapping]] = ...) -> None: ...

class StatusChange(_message.Message):
    __slots__ = ("status", "result", "failure", "metadata", "flow_version", "version_hold", "omitted_values")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    VERSION_HOLD_FIELD_NUMBER: _ClassVar[int]
    OMITTED_VALUES_FIELD_NUMBER: _ClassVar[int]
    status: ExecutionStatus
    result: _struct_pb2.Value
    failure: Failure
    metadata: _struct_pb2.Struct
    flow_version: str
    version_hold: VersionHold
    omitted_values: _containers.RepeatedCompositeFieldContainer[OmittedValue]
    def __init__(self, status: _Optional[_Union[ExecutionStatus, str]] = ..., result: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., failure: _Optional[_Union[Failure, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., flow_version: _Optional[str] = ..., version_hold: _Optional[_Union[VersionHold, _Mapping]] = ..., omitted_values: _Optional[_Iterable[_Union[OmittedValue, _Mapping]]] = ...) -> None: ...

class LogEntry(_message.Message):
    __slots__ = ("exec_id", "invocation_id", "checkpoint_name", "call_id", "attempt", "time", "level", "message", "source")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_NAME_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    invocation_id: str
    checkpoint_name: str
    call_id: str
    attempt: int
    time: _timestamp_pb2.Timestamp
    level: LogLevel
    message: str
    source: str
    def __init__(self, exec_id: _Optional[str] = ..., invocation_id: _Optional[str] = ..., checkpoint_name: _Optional[str] = ..., call_id: _Optional[str] = ..., attempt: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., level: _Optional[_Union[LogLevel, str]] = ..., message: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class Flow(_message.Message):
    __slots__ = ("name", "flow_name", "input_schema")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    name: str
    flow_name: str
    input_schema: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., flow_name: _Optional[str] = ..., input_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ExecutionVerification(_message.Message):
    __slots__ = ("exec_id", "flow_name", "status", "recorded_flow_version", "verdict", "divergence", "outcome", "matched_calls", "recorded_calls")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    FLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RECORDED_FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    DIVERGENCE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    MATCHED_CALLS_FIELD_NUMBER: _ClassVar[int]
    RECORDED_CALLS_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    flow_name: str
    status: ExecutionStatus
    recorded_flow_version: str
    verdict: VerificationVerdict
    divergence: _errors_pb2.DivergenceDetail
    outcome: str
    matched_calls: int
    recorded_calls: int
    def __init__(self, exec_id: _Optional[str] = ..., flow_name: _Optional[str] = ..., status: _Optional[_Union[ExecutionStatus, str]] = ..., recorded_flow_version: _Optional[str] = ..., verdict: _Optional[_Union[VerificationVerdict, str]] = ..., divergence: _Optional[_Union[_errors_pb2.DivergenceDetail, _Mapping]] = ..., outcome: _Optional[str] = ..., matched_calls: _Optional[int] = ..., recorded_calls: _Optional[int] = ...) -> None: ...
