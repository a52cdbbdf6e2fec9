"""Benchmark CSV import: reading, previewing and tabling files at the limits, and ``bpgui data --fit``.

    python bench/bench_csv_import.py

For a file of MAX_POINTS rows × 10 numeric columns (9 inputs and a target), one of MAX_POINTS rows with a label
column, and one the shape of the UCI handwritten digits (64 columns and a digit 0 … 9, 3,823 rows, made here from
a seeded generator so the bench needs no download), it prints the seconds of each stage, in this process:

* ``read``: the bytes decoded (``read_csv_text``);
* ``rows``: split into records once (``csv_rows``: what the import dialog keeps);
* ``preview``: the dialog's preview for the network (``csv_preview``: roles, the first rows and the table);
* ``again``: the preview after a choice in the dialog (the records are reused: what each tick costs);
* ``data --fit``: ``bpgui data NET.json FILE --fit --test-fraction 0.2`` in a child process (start to saved file),
  with its peak memory.

The machine is shared and noisy: read the figures of one run together.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bpgui.core.csv_data import csv_preview, csv_rows, read_csv_text
from bpgui.core.limits import MAX_POINTS
from bpgui.resources import example_paths


def write_files(folder: Path) -> list[tuple[str, Path, int, int, bool]]:
    """(name, path, inputs, outputs, labels) of each file."""
    rng = np.random.default_rng(0)
    out = []
    x = np.round(rng.normal(size=(MAX_POINTS, 10)), 6)
    p = folder / "numbers.csv"
    p.write_text(",".join(f"c{i}" for i in range(10)) + "\n" + "\n".join(",".join(map(repr, r)) for r in x.tolist()))
    out.append((f"{MAX_POINTS:,} × 10 numbers", p, 9, 1, False))
    p = folder / "labels.csv"
    words = np.array(["red", "green", "blue"])[rng.integers(0, 3, MAX_POINTS)]
    p.write_text("a,b,c,d,kind\n"
                 + "\n".join(",".join(map(repr, r)) + f",{w}" for r, w in zip(x[:, :4].tolist(), words)))
    out.append((f"{MAX_POINTS:,} × 4 numbers + a label", p, 4, 3, True))
    p = folder / "digits.csv"
    d = rng.integers(0, 17, size=(3823, 64))
    p.write_text(",".join(f"Block {i + 1}" for i in range(64)) + ",Class\n"
                 + "\n".join(",".join(map(str, r)) + f",{k}" for r, k in zip(d.tolist(), rng.integers(0, 10, 3823))))
    out.append(("digits-like: 3,823 × 64 + a digit", p, 64, 10, True))
    return out


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - t


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        net = example_paths()["xor"]
        print(f"{'file':38s} {'MB':>6s} {'read':>6s} {'rows':>6s} {'preview':>8s} {'again':>6s} {'data --fit':>11s}"
              f" {'peak MB':>8s}")
        for name, path, n_in, n_out, _labels in write_files(folder):
            text, t_read = timed(read_csv_text, path)
            rows, t_rows = timed(csv_rows, text)
            p, t_prev = timed(csv_preview, rows, n_in, n_out, test_fraction=0.2)
            assert p.table is not None, p.problem
            _, t_again = timed(csv_preview, rows, n_in, n_out, test_fraction=0.3)
            out = folder / "out.json"
            t = time.perf_counter()
            child = subprocess.Popen([sys.executable, "-m", "bpgui", "data", str(net), str(path), "-o", str(out),
                                      "--fit", "--test-fraction", "0.2"], stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(child.pid, 0)
            t_cli = time.perf_counter() - t
            assert status == 0
            print(f"{name:38s} {path.stat().st_size / 2**20:6.1f} {t_read:6.2f} {t_rows:6.2f} {t_prev:8.2f} "
                  f"{t_again:6.2f} {t_cli:10.2f}s {usage.ru_maxrss / 1024:8.0f}")


if __name__ == "__main__":
    main()
