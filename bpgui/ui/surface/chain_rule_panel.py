"""The chain rule with numbers for one parameter: ∂E/∂w = Σₙ δⱼ · outᵢ, δⱼ = ∂E/∂outⱼ · ∂outⱼ/∂netⱼ and, for a hidden
neuron j, ∂E/∂outⱼ = Σₖ wⱼₖ δₖ, for one sample or summed over all of them, beside the finite-difference value.

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


def para(html: str, gap: int = 8, color: str = TEXT_COLOR) -> str:
    """A paragraph ``gap`` pixels above the next block."""
    return f"<p style='margin:0 0 {gap}px 0; color:{color}'>{html}</p>"


def mono(x: float, digits: int = 4) -> str:
    """A number in the monospace font."""
    return f"<span style=\"{MONO}\">{num(x, digits)}</span>"


def signed(x: float, digits: int = 6) -> str:
    """The gradient in bold, blue if positive and red if negative."""
    color = POSITIVE if x > 0 else NEGATIVE if x < 0 else TEXT_COLOR
    return f"<b style=\"color:{color}; {MONO}\">{num(x, digits)}</b>"


def factor(x: float) -> str:
    """A second factor of a product: in parentheses if negative."""
    return f"({mono(x)})" if x < 0 else mono(x)


def table(rows: list[tuple[str, ...]], align: str = "rcl", margin: int = 8) -> str:
    """An HTML table of ``rows``, column c aligned by ``align[c]`` (l, c or r), ``margin`` pixels above the next
    block."""
    sides = {"l": "left", "c": "center", "r": "right"}
    cells = "".join("<tr>" + "".join(f"<td align='{sides[a]}'>{c}</td>" for a, c in zip(align, row)) + "</tr>"
                    for row in rows)
    return f"<table cellspacing='0' cellpadding='2' style='margin-bottom:{margin}px'>{cells}</table>"


@dataclass(frozen=True)
class RuleRequest:
    id: int
    network: Network  # a copy: the document's network goes on changing
    x: np.ndarray
    t: np.ndarray
    name: str
    sample: int | None  # None: over all samples
    n_samples: int  # of the training set


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
            self.sigResult.emit((req, chain_rule(req.network, req.x, req.t, req.name), None))
        except Exception as e:  # noqa: BLE001 - a view must not break the window
            self.sigResult.emit((req, None, f"cannot explain {req.name}: {e}"))


class ChainRulePanel(QWidget):
    """The chain rule behind one parameter's gradient, with the numbers of one sample or of all of them. Choosing
    a sample emits ``sigSampleChanged`` (None for all samples). After :meth:`follow`, the panel shows the
    parameter selected on the canvas and keeps it up to date as training goes; else the owner calls
    :meth:`set_rule`."""

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
        self.sample_spin = QSpinBox()
        self.sample_spin.setPrefix("sample ")
        self.sample_spin.setSpecialValueText("all samples")
        self.sample_spin.setKeyboardTracking(False)
        self.sample_spin.setToolTip("the chain rule for one sample, or summed over all samples")
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
        if len(x) * (len(net.neurons) + len(net.edges)) > THREAD_WORK:
            self._ask_thread(RuleRequest(self._request_id, net.copy(), x, t, name, sample, n_samples))
            return
        try:
            rule = chain_rule(net, x, t, name)
        except Exception as e:  # noqa: BLE001 - a view must not break the window
            self.sigStatus.emit(f"cannot explain {name}: {e}")
            return
        self._show(rule, sample, n_samples)

    def _show(self, rule: ChainRule, sample: int | None, n_samples: int) -> None:
        self.set_rule(rule, sample, n_samples)
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
        self._show(rule, req.sample, req.n_samples)

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

    def set_rule(self, rule: ChainRule | None, sample: int | None, n_samples: int) -> None:
        """Show ``rule``, computed for ``sample`` (None: over all ``n_samples`` samples); None shows a hint."""
        self.sample_spin.blockSignals(True)
        self.sample_spin.setRange(-1, max(n_samples - 1, -1))
        self.sample_spin.setValue(-1 if sample is None else sample)
        self.sample_spin.blockSignals(False)
        self.sample_spin.setEnabled(rule is not None and n_samples > 1)
        self._shown = None
        if rule is None:
            self.browser.setHtml(para(f"<i>{HINT}</i>", color=MUTED))
            return
        self.browser.setHtml(self._html(rule, sample, n_samples))

    def _sample_changed(self, value: int) -> None:
        self.sigSampleChanged.emit(None if value < 0 else value)

    # ------------------------------------------------------------------ text
    def _html(self, rule: ChainRule, sample: int | None, n_samples: int) -> str:
        p = "b" if rule.src is None else "w"
        src, dst = rich_name(rule.src or ""), rich_name(rule.dst)
        if rule.src is None:
            title = f"<b>bias of {dst}</b> &nbsp;(j = {dst}, outᵢ = 1)"
        else:
            title = f"<b>weight {src} → {dst}</b> &nbsp;(i = {src}, j = {dst})"
        n = len(rule.delta)
        if sample is not None:
            scope = f"sample {sample} of {n_samples}: E = {mono(rule.loss)}"
        else:
            scope = f"Σₙ over {n} sample{'s' if n != 1 else ''}: E = {mono(rule.loss)}"
        parts = [para(f"{title}<br><span style='color:{MUTED}'>{scope}</span>")]
        parts += self._single(rule, p) if n == 1 else self._batch(rule, p, n)
        return "".join(parts)

    @staticmethod
    def _gradient(rule: ChainRule, p: str, formula: str, numbers: str) -> str:
        """∂E/∂p: its formula, with numbers, its value and the finite-difference value beneath it; what a step
        does."""
        g = rule.gradient
        rows = [(f"∂E/∂{p}", "=", formula), ("", "=", numbers), ("", "=", signed(g)),
                ("", "≈", f"{mono(rule.numeric, 6)} <span style='color:{MUTED}'>finite difference</span>")]
        notes = [f"relative difference {num(relative_difference(g, rule.numeric), 2)}"]
        if not math.isnan(g):
            effect = f"makes {p} smaller" if g > 0 else f"makes {p} larger" if g < 0 else f"leaves {p} where it is"
            notes.append(f"a step −η·∂E/∂{p} {effect}")
        return table(rows, margin=2) + para("<br>".join(notes), color=MUTED)

    def _single(self, rule: ChainRule, p: str) -> list[str]:
        delta, out, dE, f1 = rule.delta[0], rule.out_src[0], rule.dE_dout[0], rule.dout_dnet[0]
        gradient = self._gradient(rule, p, f"δⱼ · {'1' if rule.src is None else 'outᵢ'}",
                                  f"{mono(delta)} · {factor(out)}")
        local = table([("δⱼ", "=", "∂E/∂outⱼ · ∂outⱼ/∂netⱼ"),
                       ("", "=", f"{mono(dE)} · {factor(f1)}"),
                       ("", "=", mono(delta))])
        return [gradient, local, self._upstream(rule, dE, [d.delta[0] for d in rule.downstream])]

    def _batch(self, rule: ChainRule, p: str, n: int) -> list[str]:
        product = rule.delta * rule.out_src
        gradient = self._gradient(rule, p, f"Σₙ δⱼ⁽ⁿ⁾ · {'1' if rule.src is None else 'outᵢ⁽ⁿ⁾'}",
                                  f"{n} × {factor(product.mean())} <span style='color:{MUTED}'>(N × mean)</span>")
        rows = [("∂E/∂outⱼ", mono(rule.dE_dout.mean())), ("∂outⱼ/∂netⱼ", mono(rule.dout_dnet.mean())),
                ("δⱼ", mono(rule.delta.mean()))]
        if rule.src is not None:
            rows += [("outᵢ", mono(rule.out_src.mean())), ("δⱼ · outᵢ", mono(product.mean()))]
        means = (para(f"means over the {n} samples <span style='color:{MUTED}'>(a mean of products is not the "
                      "product of the means: choose a sample to see the products)</span>", gap=2) + table(rows, "lr"))
        upstream = self._upstream(rule, rule.dE_dout.mean(), [d.delta.mean() for d in rule.downstream], mean=True)
        return [gradient, means, upstream]

    @staticmethod
    def _upstream(rule: ChainRule, dE: float, deltas: list[float], mean: bool = False) -> str:
        """Where ∂E/∂outⱼ comes from: the loss (output j) or Σₖ wⱼₖ δₖ, one row per downstream neuron k."""
        of = "mean " if mean else ""
        if rule.is_output:
            return para(f"{of}∂E/∂outⱼ = {mono(dE)} &nbsp;from the loss (j is an output)")
        head = para(f"{of}∂E/∂outⱼ = Σₖ wⱼₖ {of}δₖ (j is hidden)", gap=2)
        rows = [("k", "wⱼₖ", "", f"{of}δₖ", "", f"wⱼₖ {of}δₖ")]
        rows += [(rich_name(term.neuron), mono(term.weight), "·", mono(d), "=", mono(term.weight * d))
                 for term, d in zip(rule.downstream, deltas)]
        rows.append(("", "", "", "", "Σₖ =", f"<b>{mono(dE)}</b>"))
        return head + table(rows, "lrcrcr")
