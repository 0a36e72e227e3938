from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DivergenceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIVERGENCE_KIND_UNSPECIFIED: _ClassVar[DivergenceKind]
    DIVERGENCE_KIND_DEPENDENCIES_CHANGED: _ClassVar[DivergenceKind]
    DIVERGENCE_KIND_DEPENDS_ON_CHANGED_CALL: _ClassVar[DivergenceKind]
    DIVERGENCE_KIND_ORDER_CHANGED: _ClassVar[DivergenceKind]
    DIVERGENCE_KIND_NAME_CHANGED: _ClassVar[DivergenceKind]
    DIVERGENCE_KIND_CALL_REPLACED: _ClassVar[DivergenceKind]
    DIVERGENCE_KIND_WAIT_CHANGED: _ClassVar[DivergenceKind]
DIVERGENCE_KIND_UNSPECIFIED: DivergenceKind
DIVERGENCE_KIND_DEPENDENCIES_CHANGED: DivergenceKind
DIVERGENCE_KIND_DEPENDS_ON_CHANGED_CALL: DivergenceKind
DIVERGENCE_KIND_ORDER_CHANGED: DivergenceKind
DIVERGENCE_KIND_NAME_CHANGED: DivergenceKind
DIVERGENCE_KIND_CALL_REPLACED: DivergenceKind
DIVERGENCE_KIND_WAIT_CHANGED: DivergenceKind

class SelectorResolution(_message.Message):
    __slots__ = ("selector", "source", "candidates", "available_names")
    SELECTOR_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_NAMES_FIELD_NUMBER: _ClassVar[int]
    selector: str
    source: str
    candidates: _containers.RepeatedCompositeFieldContainer[CallCandidate]
    available_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, selector: _Optional[str] = ..., source: _Optional[str] = ..., candidates: _Optional[_Iterable[_Union[CallCandidate, _Mapping]]] = ..., available_names: _Optional[_Iterable[str]] = ...) -> None: ...

class CallCandidate(_message.Message):
    __slots__ = ("name", "invocation_id", "call_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    invocation_id: str
    call_id: str
    def __init__(self, name: _Optional[str] = ..., invocation_id: _Optional[str] = ..., call_id: _Optional[str] = ...) -> None: ...

class ExecutionStateDetail(_message.Message):
    __slots__ = ("exec_id", "status", "operation")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    status: str
    operation: str
    def __init__(self, exec_id: _Optional[str] = ..., status: _Optional[str] = ..., operation: _Optional[str] = ...) -> None: ...

class WaitSelection(_message.Message):
    __slots__ = ("exec_id", "selector", "available_wait_names", "matching_wait_ids")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    SELECTOR_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_WAIT_NAMES_FIELD_NUMBER: _ClassVar[int]
    MATCHING_WAIT_IDS_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    selector: str
    available_wait_names: _containers.RepeatedScalarFieldContainer[str]
    matching_wait_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, exec_id: _Optional[str] = ..., selector: _Optional[str] = ..., available_wait_names: _Optional[_Iterable[str]] = ..., matching_wait_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class WaitValidation(_message.Message):
    __slots__ = ("exec_id", "wait_name", "wait_id", "violations")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_NAME_FIELD_NUMBER: _ClassVar[int]
    WAIT_ID_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    wait_name: str
    wait_id: str
    violations: _containers.RepeatedCompositeFieldContainer[FieldViolation]
    def __init__(self, exec_id: _Optional[str] = ..., wait_name: _Optional[str] = ..., wait_id: _Optional[str] = ..., violations: _Optional[_Iterable[_Union[FieldViolation, _Mapping]]] = ...) -> None: ...

class FieldViolation(_message.Message):
    __slots__ = ("field", "description")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    description: str
    def __init__(self, field: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class DivergenceDetail(_message.Message):
    __slots__ = ("exec_id", "source_exec_id", "invocation_id", "kind", "recorded", "seen", "recorded_dependencies", "seen_dependencies", "recorded_flow_version", "flow_version", "replay_command", "replay_from")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    SEEN_FIELD_NUMBER: _ClassVar[int]
    RECORDED_DEPENDENCIES_FIELD_NUMBER: _ClassVar[int]
    SEEN_DEPENDENCIES_FIELD_NUMBER: _ClassVar[int]
    RECORDED_FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    REPLAY_COMMAND_FIELD_NUMBER: _ClassVar[int]
    REPLAY_FROM_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    source_exec_id: str
    invocation_id: str
    kind: DivergenceKind
    recorded: str
    seen: str
    recorded_dependencies: _containers.RepeatedScalarFieldContainer[str]
    seen_dependencies: _containers.RepeatedScalarFieldContainer[str]
    recorded_flow_version: str
    flow_version: str
    replay_command: str
    replay_from: str
    def __init__(self, exec_id: _Optional[str] = ..., source_exec_id: _Optional[str] = ..., invocation_id: _Optional[str] = ..., kind: _Optional[_Union[DivergenceKind, str]] = ..., recorded: _Optional[str] = ..., seen: _Optional[str] = ..., recorded_dependencies: _Optional[_Iterable[str]] = ..., seen_dependencies: _Optional[_Iterable[str]] = ..., recorded_flow_version: _Optional[str] = ..., flow_version: _Optional[str] = ..., replay_command: _Optional[str] = ..., replay_from: _Optional[str] = ...) -> None: ...
