"""The compiled proto/caffe.proto has exactly BVLC Caffe's field table.

The independent check is ../shared/oracle/caffe_schema.json, read from the descriptor
of real Caffe's caffe_pb2; a second one parses every BVLC-dialect corpus file without
a single unknown field.
"""

from __future__ import annotations

import json
import struct

from google.protobuf.descriptor import FieldDescriptor

from conftest import ORACLE, shared_or_skip
from protolint.schema import caffe_pb2

_TYPES = {getattr(FieldDescriptor, n): n[5:].lower() for n in dir(FieldDescriptor)
          if n.startswith("TYPE_")}


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def _our_table():
    pb = caffe_pb2()
    file = pb.DESCRIPTOR
    messages, enums = {}, {}

    def walk_enum(e):
        enums[e.full_name] = [[v.name, v.number] for v in e.values]

    def walk(m):
        fields = {}
        for f in m.fields:
            row = {"number": f.number,
                   "label": "repeated" if f.is_repeated else ("required" if f.is_required else "optional"),
                   "type": _TYPES[f.type]}
            if f.type in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_ENUM):
                row["type_name"] = (f.message_type or f.enum_type).full_name
            if f.has_default_value:
                d = f.default_value
                if f.type == FieldDescriptor.TYPE_ENUM:
                    d = f.enum_type.values_by_number[d].name
                elif f.type == FieldDescriptor.TYPE_FLOAT:
                    d = _f32(d)
                row["default"] = d
            if f.is_packed:
                row["packed"] = True
            fields[f.name] = row
        messages[m.full_name] = fields
        for e in m.enum_types:
            walk_enum(e)
        for n in m.nested_types:
            walk(n)

    for m in file.message_types_by_name.values():
        walk(m)
    for e in file.enum_types_by_name.values():
        walk_enum(e)
    return file, messages, enums


def test_schema_matches_caffe_field_table():
    oracle = json.loads((shared_or_skip(ORACLE / "caffe_schema.json")).read_text())
    file, messages, enums = _our_table()
    assert file.package == oracle["package"]
    from google.protobuf import descriptor_pb2

    proto = descriptor_pb2.FileDescriptorProto()
    file.CopyToProto(proto)
    assert (proto.syntax or "proto2") == oracle["syntax"]
    expected_messages = {m["name"]: m for m in oracle["messages"]}
    assert set(messages) == set(expected_messages)
    for name, m in expected_messages.items():
        ours = messages[name]
        assert set(ours) == {f["name"] for f in m["fields"]}, name
        for f in m["fields"]:
            row = ours[f["name"]]
            where = f"{name}.{f['name']}"
            assert row["number"] == f["number"], where
            assert row["label"] == f["label"], where
            assert row["type"] == f["type"], where
            assert row.get("type_name") == f.get("type_name"), where
            assert row.get("packed", False) == f.get("packed", False), where
            if "default" in f:
                want = f["default"]
                if f["type"] == "float":
                    want = _f32(want)
                assert row.get("default") == want, where
            else:
                assert "default" not in row, where
    assert enums == {e["name"]: e["values"] for e in oracle["enums"]}
    assert sum(len(f) for f in messages.values()) == 423 and len(enums) == 26


def test_schema_is_cached_and_reused(tmp_path, monkeypatch):
    """A fresh cache directory gets one compiled module, and a second process-level load
    reuses it instead of compiling again."""
    import protolint.schema as schema

    monkeypatch.setenv("PROTOLINT_CACHE_DIR", str(tmp_path))
    first = schema._cached_module_path()
    assert first.parent == tmp_path and first.is_file()
    mtime = first.stat().st_mtime_ns
    assert schema._cached_module_path() == first
    assert first.stat().st_mtime_ns == mtime
    assert list(tmp_path.iterdir()) == [first]
