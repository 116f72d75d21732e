"""Dynamic batching: requests that arrive close together share one model call.

Protocol: the asyncio side `submit`s a job (a key, its items, a function that judges a list of
items) into a bounded queue and awaits its future; a full queue raises QueueFull at once (the
server answers 429). One worker thread owns the model: it takes the oldest job, then for up to
`max_wait_s` more takes the following jobs with the same key (same judge, same kind of work)
while their summed token cost stays within `token_budget`, judges all their items in one call
and hands each job its slice, in order. A job with another key, or one over the budget, waits
for the next call (first in, first out). When a merged call raises, each of its jobs is run
alone so one bad request fails only itself. `close` stops taking jobs and finishes every
accepted one.

Merging changes only how many rows share a forward pass; score mode pads rows, so a record's
answer is the same batched or alone (up to float rounding of different padded shapes).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import queue
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any

QueueFull = queue.Full


@dataclasses.dataclass
class Job:
    """One request's work: `run(items)` returns one result per item, in order."""

    key: Hashable
    items: Sequence[Any]
    run: Callable[[list], list]
    cost: Callable[[Sequence[Any]], int]
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop

    @functools.cached_property
    def tokens(self) -> int:
        """The job's cost, measured once, in the worker (tokenizing stays off the event loop)."""
        return self.cost(self.items)


_STOP = object()


class Batcher:
    """The worker thread and its bounded queue (see module docstring).

    Args:
      max_queue: jobs that may wait; one more raises QueueFull.
      max_wait_s: how long the worker waits for more jobs to merge after the first.
      token_budget: most summed item cost (tokens) of one merged call.
      on_batch: called after each call with (jobs, items, seconds).
    """

    def __init__(
        self,
        *,
        max_queue: int = 64,
        max_wait_s: float = 0.005,
        token_budget: int = 32768,
        on_batch: Callable[[int, int, float], None] | None = None,
    ):
        self.max_wait_s, self.token_budget = max_wait_s, token_budget
        self.on_batch = on_batch or (lambda jobs, items, seconds: None)
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._carry: Job | None = None
        self._thread = threading.Thread(target=self._loop, name="flame-judge", daemon=True)
        self._closed = False

    @property
    def depth(self) -> int:
        """Jobs waiting (not yet in a model call)."""
        return self._queue.qsize() + (self._carry is not None)

    def start(self) -> None:
        self._thread.start()

    def submit(
        self,
        key: Hashable,
        items: Sequence[Any],
        run: Callable[[list], list],
        cost: Callable[[Sequence[Any]], int],
    ) -> asyncio.Future:
        """Queues a job from the event loop; its future gets the results. Raises QueueFull."""
        if self._closed:
            raise RuntimeError("the server is shutting down")
        loop = asyncio.get_running_loop()
        job = Job(key, items, run, cost, loop.create_future(), loop)
        self._queue.put_nowait(job)
        return job.future

    def close(self, timeout: float | None = None) -> None:
        """Takes no more jobs, finishes the accepted ones and stops the worker."""
        self._closed = True
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)

    def _next(self, timeout: float | None) -> Any:
        if self._carry is not None:
            job, self._carry = self._carry, None
            return job
        return self._queue.get(timeout=timeout)

    def _loop(self) -> None:
        stopping = False
        while not stopping or self._carry is not None:
            first = self._next(None)
            if first is _STOP:
                stopping = True
                continue
            batch, tokens = [first], first.tokens
            deadline = time.monotonic() + self.max_wait_s
            while True:
                try:
                    job = self._next(max(deadline - time.monotonic(), 0.0))
                except queue.Empty:
                    break
                if job is _STOP:
                    stopping = True
                    break
                if job.key != first.key or tokens + job.tokens > self.token_budget:
                    self._carry = job
                    break
                batch.append(job)
                tokens += job.tokens
            self._run(batch)
        # Jobs queued after the stop mark (none once `submit` refuses) are drained too.
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if job is not _STOP:
                self._run([job])

    def _run(self, batch: list[Job]) -> None:
        start = time.perf_counter()
        items = [item for job in batch for item in job.items]
        try:
            results = batch[0].run(items)
        except Exception as e:  # retried alone: only the bad job fails
            if len(batch) > 1:
                for job in batch:
                    self._run([job])
                return
            _resolve(batch[0], None, e)
            return
        self.on_batch(len(batch), len(items), time.perf_counter() - start)
        offset = 0
        for job in batch:
            _resolve(job, results[offset : offset + len(job.items)], None)
            offset += len(job.items)


def _resolve(job: Job, result: list | None, error: BaseException | None) -> None:
    def settle():
        if job.future.done():  # the client went away
            return
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)

    try:
        job.loop.call_soon_threadsafe(settle)
    except RuntimeError:  # the event loop is closed: nobody waits for this answer
        pass
