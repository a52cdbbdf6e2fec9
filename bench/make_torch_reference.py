"""PyTorch's numbers for tests/test_training_options.py: weight decay and learning-rate schedules, step by step.

    python bench/make_torch_reference.py [-o tests/data/torch_reference.json]

Needs torch (float64 on the CPU; any recent version: the file records which), which bpgui's tests do not: the
tests read the numbers this writes. It imports nothing from bpgui. It builds one small net, 3 inputs → 4 tanh →
2 linear outputs, loss E = (1/N) Σₙ Σₖ ½ (yₙₖ − tₙₖ)² (bpgui's half_sse), on 8 samples, full batch, from seeded
weights, and trains copies of it:

* ``decay`` cases, one per optimizer × {l2, l1}: l2 is PyTorch's own ``weight_decay`` on a parameter group of the
  weights, the biases in a group without it (so g ← g + λ·w on weights only); l1 adds λ·sign(w) to each weight's
  gradient before the step (PyTorch has no l1 option). bpgui's optimizers map to SGD (momentum 0), SGD
  (momentum μ), SGD (momentum μ, nesterov), Adagrad, RMSprop (alpha = ρ) and Adam (not AdamW: its decoupled decay
  is another rule), all with foreach=False;
* ``schedule`` cases: StepLR, ExponentialLR and CosineAnnealingLR, stepped once after every optimizer step, with
  the learning rate of each step and the parameters after it (cosine runs past T_max, where it goes back up).

Each case records, per step: the learning rate it used, E and E + R before it, and every parameter after it (in
``names`` order, bpgui's names ``a->b`` and ``b.bias``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

INPUTS, HIDDEN, OUTPUTS, SAMPLES = 3, 4, 2, 8
IN_IDS = [f"x{i + 1}" for i in range(INPUTS)]
HID_IDS = [f"h{i + 1}" for i in range(HIDDEN)]
OUT_IDS = [f"y{i + 1}" for i in range(OUTPUTS)]
STEPS = 12
LEARNING_RATE = 0.05
#: each bpgui optimizer: its hyperparameters in a bpgui document, and the PyTorch optimizer with the same
OPTIMIZERS = {
    "sgd": ({}, lambda groups, lr: torch.optim.SGD(groups, lr=lr, foreach=False)),
    "momentum": ({"momentum": 0.8},
                 lambda groups, lr: torch.optim.SGD(groups, lr=lr, momentum=0.8, foreach=False)),
    "nesterov": ({"momentum": 0.8},
                 lambda groups, lr: torch.optim.SGD(groups, lr=lr, momentum=0.8, nesterov=True, foreach=False)),
    "adagrad": ({"eps": 1e-10}, lambda groups, lr: torch.optim.Adagrad(groups, lr=lr, eps=1e-10, foreach=False)),
    "rmsprop": ({"rho": 0.95, "eps": 1e-8},
                lambda groups, lr: torch.optim.RMSprop(groups, lr=lr, alpha=0.95, eps=1e-8, foreach=False)),
    "adam": ({"beta1": 0.85, "beta2": 0.99, "eps": 1e-8},
             lambda groups, lr: torch.optim.Adam(groups, lr=lr, betas=(0.85, 0.99), eps=1e-8, foreach=False)),
}
DECAYS = {"l2": 0.03, "l1": 0.02}
#: (bpgui schedule, PyTorch scheduler, optimizer, weight decay or None, steps)
SCHEDULES = [
    ({"kind": "step", "every": 3, "factor": 0.5}, lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5),
     "momentum", None, 14),
    ({"kind": "exponential", "factor": 0.9}, lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9),
     "adam", ("l2", 0.03), 14),
    ({"kind": "cosine", "steps": 5, "min": 0.01},
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=0.01), "sgd", None, 23),
    ({"kind": "cosine", "steps": 7, "min": 0.0},
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.0), "rmsprop", ("l1", 0.02), 18),
]


def make_document(seed: int = 7) -> dict:
    """The net and its data as a bpgui document (plain JSON: the tests read it with bpgui's loader)."""
    rng = np.random.default_rng(seed)
    w1 = rng.uniform(-0.8, 0.8, (HIDDEN, INPUTS))
    b1 = rng.uniform(-0.3, 0.3, HIDDEN)
    w2 = rng.uniform(-0.8, 0.8, (OUTPUTS, HIDDEN))
    b2 = rng.uniform(-0.3, 0.3, OUTPUTS)
    w1[0, 1] = 0.0  # a weight at exactly 0: sign(0) = 0 for l1
    x = rng.uniform(-1, 1, (SAMPLES, INPUTS))
    t = np.column_stack([np.sin(x[:, 0] + x[:, 1]), x[:, 2] * x[:, 0]])
    neurons = [{"id": i, "layer": 0} for i in IN_IDS]
    neurons += [{"id": h, "layer": 1, "activation": "tanh", "bias": float(b1[j])} for j, h in enumerate(HID_IDS)]
    neurons += [{"id": y, "layer": 2, "activation": "linear", "bias": float(b2[k])} for k, y in enumerate(OUT_IDS)]
    edges = [{"from": i, "to": h, "weight": float(w1[j, m])} for j, h in enumerate(HID_IDS)
             for m, i in enumerate(IN_IDS)]
    edges += [{"from": h, "to": y, "weight": float(w2[k, j])} for k, y in enumerate(OUT_IDS)
              for j, h in enumerate(HID_IDS)]
    return {"format": "bpgui-network", "version": 1, "neurons": neurons, "edges": edges, "loss": "half_sse",
            "data": {"inputs": x.tolist(), "targets": t.tolist()}}


def names() -> list[str]:
    """Every parameter in the order the reference lists them: the weights into each neuron, then its bias."""
    out = []
    for h in HID_IDS:
        out += [f"{i}->{h}" for i in IN_IDS] + [f"{h}.bias"]
    for y in OUT_IDS:
        out += [f"{h}->{y}" for h in HID_IDS] + [f"{y}.bias"]
    return out


class Net(torch.nn.Module):
    def __init__(self, doc: dict):
        super().__init__()
        edges = {(e["from"], e["to"]): e["weight"] for e in doc["edges"]}
        bias = {n["id"]: n.get("bias", 0.0) for n in doc["neurons"]}
        self.hidden = torch.nn.Linear(INPUTS, HIDDEN)
        self.out = torch.nn.Linear(HIDDEN, OUTPUTS)
        with torch.no_grad():
            self.hidden.weight.copy_(torch.tensor([[edges[(i, h)] for i in IN_IDS] for h in HID_IDS]))
            self.hidden.bias.copy_(torch.tensor([bias[h] for h in HID_IDS]))
            self.out.weight.copy_(torch.tensor([[edges[(h, y)] for h in HID_IDS] for y in OUT_IDS]))
            self.out.bias.copy_(torch.tensor([bias[y] for y in OUT_IDS]))

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))

    def weights(self):
        return [self.hidden.weight, self.out.weight]

    def biases(self):
        return [self.hidden.bias, self.out.bias]

    def flat(self) -> list[float]:
        """The parameters in :func:`names` order."""
        out = []
        for lin in (self.hidden, self.out):
            for j in range(lin.weight.shape[0]):
                out += lin.weight[j].tolist() + [float(lin.bias[j].detach())]
        return out


def penalty(net: Net, decay: tuple[str, float] | None) -> float:
    if decay is None:
        return 0.0
    kind, lam = decay
    with torch.no_grad():
        if kind == "l2":
            return float(sum(0.5 * lam * (w * w).sum() for w in net.weights()))
        return float(sum(lam * w.abs().sum() for w in net.weights()))


def train(doc: dict, optimizer: str, decay: tuple[str, float] | None, steps: int, schedule=None) -> dict:
    net = Net(doc)
    x = torch.tensor(doc["data"]["inputs"])
    t = torch.tensor(doc["data"]["targets"])
    l2 = decay[1] if decay is not None and decay[0] == "l2" else 0.0
    groups = [{"params": net.weights(), "weight_decay": l2}, {"params": net.biases(), "weight_decay": 0.0}]
    opt = OPTIMIZERS[optimizer][1](groups, LEARNING_RATE)
    sched = schedule(opt) if schedule is not None else None
    rates, losses, totals, params = [], [], [], []
    for _ in range(steps):
        opt.zero_grad()
        e = 0.5 * ((net(x) - t) ** 2).sum() / len(x)
        losses.append(float(e.detach()))
        totals.append(losses[-1] + penalty(net, decay))
        e.backward()
        if decay is not None and decay[0] == "l1":
            with torch.no_grad():
                for w in net.weights():
                    w.grad.add_(torch.sign(w), alpha=decay[1])
        rate = opt.param_groups[0]["lr"]
        assert opt.param_groups[1]["lr"] == rate
        rates.append(float(rate))
        opt.step()
        if sched is not None:
            sched.step()
        params.append(net.flat())
    return {"rates": rates, "losses": losses, "totals": totals, "params": params}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-o", "--output", default=str(Path(__file__).parent.parent / "tests/data/torch_reference.json"))
    args = p.parse_args()
    doc = make_document()
    cases = []
    for opt, (hyper, _) in OPTIMIZERS.items():
        for kind, lam in DECAYS.items():
            cases.append({"optimizer": opt, "hyperparameters": hyper, "learning_rate": LEARNING_RATE,
                          "weight_decay": {"kind": kind, "lambda": lam}, "schedule": None,
                          **train(doc, opt, (kind, lam), STEPS)})
    for spec, make, opt, decay, steps in SCHEDULES:
        cases.append({"optimizer": opt, "hyperparameters": OPTIMIZERS[opt][0], "learning_rate": LEARNING_RATE,
                      "weight_decay": None if decay is None else {"kind": decay[0], "lambda": decay[1]},
                      "schedule": spec, **train(doc, opt, decay, steps, make)})
    # the schedulers' learning rates alone, over many steps (where recursion and closed form drift apart)
    rates = []
    for spec, make in [({"kind": "step", "every": 7, "factor": 0.9},
                        lambda o: torch.optim.lr_scheduler.StepLR(o, 7, 0.9)),
                       ({"kind": "exponential", "factor": 0.99},
                        lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.99)),
                       ({"kind": "cosine", "steps": 40, "min": 0.001},
                        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=40, eta_min=0.001)),
                       ({"kind": "cosine", "steps": 1, "min": 0.0},
                        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=1, eta_min=0.0))]:
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
        sched = make(opt)
        seq = []
        for _ in range(200):
            seq.append(float(opt.param_groups[0]["lr"]))
            opt.step()
            sched.step()
        rates.append({"schedule": spec, "base": 0.3, "rates": seq})
    out = {"made_by": "bench/make_torch_reference.py", "torch": torch.__version__, "document": doc,
           "names": names(), "cases": cases, "rates": rates}
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {args.output}: {len(cases)} training cases, {len(rates)} learning-rate sequences "
          f"(torch {torch.__version__})")


if __name__ == "__main__":
    main()
