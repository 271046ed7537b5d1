"""The bounded backlog that the trims, the write stage's parts, the corpus shards and the match stage's new rows
go through."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from dedup.backlog import Backlog


def test_results_come_in_the_order_submitted_whatever_order_the_calls_end_in():
    def late_first(number: int) -> int:
        time.sleep(0.05 if number % 2 == 0 else 0)
        return number

    with ThreadPoolExecutor(max_workers=4) as pool:
        backlog = Backlog(pool, 3)
        taken = [result for number in range(10) for result in backlog.submit(late_first, number)]
        taken += backlog.finish()
    assert taken == list(range(10))
    assert backlog.finish() == []


def test_no_more_than_the_limit_of_calls_is_unfinished_once_a_submit_returns():
    lock, ended, unfinished_seen = threading.Lock(), [0], []

    def slow(number: int) -> int:
        time.sleep(0.02)
        with lock:
            ended[0] += 1
        return number

    with ThreadPoolExecutor(max_workers=1) as pool:
        backlog = Backlog(pool, 2)
        for number in range(8):
            backlog.submit(slow, number)
            with lock:
                unfinished_seen.append(number + 1 - ended[0])
        backlog.finish()
    assert max(unfinished_seen) <= 2
    assert ended[0] == 8


def test_calls_submitted_without_waiting_pile_up_until_a_submit_waits():
    started = threading.Event()

    def after_start(number: int) -> int:
        started.wait()
        return number

    with ThreadPoolExecutor(max_workers=1) as pool:
        backlog = Backlog(pool, 1)
        piled = [backlog.submit(after_start, number, wait=False) for number in range(5)]
        assert piled == [[]] * 5  # returned at once, the first call still waiting
        started.set()
        taken = backlog.submit(after_start, 5)
        assert taken == [0, 1, 2, 3, 4]
        assert backlog.finish() == [5]
