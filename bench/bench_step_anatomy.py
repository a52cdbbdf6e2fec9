"""Time per call of the step anatomy (``bpgui explain``'s core), which a live view would call per snapshot: the
bundled examples and a 2-8-8-1 net (105 parameters: Lanczos) on the circles data, with the dense Hessian beside
it for comparison. Usage: ``python bench/bench_step_anatomy.py``."""

from __future__ import annotations

import time

import numpy as np

from bpgui.core import Network, Neuron, load_document
from bpgui.core import curvature as curvature_module
from bpgui.core.document import Document, TableData, TrainingConfig
from bpgui.core.step_anatomy import first_step_anatomy
from bpgui.resources import example_paths


def median_ms(doc, repeats=30):
    first_step_anatomy(doc)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a = first_step_anatomy(doc)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1e3, a


def net_2_8_8_1(seed=0) -> Network:
    rng = np.random.default_rng(seed)
    net = Network("bce")
    sizes = (2, 8, 8, 1)
    for li, size in enumerate(sizes):
        for i in range(size):
            act = None if li == 0 else "sigmoid" if li == 3 else "tanh"
            net._add_neuron_unchecked(Neuron(f"n{li}_{i}", li, act, 0.0))
    for li in range(3):
        for i in range(sizes[li]):
            for j in range(sizes[li + 1]):
                net.add_edge(f"n{li}_{i}", f"n{li + 1}_{j}", float(rng.normal(0, 0.6)))
    return net


def main():
    for name in ("xor", "circles", "sine"):
        doc = load_document(example_paths()[name])
        ms, a = median_ms(doc)
        print(f"{name:8s} {len(a.names):4d} parameters {len(doc.dataset().x_train):4d} samples  {ms:6.1f} ms")
    data = load_document(example_paths()["circles"]).dataset()
    doc = Document(net_2_8_8_1(), TableData(data.x_train, data.t_train), TrainingConfig("adam", 0.03))
    ms, a = median_ms(doc)
    print(f"2-8-8-1  {len(a.names):4d} parameters {len(data.x_train):4d} samples  {ms:6.1f} ms (Lanczos) "
          f"λ {a.curvature.lambda_min:.6g} .. {a.curvature.lambda_max:.6g}")
    limit = curvature_module.extreme_eigenvalues.__defaults__
    curvature_module.extreme_eigenvalues.__defaults__ = (10**6, *limit[1:])  # force the dense Hessian
    try:
        ms, a = median_ms(doc)
    finally:
        curvature_module.extreme_eigenvalues.__defaults__ = limit
    print(f"2-8-8-1  {len(a.names):4d} parameters {len(data.x_train):4d} samples  {ms:6.1f} ms (dense Hessian) "
          f"λ {a.curvature.lambda_min:.6g} .. {a.curvature.lambda_max:.6g}")


if __name__ == "__main__":
    main()
