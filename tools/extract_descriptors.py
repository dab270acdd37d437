#!/usr/bin/env python3
"""Extract the Temporal API descriptors from the pinned `temporalio` PyPI package, and the
OpenTelemetry protocol (OTLP) metrics and trace service descriptors from the pinned
`opentelemetry-proto` package.

Writes a serialized google.protobuf.FileDescriptorSet holding every `temporal/api/*`
file and everything it imports (google/protobuf, google/api, google/rpc, nexus ...),
rewritten so that protobuf-c 1.4 accepts it, plus a list of the files to generate.

protobuf-c 1.4.1 (Debian 12) rejects proto3 `optional` fields. Such a field is wire
compatible with a plain proto3 field inside a one-member "synthetic" oneof, so the
rewrite clears `proto3_optional`, drops the synthetic oneof and renumbers the real
ones. Nothing else changes, so the generated code reads and writes the same bytes.

Usage: extract_descriptors.py OUT.pb OUT_FILES.txt OUT_VERSION.txt
"""
import importlib
import pkgutil
import sys

from google.protobuf import descriptor_pb2

import temporalio
import temporalio.api
import google.rpc.status_pb2  # noqa: F401  (google.rpc.Status, for gRPC error details)
from importlib.metadata import version as dist_version
# OTLP/gRPC export of metrics and traces (the collector services import the data models).
import opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 as otlp_metrics
import opentelemetry.proto.collector.trace.v1.trace_service_pb2 as otlp_trace


def load_all_api_modules():
    modules = [sys.modules["google.rpc.status_pb2"], otlp_metrics, otlp_trace]
    for info in pkgutil.walk_packages(temporalio.api.__path__, "temporalio.api."):
        if info.name.endswith("_pb2"):
            modules.append(importlib.import_module(info.name))
    return modules


def collect(modules):
    """Every file reachable from the modules, dependencies first."""
    ordered, seen = [], set()

    def visit(fd):
        if fd.name in seen:
            return
        seen.add(fd.name)
        for dep in fd.dependencies:
            visit(dep)
        proto = descriptor_pb2.FileDescriptorProto()
        fd.CopyToProto(proto)
        ordered.append(proto)

    for m in modules:
        visit(m.DESCRIPTOR)
    return ordered


def drop_proto3_optional(msg):
    """Rewrite proto3 `optional` fields of |msg| (and nested messages) in place."""
    rewritten = 0
    synthetic = set()
    for field in msg.field:
        if field.proto3_optional:
            synthetic.add(field.oneof_index)
            field.ClearField("proto3_optional")
            field.ClearField("oneof_index")
            rewritten += 1
    if synthetic:
        kept = [i for i in range(len(msg.oneof_decl)) if i not in synthetic]
        renumber = {old: new for new, old in enumerate(kept)}
        for field in msg.field:
            if field.HasField("oneof_index"):
                field.oneof_index = renumber[field.oneof_index]
        decls = [msg.oneof_decl[i] for i in kept]
        del msg.oneof_decl[:]
        msg.oneof_decl.extend(decls)
    for nested in msg.nested_type:
        rewritten += drop_proto3_optional(nested)
    return rewritten


def main():
    out_set, out_files, out_version = sys.argv[1:4]
    files = collect(load_all_api_modules())
    rewritten = sum(drop_proto3_optional(m) for f in files for m in f.message_type)
    fds = descriptor_pb2.FileDescriptorSet()
    fds.file.extend(files)
    with open(out_set, "wb") as fh:
        fh.write(fds.SerializeToString())
    with open(out_files, "w") as fh:
        for f in files:
            fh.write(f.name + "\n")
    with open(out_version, "w") as fh:
        fh.write(temporalio.__version__ + "\n")
        fh.write(dist_version("opentelemetry-proto") + "\n")
    print(f"temporal API descriptors: temporalio {temporalio.__version__}, "
          f"opentelemetry-proto {dist_version('opentelemetry-proto')}, "
          f"{len(files)} files, {rewritten} proto3 optional fields rewritten")


if __name__ == "__main__":
    main()
