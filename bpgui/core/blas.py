"""How many threads numpy's BLAS library (OpenBLAS, MKL, BLIS, ...) may use while a network trains.

A training step is a few small matrix products between elementwise work. OpenBLAS splits a product over two or
more threads once it is large enough (a 32 × 65 by 65 × 1,000 product already is), and its helper threads then
spin, waiting for the next one. On an idle machine that gains little at these sizes; when another program keeps a
core busy, the calling thread waits for a helper that is not scheduled, and training became 10 to 100× slower
(``bench/bench_contention.py``). So training runs with BLAS on one thread: :func:`training_threads` around a
stretch of steps (the window's worker trains in chunks of a few milliseconds and takes snapshots between them;
``bpgui train`` trains in one stretch).

The limit is set through threadpoolctl, which finds the BLAS library numpy loaded and calls its own
``set_num_threads``. For OpenBLAS (numpy's wheels) and MKL that number is process-wide: while a thread trains,
products in other threads run on one thread too (the surface views keep theirs small enough for that anyway). So
threadpoolctl lets one thread at a time set it; a stretch in a second thread while another is on changes nothing
(bpgui trains in one thread at a time: the window's worker, or the main thread of ``bpgui train``). Stretches
nest; each restores the number it found.
"""

from __future__ import annotations

from contextlib import contextmanager

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # a dependency of bpgui; without it training still works, BLAS as it is
    ThreadpoolController = None

#: BLAS threads while training; None leaves BLAS alone (``bench/bench_contention.py`` compares the two)
TRAINING_THREADS: int | None = 1

_controller = None


def _blas_controller():
    """threadpoolctl's handle on the BLAS libraries loaded in this process (numpy's, loaded by now), made once:
    finding them looks through every loaded library (~0.1-1 ms); a limit through it then costs ~10-20 µs."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


@contextmanager
def training_threads():
    """Within this block numpy's BLAS uses at most :data:`TRAINING_THREADS` threads (process-wide, see above).
    Cheap enough for every few milliseconds, too dear for every step of a small network."""
    limit = TRAINING_THREADS
    if limit is None or ThreadpoolController is None:
        yield
        return
    with _blas_controller().limit(limits=limit):
        yield
