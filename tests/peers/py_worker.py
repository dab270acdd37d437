#!/usr/bin/env python3
"""Python peer worker for temporal-c integration tests.

Runs a real Temporal worker (Python SDK) hosting a handful of tiny workflows
that the C SDK's tests start, signal, query and wait on.  Started detached by
tests/harness/harness.sh; prints a "ready" line once polling has begun and
shuts down cleanly on SIGTERM/SIGINT.

Usage: py_worker.py --address HOST:PORT [--namespace default] --task-queue TQ
"""

import argparse
import asyncio
import logging
import signal
import sys
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

# The workflows below use only deterministic, sandbox-safe code, so the
# default sandboxed workflow runner is kept.


@workflow.defn(name="Echo")
class Echo:
    @workflow.run
    async def run(self, value: Any) -> Any:
        return value


@workflow.defn(name="WaitForSignal")
class WaitForSignal:
    def __init__(self) -> None:
        self._state = "waiting"
        self._value: str = ""

    # The optional argument lets callers start it with or without input.
    @workflow.run
    async def run(self, _ignored: Any = None) -> str:
        await workflow.wait_condition(lambda: self._state == "finished")
        return self._value

    @workflow.signal(name="finish")
    def finish(self, value: str) -> None:
        self._value = value
        self._state = "finished"

    @workflow.query(name="state")
    def state(self) -> str:
        return self._state


@workflow.defn(name="CountDown")
class CountDown:
    @workflow.run
    async def run(self, n: int) -> str:
        if n > 0:
            workflow.continue_as_new(n - 1)
        return "done"


@workflow.defn(name="Fail")
class Fail:
    @workflow.run
    async def run(self, _ignored: Any = None) -> None:
        raise ApplicationError("boom", type="TestFailure", non_retryable=True)


@workflow.defn(name="Sleep")
class Sleep:
    @workflow.run
    async def run(self, seconds: float) -> str:
        # asyncio.sleep inside a workflow becomes a durable server-side timer.
        await asyncio.sleep(seconds)
        return "slept"


@workflow.defn(name="RunActivity")
class RunActivity:
    """Calls an activity by name on another task queue (a C worker's) and reports the
    outcome as data, so tests can check results, failures and cancellation.

    Input: {"activity": name, "task_queue": tq, "args": [...],
            "start_to_close_ms": int, "heartbeat_timeout_ms": int (optional),
            "max_attempts": int (default 1), "cancel_after_ms": int (optional),
            "wait_cancellation": bool (WAIT_CANCELLATION_COMPLETED, default TRY_CANCEL)}
    Output: {"result": value} or {"error": {"type", "message", "non_retryable",
             "cause_type"}} or {"cancelled": true}
    """

    @workflow.run
    async def run(self, req: dict) -> dict:
        from temporalio.common import RetryPolicy
        from temporalio.exceptions import ActivityError, CancelledError

        cancel_type = (
            workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
            if req.get("wait_cancellation")
            else workflow.ActivityCancellationType.TRY_CANCEL
        )
        heartbeat = req.get("heartbeat_timeout_ms")
        handle = workflow.start_activity(
            req["activity"],
            args=req.get("args", []),
            task_queue=req["task_queue"],
            start_to_close_timeout=timedelta(milliseconds=req.get("start_to_close_ms", 30000)),
            heartbeat_timeout=timedelta(milliseconds=heartbeat) if heartbeat else None,
            retry_policy=RetryPolicy(
                maximum_attempts=req.get("max_attempts", 1),
                initial_interval=timedelta(milliseconds=100),
            ),
            cancellation_type=cancel_type,
        )
        if req.get("cancel_after_ms"):
            await asyncio.sleep(req["cancel_after_ms"] / 1000)
            handle.cancel()
        try:
            return {"result": await handle}
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, CancelledError):
                return {"cancelled": True}
            return {
                "error": {
                    "type": getattr(cause, "type", None),
                    "message": getattr(cause, "message", str(cause)),
                    "non_retryable": getattr(cause, "non_retryable", None),
                    "details": list(getattr(cause, "details", ()) or ()),
                    "cause_type": type(cause).__name__,
                }
            }


WORKFLOWS = [Echo, WaitForSignal, CountDown, Fail, Sleep, RunActivity]


@activity.defn(name="py_echo")
async def py_echo(value: Any) -> Any:
    """Returns its argument: a C workflow calls it across task queues."""
    return value


@activity.defn(name="py_fail")
async def py_fail(_ignored: Any = None) -> None:
    """Fails with every ApplicationError field set, for a C workflow to inspect."""
    raise ApplicationError("py says no", {"k": "v"}, 7, type="PyError", non_retryable=True)


ACTIVITIES = [py_echo, py_fail]


async def connect(address: str, namespace: str) -> Client:
    """Connect, retrying briefly in case the server is still warming up."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        try:
            return await Client.connect(address, namespace=namespace)
        except Exception as err:  # noqa: BLE001 - any connect failure retries
            if asyncio.get_running_loop().time() > deadline:
                raise
            logging.warning("connect to %s failed (%s); retrying", address, err)
            await asyncio.sleep(0.5)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()

    # SIGTERM/SIGINT just set an event; leaving the `async with` below then
    # performs the SDK's graceful worker shutdown.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    client = await connect(args.address, args.namespace)
    worker = Worker(
        client,
        task_queue=args.task_queue,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        graceful_shutdown_timeout=timedelta(seconds=2),
    )
    async with worker:
        print(f"py-peer worker ready on task queue {args.task_queue}", flush=True)
        await stop.wait()
        logging.info("signal received, shutting down")
    print("py-peer worker stopped", flush=True)


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )
    asyncio.run(main())
