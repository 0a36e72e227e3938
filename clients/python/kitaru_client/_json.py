"""JSON values and timestamps between protobuf well-known types and plain Python.

``google.protobuf.Value`` keeps every number as a double; a JSON value read
here gives an ``int`` for a whole number (up to 2**53, where doubles stop being
exact), like ``json.loads`` would, so ``{"items": 3}`` comes back as ``3``, not
``3.0``. Values going out must be JSON: ``None``, ``bool``, ``int``, ``float``
(finite), ``str``, mappings with ``str`` keys and lists or tuples of those;
anything else raises ``TypeError`` or ``ValueError`` (the callers turn that
into a :class:`~kitaru_client.errors.KitaruUsageError`).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, Dict, Mapping, Optional

from google.protobuf import struct_pb2, timestamp_pb2
from google.protobuf.message import Message

#: Whole doubles up to this magnitude are read as ``int``.
_MAX_EXACT_INT = 2**53


def python_from_value(value: struct_pb2.Value) -> Any:
    """The plain Python value of a ``google.protobuf.Value`` (a kind-less Value reads as ``None``)."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        if number.is_integer() and abs(number) <= _MAX_EXACT_INT:
            return int(number)
        return number
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return dict_from_struct(value.struct_value)
    if kind == "list_value":
        return [python_from_value(item) for item in value.list_value.values]
    return None


def dict_from_struct(struct: struct_pb2.Struct) -> Dict[str, Any]:
    """A ``google.protobuf.Struct`` as a new ``dict``."""
    return {key: python_from_value(item) for key, item in struct.fields.items()}


def optional_value(message: Message, field: str) -> Any:
    """The JSON value of a ``Value`` field of ``message``; ``None`` when the field is unset."""
    return python_from_value(getattr(message, field)) if message.HasField(field) else None


def optional_struct(message: Message, field: str) -> Optional[Dict[str, Any]]:
    """The ``dict`` of a ``Struct`` field of ``message``; ``None`` when the field is unset."""
    return dict_from_struct(getattr(message, field)) if message.HasField(field) else None


def struct_field(message: Message, field: str) -> Dict[str, Any]:
    """The ``dict`` of a ``Struct`` field of ``message``; ``{}`` when the field is unset."""
    return optional_struct(message, field) or {}


def value_from_python(data: Any, path: str = "") -> struct_pb2.Value:
    """A ``google.protobuf.Value`` holding ``data``; ``path`` names the place in error messages."""
    value = struct_pb2.Value()
    if data is None:
        value.null_value = struct_pb2.NULL_VALUE
    elif isinstance(data, bool):  # before int: bool is an int subclass
        value.bool_value = data
    elif isinstance(data, (int, float)):
        if not math.isfinite(data):
            raise ValueError(f"{_where(path)}is {data!r}, which JSON cannot hold")
        value.number_value = float(data)
    elif isinstance(data, str):
        value.string_value = data
    elif isinstance(data, Mapping):
        value.struct_value.CopyFrom(struct_from_mapping(data, path))
    elif isinstance(data, (list, tuple)):
        value.list_value.values.extend(value_from_python(item, f"{path}[{i}]") for i, item in enumerate(data))
    else:
        raise TypeError(f"{_where(path)}is a {type(data).__name__}, which is not a JSON value")
    return value


def struct_from_mapping(data: Mapping[str, Any], path: str = "") -> struct_pb2.Struct:
    """A ``google.protobuf.Struct`` holding the JSON object ``data`` (``str`` keys only)."""
    struct = struct_pb2.Struct()
    for key, item in data.items():
        if not isinstance(key, str):
            raise TypeError(f"{_where(path)}has the key {key!r}; JSON object keys are strings")
        struct.fields[key].CopyFrom(value_from_python(item, f"{path}.{key}" if path else key))
    return struct


def _where(path: str) -> str:
    return f"'{path}' " if path else "the value "


def datetime_from_timestamp(message: Message, field: str) -> Optional[datetime]:
    """The timezone-aware UTC ``datetime`` of a ``Timestamp`` field; ``None`` when unset."""
    if not message.HasField(field):
        return None
    timestamp: timestamp_pb2.Timestamp = getattr(message, field)
    return timestamp.ToDatetime(tzinfo=timezone.utc)
