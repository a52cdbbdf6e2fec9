"""The vectorised forward and backward passes.

A :class:`~bpgui.core.network.Network` is compiled into dense arrays laid out so that every layer is one
matrix product and the whole gradient is one more:

* Rows of the activation matrix ``A`` (shape R × N, feature-major) are: a row of ones (the bias input), then
  every neuron, layer by layer. Within a layer, neurons are grouped by activation so that each group is one
  contiguous block.
* Columns of the weight matrix ``W`` (shape C × R) are the R sources; its rows are the C non-input neurons.
  ``W[j, 0]`` is neuron j's bias and ``W[j, r]`` the weight of the edge from row r to j. Entries with no edge
  are held at zero by a 0/1 ``mask`` on the gradient. ``W.ravel()`` is the flat parameter vector.
* Layer k's net input is ``W[cols_k, :r_k] @ A[:r_k]``: the rows before layer k are the bias and every earlier
  layer, so skip connections cost nothing extra. When a layer's edges all come from later rows (a net connected
  layer by layer), the product starts at its first source row and the bias is added on its own (see SKIP_ROWS).
* Backward: ``∂E/∂out`` of layer j is ``W[cols_>j, rows_j]ᵀ @ D[cols_>j]`` where ``D`` holds δ = ∂E/∂net;
  then δ_j = ∂E/∂out_j ⊙ f'(net_j). The gradient is ``(D @ Aᵀ) ⊙ mask``, computed one layer's block (the rows
  of its product) at a time. E is the batch's mean loss, so ``D`` carries its 1/N (:class:`Evaluation` reports
  each sample's own δ).
* With a weight decay (``Engine.weight_decay``, see regularization.py) the loss the engine returns is the total
  E + R and its gradient ∇(E + R): R over the weights (never the biases) is added after the backward pass. The
  parts stay at hand: ``Workspace.data_loss`` (E) and ``Workspace.penalty`` (R), :meth:`Engine.loss_parts`.

All buffers of a batch size live in a :class:`Workspace`, so a training step allocates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .losses import LOSSES
from .network import Network, bias_name, parse_parameter_name, weight_name
from .regularization import WeightDecay

#: a layer whose first edge comes from a row after this many (after the bias and the inputs, say) multiplies only
#: the rows from there on and adds its bias on its own: in a 64-32-16-10 net that is 2.8 instead of 4.8 million
#: multiplications per 1,000 samples each way, one step 30 % faster. Below it the product over every row is the
#: cheaper (one call)
SKIP_ROWS = 8


class Workspace:
    """Preallocated buffers for batches of ``n`` samples, and cached views of them for each layer."""

    def __init__(self, engine: Engine, n: int):
        e = engine
        self.n = n
        self.A = np.empty((e.R, n))
        self.A[0] = 1.0
        self.NET = np.zeros((e.C, n))
        self.D = np.zeros((e.C, n))
        self.FP = np.ones((e.C, n))
        self.T = np.empty((e.K, n))
        self.G = np.zeros((e.C, e.R))
        self.loss_ws = e.loss.workspace(e.K, n)
        self.loss = float("nan")  # the last loss computed on these buffers: E + R (E without a weight decay)
        self.data_loss = float("nan")  # its E
        self.penalty = 0.0  # its R
        self._unperm = e._unperm  # targets from document order to compiled order: see Engine._perm
        self.inputs = self.A[1 : 1 + e.n_in]
        off = 1 + e.n_in
        W, A, NET, D, FP = e.W, self.A, self.NET, self.D, self.FP
        self.fwd = []  # per layer: (its weights, the rows feeding it, its net inputs, activations, bias or None)
        self.bwd = []
        self.grad = []  # per layer: (δ of the layer, the rows feeding it transposed, its block of G, bias or None)
        for (c0, c1, groups), lo in zip(e.layers, e.first_rows):
            r0 = c0 + off
            acts = [(ACTIVATIONS[name], NET[a:b], A[a + off : b + off], FP[a:b]) for name, a, b in groups]
            # the rows feeding the layer: all before it, or those from lo on and the bias on its own
            bias, g_bias = (W[c0:c1, :1], self.G[c0:c1, 0]) if lo else (None, None)
            self.fwd.append((W[c0:c1, lo:r0], A[lo:r0], NET[c0:c1], acts, bias))
            if c1 > c0:
                self.grad.append((D[c0:c1], A[lo:r0].T, self.G[c0:c1, lo:r0], g_bias))
            if c1 < e.C:  # hidden layer: gets δ from every later layer
                # with a single later neuron the product is an outer product: multiply is ~6x faster than matmul
                product = np.multiply if e.C - c1 == 1 else np.matmul
                self.bwd.append((product, W[c1:, r0 : c1 + off].T, D[c1:], D[c0:c1], FP[c0:c1], acts))
        self.bwd.reverse()
        oc0 = e.C - e.K
        self.z, self.y, self.delta_out = NET[oc0:], A[oc0 + off :], D[oc0:]
        self.fp_out = FP[oc0:]
        self.out_acts = self.fwd[-1][3]
        self.G_bias = self.G[:, 0]

    def load(self, x: np.ndarray, t: np.ndarray | None = None) -> None:
        """Copy sample-major inputs (n × inputs) and targets (n × outputs, document order)."""
        np.copyto(self.inputs, np.asarray(x, dtype=float).T)
        if t is not None:
            np.copyto(self.T, np.asarray(t, dtype=float).T[self._unperm])


@dataclass
class Evaluation:
    """One full forward and backward pass, with every intermediate value (sample-major, document order).

    Per-sample derivatives are each sample's own: δ⁽ⁿ⁾ = ∂Eₙ/∂net of the sample's loss Eₙ, without the 1/N of
    E = (1/N) Σₙ Eₙ. So ∂E/∂p is the *mean* over the samples of δⱼ⁽ⁿ⁾ · ∂netⱼ/∂p (the engine's own buffers, on
    the training path, hold δ/N instead; :meth:`Engine.evaluate` converts)."""

    loss: float  # E = (1/N) Σₙ Eₙ, plus the penalty R with a weight decay
    sample_loss: np.ndarray  # N values of Eₙ
    outputs: np.ndarray  # N × K (softmax probabilities for cross_entropy)
    net: dict[str, np.ndarray]  # per neuron, N values of its net input
    out: dict[str, np.ndarray]  # per neuron, N values of its output (inputs: the data)
    delta: dict[str, np.ndarray]  # per non-input neuron, N values of δ⁽ⁿ⁾ = ∂Eₙ/∂net
    dE_dout: dict[str, np.ndarray]  # per non-input neuron, N values of ∂Eₙ/∂out
    dout_dnet: dict[str, np.ndarray]  # per non-input neuron, N values of f'(net)
    gradients: dict[str, float]  # per parameter, ∂E/∂p over the batch (+ ∂R/∂p with a weight decay)
    data_loss: float = float("nan")  # E alone
    penalty: float = 0.0  # R (0 without a weight decay)
    #: per parameter, ∂R/∂p (0 for biases, and for all without a weight decay): ``gradients`` minus the data part
    penalty_gradients: dict[str, float] | None = None

    def chain(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-sample chain-rule factors of a parameter: (∂Eₙ/∂out_j, ∂out_j/∂net_j, ∂net_j/∂p), whose product
        is ∂Eₙ/∂p; its mean over the samples is ∂E/∂p."""
        ref = parse_parameter_name(name)
        if isinstance(ref, tuple):
            src, dst = ref
            return self.dE_dout[dst], self.dout_dnet[dst], self.out[src]
        return self.dE_dout[ref], self.dout_dnet[ref], np.ones_like(self.net[ref])


class Engine:
    """A compiled network: dense weights, index maps, and the passes."""

    def __init__(self, network: Network, weight_decay: WeightDecay | None = None):
        network.validate()
        self.loss = LOSSES[network.loss]
        L = network.num_layers
        by_layer = [network.layer(i) for i in range(L)]
        self.input_ids = [n.id for n in by_layer[0]]
        self.output_ids = [n.id for n in by_layer[-1]]
        self.n_in = len(self.input_ids)
        rows = ["<bias>"] + self.input_ids
        self.layers: list[tuple[int, int, list[tuple[str, int, int]]]] = []
        c = 0
        for k in range(1, L):
            neurons = by_layer[k]
            acts = list(dict.fromkeys(n.activation for n in neurons))
            ordered = sorted(neurons, key=lambda n: acts.index(n.activation))
            groups, c0 = [], c
            for act in acts:
                size = sum(1 for n in neurons if n.activation == act)
                groups.append((act, c, c + size))
                c += size
            rows += [n.id for n in ordered]
            self.layers.append((c0, c, groups))
        self.row_ids = rows
        self.row = {nid: r for r, nid in enumerate(rows) if r > 0}
        self.R = len(rows)
        self.C = self.R - 1 - self.n_in
        self.K = len(self.output_ids)
        self.col = {nid: r - 1 - self.n_in for nid, r in self.row.items() if r > self.n_in}
        self.W = np.zeros((self.C, self.R))
        self.mask = np.zeros((self.C, self.R))
        self.params = self.W.reshape(-1)  # the flat parameter vector (a view)
        self.index: dict[str, int] = {}
        for (a, b), w in network.edges.items():
            j, r = self.col[b], self.row[a]
            self.W[j, r] = w
            self.mask[j, r] = 1.0
            self.index[weight_name(a, b)] = j * self.R + r
        for n in network:
            if n.layer > 0:
                j = self.col[n.id]
                self.W[j, 0] = n.bias
                self.mask[j, 0] = 1.0
                self.index[bias_name(n.id)] = j * self.R
        self.parameter_names = network.parameter_names()
        self._weight_mask = self.mask.copy()  # the weights weight decay acts on: every edge, no bias
        self._weight_mask[:, 0] = 0.0
        self._pw = self._pg = None  # buffers for the penalty, made when first needed
        self.weight_decay = weight_decay  # a WeightDecay or None; may be changed between steps
        # compiled output position of each document-order output
        oc0 = self.C - self.K
        self._perm = np.array([self.col[nid] - oc0 for nid in self.output_ids])
        self._unperm = np.argsort(self._perm)
        # per layer, the first row its products take: 0 (every row before the layer, the bias row included), or
        # the row of its first edge's source if more than SKIP_ROWS rows come before that one (see SKIP_ROWS)
        self.first_rows: list[int] = []
        for c0, c1, _ in self.layers:
            used = np.flatnonzero(self.mask[c0:c1, 1:].any(axis=0))
            lo = 1 + int(used[0]) if len(used) else 1
            self.first_rows.append(lo if lo > SKIP_ROWS else 0)
        self._workspaces: dict[int, Workspace] = {}

    # ------------------------------------------------------------------ buffers
    def workspace(self, n: int) -> Workspace:
        ws = self._workspaces.get(n)
        if ws is None:
            ws = Workspace(self, n)
            self._workspaces[n] = ws
        return ws

    # ------------------------------------------------------------------ passes
    def forward(self, ws: Workspace) -> None:
        matmul = np.matmul
        for w, a, net, acts, bias in ws.fwd:
            matmul(w, a, out=net)
            if bias is not None:
                net += bias
            for act, n, o, _ in acts:
                act.forward(n, o)

    def backward(self, ws: Workspace) -> float:
        """Loss and gradient (into ``ws.G``) after :meth:`forward`. Returns E."""
        loss = self.loss
        e = loss.forward_backward(ws.z, ws.y, ws.T, ws.loss_ws, ws.delta_out)
        if not loss.fused:
            for act, n, o, fp in ws.out_acts:
                act.derivative(n, o, fp)
            ws.delta_out *= ws.fp_out
        matmul = np.matmul
        for product, wt, d_after, d, fp, acts in ws.bwd:
            product(wt, d_after, out=d)
            for act, n, o, f in acts:
                act.derivative(n, o, f)
            d *= fp
        # ∂E/∂W block by block: only the rows before a layer feed it, so a dense D @ Aᵀ would do ~2-3x the work
        # (and, being larger, can make OpenBLAS go multi-threaded, which is slow on a busy machine)
        for d, a_t, g, g_bias in ws.grad:
            matmul(d, a_t, out=g)
            if g_bias is not None:
                np.sum(d, axis=1, out=g_bias)
        ws.G *= self.mask
        ws.data_loss = e
        if self.weight_decay is not None:
            r, grad = self._penalty(with_gradient=True)
            ws.G += grad
            ws.penalty = r
            e = e + r
        else:
            ws.penalty = 0.0
        ws.loss = e
        return e

    def loss_and_grad(self, ws: Workspace) -> float:
        self.forward(ws)
        return self.backward(ws)

    # ------------------------------------------------------------------ convenience (not the hot path)
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Outputs (N × K, document order) for sample-major inputs."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        ws = Workspace(self, x.shape[0])
        ws.load(x)
        self.forward(ws)
        return self.outputs(ws)

    def outputs(self, ws: Workspace) -> np.ndarray:
        """Outputs (N × K, document order, a new array) of the forward pass just made on ``ws``; every neuron's own
        output is at hand there too, ``ws.A[engine.row[id]]``."""
        return self.loss.outputs(ws.z, ws.y)[self._perm].T.copy()

    def loss_only(self, ws: Workspace) -> float:
        """E (+ R) of the samples loaded in ``ws`` (a forward pass; no gradient)."""
        self.forward(ws)
        e = ws.data_loss = self.loss.forward_backward(ws.z, ws.y, ws.T, ws.loss_ws, ws.delta_out)
        if self.weight_decay is not None:
            ws.penalty = self._penalty()[0]
            e = e + ws.penalty
        else:
            ws.penalty = 0.0
        ws.loss = e
        return e

    def loss_value(self, x: np.ndarray, t: np.ndarray) -> float:
        """E (+ R with a weight decay) over sample-major (x, t)."""
        ws = self.workspace(len(x))
        ws.load(x, t)
        return self.loss_only(ws)

    def loss_parts(self, x: np.ndarray, t: np.ndarray) -> tuple[float, float]:
        """(E, R): the data loss over (x, t) and the penalty of the weight decay (0.0 without one)."""
        ws = self.workspace(len(x))
        ws.load(x, t)
        self.loss_only(ws)
        return ws.data_loss, ws.penalty

    def data_loss_value(self, x: np.ndarray, t: np.ndarray) -> float:
        """E over (x, t), without the weight decay's penalty (e.g. a test loss)."""
        return self.loss_parts(x, t)[0]

    def penalty(self) -> float:
        """R, the weight decay's penalty at the current weights (0.0 without a weight decay)."""
        return self._penalty()[0] if self.weight_decay is not None else 0.0

    def _penalty(self, with_gradient: bool = False) -> tuple[float, np.ndarray | None]:
        """R and (``with_gradient``) ∂R/∂W (C × R, 0 off the weights) in a buffer of the engine's."""
        if self._pw is None:
            self._pw, self._pg = np.empty_like(self.W), np.empty_like(self.W)
        w = np.multiply(self.W, self._weight_mask, out=self._pw)  # the weights, 0 elsewhere (adding nothing)
        if not with_gradient:
            return self.weight_decay.penalty(w), None
        return self.weight_decay.penalty_and_gradient(w, self._pg), self._pg

    def gradient(self, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, float]]:
        ws = self.workspace(len(x))
        ws.load(x, t)
        e = self.loss_and_grad(ws)
        g = ws.G.reshape(-1)
        return e, {name: float(g[self.index[name]]) for name in self.parameter_names}

    def evaluate(self, x: np.ndarray, t: np.ndarray) -> Evaluation:
        x = np.atleast_2d(np.asarray(x, dtype=float))
        ws = self.workspace(len(x))
        ws.load(x, t)
        e = self.loss_and_grad(ws)
        off = 1 + self.n_in
        net, out, delta, dE_dout, dout_dnet = {}, {}, {}, {}, {}
        for nid in self.input_ids:
            out[nid] = ws.A[self.row[nid]].copy()
            net[nid] = out[nid].copy()
        dout_all = np.zeros((self.C, ws.n))
        for c0, c1, _ in self.layers:
            if c1 < self.C:
                dout_all[c0:c1] = self.W[c1:, c0 + off : c1 + off].T @ ws.D[c1:]
        oc0 = self.C - self.K
        if self.loss.fused:  # backward() skips the output f'(net) for fused losses
            for act, n, o, fp in ws.out_acts:
                act.derivative(n, o, fp)
        # from the loss, not δ / f'(net), which is 0/0 where f'(net) = 0 (e.g. a relu output at net < 0)
        dout_all[oc0:] = self.loss.dE_dout(ws.z, ws.y, ws.T)
        # the buffers hold derivatives of E = (1/N) Σₙ Eₙ; each sample's own (of Eₙ) are N times as large
        n = ws.n
        for nid, j in self.col.items():
            net[nid] = ws.NET[j].copy()
            out[nid] = ws.A[j + off].copy()
            delta[nid] = ws.D[j] * n
            dE_dout[nid] = dout_all[j] * n
            dout_dnet[nid] = ws.FP[j].copy()
        outputs = self.loss.outputs(ws.z, ws.y)[self._perm].T.copy()
        sample_loss = self.loss.sample_losses(ws.z, ws.y, ws.T)
        g = ws.G.reshape(-1)
        grads = {name: float(g[self.index[name]]) for name in self.parameter_names}
        pg = self._pg.reshape(-1) if self.weight_decay is not None else None
        penalty_grads = {name: 0.0 if pg is None else float(pg[self.index[name]]) for name in self.parameter_names}
        return Evaluation(e, sample_loss, outputs, net, out, delta, dE_dout, dout_dnet, grads, ws.data_loss,
                          ws.penalty, penalty_grads)

    # ------------------------------------------------------------------ parameters
    def get(self, name: str) -> float:
        return float(self.params[self.index[name]])

    def set(self, name: str, value: float) -> None:
        self.params[self.index[name]] = value

    def parameter_values(self) -> dict[str, float]:
        return {name: float(self.params[self.index[name]]) for name in self.parameter_names}

    def write_to(self, network: Network) -> None:
        """Copy the current parameter values into ``network`` (which must have the same structure)."""
        network.set_parameters(self.parameter_values())
