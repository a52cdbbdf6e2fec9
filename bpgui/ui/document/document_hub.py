"""The open document, for the window's whole life: one object that holds the current :class:`DocumentModel` and
re-emits its signals, so that every view connects once.

Opening or creating a document swaps what the hub holds (:meth:`DocumentHub.replace`): the hub moves its
connections to the new model, emits :attr:`DocumentHub.sigDocumentReplaced`, and drops the old model. No view
keeps a model of its own or disconnects anything by hand.

The hub owns the model (it is the model's parent). When the window goes, Qt cuts the hub's connections before it
deletes the model, so a dying undo stack's last signals reach nobody.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from .document_model import DocumentModel


class DocumentHub(QObject):
    #: another document is open now (the new :class:`DocumentModel`); the views show it from scratch
    sigDocumentReplaced = Signal(object)
    #: the network changed (the core's Change: ``.structural``, ``.parameters``)
    sigNetworkChanged = Signal(object)
    #: neuron positions on the canvas changed
    sigPositionsChanged = Signal()
    #: the training or data settings changed
    sigSettingsChanged = Signal()
    #: the document was saved under another name
    sigPathChanged = Signal()
    #: unsaved training results appeared or were recorded as an undo step
    sigTrainingPending = Signal()
    #: the undo stack moved (an edit, undo or redo)
    sigIndexChanged = Signal(int)
    #: the undo stack reached or left the saved state
    sigCleanChanged = Signal(bool)
    #: what Undo and Redo can do changed (availability or text)
    sigUndoChanged = Signal()

    def __init__(self, model: DocumentModel, parent=None):
        super().__init__(parent)
        self._model = model
        self._attach(model)

    @property
    def model(self) -> DocumentModel:
        return self._model

    def replace(self, model: DocumentModel) -> None:
        """Hold ``model`` from now on; the previous model is deleted once the views have moved on."""
        old = self._model
        self._detach(old)
        self._model = model
        self._attach(model)
        self.sigDocumentReplaced.emit(model)
        self.sigUndoChanged.emit()
        old.deleteLater()

    def _pairs(self, model: DocumentModel):
        st = model.undo_stack
        return ((model.sigNetworkChanged, self.sigNetworkChanged),
                (model.sigPositionsChanged, self.sigPositionsChanged),
                (model.sigSettingsChanged, self.sigSettingsChanged),
                (model.sigPathChanged, self.sigPathChanged),
                (model.sigTrainingPending, self.sigTrainingPending),
                (st.indexChanged, self.sigIndexChanged),
                (st.cleanChanged, self.sigCleanChanged),
                (st.canUndoChanged, self.sigUndoChanged),
                (st.canRedoChanged, self.sigUndoChanged),
                (st.undoTextChanged, self.sigUndoChanged),
                (st.redoTextChanged, self.sigUndoChanged),
                (model.sigTrainingPending, self.sigUndoChanged))

    def _attach(self, model: DocumentModel) -> None:
        model.setParent(self)
        for source, target in self._pairs(model):
            source.connect(target)

    def _detach(self, model: DocumentModel) -> None:
        for source, target in self._pairs(model):
            source.disconnect(target)
