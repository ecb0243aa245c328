"""The main window: the canvas in the middle, the palette left, the inspector right.

The window owns the app's one Graph (``window.graph``) for its whole lifetime, its
undo stack, the canvas scene and view, and the Document (file path, unsaved
changes, the file commands). QSettings remembers geometry, dock state and recent
files.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox

from engine import Graph, GraphError
from gui.shell.actions import ShortcutsDialog, build_actions, build_menus, build_toolbar
from gui.canvas.scene import CanvasScene
from gui.canvas.view import CanvasView
from gui.core.commands import push_edit
from gui.files.autosave import Autosave
from gui.files.document import APP_NAME, DEFAULT_EXAMPLE, Document, app_settings, examples
from gui.files.export_actions import ExportActions
from gui.files.predict_action import PredictAction
from gui.replay.controller import ReplayController
from gui.replay.op_graph_view import OpGraphController
from gui.shell.garbage import collect_between_events
from gui.shell.icons import icon
from gui.shell.inspector import Inspector, design_summary
from gui.shell.palette import Palette
from gui.shell.stray_tabs import hide_stray_tab_bars
from gui.training.controller import DOCK_AREAS as TRAINING_DOCK_AREAS
from gui.training.controller import TrainingController
from gui.training.health_panel import HealthPanel

MESSAGE_MS = 6000
PLACE_STEP = 40.0  # successive placements at the same centre fan out by this much

ABOUT = f"""<h3>{APP_NAME}</h3>
<p>Design neural networks of any shape on a canvas, neuron by neuron or layer by layer,
train them, and watch the chain rule at work: every edge takes the colour of its gradient.</p>
<p>Designs are JSON files; the engine is plain numpy and works without the GUI
(<code>python main.py train …</code>).</p>"""


class MainWindow(QMainWindow):
    """The app's window; ``graph`` given (with ``path``) or the default example."""

    def __init__(self, graph: Graph | None = None, path=None, *, restore_settings: bool = True):
        super().__init__()
        collect_between_events()
        self.setWindowIcon(icon("app"))
        self._fitted = False
        self.graph = graph if graph is not None else Graph()
        self.undo_stack = QUndoStack(self)
        self.document = Document(self.graph, self.undo_stack, self)
        if graph is not None:
            self.document.set_path(path)
        else:
            self._load_default()

        self.scene = CanvasScene(self.graph, self.undo_stack, self)
        self.view = CanvasView(self.scene)
        self.setCentralWidget(self.view)
        self._build_docks()
        self._build_status_bar()
        self.training = TrainingController(self.graph, self.scene, self.view, self.document,
                                           self.inspector, self.show_message, self)
        self._place_training_docks()
        self._build_replay()
        self.op_graph = OpGraphController(self.graph, self.replay, self.scene, self)
        self.actions_by_name = build_actions(self)
        self.menus = build_menus(self, self.actions_by_name)
        self.toolbar = build_toolbar(self, self.actions_by_name)
        self.export_actions = ExportActions(self.graph, self.scene, self.document, self.training,
                                            self.show_message, self)
        self.export_actions.install(self.menus["file"], self.actions_by_name)
        self.predict_action = PredictAction(self.graph, self.document, self.training, self.show_message, self)
        self.predict_action.install(self.menus["file"], self.actions_by_name)
        self.autosave = Autosave(self.graph, self.undo_stack, self.document, self.training,
                                 self.show_message, self)
        self.export_actions.weights_imported.connect(self.autosave.note_weights_changed)
        self.autosave.weights_recovered.connect(self.export_actions.apply_opened_weights_later)
        self._place_count = 0
        self._last_place: QPointF | None = None

        self.document.changed.connect(self._update_title)
        self.document.loaded.connect(self._on_design_loaded)
        self.document.message.connect(self.show_message)
        self.scene.message.connect(self.show_message)
        self.inspector.message.connect(self.show_message)
        self.graph.events.changed.connect(self._on_graph_changed)
        self._unfollow = self.graph.events.follow(self._update_summary)
        self.destroyed.connect(self._detach_on_destroyed())
        self._update_summary()
        self._check_loss_action()
        self._update_title()
        self.resize(1400, 900)
        if restore_settings:
            self.restore_settings()

    # ----- building ------------------------------------------------------------
    def _detach_on_destroyed(self):
        """A callback that makes the window's parts stop following a Graph that may outlive them."""
        graph, on_changed = self.graph, self._on_graph_changed
        detaches = [self.training.detach, self.replay.detach, self.autosave.detach, self._unfollow,
                    self.scene.close]

        def detach(*_):
            graph.events.changed.disconnect(on_changed)
            for each in detaches:
                each()
        return detach

    def _build_replay(self) -> None:
        self.replay = ReplayController(self.graph, self.scene, self.view, document=self.document,
                                       training=self.training, boundary=self.training.boundary,
                                       parent=self)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.replay.dock)
        self.replay.dock.hide()
        self.tabifyDockWidget(self.training.docks["Loss and accuracy"], self.replay.dock)
        self.inspector.follow_replay(self.replay)     # its ∂L/∂w while a pass is shown

    def _load_default(self) -> None:
        try:
            design = Graph.load(DEFAULT_EXAMPLE)
        except GraphError as e:  # a broken install: start empty rather than not at all
            self._startup_problem = str(e)
            return
        self.document.replace_design(design, None, DEFAULT_EXAMPLE.name)

    def _build_docks(self) -> None:
        # Both side columns run the window's full height: room for the whole palette, and the
        # replay's tall explain panel below the canvas does not stack on the inspector (1280×800).
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self.palette = Palette()
        self.palette.place_requested.connect(self.place_at_centre)
        self.palette_dock = self._dock("Palette", "palette_dock", self.palette, Qt.LeftDockWidgetArea)
        self.inspector = Inspector(self.graph, self.undo_stack, self.scene)
        self.inspector_dock = self._dock("Inspector", "inspector_dock", self.inspector,
                                         Qt.RightDockWidgetArea)
        self.resizeDocks([self.palette_dock, self.inspector_dock], [220, 270], Qt.Horizontal)

    def _build_health_dock(self) -> None:
        self.health = HealthPanel(self.graph, self.scene, self.training.worker, self.training.panel,
                                  self.undo_stack, self.training.reset)
        self.health_dock = QDockWidget("Health", self)
        self.health_dock.setObjectName("Health")
        self.health_dock.setWidget(self.health)
        self.addDockWidget(Qt.RightDockWidgetArea, self.health_dock)
        self.health_dock.hide()

    def _place_training_docks(self) -> None:
        docks = self.training.docks
        for title, dock in docks.items():
            self.addDockWidget(TRAINING_DOCK_AREAS[title], dock)
        self.tabifyDockWidget(docks["Loss and accuracy"], docks["Gradient flow"])
        self.tabifyDockWidget(docks["Decision boundary"], docks["Gradient matrix"])
        self.tabifyDockWidget(docks["Decision boundary"], docks["Predictions"])
        docks["Predictions"].hide()         # shown once the data says which view applies
        docks["Loss and accuracy"].raise_()
        docks["Decision boundary"].raise_()
        self._build_health_dock()
        self.resizeDocks([docks["Loss and accuracy"]], [260], Qt.Vertical)
        self.resizeDocks([self.palette_dock, self.inspector_dock], [330, 330], Qt.Horizontal)
        self.resizeDocks([self.palette_dock, docks["Training"]],
                         [self.palette.sizeHint().height(), 400], Qt.Vertical)
        self.resizeDocks([self.inspector_dock, docks["Decision boundary"]], [300, 400], Qt.Vertical)

    def _dock(self, title: str, name: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetClosable
                         | QDockWidget.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        self.summary_label = QLabel()
        self.summary_label.setToolTip("The design: nodes, edges (neuron-to-neuron weights), "
                                      "parameters (weights and biases) and the loss")
        self.statusBar().addPermanentWidget(self.summary_label)

    # ----- status, title ------------------------------------------------------------
    def show_message(self, text: str, ms: int = MESSAGE_MS) -> None:
        self.statusBar().showMessage(text, ms)

    def _on_graph_changed(self, name: str, *_args) -> None:
        if name == "loss_changed":
            self._check_loss_action()

    def _update_summary(self) -> None:
        self.summary_label.setText(design_summary(self.graph))

    def _check_loss_action(self) -> None:
        action = getattr(self, "actions_by_name", {}).get(f"loss_{self.graph.loss}")
        if action is not None:
            action.setChecked(True)

    def _update_title(self) -> None:
        self.setWindowTitle(self.document.title())

    def _on_design_loaded(self) -> None:
        self._check_loss_action()
        self.inspector.refresh()
        QTimer.singleShot(0, self.view.fit_to_view)

    # ----- edits --------------------------------------------------------------------
    def set_loss(self, loss: str) -> None:
        """Set the design's loss as one undoable edit (Edit ▸ Loss)."""
        self.inspector.set_loss(loss)
        self._check_loss_action()

    def place_at_centre(self, spec: dict) -> str | None:
        """Place a palette entry at the centre of the view (fanning out repeated placements)."""
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        if self._last_place is not None and (centre - self._last_place).manhattanLength() < 1:
            self._place_count += 1
        else:
            self._place_count, self._last_place = 0, QPointF(centre)
        offset = PLACE_STEP * (self._place_count % 8)
        return self.scene.add_node_at(dict(spec), QPointF(centre.x() + offset, centre.y() + offset))

    def push_edit(self, text: str, fn) -> str | None:
        """Run an undoable edit of the Graph; a refusal goes to the status bar."""
        refusal = push_edit(self.undo_stack, self.graph, text, fn)
        if refusal:
            self.show_message(refusal)
        return refusal

    # ----- menus filled on demand -------------------------------------------------------
    def fill_recent_menu(self) -> None:
        menu = self.menus["recent"]
        menu.clear()
        self.document.prune_recent()
        files = self.document.recent_files()
        for k, f in enumerate(files):
            a = menu.addAction(f"&{k + 1}  {Path(f).name}")
            a.setToolTip(f)
            a.setStatusTip(f"Open {f}")
            a.triggered.connect(lambda _c=False, p=f: self.document.open(p))
        if not files:
            menu.addAction("(no recent files)").setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction("Clear list")
        clear.setStatusTip("Forget the recently opened files")
        clear.setToolTip("Forget the recently opened files")
        clear.setEnabled(bool(files))
        clear.triggered.connect(self.document.clear_recent)

    def fill_examples_menu(self) -> None:
        menu = self.menus["examples"]
        menu.clear()
        for title, path in examples():
            a = menu.addAction(title)
            a.setToolTip(f"Open the example {path.name}")
            a.setStatusTip(f"Open the example “{title}” ({path.name})")
            a.triggered.connect(lambda _c=False, p=path: self.document.open_example(p))

    # ----- help -------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.actions_by_name, self).exec()

    def show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}", ABOUT)

    # ----- window life --------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._fitted:
            self._fitted = True
            QTimer.singleShot(0, self.view.fit_to_view)
            QTimer.singleShot(0, lambda: hide_stray_tab_bars(self))
            problem = getattr(self, "_startup_problem", None)
            if problem:
                self.show_message(f"The default example could not be read: {problem}")
            else:
                title = self.graph.settings.get("title") or self.document.name
                self.statusBar().showMessage(
                    f"{title}: drag from the palette to add nodes, from a port to connect; "
                    "F1 lists the shortcuts", 2 * MESSAGE_MS)

    def restore_settings(self) -> None:
        s = app_settings()
        geometry, state = s.value("geometry"), s.value("window_state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def save_settings(self) -> None:
        s = app_settings()
        s.setValue("geometry", self.saveGeometry())
        s.setValue("window_state", self.saveState())
        s.sync()

    def closeEvent(self, event) -> None:
        if not self.document.maybe_save("closing"):
            event.ignore()
            return
        self.save_settings()
        self.autosave.close()           # a clean exit: nothing to recover next time
        self.training.shutdown()
        event.accept()
