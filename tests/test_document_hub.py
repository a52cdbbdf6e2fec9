"""The document hub: one object for the window's life that holds the open document and re-emits its signals, so
every view connects once; the document's data set, made once; positions that change through the model."""

from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from bpgui.core import document as core_document
from bpgui.core.document import load_document
from bpgui.resources import example_paths
from bpgui.ui.document.document_hub import DocumentHub
from bpgui.ui.document.document_model import DocumentModel
from bpgui.ui.editor.network_items import default_positions


def xor_model() -> DocumentModel:
    return DocumentModel(load_document(example_paths()["xor"]))


def test_the_hub_re_emits_the_open_documents_signals_and_only_its(qtbot):
    first, second = xor_model(), xor_model()
    hub = DocumentHub(first)
    changes, settings, replaced = [], [], []
    hub.sigNetworkChanged.connect(changes.append)
    hub.sigSettingsChanged.connect(lambda: settings.append(1))
    hub.sigDocumentReplaced.connect(replaced.append)
    first.network.set_weight("x1", "h1", 0.25)
    assert [c.kind for c in changes] == ["set_weight"] and changes[0].parameters == ("x1->h1",)
    hub.replace(second)
    assert replaced == [second] and hub.model is second and second.parent() is hub
    first.network.set_weight("x1", "h1", 0.5)  # the old document is no longer heard
    first.sigSettingsChanged.emit()
    assert len(changes) == 1 and settings == []
    second.network.set_bias("h1", 0.125)
    assert changes[-1].parameters == ("h1.bias",) and not changes[-1].structural
    second.edit("add", lambda n, p: n.add_neuron("h9", 1))
    assert changes[-1].structural


def test_undo_changes_reach_the_hub(qtbot):
    hub = DocumentHub(xor_model())
    undo, clean = [], []
    hub.sigUndoChanged.connect(lambda: undo.append(1))
    hub.sigCleanChanged.connect(clean.append)
    assert hub.model.edit("w", lambda n, p: n.set_weight("x1", "h1", 2.0)) is None
    assert undo and clean == [False]
    hub.model.undo()
    assert clean == [False, True]


def test_opening_documents_needs_no_reconnection(make_window, tmp_path):
    """The views follow the hub: after New and Open, every view shows the new document, and the old model goes."""
    w = make_window()
    old = w.model
    path = tmp_path / "circles.json"
    path.write_bytes(example_paths()["circles"].read_bytes())
    assert w.files.open_path(path)
    new = w.model
    assert new is not old and w.hub.model is new
    assert set(w.scene.neuron_items) == set(new.network.neurons)
    assert w.training_panel.lr_edit.text() == f"{new.doc.training.learning_rate:g}"
    assert w.windowTitle().startswith("circles.json")
    QApplication.sendPostedEvents(None, QEvent.DeferredDelete)  # the old model is deleted once the views moved on
    gc.collect()
    with pytest.raises(RuntimeError):
        old.undo_stack.count()
    # an edit of the new document reaches the canvas, the training run and the title
    assert new.edit("add", lambda n, p: n.add_neuron("h9", 1)) is None
    assert "h9" in w.scene.neuron_items and w.isWindowModified()
    w.files.new_document()
    assert set(w.scene.neuron_items) == {"x1", "x2", "y1"}


def test_the_data_set_is_made_once_per_data_and_structure(qtbot, monkeypatch):
    made = []
    real = core_document.Document.dataset
    monkeypatch.setattr(core_document.Document, "dataset", lambda self: made.append(1) or real(self))
    model = xor_model()
    first = model.dataset()
    assert model.dataset() is first and len(made) == 1
    model.edit("w", lambda n, p: n.set_weight("x1", "h1", 1.5))  # values only: the same data set
    assert model.dataset() is first and len(made) == 1
    model.edit("add", lambda n, p: n.add_neuron("h9", 1))  # the structure changed: made again
    assert model.dataset() is not first and len(made) == 2
    cfg = model.doc.training.copy()
    model.edit_settings("s", data=core_document.GeneratorData("circles", 50, 0.0, 0.0, 3))
    # the data set the edit was checked with is the one shown: not made again
    assert len(model.dataset().x_train) == 50 and len(made) == 2 and cfg == model.doc.training
    model.undo()  # the former data: made again
    assert len(model.dataset().x_train) == 4 and len(made) == 3


def test_data_that_does_not_fit_says_why(qtbot):
    model = xor_model()
    model.edit("add", lambda n, p: n.add_neuron("x3", 0))
    assert model.dataset() is None and "input" in model.data_problem


def test_training_with_nothing_selected_makes_the_data_set_once(make_window, qtbot, monkeypatch):
    """The window used to rebuild the data set up to four times a second while training with nothing selected."""
    made = []
    real = core_document.Document.dataset
    monkeypatch.setattr(core_document.Document, "dataset", lambda self: made.append(1) or real(self))
    w = make_window()
    w.training.play()
    qtbot.waitUntil(lambda: w.training.latest.step > 2000, timeout=10_000)
    qtbot.wait(600)
    w.training.pause()
    assert len(made) <= 1


def test_neurons_without_a_place_get_one_through_the_model(qtbot):
    """Default places go into the model's positions (no undo step, and no signal: nothing on show moves)."""
    from bpgui.ui.editor.network_scene import NetworkScene

    model = xor_model()
    model.positions.clear()
    hub = DocumentHub(model)
    moved = []
    hub.sigPositionsChanged.connect(lambda: moved.append(1))
    scene = NetworkScene(hub)
    assert model.positions == default_positions(model.network, {})
    assert not model.is_modified() and model.undo_stack.count() == 0 and not moved
    assert {k: (it.pos().x(), it.pos().y()) for k, it in scene.neuron_items.items()} == model.positions
    # an edit that adds a neuron without a place: no neuron on show moves, so no announcement; the canvas's
    # default place for it goes into the model
    assert model.edit("add", lambda n, p: (n.add_neuron("h3", 1), n.add_edge("x1", "h3", 0.25))) is None
    assert not moved and model.positions["h3"] == (scene.neuron_items["h3"].x(), scene.neuron_items["h3"].y())
