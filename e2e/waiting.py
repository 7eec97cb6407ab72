"""Waiting for an event with a deadline, for the end-to-end tests and the benchmarks."""
import time


def wait_for(condition, what, timeout=60):
    """Polls `condition` until it holds and returns its value (an event wait with a deadline,
    not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
