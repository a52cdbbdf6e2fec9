"""PyTorch reference for bench_engine.py: train a bpgui network document the idiomatic PyTorch way.

    python bench/torch_reference.py NET.json --steps S [--threads 1]

Reads the same JSON document that ``bpgui train`` reads (a fully connected layered network, a literal data
table, ``training.optimizer`` = ``sgd``, full batch) and builds float64 ``nn.Linear`` layers holding the document's
weights and biases, then runs S steps of ``zero_grad; loss(model(x), t).backward(); SGD.step()`` on the whole
table. Prints one JSON object: the loop time, steps/s, the loss before and after training (computed like
``bpgui train`` does, on the whole table), and the trained parameters under bpgui's names (``a->b``, ``b.bias``).

It imports nothing from bpgui (the point is an independent implementation of the same maths) and only reads the
document with the standard library's json module.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch
from torch import nn

ACTIVATIONS = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity, "relu": nn.ReLU}


def half_sse(z: torch.Tensor, y: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """E = (1/N) Σ ½ (y − t)², as bpgui's half_sse."""
    return 0.5 * (y - t).pow(2).sum() / y.shape[0]


def bce(z: torch.Tensor, y: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """E = −(1/N) Σₙ Σₖ [t log y + (1 − t) log(1 − y)], from the logits z, as bpgui's bce."""
    return nn.functional.binary_cross_entropy_with_logits(z, t, reduction="sum") / z.shape[0]


LOSSES = {"half_sse": half_sse, "bce": bce}


class LayeredNet(nn.Module):
    """Fully connected layers; keeps the last layer's net input (for losses on logits) and output."""

    def __init__(self, linears: list[nn.Linear], activations: list[str]):
        super().__init__()
        self.linears = nn.ModuleList(linears)
        self.acts = nn.ModuleList(ACTIVATIONS[a]() for a in activations)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = x
        for lin, act in zip(self.linears[:-1], self.acts[:-1]):
            z = act(lin(z))
        z = self.linears[-1](z)
        return z, self.acts[-1](z)


def build(doc: dict) -> tuple[LayeredNet, list[list[str]]]:
    """The document's network as nn.Linear layers (float64), and the neuron ids of each layer."""
    layers: dict[int, list[dict]] = {}
    for n in doc["neurons"]:
        layers.setdefault(n["layer"], []).append(n)
    ids = [[n["id"] for n in layers[k]] for k in sorted(layers)]
    edges = {(e["from"], e["to"]): e["weight"] for e in doc["edges"]}
    linears, acts = [], []
    for k in range(1, len(ids)):
        src, dst = ids[k - 1], ids[k]
        names = {n["activation"] for n in layers[k]}
        if len(names) != 1:
            raise SystemExit(f"layer {k} mixes activations {sorted(names)}; this reference needs one per layer")
        if any((a, b) not in edges for a in src for b in dst):
            raise SystemExit(f"layer {k} is not fully connected to layer {k - 1}")
        lin = nn.Linear(len(src), len(dst), dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor([[edges[(a, b)] for a in src] for b in dst], dtype=torch.float64))
            lin.bias.copy_(torch.tensor([n.get("bias", 0.0) for n in layers[k]], dtype=torch.float64))
        linears.append(lin)
        acts.append(names.pop())
    n_edges = sum(len(a) * len(b) for a, b in zip(ids, ids[1:]))
    if n_edges != len(edges):
        raise SystemExit("the network has skip connections; this reference handles layer-to-layer edges only")
    return LayeredNet(linears, acts), ids


def parameters_by_name(model: LayeredNet, ids: list[list[str]]) -> dict[str, float]:
    out = {}
    for lin, src, dst in zip(model.linears, ids, ids[1:]):
        w, b = lin.weight.detach().tolist(), lin.bias.detach().tolist()
        for j, d in enumerate(dst):
            for i, s in enumerate(src):
                out[f"{s}->{d}"] = w[j][i]
            out[f"{d}.bias"] = b[j]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file")
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    with open(args.file, encoding="utf-8") as f:
        doc = json.load(f)
    training = doc.get("training", {})
    if training.get("optimizer", "sgd") != "sgd":
        raise SystemExit("this reference only does plain SGD")
    if training.get("batch_size") is not None:
        raise SystemExit("this reference only does full-batch training")
    if not training.get("train_biases", True):
        raise SystemExit("this reference always trains the biases")
    lr = float(training.get("learning_rate", 0.1))
    loss_fn = LOSSES[doc.get("loss", "half_sse")]
    model, ids = build(doc)
    x = torch.tensor(doc["data"]["inputs"], dtype=torch.float64)
    t = torch.tensor(doc["data"]["targets"], dtype=torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=lr)

    with torch.no_grad():
        e0 = loss_fn(*model(x), t).item()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        opt.zero_grad()
        loss = loss_fn(*model(x), t)
        loss.backward()
        opt.step()
    elapsed = time.perf_counter() - t0
    with torch.no_grad():
        e1 = loss_fn(*model(x), t).item()

    json.dump({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "samples": len(x),
        "steps": args.steps,
        "loop_s": elapsed,
        "steps_per_s": args.steps / max(elapsed, 1e-12),
        "loss_before": e0,
        "loss_after": e1,
        "parameters": parameters_by_name(model, ids),
    }, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
