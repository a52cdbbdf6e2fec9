"""The GUI under abuse (issue 7, "Hardening").

1. A seeded random sequence of gestures and edits on the real window while training runs: mouse drags of
   neurons, edges and knobs, clicks, Delete on selections, double-clicks, right-click menus, edits through the
   model and the panels (inputs added and removed so the data no longer fits, layers added and removed, the
   surface's parameters deleted, activations, loss, renames), undo/redo, play/pause/step/reset, huge learning
   rates, datasets, the surface's pair, the gradient overlay — and gestures interleaved with each other (a key
   pressed in the middle of a drag). No exception may reach the event loop, no worker may report an internal
   error, no modal dialog may be left waiting, and afterwards the views must agree with the network, the
   surface must show an existing pair (or say why it shows none) and undoing everything must give back the
   starting document.

2. Untrusted files: every document of the malformed corpus (tests/malformed) goes through the window's open
   path, which must refuse it with the reason and keep the open document as it was (except the few whose only
   fault is data that does not fit the network: the window opens those, by design, and says why it cannot
   train).

3. The bugs the sequence found, one deterministic test each.

A failure of the abuse test prints the seed and the actions it took; run another sequence with
``BPGUI_ABUSE_SEED=<n>`` (and ``BPGUI_ABUSE_ACTIONS=<n>`` for its length).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import re
import sys
import threading
import time
import traceback
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QGraphicsLineItem,
    QInputDialog,
    QMenu,
    QMessageBox,
)

from bpgui.core.activations import ACTIVATION_NAMES
from bpgui.core.document import DocumentError
from bpgui.core.losses import LOSSES
from bpgui.ui.editor.network_items import RADIUS, EdgeItem, NeuronItem, column_x
from bpgui.ui.main_window import MainWindow

MALFORMED = Path(__file__).parent / "malformed"
SEED = int(os.environ.get("BPGUI_ABUSE_SEED", "7"))
ACTIONS = int(os.environ.get("BPGUI_ABUSE_ACTIONS", "220"))
#: a slow (loaded) machine stops the sequence early, once it has done at least MIN_ACTIONS, after BUDGET seconds
MIN_ACTIONS, BUDGET = min(ACTIONS, 150), float(os.environ.get("BPGUI_ABUSE_BUDGET", "15"))
LOSS_NAMES = sorted(LOSSES)


# ---------------------------------------------------------------------------------------------------- harness
@contextlib.contextmanager
def failing_excepthook():
    """Record every exception that reaches the event loop (a slot or a virtual method that raised): PySide6
    hands them to ``sys.excepthook``. Installed inside the test, on top of pytest-qt's own capture (which also
    fails the test), so the abuse log can say which action raised. Python threads too."""
    errors: list[str] = []
    previous, previous_thread = sys.excepthook, threading.excepthook

    def hook(tp, value, tb):
        errors.append("".join(traceback.format_exception(tp, value, tb)))
        previous(tp, value, tb)

    def thread_hook(args):
        errors.append("".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)))
        previous_thread(args)

    sys.excepthook, threading.excepthook = hook, thread_hook
    try:
        yield errors
    finally:
        sys.excepthook, threading.excepthook = previous, previous_thread


@contextlib.contextmanager
def no_modal_dialogs():
    """A modal dialog nobody patched would block the test forever: close it and record it."""
    seen: list[str] = []

    def check():
        for widget in (QApplication.activeModalWidget(), QApplication.activePopupWidget()):
            if widget is not None:
                seen.append(f"{type(widget).__name__}: {widget.windowTitle()!r}")
                widget.close()

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(200)
    try:
        yield seen
    finally:
        timer.stop()


@pytest.fixture
def window(make_window):
    return make_window(wait="surface")


def settle_training(qtbot, w, timeout=10_000):
    """Paused, and the run has taken in the last edit."""
    w.training.pause()
    qtbot.waitUntil(lambda: not w.training.playing and w.training.latest is not None
                    and not w.training.latest.playing
                    and w.training.latest.generation == w.training.generation, timeout=timeout)


def settle_pair(qtbot, w):
    """The surface checks its pair just after a change of structure (a zero timer)."""
    qtbot.waitUntil(lambda: not w.surface._pair_check.isActive())


def dataset_ok(w) -> bool:
    try:
        w.model.doc.dataset()
    except DocumentError:
        return False
    return True


def settle_surface(qtbot, w, timeout=15_000):
    """The surface has computed what there is to compute: the fine grid of the current pair, or nothing (with
    the reason in its caption)."""
    s = w.surface
    if s.pair is not None and not dataset_ok(w):
        qtbot.waitUntil(lambda: "cannot be drawn" in w.surface_view.caption.text(), timeout=timeout)
    else:
        qtbot.waitUntil(lambda: s.settled or ("cannot be drawn" in w.surface_view.caption.text()
                                              and not s._in_flight and not s._dirty), timeout=timeout)


# ---------------------------------------------------------------------------------------------------- checks
def check_canvas(w) -> None:
    """Every neuron and edge has exactly one item that shows it, and nothing else is left on the canvas."""
    net, scene = w.model.network, w.scene
    assert set(scene.neuron_items) == set(net.neurons)
    assert set(scene.edge_items) == set(net.edges)
    items = scene.items()
    assert sorted(it.nid for it in items if isinstance(it, NeuronItem)) == sorted(net.neurons)
    assert sorted((it.src, it.dst) for it in items if isinstance(it, EdgeItem)) == sorted(net.edges)


def check_canvas_in_detail(w) -> None:
    check_canvas(w)
    net, scene = w.model.network, w.scene
    assert not scene.busy and not [it for it in scene.items() if isinstance(it, QGraphicsLineItem)]  # no drag line
    for nid, it in scene.neuron_items.items():
        n = net.neuron(nid)
        assert it.scene() is scene and it.nid == nid
        assert (it.activation, it.bias, it.role) == (n.activation, n.bias, net.role(nid))
        assert it.pos().x() == column_x(n.layer), f"{nid} is drawn off its layer's column"
        assert (it.pos().x(), it.pos().y()) == pytest.approx(w.model.positions[nid])
        assert it.highlight is None
    for (a, b), e in scene.edge_items.items():
        assert e.scene() is scene and e.weight == net.edges[(a, b)]
        # the line joins the two neurons' rims
        p1, p2 = e.path().pointAtPercent(0), e.path().pointAtPercent(1)
        c1, c2 = scene.neuron_items[a].pos(), scene.neuron_items[b].pos()
        assert math.hypot(p1.x() - c1.x(), p1.y() - c1.y()) == pytest.approx(RADIUS, abs=0.5)
        assert math.hypot(p2.x() - c2.x(), p2.y() - c2.y()) == pytest.approx(RADIUS, abs=0.5)
    # the surface's axes are marked on exactly its parameters
    pair = w.surface.pair
    axes = dict(zip(pair, "xy")) if pair else {}
    assert {e.name: e.axis for e in scene.edge_items.values() if e.axis} == {k: v for k, v in axes.items()
                                                                            if "->" in k}
    assert {f"{nid}.bias": it.axis for nid, it in scene.neuron_items.items() if it.axis} == {
        k: v for k, v in axes.items() if k.endswith(".bias")}
    # the gradient overlay is on exactly when its action is checked
    overlay = [e.gradient is not None for e in scene.edge_items.values()]
    assert all(overlay) if w.window_actions.gradients.isChecked() else not any(overlay)


def check_surface(w) -> None:
    """Settled: an existing pair drawn under its names, or no pair and the reason."""
    s, view, net = w.surface, w.surface_view, w.model.network
    caption = view.caption.text()
    if s.pair is None:
        assert len(net.parameter_names()) < 2, "there are two parameters, but the surface shows none"
        assert "No two parameters" in caption
        assert view.surface is None
        return
    x, y = s.pair
    assert x != y and net.has_parameter(x) and net.has_parameter(y), f"the surface shows a stale pair {s.pair}"
    assert (view.x_combo.currentText(), view.y_combo.currentText()) == (x, y)
    assert [view.x_combo.itemText(i) for i in range(view.x_combo.count())] == net.parameter_names()
    if not dataset_ok(w) or "cannot be drawn" in caption:  # the data does not fit, or the values are too large
        assert "cannot be drawn" in caption and view.surface is None
        return
    assert s.result is not None and s.result.fine
    assert (s.result.surface.x_name, s.result.surface.y_name) == (x, y)
    assert view.surface is s.result.surface
    assert "nan" not in caption.lower() and "None" not in caption


def check_status(w) -> None:
    snap = w.training.latest
    run = w.run_status.text()
    if snap.problem:
        assert run == snap.problem
        assert not dataset_ok(w) or "Cannot train" in run
    else:
        assert run.startswith(f"step {snap.step:,} · epoch {snap.epoch:,} · loss "), run
        assert re.fullmatch(r"step [\d,]+ · epoch [\d,]+ · loss (—|[-+.\deE]+|inf)( · test [-+.\deEinfa]+)?", run), run
        assert "steps/s" not in run  # paused
    assert "Traceback" not in w.status.text() and "Error" not in w.status.text()
    assert w.banner.isVisible() == bool(w.training.diverged), (w.banner.text.text(), w.training.diverged)
    if w.training.diverged:
        text = w.banner.text.text()
        assert ("diverged" in text or "jumped" in text) and w.window_actions.restore.isEnabled(), text


def check_panels(w) -> None:
    """The training panel shows the document's settings."""
    from bpgui.ui.training.training_panel import parse_number

    p, doc = w.training_panel, w.model.doc
    t = doc.training
    assert parse_number(p.lr_edit.text()) == pytest.approx(t.learning_rate, rel=1e-3) or p.lr_edit.styleSheet()
    assert p.optimizer.currentText() == t.optimizer
    assert p.loss.currentText() == w.model.network.loss
    assert p.batch.value() == (t.batch_size or 0)
    name = getattr(doc.data, "generator", None)
    assert p.dataset.currentData() == name


# ---------------------------------------------------------------------------------------------------- the abuser
class Abuser:
    """Random gestures and edits on a window, from a seeded generator; keeps a log of what it did."""

    def __init__(self, qtbot, w: MainWindow, rng: random.Random, monkeypatch):
        self.qtbot, self.w, self.rng = qtbot, w, rng
        self.log: list[str] = []
        self.surface_messages: list[str] = []
        self.pair_checks = 0  # the surface's parameters deleted, and the new pair checked
        self.width_changes = 0  # actions that changed the number of inputs (the data's width)
        self.layers_removed = 0
        self.time_spent: dict[str, float] = {}
        w.surface.sigStatus.connect(self.surface_messages.append)
        vp = w.view.viewport()
        self.vp = vp
        # every dialog answers at once, as a user might
        monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.Ok)
        monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.Ok)
        monkeypatch.setattr(QMessageBox, "about", lambda *a, **k: None)
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.No)
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
        monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (self._number(), rng.random() < 0.85))
        monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (800, False))
        monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (self._name(), rng.random() < 0.9))
        abuser = self

        class Menu(QMenu):
            """Patching ``QMenu.exec`` on the class does not reach calls from Python in PySide6 (the real, blocking
            exec runs): the scene's menus are made from this subclass instead."""

            def exec(self, *args, **kwargs):
                return abuser._menu_exec(self)

        monkeypatch.setattr("bpgui.ui.editor.network_scene.QMenu", Menu)
        self.actions = [
            (8, self.drag_neuron), (8, self.drag_edge), (6, self.connect), (6, self.click_and_delete),
            (5, self.delete_surface_neurons), (2, self.rubber_band_delete), (3, self.double_click_column),
            (3, self.double_click_edge), (4, self.context_menu), (3, self.add_input), (3, self.remove_input),
            (3, self.add_hidden), (2, self.add_layer), (3, self.remove_layer), (3, self.set_activation),
            (2, self.set_loss), (2, self.rename), (7, self.undo), (4, self.redo), (6, self.play_pause),
            (3, self.step), (1, self.reset), (4, self.learning_rate), (2, self.optimizer), (1, self.batch),
            (4, self.dataset), (1, self.generator), (4, self.surface_pair), (1, self.span), (2, self.drag_point),
            (1, self.race), (3, self.gradients), (1, self.labels), (2, self.panel_value), (1, self.zoom),
            (2, self.keys), (2, self.menu_by_keyboard), (1, self.restore), (5, self.drag_with_interruption),
        ]

    # -------------------------------------------------------------- random values
    def _number(self) -> float:
        return self.rng.choice([0.0, 0.5, -2.0, 1e6, -1e6, 1e-9, round(self.rng.uniform(-5, 5), 3)])

    def _name(self) -> str:
        net = self.w.model.network
        return self.rng.choice(["", "1bad", "a b", "h\n1", "ok_" + str(self.rng.randrange(100)),
                                "n" + str(self.rng.randrange(100)), *list(net.neurons)[:2]])

    def _menu_exec(self, menu):
        """A right-click menu: the user picks one of its actions (or none)."""
        actions = []

        def walk(m):
            for a in m.actions():
                if a.menu() is not None:
                    walk(a.menu())
                elif a.isEnabled() and not a.isSeparator():
                    actions.append(a)

        walk(menu)
        if not actions or self.rng.random() < 0.1:
            return None
        a = self.rng.choice(actions)
        self.log.append(f"    menu: {a.text()}")
        a.trigger()
        return a

    # -------------------------------------------------------------- geometry
    def vp_point(self, scene_pos: QPointF) -> QPoint:
        """Where a scene point is on the viewport; the view is fitted first if it is not visible."""
        p = self.w.view.mapFromScene(scene_pos)
        if not self.vp.rect().adjusted(5, 5, -5, -5).contains(p):
            self.w.view.fit()
            p = self.w.view.mapFromScene(scene_pos)
        return p

    def neurons(self, pred=lambda n: True) -> list[str]:
        net = self.w.model.network
        return [n.id for n in net if pred(n)]

    def pick_neuron(self, pred=lambda n: True) -> str | None:
        ids = self.neurons(pred)
        return self.rng.choice(ids) if ids else None

    def pick_edge(self):
        edges = list(self.w.scene.edge_items)
        return self.rng.choice(edges) if edges else None

    def edge_point(self, key, t=None) -> QPointF:
        return self.w.scene.edge_items[key].path().pointAtPercent(t if t is not None else self.rng.uniform(0.3, 0.7))

    def process(self):
        """What the event loop does between two events of a user (timers, queued signals, snapshots)."""
        QApplication.processEvents()

    def press_move_release(self, a: QPoint, b: QPoint, steps=None, button=Qt.LeftButton, modifier=Qt.NoModifier,
                           between=None):
        vp = self.vp
        steps = steps or self.rng.randint(1, 6)
        QTest.mousePress(vp, button, modifier, a)
        for i in range(1, steps + 1):
            self.process()
            QTest.mouseMove(vp, a + (b - a) * i / steps)
            if self.rng.random() < 0.3:
                self.qtbot.wait(self.rng.choice([1, 10, 25]))  # snapshots arrive during the drag
            if between is not None and i == steps // 2 + 1:
                self.process()
                between()
        self.process()
        QTest.mouseRelease(vp, button, modifier, b)

    # -------------------------------------------------------------- canvas gestures
    def drag_neuron(self, between=None):
        nid = self.pick_neuron()
        start = self.w.scene.neuron_items[nid].pos()
        net = self.w.model.network
        kind = self.rng.random()
        if kind < 0.4:  # within its column
            end = start + QPointF(self.rng.uniform(-8, 8), self.rng.uniform(-150, 150))
        elif kind < 0.85:  # to another layer's column
            end = QPointF(column_x(self.rng.randrange(net.num_layers)) + self.rng.uniform(-30, 30),
                          start.y() + self.rng.uniform(-120, 120))
        else:  # anywhere, even outside every column
            end = QPointF(self.rng.uniform(-300, column_x(net.num_layers) + 200), self.rng.uniform(-400, 400))
        self.log.append(f"drag neuron {nid} by {end - start}")
        a = self.vp_point(start)
        self.press_move_release(a, a + (self.w.view.mapFromScene(end) - self.w.view.mapFromScene(start)),
                                between=between)

    def drag_edge(self, between=None):
        key = self.pick_edge()
        if key is None:
            return self.drag_neuron(between)
        dy = self.rng.choice([-300, -60, -5, 1, 5, 40, 250])
        self.log.append(f"drag edge {key} by {dy}px")
        a = self.vp_point(self.edge_point(key))
        modifier = self.rng.choice([Qt.NoModifier, Qt.NoModifier, Qt.ShiftModifier])
        self.press_move_release(a, a + QPoint(0, dy), modifier=modifier, between=between)

    def connect(self, between=None):
        net = self.w.model.network
        src = self.pick_neuron(lambda n: not net.is_output(n.id))
        dst = self.pick_neuron(lambda n: n.id != src) if self.rng.random() < 0.85 else None
        item = self.w.scene.neuron_items[src]
        a = self.vp_point(item.pos() + QPointF(RADIUS, 0))
        if dst is None:
            b = a + QPoint(self.rng.randint(-200, 200), self.rng.randint(-200, 200))
        else:
            b = self.w.view.mapFromScene(self.w.scene.neuron_items[dst].pos())
        self.log.append(f"connect {src} -> {dst or 'empty space'}")
        self.press_move_release(a, b, steps=self.rng.randint(2, 6), between=between)

    def click(self, key_or_nid, modifier=Qt.NoModifier):
        if isinstance(key_or_nid, tuple):
            p = self.vp_point(self.edge_point(key_or_nid))
        else:
            p = self.vp_point(self.w.scene.neuron_items[key_or_nid].pos() + QPointF(0, -RADIUS / 2))
        QTest.mouseClick(self.vp, Qt.LeftButton, modifier, p)

    def press_delete(self):
        self.w.view.setFocus()
        QTest.keyClick(self.vp, self.rng.choice([Qt.Key_Delete, Qt.Key_Delete, Qt.Key_Backspace]))
        if self.rng.random() < 0.3:
            self.process()
            self.w.window_actions.delete.trigger()

    def click_and_delete(self):
        targets = []
        for _ in range(self.rng.choice([1, 1, 2, 3])):
            t = self.pick_edge() if self.rng.random() < 0.4 else self.pick_neuron()
            if t is not None:
                targets.append(t)
        self.log.append(f"click {targets} and press Delete")
        for i, t in enumerate(targets):
            if t in self.w.scene.edge_items or t in self.w.scene.neuron_items:
                self.click(t, Qt.ControlModifier if i else Qt.NoModifier)
                self.process()
        self.press_delete()

    def delete_surface_neurons(self):
        """Delete a neuron that one of the surface's parameters belongs to: the surface must pick another pair
        (and say so) or, with fewer than two parameters left, say why it shows none."""
        w = self.w
        pair = w.surface.pair
        if pair is None:
            return self.add_hidden()
        net = w.model.network
        owners = []
        for name in pair:
            owners += name.split("->") if "->" in name else [name.removesuffix(".bias")]
        owners = [o for o in dict.fromkeys(owners) if o in net.neurons]
        # prefer neurons that can go (not the last input or output)
        deletable = [o for o in owners if not (net.neuron(o).layer == 0 and len(net.inputs) == 1)
                     and not (net.is_output(o) and len(net.outputs) == 1)]
        victim = self.rng.choice(deletable or owners)
        self.log.append(f"delete {victim}, owner of the surface's {pair}")
        self.surface_messages.clear()
        w.scene.clearSelection()
        self.click(victim)
        self.process()
        self.press_delete()
        if victim in net.neurons:
            return  # it could not go (the status says why)
        settle_pair(self.qtbot, w)
        self.pair_checks += 1
        new = w.surface.pair
        if new is None:
            assert len(net.parameter_names()) < 2
            assert "No two parameters" in w.surface_view.caption.text()
        else:
            assert all(net.has_parameter(p) for p in new) and new[0] != new[1]
            gone = [p for p in pair if not net.has_parameter(p)]
            if gone:
                assert new != pair
                said = [m for m in self.surface_messages if "is gone" in m]
                assert said, f"the surface picked {new} without saying so: {self.surface_messages}"
                assert all(p in said[-1] for p in gone) and new[0] in said[-1] and new[1] in said[-1], said[-1]
            assert (w.surface_view.x_combo.currentText(), w.surface_view.y_combo.currentText()) == new

    def rubber_band_delete(self):
        net = self.w.model.network
        layer = self.rng.randrange(net.num_layers)
        ys = [self.w.scene.neuron_items[n.id].pos().y() for n in net.layer(layer)] or [0.0]
        top_left = QPointF(column_x(layer) - 70, min(ys) - 50)
        bottom_right = QPointF(column_x(layer) + 70, max(ys) + 50)
        self.log.append(f"rubber-band layer {layer} and press Delete")
        self.w.scene.clearSelection()
        a = self.vp_point(top_left)
        b = self.w.view.mapFromScene(bottom_right)
        self.press_move_release(a, b)
        self.process()
        self.press_delete()

    def double_click_column(self):
        net = self.w.model.network
        layer = self.rng.randrange(-1, net.num_layers + 1)  # also just outside the columns
        ys = [self.w.scene.neuron_items[n.id].pos().y() for n in net] or [0.0]
        p = QPointF(column_x(layer) + self.rng.uniform(-40, 40), max(ys) + self.rng.uniform(60, 140))
        self.log.append(f"double-click at layer {layer}")
        QTest.mouseDClick(self.vp, Qt.LeftButton, Qt.NoModifier, self.vp_point(p))

    def double_click_edge(self):
        key = self.pick_edge()
        if key is None:
            return self.double_click_column()
        self.log.append(f"double-click edge {key}")
        QTest.mouseDClick(self.vp, Qt.LeftButton, Qt.NoModifier, self.vp_point(self.edge_point(key)))

    def context_menu(self):
        r = self.rng.random()
        if r < 0.4:
            nid = self.pick_neuron()
            target, what = self.w.scene.neuron_items[nid].pos(), nid
        elif r < 0.75 and self.w.scene.edge_items:
            key = self.pick_edge()
            target, what = self.edge_point(key), key
        else:
            net = self.w.model.network
            target = QPointF(column_x(self.rng.randrange(net.num_layers)), self.rng.uniform(-350, -250))
            what = "empty space"
        self.log.append(f"right-click {what}")
        p = self.vp_point(target)
        QTest.mousePress(self.vp, Qt.RightButton, Qt.NoModifier, p)
        self.process()
        QTest.mouseRelease(self.vp, Qt.RightButton, Qt.NoModifier, p)
        # what the platform sends after a right click (QTest does not)
        QApplication.sendEvent(self.vp, QContextMenuEvent(QContextMenuEvent.Mouse, p, self.vp.mapToGlobal(p)))

    # -------------------------------------------------------------- edits through the model and the panels
    def edit(self, text, change):
        error = self.w.model.edit(text, change)
        self.log.append(f"edit {text!r}: {error or 'done'}")

    def add_input(self):
        nid = self.w.scene.edits.new_id(0)
        to = self.pick_neuron(lambda n: n.layer > 0)
        y = self.rng.uniform(-200, 200)  # a position, as the canvas gives one (see the positions test below)
        self.edit(f"add input {nid} -> {to}", lambda n, p: (n.add_neuron(nid, 0), n.add_edge(nid, to, 0.3),
                                                             p.__setitem__(nid, (column_x(0), y))))

    def remove_input(self):
        nid = self.pick_neuron(lambda n: n.layer == 0)
        self.edit(f"remove input {nid}", lambda n, p: n.remove_neuron(nid))

    def add_hidden(self):
        net = self.w.model.network
        if net.num_layers < 3:
            return self.add_layer()
        layer = self.rng.randrange(1, net.output_layer)
        nid = self.w.scene.edits.new_id(layer)
        src = self.pick_neuron(lambda n: n.layer < layer)
        dst = self.pick_neuron(lambda n: n.layer > layer)
        act, y = self.rng.choice(["tanh", "relu", "sigmoid"]), self.rng.uniform(-200, 200)

        def change(n, p):
            n.add_neuron(nid, layer, act)
            n.add_edge(src, nid, round(self.rng.uniform(-1, 1), 3))
            n.add_edge(nid, dst, round(self.rng.uniform(-1, 1), 3))
            p[nid] = (column_x(layer), y)

        self.edit(f"add {nid} ({src} -> {nid} -> {dst})", change)

    def add_layer(self):
        self.log.append("Add Layer")
        self.w.window_actions.add_layer.trigger()

    def remove_layer(self):
        net = self.w.model.network
        if self.rng.random() < 0.5 or net.num_layers <= 2:
            self.log.append("Remove Last Hidden Layer")
            self.w.window_actions.remove_layer.trigger()
        else:
            layer = self.rng.randrange(0, net.num_layers)  # the inputs and the outputs are refused
            self.log.append(f"remove layer {layer}")
            self.w.scene.edits.remove_layer(layer)

    def set_activation(self):
        nid = self.pick_neuron(lambda n: n.layer > 0)
        act = self.rng.choice(ACTIVATION_NAMES)
        if self.rng.random() < 0.5:
            self.log.append(f"activation of {nid} -> {act} (scene)")
            self.w.scene.edits.set_activation(nid, act)
        else:
            self.edit(f"activation of {nid} -> {act}", lambda n, p: n.set_activation(nid, act))

    def set_loss(self):
        loss = self.rng.choice(LOSS_NAMES)
        box = self.w.training_panel.loss
        self.log.append(f"loss -> {loss}")
        box.setCurrentText(loss)
        box.activated.emit(box.currentIndex())

    def rename(self):
        nid = self.pick_neuron()
        self.log.append(f"rename {nid}")
        self.w.scene.edits.ask_rename(nid)

    def panel_value(self):
        """Select one item and type a value into the properties panel."""
        w = self.w
        w.scene.clearSelection()
        if self.rng.random() < 0.5 and w.scene.edge_items:
            key = self.pick_edge()
            w.scene.edge_items[key].setSelected(True)
            spin, what = w.panel.weight, key
        else:
            nid = self.pick_neuron(lambda n: n.layer > 0)
            w.scene.neuron_items[nid].setSelected(True)
            spin, what = w.panel.bias, nid
        if not spin.isVisible():
            return
        text = self.rng.choice(["2.5", "-0.75", "1000000", "abc", "1e3"])
        self.log.append(f"type {text} into the panel for {what}")
        spin.setFocus()
        spin.lineEdit().selectAll()
        QTest.keyClicks(spin.lineEdit(), text)
        QTest.keyClick(spin.lineEdit(), Qt.Key_Return)
        w.view.setFocus()

    # -------------------------------------------------------------- history and training
    def undo(self):
        n = self.rng.choice([1, 1, 1, 2, 5])
        self.log.append(f"undo x{n}")
        for _ in range(n):
            if self.rng.random() < 0.2:
                QTest.keyClick(self.w, Qt.Key_Z, Qt.ControlModifier)
            else:
                self.w.window_actions.undo.trigger()

    def redo(self):
        n = self.rng.choice([1, 1, 3])
        self.log.append(f"redo x{n}")
        for _ in range(n):
            self.w.window_actions.redo.trigger()

    def play_pause(self):
        r = self.rng.random()
        if r < 0.5:
            self.log.append("play")
            self.w.training.play()
        elif r < 0.75:
            self.log.append("pause")
            self.w.training.pause()
        else:
            self.log.append("Space on the canvas")
            self.w.view.setFocus()
            QTest.keyClick(self.w.view, Qt.Key_Space)

    def step(self):
        if self.rng.random() < 0.7:
            self.log.append("step")
            self.w.window_actions.step.trigger()
        else:
            self.log.append("step epoch")
            self.w.window_actions.epoch.trigger()

    def reset(self):
        self.log.append("reset")
        self.w.window_actions.reset.trigger()

    def learning_rate(self):
        p = self.w.training_panel
        if self.rng.random() < 0.7:
            text = self.rng.choice(["1000", "1000", "0.5", "0.05", "3", "1e-4", "abc", "0", "1e6"])
            self.log.append(f"learning rate {text}")
            p.lr_edit.setFocus()
            p.lr_edit.selectAll()
            QTest.keyClicks(p.lr_edit, text)
            QTest.keyClick(p.lr_edit, Qt.Key_Return)
            self.w.view.setFocus()
        else:
            v = self.rng.randint(p.lr_slider.minimum(), p.lr_slider.maximum())
            self.log.append(f"learning rate slider {v}")
            p.lr_slider.setValue(v)

    def optimizer(self):
        box = self.w.training_panel.optimizer
        i = self.rng.randrange(box.count())
        self.log.append(f"optimizer {box.itemText(i)}")
        box.setCurrentIndex(i)
        box.activated.emit(i)

    def batch(self):
        v = self.rng.choice([0, 1, 4, 32, 100000])
        self.log.append(f"batch {v}")
        self.w.training_panel.batch.setValue(v)

    def dataset(self):
        box = self.w.training_panel.dataset
        i = self.rng.randrange(box.count())
        self.log.append(f"dataset {box.itemText(i)}")
        box.setCurrentIndex(i)
        box.activated.emit(i)

    def generator(self):
        p = self.w.training_panel
        r = self.rng.random()
        if r < 0.4:
            self.log.append("regenerate")
            if p.regenerate.isVisible():
                QTest.mouseClick(p.regenerate, Qt.LeftButton)
        elif r < 0.7:
            v = self.rng.choice([1, 2, 7, 150])
            self.log.append(f"points {v}")
            p.points.setValue(v)
        else:
            v = self.rng.choice([0.0, 0.9, 0.5])
            self.log.append(f"test fraction {v}")
            p.test_fraction.setValue(v)

    def diverge(self):
        """A learning rate of 1000 on a run that can train: it diverges, pauses and offers the last finite
        weights."""
        w = self.w
        self.log.append("learning rate 1000 and play (to diverge)")
        p = w.training_panel
        p.lr_edit.selectAll()
        QTest.keyClicks(p.lr_edit, "1000")
        QTest.keyClick(p.lr_edit, Qt.Key_Return)
        w.training.play()
        with contextlib.suppress(Exception):  # a network the data does not fit cannot train, nor diverge
            self.qtbot.waitUntil(lambda: w.training.diverged != "", timeout=800)

    def restore(self):
        if self.w.banner.isVisible() and self.w.banner.restore.isVisible():
            self.log.append("go back (the banner's button)")
            QTest.mouseClick(self.w.banner.restore, Qt.LeftButton)
        else:
            self.log.append("Go Back (Training menu)")
            self.w.window_actions.restore.trigger()

    # -------------------------------------------------------------- the gradient views
    def surface_pair(self):
        names = self.w.model.network.parameter_names()
        if not names:
            return
        x, y = self.rng.choice(names), self.rng.choice(names)
        if self.rng.random() < 0.5:
            self.log.append(f"surface pair {x}, {y}")
            self.w.surface.choose(x, y)
        else:
            view = self.w.surface_view
            combo = self.rng.choice([view.x_combo, view.y_combo])
            i = self.rng.randrange(combo.count()) if combo.count() else -1
            self.log.append(f"surface box -> {combo.itemText(i)}")
            combo.setCurrentIndex(i)
            combo.activated.emit(i)

    def span(self):
        v = self.rng.choice([0.01, 0.5, 3.0, 1000.0])
        self.log.append(f"span {v}")
        self.w.surface_view.span.setValue(v)

    def drag_point(self, between=None):
        """Drag the surface's current point with the mouse."""
        view = self.w.surface_view
        if view.surface is None or self.w.surface.pair is None or not view.point.isVisible():
            return
        vb, gv = view.plot_item.vb, view.plot_widget
        p = view.point.pos()
        a = gv.mapFromScene(vb.mapViewToScene(p))
        b = a + QPoint(self.rng.randint(-80, 80), self.rng.randint(-80, 80))
        self.log.append(f"drag the surface point by {b - a}")
        QTest.mousePress(gv.viewport(), Qt.LeftButton, Qt.NoModifier, a)
        for i in range(1, 5):
            self.process()
            QTest.mouseMove(gv.viewport(), a + (b - a) * i / 4)
            if between is not None and i == 2:
                self.process()
                between()
        self.process()
        QTest.mouseRelease(gv.viewport(), Qt.LeftButton, Qt.NoModifier, b)

    def race(self):
        self.log.append("race")
        QTest.mouseClick(self.w.surface_view.race, Qt.LeftButton)

    def gradients(self):
        self.log.append("gradient overlay")
        self.w.window_actions.gradients.trigger()

    def labels(self):
        self.log.append("weight labels")
        self.w.window_actions.labels.trigger()

    def zoom(self):
        a = self.rng.choice([self.w.window_actions.zoom_in, self.w.window_actions.zoom_out, self.w.window_actions.fit])
        self.log.append(a.text())
        a.trigger()

    SHORTCUTS = [(Qt.Key_S, Qt.NoModifier), (Qt.Key_E, Qt.NoModifier), (Qt.Key_Space, Qt.NoModifier),
                 (Qt.Key_A, Qt.ControlModifier), (Qt.Key_Z, Qt.ControlModifier),
                 (Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier), (Qt.Key_G, Qt.ControlModifier),
                 (Qt.Key_L, Qt.ControlModifier), (Qt.Key_R, Qt.ControlModifier), (Qt.Key_Delete, Qt.NoModifier),
                 (Qt.Key_L, Qt.ControlModifier | Qt.ShiftModifier), (Qt.Key_0, Qt.ControlModifier),
                 (Qt.Key_Plus, Qt.ControlModifier)]

    def keys(self):
        """A keyboard shortcut on the canvas."""
        key, mod = self.rng.choice(self.SHORTCUTS)
        self.log.append(f"key {QKeySequence(key | mod).toString()}")
        if not self.w.view.hasFocus():
            self.w.view.setFocus()
        QTest.keyClick(self.vp, key, mod)

    def menu_by_keyboard(self):
        """An Edit or Training menu item chosen with the keyboard (Alt+E …)."""
        w = self.w
        acts = w.window_actions
        a = self.rng.choice([acts.remove_layer, acts.add_layer, acts.reset, acts.restore, acts.select_all,
                             acts.delete, acts.undo, acts.redo, acts.epoch])
        self.log.append(f"menu {a.text()}")
        if a.isEnabled():
            a.trigger()

    def drag_with_interruption(self):
        """A drag with something else in the middle of it, as far as a user holding the mouse button can: a
        shortcut, a menu item chosen with the keyboard, and training going on."""
        interrupt = self.rng.choice([self.keys, self.keys, self.keys, self.menu_by_keyboard,
                                     lambda: self.qtbot.wait(60)])
        gesture = self.rng.choice([self.drag_edge, self.drag_edge, self.drag_neuron, self.connect,
                                   self.drag_point, self.drag_point])

        def between():
            self.log.append("  (during the drag:)")
            interrupt()

        gesture(between=between)

    # -------------------------------------------------------------- driving
    def scenarios(self):
        """What every sequence must do several times, whatever the dice say."""
        return [self.delete_surface_neurons, self.diverge, self.add_input, self.delete_surface_neurons,
                self.remove_layer, self.dataset, self.remove_input, self.delete_surface_neurons, self.add_layer,
                self.add_hidden]

    MAX_NEURONS = 12  # larger networks only make each step slower: deletions instead

    def one(self, i: int):
        if len(self.w.model.network.neurons) > self.MAX_NEURONS:
            action = self.rng.choice([self.click_and_delete, self.delete_surface_neurons, self.remove_layer,
                                      self.remove_input, self.undo])
        elif i % 20 == 10:
            scenarios = self.scenarios()
            action = scenarios[(i // 20) % len(scenarios)]
        else:
            weights, actions = zip(*self.actions)
            action = self.rng.choices(actions, weights)[0]
        t0 = time.perf_counter()
        net = self.w.model.network
        inputs, layers = len(net.inputs), net.num_layers
        action()
        self.process()
        self.qtbot.wait(self.rng.choice([0, 0, 1, 5, 15, 40]))
        self.width_changes += len(net.inputs) != inputs
        self.layers_removed += net.num_layers < layers
        name, spent = action.__name__, time.perf_counter() - t0
        self.time_spent[name] = self.time_spent.get(name, 0.0) + spent
        if spent > 0.3 and os.environ.get("BPGUI_ABUSE_PROFILE"):
            print(f"slow {spent:.2f}s {self.log[-1]!r} ({len(self.w.model.network.neurons)} neurons, "
                  f"data {type(self.w.model.doc.data).__name__})", file=sys.stderr)


def test_random_abuse_while_training_leaves_a_consistent_window(qtbot, window, monkeypatch):
    w = window
    rng = random.Random(SEED)
    start = w.model.state()
    start_pair = w.surface.pair
    worker_errors: list[str] = []
    diverged: list[str] = []
    w.training.sigDiverged.connect(lambda m: m and diverged.append(m))
    w.training.sigError.connect(worker_errors.append)
    w.surface.worker.sigError.connect(worker_errors.append)
    abuser = Abuser(qtbot, w, rng, monkeypatch)
    abuser.diverge()  # the abuse starts from a run that diverged, with a learning rate of 1000
    assert diverged
    with failing_excepthook() as errors, no_modal_dialogs() as dialogs:
        try:
            t0 = time.monotonic()
            for i in range(ACTIONS):
                if i >= MIN_ACTIONS and time.monotonic() - t0 > BUDGET:
                    abuser.log.append(f"--- stopped after {i} actions: the time budget is spent")
                    break
                abuser.log.append(f"--- {i}")
                abuser.one(i)
                assert not errors, "an exception reached the event loop"
                assert not worker_errors, "a worker reported an internal error"
                assert not dialogs, f"a modal dialog was left open: {dialogs}"
                if not w.scene.busy:
                    check_canvas(w)
                if rng.random() < 0.15 and not w.training.playing:
                    w.training.play()  # mostly training
            assert not w.scene.busy
            t_sequence = time.monotonic() - t0
            # ---- afterwards: everything agrees
            settle_training(qtbot, w)
            w.model.network.validate()
            assert not w.model.live_change and w.model.training_before is None
            settle_surface(qtbot, w)
            qtbot.wait(50)
            check_canvas_in_detail(w)
            check_surface(w)
            check_status(w)
            check_panels(w)
            snap = w.training.latest
            if snap.problem is None and snap.finite:
                assert snap.parameters == w.model.network.parameters()
            assert snap.names == tuple(w.model.network.parameter_names())
            # ---- undoing everything gives back the starting document, redoing everything the final one
            final = w.model.state()
            undone = 0
            while w.window_actions.undo.isEnabled():
                w.window_actions.undo.trigger()
                undone += 1
                assert undone < 10_000
            assert w.model.network.same_as(start.network)
            assert w.model.state().same_as(start), "undoing everything did not give back the starting document"
            assert not w.model.is_modified() and not w.isWindowModified()
            settle_pair(qtbot, w)
            check_canvas_in_detail(w)
            qtbot.waitUntil(lambda: w.training.latest.generation == w.training.generation)
            assert w.training.latest.problem is None
            assert w.training.latest.parameters == start.network.parameters()
            settle_surface(qtbot, w)
            check_surface(w)
            for _ in range(undone):  # (there may be more to redo: the sequence may have ended with undos)
                assert w.window_actions.redo.isEnabled()
                w.window_actions.redo.trigger()
            assert w.model.network.same_as(final.network)
            assert w.model.doc.training == final.training and w.model.doc.data == final.data
            settle_pair(qtbot, w)
            check_canvas_in_detail(w)
            settle_training(qtbot, w)
            settle_surface(qtbot, w)
            check_surface(w)
            # the window still trains
            if dataset_ok(w) and w.training.latest.problem is None:
                w.window_actions.reset.trigger()
                qtbot.waitUntil(lambda: w.training.latest.generation == w.training.generation
                                and w.training.latest.step == 0)
                w.window_actions.step.trigger()
                qtbot.waitUntil(lambda: w.training.latest.step == 1)
            assert not errors and not worker_errors and not dialogs
        except BaseException:
            tail = "\n".join(abuser.log[-80:])
            print(f"\nabuse seed {SEED}, {len(abuser.log)} log lines; the last ones:\n{tail}\n"
                  f"start pair {start_pair}, now {w.surface.pair}; status {w.status.text()!r}; "
                  f"run {w.run_status.text()!r}", file=sys.stderr)
            for e in errors:
                print(e, file=sys.stderr)
            raise
    if os.environ.get("BPGUI_ABUSE_PROFILE"):
        print(f"sequence {t_sequence:.1f} s, checks {time.monotonic() - t0 - t_sequence:.1f} s", file=sys.stderr)
        print(sorted(abuser.time_spent.items(), key=lambda kv: -kv[1]), file=sys.stderr)
    # the sequence did what it is meant to do
    assert abuser.pair_checks >= 3, "the surface's parameters were hardly ever deleted"
    assert abuser.width_changes >= 3, "the data's width hardly ever changed"
    assert abuser.layers_removed >= 1, "no layer was removed"


# ---------------------------------------------------------------------------------------------------- what it found
# The bugs the abuse test found, one test each; each failed on the code before its fix (4d26b94), and the
# docstrings say what went wrong.
def test_race_with_data_the_network_cannot_use_is_refused_with_the_reason(qtbot, window):
    """Found by the abuse test: Race while the data did not fit the network (here a third input) ran the race
    anyway, which failed in the surface thread and was reported as an internal error ("The optimizer race failed:
    DocumentError: data.inputs has 2 columns; …", SurfaceController.race). It is refused at once, with the
    reason."""
    w = window
    assert w.model.edit("x3", lambda n, p: (n.add_neuron("x3", 0), n.add_edge("x3", "h1", 0.5),
                                            p.__setitem__("x3", (column_x(0), 120.0)))) is None
    qtbot.waitUntil(lambda: "cannot be drawn" in w.surface_view.caption.text())
    with qtbot.assertNotEmitted(w.surface.worker.sigError, wait=1000):
        QTest.mouseClick(w.surface_view.race, Qt.LeftButton)
    assert "3 input" in w.status.text() and "failed" not in w.status.text(), w.status.text()


def test_choosing_the_only_parameter_in_both_boxes_raises_nothing(qtbot, window):
    """Found by the abuse test: with one parameter left the surface shows no pair (``pair`` is None); choosing
    that parameter in both boxes raised ``TypeError: Value after * must be an iterable, not NoneType`` in a slot
    (SurfaceController.choose: ``*self.pair``)."""
    w = window
    assert w.model.edit("one bias", lambda n, p: [n.remove_neuron(k) for k in ("h1", "h2", "x2")]) is None
    qtbot.waitUntil(lambda: w.surface.pair is None)
    view = w.surface_view
    assert [view.x_combo.itemText(i) for i in range(view.x_combo.count())] == ["y1.bias"]
    with failing_excepthook() as errors:
        for combo in (view.x_combo, view.y_combo):
            combo.setCurrentIndex(0)
            combo.activated.emit(0)
    assert not errors, errors[0]
    assert w.surface.pair is None and "two different" in w.status.text()
    assert "No two parameters" in view.caption.text()


def test_weights_too_large_for_a_grid_clear_the_surface_with_the_reason(qtbot, window):
    """Found by the abuse test: a parameter of the surface's pair so large that centre ± span rounds to one
    number (|value| above about 1e16 for the default span; a learning rate of 1000 leaves weights near 1e21 before
    the loss overflows) made the surface thread fail with an internal error ("The surface could not be computed:
    ValueError: the x range must be two finite numbers with low < high"; SurfaceController._request passed
    centre ± span unchecked), and ``settled`` never became True: ``bpgui screenshot`` of such a valid document
    waited the whole 60 s of MainWindow.wait_for_views."""
    w = window
    with qtbot.assertNotEmitted(w.surface.worker.sigError, wait=1500):
        assert w.model.edit("huge", lambda n, p: n.set_weight("h1", "y1", 3e21)) is None
    qtbot.waitUntil(lambda: w.surface.settled, timeout=5000)
    assert w.surface.result is not None or "h1->y1" in w.surface_view.caption.text()


def test_a_surface_computed_before_the_data_stopped_fitting_is_not_drawn_after(qtbot, window, monkeypatch):
    """Found by the abuse test: when the data stopped fitting the network while a surface was being computed,
    the views were cleared with the reason (SurfaceController._clear_views) but the computation under way was not
    dropped: its result arrived as the latest request's and was drawn, a stale landscape under a caption saying
    that there is none."""
    import bpgui.ui.surface.surface_worker as sc

    w = window
    s, view = w.surface, w.surface_view
    gate, results = threading.Event(), []
    compute = sc.surface

    def held_surface(*args, **kwargs):  # the surface thread waits here until the edit below is made
        gate.wait(10)
        return compute(*args, **kwargs)

    monkeypatch.setattr(sc, "surface", held_surface)
    s.worker.sigResult.connect(lambda r: results.append(r.id), Qt.DirectConnection)
    view.span.setValue(2.5)  # a new surface is computed ...
    qtbot.waitUntil(lambda: s._in_flight)
    assert w.model.edit("x3", lambda n, p: (n.add_neuron("x3", 0), n.add_edge("x3", "h1", 0.5),  # ... and now
                                            p.__setitem__("x3", (column_x(0), 120.0)))) is None  # it cannot be
    qtbot.waitUntil(lambda: "cannot be drawn" in view.caption.text())
    gate.set()
    qtbot.waitUntil(lambda: len(results) >= 2)  # the coarse and the fine grid of the computation under way
    qtbot.wait(50)
    assert "cannot be drawn" in view.caption.text()
    assert view.surface is None and s.result is None, "a stale surface is drawn"


def _start_weight_drag(w, edge=("h1", "y1")):
    vp = w.view.viewport()
    a = w.view.mapFromScene(w.scene.edge_items[edge].path().pointAtPercent(0.5))
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, a)
    QTest.mouseMove(vp, a - QPoint(0, 10))
    QApplication.processEvents()
    return vp, a


def _start_point_drag(w):
    view = w.surface_view
    gv = view.plot_widget
    a = gv.mapFromScene(view.plot_item.vb.mapViewToScene(view.point.pos()))
    QTest.mousePress(gv.viewport(), Qt.LeftButton, Qt.NoModifier, a)
    for d in (10, 20):
        QTest.mouseMove(gv.viewport(), a + QPoint(d, d))
        QApplication.processEvents()
    assert w.model.live_change
    return gv.viewport(), a


def _finish_drag(vp, a, d=None):
    d = QPoint(40, 30) if d is None else d
    QTest.mouseMove(vp, a + d)
    QApplication.processEvents()
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, a + d)
    QApplication.processEvents()


@pytest.mark.parametrize("interrupt", ["Remove Last Hidden Layer (Edit menu, by keyboard)", "Ctrl+N"])
def test_edits_and_new_documents_wait_while_an_edge_is_dragged(qtbot, window, interrupt):
    """Found by the abuse test: during a weight drag on the canvas Delete, Undo and Redo waited for its end
    (``scene.busy``), but other edits made with the keyboard did not: Edit > Remove Last Hidden Layer removed the
    dragged edge, and File > New (Ctrl+N; nothing asks, the drag has not made the document modified yet) replaced
    the whole document. The next mouse move raised NetworkError "unknown neuron 'h1'" in
    NetworkScene.mouseMoveEvent (``set_weight`` of an edge that is gone), and the release recorded the drag with a
    ``before`` from another state."""
    w = window
    with failing_excepthook() as errors:
        vp, a = _start_weight_drag(w)
        if interrupt.startswith("Remove"):
            w.window_actions.remove_layer.trigger()
        else:
            QTest.keyClick(vp, Qt.Key_N, Qt.ControlModifier)
        QApplication.processEvents()
        _finish_drag(vp, a, QPoint(0, -30))
        assert not errors, errors[0] if errors else None
    check_canvas(w)


def test_undo_during_a_surface_drag_keeps_the_history(qtbot, window):
    """Found by the abuse test: Undo (Ctrl+Z) while the surface's point was dragged was not held back as during
    a canvas drag (MainWindow.undo checked ``scene.busy`` only): it undid the last edit, then the drag's end
    recorded a step whose ``before`` (the state at the drag's start) still had that edit. The undone edit's step
    was dropped, and undoing everything no longer gave back the opened document."""
    w = window
    start = w.model.network.copy()
    w.scene.edits.set_activation("h1", "relu")
    qtbot.waitUntil(lambda: w.surface.settled)
    vp, a = _start_point_drag(w)
    QTest.keyClick(w.view.viewport(), Qt.Key_Z, Qt.ControlModifier)
    QApplication.processEvents()
    _finish_drag(vp, a)
    while w.window_actions.undo.isEnabled():
        w.window_actions.undo.trigger()
    assert w.model.network.same_as(start), "undoing everything does not give back the opened document"


def test_a_surface_drag_that_loses_its_pair_ends_cleanly(qtbot, window):
    """Found by the abuse test: Edit > Remove Last Hidden Layer (by keyboard) while the surface's point was
    dragged left fewer than two parameters, so the surface's pair became None, and the drag's end
    (SurfaceController._drag_finished, which checked ``pair is not None``) neither committed nor cancelled the live
    change: ``model.live_change`` stayed True for good, and TrainingController._show never again wrote the trained
    weights into the document (the canvas stood still while the run went on)."""
    w = window
    vp, a = _start_point_drag(w)
    w.window_actions.remove_layer.trigger()
    QApplication.processEvents()
    _finish_drag(vp, a)
    assert not w.model.live_change, "the document is stuck in a live change"
    if "h1" not in w.model.network.neurons:  # (a fix may as well refuse to remove the layer during the drag)
        assert w.model.edit("Add h1", lambda n, p: (n.add_neuron("h1", 1, "tanh"), n.add_edge("x1", "h1", 0.5),
                                                     n.add_edge("h1", "y1", 0.5))) is None
    before = w.model.network.parameters()
    w.training.step()
    qtbot.waitUntil(lambda: w.training.latest.step >= 1 and w.training.latest.generation == w.training.generation)
    settle_training(qtbot, w)
    assert w.model.network.parameters() != before, "training no longer reaches the document"


def test_a_new_document_during_a_surface_drag_gets_none_of_the_old_history(qtbot, window):
    """Found by the abuse test: File > New (Ctrl+N) while the surface's point was dragged replaced the document
    without ending the drag; the rest of the drag set the new document's pair, and its end pushed onto the *new*
    document's undo stack a step whose ``before`` was the *old* document (SurfaceController._drag_before). Undo
    in the new document brought the old network back."""
    w = window
    vp, a = _start_point_drag(w)
    QTest.keyClick(w.view.viewport(), Qt.Key_N, Qt.ControlModifier)
    QApplication.processEvents()
    _finish_drag(vp, a)
    model = w.model
    new = model.network.copy()
    while w.window_actions.undo.isEnabled():
        w.window_actions.undo.trigger()
    assert w.model is model
    assert set(w.model.network.neurons) <= set(new.neurons), "undo brought the old document's network back"


def test_without_a_pair_the_surface_settles_after_a_data_change(qtbot, window):
    """Found by the abuse test (minor): with fewer than two parameters the surface has no pair; a change of the
    data then scheduled a computation (``_dirty``) that SurfaceController._request dropped without clearing
    ``_dirty``, so ``settled`` stayed False for good (MainWindow.wait_for_views, used headless, waited its whole
    timeout)."""
    w = window
    assert w.model.edit("one bias", lambda n, p: [n.remove_neuron(k) for k in ("h1", "h2")]) is None
    qtbot.waitUntil(lambda: w.surface.pair is None and w.surface.settled)
    box = w.training_panel.dataset
    i = box.findData("circles")
    box.setCurrentIndex(i)
    box.activated.emit(i)
    assert w.model.doc.data.generator == "circles"
    qtbot.waitUntil(lambda: w.surface.settled, timeout=2000)


def test_a_neuron_added_without_a_position_keeps_the_one_the_canvas_gave_it(qtbot, window):
    """Found by the abuse test (minor; the model's API, not a gesture: every gesture gives a new neuron a
    position): ``DocumentModel.edit`` with a change that adds a neuron and no position for it. The canvas gives it
    a default position and stores it in ``model.positions`` (NetworkScene.rebuild, run by the network's change in
    the middle of DocumentModel.restore), but restore then replaces ``model.positions`` with the command's
    EditState, which has none for it. The model and the canvas disagree, and every later rebuild re-centres the
    neuron: it jumps when another neuron joins its column. A fix: restore keeps the position the canvas gave a
    neuron the snapshot has none for (or NetworkScene._on_positions_change fills in the defaults again)."""
    w = window
    assert w.model.edit("Add h3", lambda n, p: (n.add_neuron("h3", 1), n.add_edge("x1", "h3", 0.25),
                                                 n.add_edge("h3", "y1", -0.5))) is None
    pos = w.scene.neuron_items["h3"].pos()
    assert w.model.positions.get("h3") == (pos.x(), pos.y()), "the model has no position for h3"
    w.scene.edits.add_neuron_at(QPointF(column_x(1), pos.y() + 200))  # another neuron in its column, by the canvas
    assert w.scene.neuron_items["h3"].pos() == pos, "h3 jumped"


# ---------------------------------------------------------------------------------------------------- untrusted files
#: the documents of the corpus whose only fault is data that does not fit the network: the command line refuses
#: them, but the window opens them (a document saved part way through an edit, e.g. by autosave) and says why it
#: cannot train (DocumentModel.open loads with ``fit_data=False``)
OPENED_BY_THE_WINDOW = {"generator_2d_with_3_inputs.json", "generator_classes_with_3_outputs.json",
                        "table_inputs_wrong_width.json", "table_targets_wrong_width.json"}


def malformed_files() -> list[Path]:
    return sorted(p for p in MALFORMED.iterdir() if p.is_file() and p.name != "expected.json")


def test_the_corpus_has_an_expected_message_for_every_file():
    expected = json.loads((MALFORMED / "expected.json").read_text())
    assert sorted(expected) == [p.name for p in malformed_files()]
    assert OPENED_BY_THE_WINDOW <= set(expected)


def test_every_malformed_file_is_refused_by_the_window_and_the_document_is_kept(qtbot, window, monkeypatch,
                                                                               tmp_path):
    w = window
    expected = json.loads((MALFORMED / "expected.json").read_text())
    cases = [(p, expected[p.name]) for p in malformed_files() if p.name not in OPENED_BY_THE_WINDOW]
    cases += [(tmp_path / "missing.json", "no such file"), (tmp_path, "is a folder, not a file")]
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: shown.append((title, text)))
    # the open document: saved under a name, then changed (unsaved) and trained a step
    own = tmp_path / "mine.json"
    assert w.files.save_to(own)
    assert w.model.edit("add h3", lambda n, p: (n.add_neuron("h3", 1, "relu"), n.add_edge("x1", "h3", 0.5),
                                                 n.add_edge("h3", "y1", -0.25),
                                                 p.__setitem__("h3", (column_x(1), 150.0)))) is None
    w.training.step()
    qtbot.waitUntil(lambda: w.training.latest.step == 1)
    settle_training(qtbot, w)
    settle_surface(qtbot, w)
    model, before, title = w.model, w.model.state(), w.windowTitle()
    undo_count, undo_text = model.undo_stack.count(), model.undo_stack.undoText()
    pair, recent = w.surface.pair, [a.toolTip() for a in w.files.recent_menu.actions()]
    asked = []
    monkeypatch.setattr(w.files, "ask_save_changes", lambda: asked.append(1) or QMessageBox.Discard)
    failures = []
    with failing_excepthook() as errors, no_modal_dialogs() as dialogs:
        for path, message in cases:
            shown.clear()
            w.last_error = None
            try:
                assert w.open_path(path) is False, "opened"
                assert len(shown) == 1, f"{len(shown)} messages"
                assert shown[0] == ("Cannot open", w.last_error)
                assert w.last_error.startswith(f"{path}: "), w.last_error
                assert message in w.last_error, w.last_error
                assert w.status.text() == w.last_error
                assert w.model is model and model.path == own
                assert model.state().same_as(before)
                assert model.is_modified() and w.windowTitle() == title and w.isWindowModified()
                assert (model.undo_stack.count(), model.undo_stack.undoText()) == (undo_count, undo_text)
                assert [a.toolTip() for a in w.files.recent_menu.actions()] == recent
                check_canvas(w)
                assert not errors and not dialogs
            except AssertionError as e:
                failures.append(f"{path.name}: {e}")
                errors.clear()
                if w.model is not model:
                    failures.append("(the document was replaced: the files after it were not tried)")
                    break
        assert not failures, "\n".join(failures)
        assert len(asked) == len(cases)  # the unsaved changes were offered each time, and kept
        # the window still works on its document: it trains, and the surface still shows its pair
        assert w.surface.pair == pair
        step = w.training.latest.step
        w.training.step()
        qtbot.waitUntil(lambda: w.training.latest.step == step + 1)
        settle_training(qtbot, w)
        settle_surface(qtbot, w)
        check_surface(w)
        check_canvas_in_detail(w)
        w.last_error = None
        assert w.open_path(own, ask=False)  # and a good file still opens
        assert w.model is not model and w.model.path == own and w.last_error is None
        assert not errors and not dialogs


@pytest.mark.parametrize("name", sorted(OPENED_BY_THE_WINDOW))
def test_a_document_whose_data_does_not_fit_opens_and_says_why_it_cannot_train(qtbot, window, monkeypatch, name):
    w = window
    expected = json.loads((MALFORMED / "expected.json").read_text())[name]
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    path = MALFORMED / name
    with failing_excepthook() as errors, no_modal_dialogs() as dialogs:
        assert w.open_path(path) is True and not shown
        assert w.model.path == path
        qtbot.waitUntil(lambda: w.training.latest is not None and w.training.latest.problem is not None)
        problem = w.training.latest.problem
        assert "Cannot train" in w.run_status.text() and w.run_status.text() == problem
        assert expected.split(": ", 1)[-1] in problem or "input" in problem or "output" in problem, problem
        settle_surface(qtbot, w)
        check_surface(w)
        check_canvas_in_detail(w)
        w.training.play()
        qtbot.wait(200)
        assert not w.training.playing and w.training.latest.step == 0
        assert not errors and not dialogs
