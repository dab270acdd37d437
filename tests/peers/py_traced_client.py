#!/usr/bin/env python3
"""Python SDK client with the SDK's OpenTelemetry interceptor, for temporal-c's cross-SDK
trace test (tests/otel): inside a parent span "py-client-root" it starts a workflow (by
default HelloWorkflow with the input "Lambda"), so that the interceptor's
StartWorkflow:<type> client span is written into the `_tracer-data` header; then it flushes
its spans over OTLP/gRPC (plaintext) to the collector and prints one JSON line
{"trace_id": "<32 hex>", "workflow_id": ..., "run_id": ...} (and "result" with --wait).
It does not wait for the workflow unless --wait is given.  Exits 1 on any error.

Usage: py_traced_client.py --address HOST:PORT --collector HOST:PORT --task-queue TQ
                           --workflow-id ID [--workflow-type TYPE] [--input TEXT] [--wait]
"""

import argparse
import asyncio
import json
import os
import sys

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True, help="Temporal frontend host:port")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--collector", required=True, help="OTLP/gRPC collector host:port")
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--workflow-id", required=True)
    parser.add_argument("--workflow-type", default="HelloWorkflow")
    parser.add_argument("--input", default="Lambda", help="the workflow's one string argument")
    parser.add_argument("--wait", action="store_true", help="wait for the result too")
    args = parser.parse_args()

    # A provider of our own (not the global one), flushed before printing.  Export errors
    # are logged on stderr by the SDK; the test checks what reached the collector.
    provider = TracerProvider(resource=Resource.create({"service.name": "py-traced-client"}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=args.collector, insecure=True)))
    tracer = provider.get_tracer("temporal-c-tests.py_traced_client")

    client = await Client.connect(args.address, namespace=args.namespace,
                                  interceptors=[TracingInterceptor(tracer)])
    out = {"workflow_id": args.workflow_id}
    with tracer.start_as_current_span("py-client-root") as root:
        out["trace_id"] = format(root.get_span_context().trace_id, "032x")
        handle = await client.start_workflow(args.workflow_type, args.input,
                                             id=args.workflow_id, task_queue=args.task_queue)
        out["run_id"] = handle.first_execution_run_id
    if args.wait:
        out["result"] = await handle.result()
    if not provider.force_flush(timeout_millis=10000):
        print("py_traced_client: spans not flushed to " + args.collector, file=sys.stderr)
        return 1
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    code = asyncio.run(main())
    sys.stdout.flush()
    # Skip interpreter finalization: the SDK's native runtime threads can abort it
    # ("PyGILState_Release ... finalizing") after the work is done and printed.
    os._exit(code)
