"""The chain rule with numbers for one parameter, in one convention: sample n has its own loss Eₙ and its own
δⱼ⁽ⁿ⁾ = ∂Eₙ/∂netⱼ (no 1/N in it); E = (1/N) Σₙ Eₙ is their mean, so ∂E/∂w = (1/N) Σₙ δⱼ⁽ⁿ⁾ · outᵢ⁽ⁿ⁾.

For one sample: ∂Eₙ/∂w = δⱼ · outᵢ, δⱼ = ∂Eₙ/∂outⱼ · ∂outⱼ/∂netⱼ and, for a hidden neuron j,
∂Eₙ/∂outⱼ = Σₖ wⱼₖ δₖ. For all samples: a table of every sample's δⱼ⁽ⁿ⁾, outᵢ⁽ⁿ⁾ and their product, whose mean
is ∂E/∂w, and one of how each δⱼ⁽ⁿ⁾ comes about; a sample's row shows the numbers its own view shows. Both beside
the finite-difference value. Samples are numbered from 1 on screen, as ``bpgui inspect`` numbers them.

With the document's weight decay the gradient is of the total E + R: the penalty's part ∂R/∂w (λ·w or λ·sign(w);
0 for a bias) is added to the data's, and the loss shown is E + R.

Over a large training set (up to 100,000 samples) working it out takes a good part of a second: above THREAD_WORK
it is worked out in a thread of its own (the newest request wins), so that the window never waits for it."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QTextBrowser, QVBoxLayout, QWidget

from ...core.explain import ChainRule, chain_rule
from ...core.gradcheck import relative_difference
from ...core.network import Network
from ...core.regularization import WeightDecay
from ..style import MUTED_COLOR, NEGATIVE_COLOR, POSITIVE_COLOR, TEXT_COLOR
from ..text import num, rich_name
from ..threads import WorkerThread

HINT = "Select an edge or a neuron (its bias) to see the chain rule behind its gradient."
#: while training, the chain rule is recomputed at most this often (seconds)
INTERVAL = 0.25
#: samples × (neurons + edges) above which the chain rule is worked out in its thread (a few milliseconds' work
#: in the window's thread below it)
THREAD_WORK = 100_000
POSITIVE, NEGATIVE, MUTED = POSITIVE_COLOR, NEGATIVE_COLOR, MUTED_COLOR
MONO = "font-family: 'DejaVu Sans Mono', monospace;"
#: the indices i (the source neuron), j (the neuron of the parameter) and k (the neurons j feeds), and their neurons'
#: names, each in its own colour: at the default font a subscript i and j are hard to tell apart by shape alone
INDEX_COLORS = {"i": "#1b7837", "j": "#762a83", "k": "#b35806"}
#: "all samples" lists every sample up to MAX_ROWS; beyond, the first SHOWN_ROWS (the sums are over all of them)
MAX_ROWS = 10
SHOWN_ROWS = 8
#: up to this many neurons k get a column of their own δₖ in the table of how δⱼ comes about (more do not fit)
MAX_DOWNSTREAM_COLUMNS = 2
#: pixels between the columns of numbers
GAP = 7
#: significant digits of E, and of ∂E/∂p and its finite-difference value (enough for Mazur's worked example)
LOSS_DIGITS, GRADIENT_DIGITS = 9, 8


def para(html: str, gap: int = 8, color: str = TEXT_COLOR) -> str:
    """A paragraph ``gap`` pixels above the next block."""
    return f"<p style='margin:0 0 {gap}px 0; color:{color}'>{html}</p>"


def mono(x: float, digits: int = 4) -> str:
    """A number in the monospace font."""
    return f"<span style=\"{MONO}\">{num(x + 0.0, digits)}</span>"  # + 0.0: −0.0 (as in −0.3 · 0) shows as 0


def signed(x: float, digits: int = GRADIENT_DIGITS) -> str:
    """The gradient in bold, blue if positive and red if negative."""
    color = POSITIVE if x > 0 else NEGATIVE if x < 0 else TEXT_COLOR
    return f"<b style=\"color:{color}; {MONO}\">{num(x, digits)}</b>"


def factor(x: float, digits: int = 4) -> str:
    """A second factor of a product: in parentheses if negative."""
    return f"({mono(x, digits)})" if x < 0 else mono(x, digits)


def muted(html: str) -> str:
    return f"<span style='color:{MUTED}'>{html}</span>"


def table(rows: list[tuple[str, ...]], align: str = "rcl", margin: int = 8, header: bool = False, gap: int = 0) -> str:
    """An HTML table of ``rows``, column c aligned by ``align[c]`` (l, c or r), ``margin`` pixels above the next
    block; with ``header``, the first row is muted; ``gap`` pixels more before each column but the first."""
    sides = {"l": "left", "c": "center", "r": "right"}
    pad = f" style='padding-left:{gap}px; padding-right:0px'" if gap else ""
    cells = "".join("<tr>" + "".join(f"<td align='{sides[a]}'{pad if c_ else ''}>"
                                     f"{muted(c) if header and r == 0 else c}</td>"
                                     for c_, (a, c) in enumerate(zip(align, row))) + "</tr>"
                    for r, row in enumerate(rows))
    return f"<table cellspacing='0' cellpadding='2' style='margin-bottom:{margin}px'>{cells}</table>"


def ix(letters: str) -> str:
    """Subscript indices, i, j and k each in its colour: ``"w" + ix("jk")`` is wⱼₖ, ``"E" + ix("n")`` is Eₙ."""
    return "<sub>" + "".join(f"<span style='color:{INDEX_COLORS[c]}'>{c}</span>" if c in INDEX_COLORS else c
                             for c in letters) + "</sub>"


def who(neuron: str, index: str) -> str:
    """A neuron's name in the colour of its index."""
    return f"<span style='color:{INDEX_COLORS[index]}'>{rich_name(neuron)}</span>"


def named(symbol: str, neuron: str, index: str) -> str:
    """A symbol with a neuron's name as its subscript, in the colour of its index: δ with h1 beneath."""
    return f"{symbol}<sub>{who(neuron, index)}</sub>"


#: the symbols of the formulas
SUP_N = "<sup>(n)</sup>"
D_J, D_K, OUT_I, OUT_J, NET_J, W_JK = (f"δ{ix('j')}", f"δ{ix('k')}", f"out{ix('i')}", f"out{ix('j')}",
                                       f"net{ix('j')}", f"w{ix('jk')}")
SUM_N, SUM_K, E_N = f"Σ{ix('n')}", f"Σ{ix('k')}", f"E{ix('n')}"


@dataclass(frozen=True)
class RuleRequest:
    id: int
    network: Network  # a copy: the document's network goes on changing
    x: np.ndarray
    t: np.ndarray
    name: str
    sample: int | None  # None: over all samples
    n_samples: int  # of the training set
    decay: WeightDecay | None = None  # the document's weight decay: the rule of E + R


class ChainRuleWorker(QObject):
    """Works out chain rules in its own thread: the newest request (``pending``) wins."""

    #: (request, the chain rule or None, the error message or None)
    sigResult = Signal(object)
    sigWork = Signal()

    def __init__(self):
        super().__init__()
        self.pending: RuleRequest | None = None  # written by the main thread, taken here
        self.sigWork.connect(self.work)

    @Slot()
    def work(self) -> None:
        req, self.pending = self.pending, None
        if req is None:
            return
        try:
            self.sigResult.emit((req, chain_rule(req.network, req.x, req.t, req.name, decay=req.decay), None))
        except Exception as e:  # noqa: BLE001 - a view must not break the window
            self.sigResult.emit((req, None, f"cannot explain {req.name}: {e}"))


class ChainRulePanel(QWidget):
    """The chain rule behind one parameter's gradient, with the numbers of one sample or of all of them. Choosing
    a sample emits ``sigSampleChanged`` with its row in the data (0 for the sample shown as "sample 1"; None for
    all samples). After :meth:`follow`, the panel shows the parameter selected on the canvas and keeps it up to
    date as training goes; else the owner calls :meth:`set_rule`."""

    sigSampleChanged = Signal(object)
    #: a message for the status bar (when the chain rule cannot be worked out)
    sigStatus = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._scene = None
        self._sample: int | None = None
        self._time = 0.0
        self._worker: ChainRuleWorker | None = None  # made when first needed
        self._thread: WorkerThread | None = None
        self._request_id = 0  # of the newest chain rule asked for; older results are dropped
        self._in_flight = False  # the thread is working one out
        self._dirty = False  # asked for again while the thread was busy
        self._shown: tuple[str, int | None] | None = None  # (parameter, sample) of the rule on show
        self._decay: WeightDecay | None = None  # the weight decay of the rule on show
        self.sample_spin = QSpinBox()
        self.sample_spin.setPrefix("sample ")
        self.sample_spin.setSpecialValueText("all samples")
        self.sample_spin.setKeyboardTracking(False)
        self.sample_spin.setToolTip("the chain rule for one sample, or for E, the mean over all samples (samples "
                                    "are numbered from 1, as in bpgui inspect)")
        self.sample_spin.valueChanged.connect(self._sample_changed)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.setFrameShape(QTextBrowser.NoFrame)
        self.browser.document().setDocumentMargin(6)
        self.browser.setStyleSheet(f"color: {TEXT_COLOR}; background: white;")
        controls = QHBoxLayout()
        controls.setContentsMargins(6, 4, 6, 0)
        controls.addWidget(QLabel("chain rule for"))
        controls.addWidget(self.sample_spin, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(controls)
        layout.addWidget(self.browser, 1)
        self.set_rule(None, None, 0)

    # ------------------------------------------------------------------ following the canvas and training
    def follow(self, scene, training) -> None:
        """Show the chain rule of the parameter selected on ``scene`` (a NetworkScene) over the document's
        training data, again after each of ``training``'s snapshots (at most every INTERVAL s while it plays)."""
        self._scene = scene
        scene.sigSelectionChanged.connect(self.update_rule)
        training.sigSnapshot.connect(self._on_snapshot)
        self.sigSampleChanged.connect(self._on_sample)

    def _on_snapshot(self, snap) -> None:
        if not snap.playing or time.monotonic() - self._time > INTERVAL:
            self.update_rule()

    def _on_sample(self, sample) -> None:
        self._sample = sample
        self.update_rule()

    def update_rule(self) -> None:
        """The chain rule of the selected parameter over the training set (or the chosen sample of it): at once,
        or (much work) from the panel's thread soon."""
        self._time = time.monotonic()
        self._request_id += 1  # a result still on its way is out of date now
        model = self._scene.model
        name = self._scene.selected_parameter()
        data = model.dataset()
        net = model.network
        if name is None or data is None or not net.has_parameter(name):
            self.set_rule(None, None, 0)
            return
        x, t = data.x_train, data.t_train
        sample = self._sample
        if sample is not None and 0 <= sample < len(x):
            x, t = x[sample : sample + 1], t[sample : sample + 1]
        else:
            sample = None
        n_samples = len(data.x_train)
        decay = model.doc.training.weight_decay
        if len(x) * (len(net.neurons) + len(net.edges)) > THREAD_WORK:
            self._ask_thread(RuleRequest(self._request_id, net.copy(), x, t, name, sample, n_samples, decay))
            return
        try:
            rule = chain_rule(net, x, t, name, decay=decay)
        except Exception as e:  # noqa: BLE001 - a view must not break the window
            self.sigStatus.emit(f"cannot explain {name}: {e}")
            return
        self._show(rule, sample, n_samples, decay)

    def _show(self, rule: ChainRule, sample: int | None, n_samples: int, decay: WeightDecay | None = None) -> None:
        self.set_rule(rule, sample, n_samples, decay)
        self._shown = (rule.name, sample)

    def _ask_thread(self, req: RuleRequest) -> None:
        if self._shown != (req.name, req.sample):  # another parameter or sample: the old numbers would mislead
            self._shown = None
            self.browser.setHtml(para(f"<i>Working out the chain rule of {rich_name(req.name)} over "
                                      f"{len(req.x):,} sample{'s' if len(req.x) != 1 else ''}…</i>", color=MUTED))
        if self._worker is None:
            self._worker = ChainRuleWorker()
            self._worker.sigResult.connect(self._on_result)
            self._thread = WorkerThread(self._worker, "bpgui chain rule", self)
        self._worker.pending = req
        if self._in_flight:  # one at a time: the newest is asked for when this one is done
            self._dirty = True
            return
        self._in_flight = True
        self._worker.sigWork.emit()

    def _on_result(self, result) -> None:
        req, rule, error = result
        self._in_flight = False
        if self._dirty:
            self._dirty = False
            if self._worker.pending is not None:
                self._in_flight = True
                self._worker.sigWork.emit()
        if req.id != self._request_id:
            return
        if error:
            self.sigStatus.emit(error)
            return
        self._show(rule, req.sample, req.n_samples, req.decay)

    def busy(self) -> bool:
        """A chain rule is being worked out in the panel's thread."""
        return self._in_flight

    def shutdown(self) -> None:
        """Stop the panel's thread, if it has one (call before the application quits)."""
        if self._thread is not None:
            self._thread.stop()

    def text(self) -> str:
        """The shown text, without markup."""
        return self.browser.toPlainText()

    def set_rule(self, rule: ChainRule | None, sample: int | None, n_samples: int,
                 decay: WeightDecay | None = None) -> None:
        """Show ``rule``, computed for the sample in row ``sample`` (None: over all ``n_samples`` samples) with the
        weight decay ``decay`` (None: without one); None shows a hint."""
        self.sample_spin.blockSignals(True)
        self.sample_spin.setRange(0, n_samples)  # 0 is "all samples"; sample n (from 1) is row n − 1
        self.sample_spin.setValue(0 if sample is None else sample + 1)
        self.sample_spin.blockSignals(False)
        self.sample_spin.setEnabled(rule is not None and n_samples > 1)
        self._shown = None
        if rule is None:
            self.browser.setHtml(para(f"<i>{HINT}</i>", color=MUTED))
            return
        self._decay = decay
        self.browser.setHtml(self._html(rule, sample, n_samples))

    def _sample_changed(self, value: int) -> None:
        self.sigSampleChanged.emit(None if value < 1 else value - 1)

    # ------------------------------------------------------------------ text
    def _html(self, rule: ChainRule, sample: int | None, n_samples: int) -> str:
        p = "b" if rule.src is None else "w"
        if rule.src is None:
            title = f"<b>bias of {who(rule.dst, 'j')}</b>"
            names = f"j = {who(rule.dst, 'j')} &nbsp;({OUT_I} = 1 for a bias)"
        else:
            title = f"<b>weight {who(rule.src, 'i')} → {who(rule.dst, 'j')}</b>"
            names = f"i = {who(rule.src, 'i')}, &nbsp;j = {who(rule.dst, 'j')}"
        ks = [who(d.neuron, "k") for d in rule.downstream]
        if ks:
            names += f", &nbsp;k = {ks[0]}" if len(ks) == 1 else f", &nbsp;k ∈ {{{', '.join(ks)}}}"
        decay = self._decay
        loss = mono(rule.loss if decay is None else rule.data_loss, LOSS_DIGITS)
        if sample is not None:
            scope = f"sample n = {sample + 1} of {n_samples}, its own loss: {E_N} = {loss}"
        elif rule.n == 1:
            scope = f"the only sample (N = 1): E = E{ix('1')} = {loss}"
        else:
            scope = f"all N = {rule.n} samples: E = (1/N) {SUM_N} {E_N} = {loss}"
        if decay is not None:  # the penalty and the total training minimises
            e = "E" if sample is None else E_N
            scope += (f"<br>{decay.kind} weight decay: R = {self._penalty_formula(decay)} = "
                      f"{mono(rule.penalty, LOSS_DIGITS)}, so {e} + R = {mono(rule.loss, LOSS_DIGITS)} "
                      "(biases are not decayed)")
        parts = [para(f"{title}<br>{names}<br>{muted(scope)}")]
        if rule.n > 1:
            parts += self._batch(rule, p)
        else:
            parts += self._single(rule, p, "E" if sample is None else E_N, n_samples)
        return "".join(parts)

    @staticmethod
    def _penalty_formula(decay: WeightDecay) -> str:
        return "(λ/2)·Σw²" if decay.kind == "l2" else "λ·Σ|w|"

    def _with_penalty(self, rule: ChainRule, lhs: str, formula: str, numbers: str) -> tuple[str, str, str]:
        """With a weight decay and a weight: ∂(E + R)/∂w = (the data's part) + ∂R/∂w, ∂R/∂w = λ·w or λ·sign(w)."""
        decay = self._decay
        if decay is None or rule.src is None:
            return lhs, formula, numbers
        e, p = lhs[1:].split("/∂", 1)
        term = "λ·w" if decay.kind == "l2" else "λ·sign(w)"
        return (f"∂({e} + R)/∂{p}", f"{formula} + {term}",
                f"{numbers} + {factor(rule.penalty_gradient, GRADIENT_DIGITS)}")

    def _gradient(self, rule: ChainRule, lhs: str, formula: str, numbers: str, notes: tuple[str, ...] = ()) -> str:
        """``lhs`` (∂E/∂p or ∂Eₙ/∂p): its formula, with numbers, its value and the finite-difference value beneath
        it; what a step does. With a weight decay, of the total (see :meth:`_with_penalty`)."""
        lhs, formula, numbers = self._with_penalty(rule, lhs, formula, numbers)
        g = rule.gradient
        rows = [(lhs, "=", formula), ("", "=", numbers), ("", "=", signed(g)),
                ("", "≈", f"{mono(rule.numeric, GRADIENT_DIGITS)} {muted('finite difference')}")]
        lines = [f"relative difference {num(relative_difference(g, rule.numeric), 2)}"]
        if not math.isnan(g):
            p = "b" if rule.src is None else "w"
            effect = f"makes {p} smaller" if g > 0 else f"makes {p} larger" if g < 0 else f"leaves {p} where it is"
            lines.append(f"a step −η·{lhs} {effect}")
        return table(rows, margin=2) + para("<br>".join(lines + list(notes)), color=MUTED)

    def _single(self, rule: ChainRule, p: str, e: str, n_samples: int) -> list[str]:
        """One sample: ∂e/∂p = δⱼ · outᵢ, where e is E (the only sample) or Eₙ."""
        delta, out, dE, f1 = rule.delta[0], rule.out_src[0], rule.dE_dout[0], rule.dout_dnet[0]
        notes = () if e == "E" else (f"∂E/∂{p} is the mean of the {n_samples} samples' ∂{E_N}/∂{p}: "
                                     "choose all samples to see them",)
        gradient = self._gradient(rule, f"∂{e}/∂{p}", f"{D_J} · {'1' if rule.src is None else OUT_I}",
                                  f"{mono(delta)} · {factor(out)}", notes)
        local = table([(D_J, "=", f"∂{e}/∂{OUT_J} · ∂{OUT_J}/∂{NET_J}"),
                       ("", "=", f"{mono(dE)} · {factor(f1)}"),
                       ("", "=", mono(delta))])
        return [gradient, local, self._upstream(rule, e, dE)]

    @staticmethod
    def _upstream(rule: ChainRule, e: str, dE: float) -> str:
        """Where ∂e/∂outⱼ of the one sample comes from: the loss (output j) or Σₖ wⱼₖ δₖ, one row per downstream
        neuron k."""
        if rule.is_output:
            return para(f"∂{e}/∂{OUT_J} = {mono(dE)} &nbsp;from the loss (j is an output)")
        head = para(f"∂{e}/∂{OUT_J} = {SUM_K} {W_JK} {D_K} &nbsp;(j is hidden)", gap=2)
        rows = [("k", W_JK, "", D_K, "", f"{W_JK} {D_K}")]
        rows += [(who(term.neuron, "k"), mono(term.weight), "·", mono(term.delta[0]), "=",
                  mono(term.weight * term.delta[0])) for term in rule.downstream]
        rows.append(("", "", "", "", f"{SUM_K} =", f"<b>{mono(dE)}</b>"))
        return head + table(rows, "lrcrcr", header=True, gap=4)

    # ------------------------------------------------------------------ all samples
    @staticmethod
    def _rows_listed(n: int) -> tuple[range, str]:
        """The rows listed of ``n`` samples, and a note on the ones left out ("" if none is)."""
        if n <= MAX_ROWS:
            return range(n), ""
        return range(SHOWN_ROWS), f"samples {SHOWN_ROWS + 1} to {n} are not listed"

    def _batch(self, rule: ChainRule, p: str) -> list[str]:
        n = rule.n
        terms = rule.terms
        total = math.fsum(terms)
        of = "" if rule.src is None else f" · {OUT_I}{SUP_N}"
        gradient = self._gradient(rule, f"∂E/∂{p}", f"(1/N) {SUM_N} {D_J}{SUP_N}{of}",
                                  f"(1/{n}) · {factor(total, 6)}")
        return [gradient, self._products(rule, total), self._deltas(rule)]

    def _products(self, rule: ChainRule, total: float) -> str:
        """Each sample's δⱼ⁽ⁿ⁾, outᵢ⁽ⁿ⁾ and their product; the sum of the products, and its mean ∂E/∂p."""
        n = rule.n
        rows_shown, left_out = self._rows_listed(n)
        d_j = named("δ", rule.dst, "j")
        head = para(f"each sample's own {D_J}{SUP_N} = ∂{E_N}/∂{NET_J} (no 1/N in it):", gap=2)
        if rule.src is None:
            rows = [("n", d_j)] + [(str(r + 1), mono(rule.delta[r])) for r in rows_shown]
            blank = ()
        else:
            out_i = named("out", rule.src, "i")
            rows = [("n", d_j, out_i, f"{d_j} · {out_i}")]
            rows += [(str(r + 1), mono(rule.delta[r]), mono(rule.out_src[r]), mono(rule.terms[r]))
                     for r in rows_shown]
            blank = ("", "")
        if left_out:
            rows.append(("⋮",) * len(rows[0]))
        rows.append((SUM_N,) + blank + (mono(total, 6),))
        part = " (the data's part)" if self._decay is not None and rule.src is not None else ""
        rows.append((f"(1/N) {SUM_N}",) + blank + (signed(total / n),
                                                   f"= ∂E/∂{'b' if rule.src is None else 'w'}{part}"))
        align = "r" * len(rows[0]) + "l"
        return head + self._table_and_notes(rows, align, [f"{left_out}; {SUM_N} is over all {n}"] if left_out else [])

    @staticmethod
    def _table_and_notes(rows: list[tuple[str, ...]], align: str, notes: list[str]) -> str:
        """A table of numbers (its first row the header), and any notes beneath it."""
        numbers = table(rows, align, margin=2 if notes else 8, header=True, gap=GAP)
        return numbers + (para("<br>".join(notes), color=MUTED) if notes else "")

    def _deltas(self, rule: ChainRule) -> str:
        """How each sample's δⱼ comes about: δⱼ = ∂Eₙ/∂outⱼ · ∂outⱼ/∂netⱼ, and for a hidden j,
        ∂Eₙ/∂outⱼ = Σₖ wⱼₖ δₖ."""
        rows_shown, left_out = self._rows_listed(rule.n)
        notes = [left_out] if left_out else []
        j = rule.dst
        d_j, f1 = named("δ", j, "j"), f"∂{named('out', j, 'j')}/∂{named('net', j, 'j')}"
        if rule.is_output:
            head = para(f"{D_J}{SUP_N} = ∂{E_N}/∂{OUT_J} · ∂{OUT_J}/∂{NET_J} (j is an output):", gap=2)
            notes.insert(0, f"∂{E_N}/∂{OUT_J} comes from the loss")
            rows = [("n", f"∂{E_N}/∂{named('out', j, 'j')}", f1, d_j)]
            rows += [(str(r + 1), mono(rule.dE_dout[r]), mono(rule.dout_dnet[r]), mono(rule.delta[r]))
                     for r in rows_shown]
        else:
            terms = rule.downstream if len(rule.downstream) <= MAX_DOWNSTREAM_COLUMNS else ()
            head = para(f"{D_J}{SUP_N} = ({SUM_K} {W_JK} {D_K}{SUP_N}) · ∂{OUT_J}/∂{NET_J} (j is hidden):", gap=2)
            rows = [("n",) + tuple(named("δ", t.neuron, "k") for t in terms) + (f"{SUM_K} {W_JK} {D_K}", f1, d_j)]
            if terms:  # each k's weight beneath its δₖ
                rows.append((W_JK,) + tuple(mono(t.weight) for t in terms) + ("", "", ""))
            rows += [(str(r + 1),) + tuple(mono(t.delta[r]) for t in terms)
                     + (mono(rule.dE_dout[r]), mono(rule.dout_dnet[r]), mono(rule.delta[r])) for r in rows_shown]
            if not terms:
                notes.append(f"{len(rule.downstream)} neurons k: choose a sample to see each one's term")
        if left_out:
            rows.append(("⋮",) * len(rows[0]))
        return head + self._table_and_notes(rows, "r" * len(rows[0]), notes)
