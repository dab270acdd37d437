#!/usr/bin/env python3
"""Python SDK client for temporal-c interop tests: starts a workflow (any SDK's worker may
run it), waits for it and prints the result as JSON on stdout.  On a workflow failure it
prints {"failure": {"type", "message", "non_retryable", "details"}} and exits 0; on any
other error it exits 1.

Usage: py_client.py --address HOST:PORT --task-queue TQ --workflow TYPE [--input JSON]...
"""

import argparse
import asyncio
import json
import os
import sys
import uuid

from temporalio.client import Client, WorkflowFailureError


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--workflow", required=True)
    parser.add_argument("--input", action="append", default=[], help="one JSON argument")
    parser.add_argument("--id", default=None)
    args = parser.parse_args()

    client = await Client.connect(args.address, namespace=args.namespace)
    try:
        result = await client.execute_workflow(
            args.workflow,
            args=[json.loads(a) for a in args.input],
            id=args.id or f"py-client-{uuid.uuid4()}",
            task_queue=args.task_queue,
        )
    except WorkflowFailureError as err:
        cause = err.cause
        print(json.dumps({"failure": {
            "type": getattr(cause, "type", None),
            "message": getattr(cause, "message", str(cause)),
            "non_retryable": getattr(cause, "non_retryable", None),
            "details": list(getattr(cause, "details", ()) or ()),
            "class": type(cause).__name__,
        }}))
        return 0
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    code = asyncio.run(main())
    sys.stdout.flush()
    # Skip interpreter finalization: the SDK's native runtime threads can abort it
    # ("PyGILState_Release ... finalizing") after the work is done and printed.
    os._exit(code)
