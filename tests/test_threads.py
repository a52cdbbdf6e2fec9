"""Threads and garbage: Python's cyclic collection must never run in a worker thread (it would destroy Qt objects
there and deadlock against the main thread: the full test suite hung this way in CI)."""

import gc
import threading


def test_with_a_window_open_garbage_is_collected_by_the_main_thread_only(make_window, qtbot):
    w = make_window("xor")
    assert not gc.isenabled()  # no automatic collection: it would run in whichever thread allocates
    collected_in = []

    class Cycle:
        def __init__(self):
            self.me = self

        def __del__(self):
            collected_in.append(threading.current_thread() is threading.main_thread())

    for _ in range(3 * gc.get_threshold()[0]):  # enough garbage for Python to want a collection
        Cycle()
    w.training.play()  # the worker allocates while the cycles wait
    qtbot.waitUntil(lambda: len(collected_in) > 0, timeout=5000)
    w.training.pause()
    assert all(collected_in)

