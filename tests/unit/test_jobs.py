import itertools
import logging
import threading
import time

import pytest

from ipyexplain._jobs import Job, Partial, Progress


def counting(n, delay=0.0, fail_at=None):
    """A streaming backend: the running sum of 0..k, one batch per k."""
    total = 0
    for k in range(n):
        if k == fail_at:
            raise ValueError(f"bad batch {k}")
        time.sleep(delay)
        total += k
        yield Partial(total, done=k + 1, total=n)


def test_runs_to_completion_and_the_last_result_always_arrives():
    seen = []
    job = Job(counting(500), max_rate=20)
    job.observe(lambda j: seen.append((j.status, j.result)))
    job.start()
    assert job.wait(10)
    assert job.status == "done" and not job.partial
    assert job.result == sum(range(500))
    assert seen[-1] == ("done", sum(range(500)))
    assert job.progress.done == 500 and job.progress.fraction == 1.0 and job.progress.eta == 0.0


def test_partial_results_are_throttled_to_max_rate():
    seen = []
    job = Job(counting(200, delay=0.002), max_rate=20)  # ~0.4 s of batches
    job.observe(lambda j: seen.append(time.monotonic()))
    started = time.monotonic()
    job.start().wait(10)
    elapsed = time.monotonic() - started
    assert 2 <= len(seen) <= elapsed * 20 + 2  # coalesced, not one update per batch
    gaps = [b - a for a, b in itertools.pairwise(seen[:-1])]  # the final push is not throttled
    assert all(g >= 0.045 for g in gaps)


def test_cancel_stops_between_batches_and_keeps_the_last_partial_result():
    gate = threading.Event()

    def slow():
        for k in range(1000):
            yield Partial(k, done=k + 1, total=1000)
            if k == 5:
                gate.set()
            time.sleep(0.01)

    job = Job(slow()).start()
    assert gate.wait(5)
    job.cancel()
    assert job.wait(5)
    assert job.status == "cancelled" and job.partial
    assert 5 <= job.result < 20
    assert job.progress.done == job.result + 1


def test_backend_error_is_shown_logged_and_reraised(caplog):
    seen = []
    job = Job(counting(10, fail_at=3), name="permutation importance")
    job.observe(lambda j: seen.append(j.status))
    with caplog.at_level(logging.ERROR, logger="ipyexplain"):
        job.start().wait(5)
    assert job.status == "error" and seen[-1] == "error"
    assert "permutation importance failed: bad batch 3" in caplog.text
    with pytest.raises(ValueError, match="bad batch 3"):
        _ = job.result


def test_a_failing_listener_does_not_stop_the_work(caplog):
    job = Job(counting(50))
    job.observe(lambda j: 1 / 0)
    with caplog.at_level(logging.ERROR, logger="ipyexplain"):
        job.start().wait(5)
    assert job.status == "done" and job.result == sum(range(50))
    assert "a listener failed" in caplog.text


def test_no_result_before_the_first_batch():
    job = Job(counting(1))
    with pytest.raises(RuntimeError, match="no result yet"):
        _ = job.result
    with pytest.raises(ValueError, match="max_rate must be positive"):
        Job(counting(1), max_rate=0)


def test_eta_extrapolates_the_pace():
    assert Progress(done=25, total=100, elapsed=10.0).eta == pytest.approx(30.0)
    assert Progress(done=0, total=100, elapsed=1.0).eta is None
    assert Progress(done=3, total=None, elapsed=1.0).fraction is None


def test_the_main_thread_stays_responsive_while_a_job_computes():
    def busy():
        for k in range(10_000):
            x = 0
            for i in range(20_000):  # pure-Python work holding the GIL between switches
                x += i
            yield Partial(x, done=k + 1, total=10_000)

    job = Job(busy()).start()
    try:
        time.sleep(0.05)
        worst = 0.0
        for _ in range(20):
            t0 = time.perf_counter()
            sum(range(1000))  # a trivial cell
            worst = max(worst, time.perf_counter() - t0)
        assert worst < 0.1
    finally:
        job.cancel()
        job.wait(5)
    assert job.status == "cancelled"
