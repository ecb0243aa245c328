"""The main window's actions, menus, toolbar and the keyboard-shortcuts dialog.

Actions are made from one table (name, text, shortcuts, tip, icon) so that each
has its shortcut, tooltip and status tip in one place, and the shortcuts dialog
lists exactly what the menus offer.
"""
from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QMenu, QTableWidget,
                               QTableWidgetItem, QToolBar, QVBoxLayout)

from engine.nn.losses import LOSSES
from gui.core.tips import set_tips
from gui.shell.icons import icon

# name: (text, shortcuts, tip, icon)
ACTIONS = {
    "new": ("&New", ["Ctrl+N"], "Start a new, empty design", "new"),
    "open": ("&Open…", ["Ctrl+O"], "Open a design file (.json), or an ONNX model (.onnx) as a new design",
             "open"),
    "save": ("&Save", ["Ctrl+S"], "Save the design", "save"),
    "save_as": ("Save &As…", ["Ctrl+Shift+S"], "Save the design under a new name", None),
    "quit": ("&Quit", ["Ctrl+Q"], "Quit Backprop Studio", None),
    "cut": ("Cu&t", ["Ctrl+X"], "Cut the selected nodes to the clipboard", None),
    "copy": ("&Copy", ["Ctrl+C"], "Copy the selected nodes and their connections", None),
    "paste": ("&Paste", ["Ctrl+V"], "Paste nodes from the clipboard", None),
    "delete": ("&Delete", ["Delete", "Backspace"],
               "Delete the selected nodes or connections, or remove the selected edge", "delete"),
    "select_all": ("Select &All", ["Ctrl+A"], "Select every node on the canvas", None),
    "fit": ("&Fit to View", ["Ctrl+0"], "Zoom so that the whole design fits the window", "fit"),
    "zoom_in": ("Zoom &In", ["Ctrl++", "Ctrl+="], "Zoom in on the canvas", "zoom_in"),
    "zoom_out": ("Zoom &Out", ["Ctrl+-"], "Zoom out of the canvas", "zoom_out"),
    "layout": ("Automatic &Layout", ["Ctrl+L"],
               "Arrange the nodes in columns by depth, left to right (undoable)", "layout"),
    "play": ("&Play / Pause", ["F5"], "Train continuously, or pause", "play"),
    "step": ("&Step One Batch", ["F6"], "Train on exactly one mini-batch", "step"),
    "reset": ("&Reset Weights", ["Ctrl+R"], "New weights from the seed; clears the curves", None),
    "shortcuts": ("&Keyboard Shortcuts", ["F1"], "List the keyboard shortcuts and mouse gestures",
                  None),
    "about": ("&About Backprop Studio", [], "What Backprop Studio is", None),
}
LOSS_TIPS = {"mse": "Mean squared error: for regression (any output activation)",
             "bce": "Binary cross-entropy: for yes/no outputs (sigmoid output)",
             "softmax_ce": "Cross-entropy: for classes (softmax output)"}
TOOLBAR = ("new", "open", "save", None, "undo", "redo", None, "delete", None,
           "fit", "zoom_in", "zoom_out", "layout", None, "play", "step")
GESTURES = [
    ("Drag a palette entry onto the canvas", "Place a node there"),
    ("Double-click a palette entry", "Place it at the centre of the view"),
    ("Drag from a node's output port to another node", "Connect them (every neuron to every neuron)"),
    ("Click an edge, then Delete", "Remove that single edge"),
    ("Right-click a connection", "Restore all its edges"),
    ("Drag on empty canvas", "Rubber-band selection"),
    ("Ctrl+click", "Add to or remove from the selection"),
    ("Mouse wheel / pinch", "Zoom about the cursor"),
    ("Middle button drag, or Space+drag", "Pan"),
]


def make_action(parent, name: str, slot=None) -> QAction:
    text, keys, tip, icon_name = ACTIONS[name]
    action = QAction(text, parent)
    action.setObjectName(name)
    if icon_name:
        action.setIcon(icon(icon_name))
    if keys:
        action.setShortcuts([QKeySequence(k) for k in keys])
    set_tips(action, tip)
    if slot is not None:
        action.triggered.connect(lambda _checked=False: slot())
    return action


def build_actions(window) -> dict[str, QAction]:
    """Every action of the main window, by name, connected to its slot."""
    w, doc = window, window.document
    slots = {
        "new": doc.new, "open": doc.open, "save": doc.save, "save_as": doc.save_as,
        "quit": w.close, "cut": w.scene.cut_selection, "copy": w.scene.copy_selection,
        "paste": w.scene.paste, "delete": w.scene.delete_selection,
        "select_all": w.scene.select_all, "fit": w.view.fit_to_view, "zoom_in": w.view.zoom_in,
        "zoom_out": w.view.zoom_out, "layout": w.scene.auto_layout,
        "shortcuts": w.show_shortcuts, "about": w.show_about,
        "play": w.training.panel.play_button.toggle, "step": w.training.step,
        "reset": w.training.reset,
    }
    actions = {name: make_action(w, name, slot) for name, slot in slots.items()}

    undo = w.undo_stack.createUndoAction(w, "&Undo")
    undo.setShortcuts([QKeySequence("Ctrl+Z")])
    redo = w.undo_stack.createRedoAction(w, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Y"), QKeySequence("Ctrl+Shift+Z")])
    for name, action, tip in (("undo", undo, "Undo the last edit"),
                              ("redo", redo, "Redo the edit just undone")):
        action.setObjectName(name)
        action.setIcon(icon(name))
        action.setStatusTip(tip)
        # No fixed tooltip: Qt's default follows the text ("Undo Add Dense layer").
        actions[name] = action

    group = QActionGroup(w)
    for loss in LOSSES:
        a = QAction(loss, w, checkable=True)
        a.setObjectName(f"loss_{loss}")
        a.setToolTip(LOSS_TIPS.get(loss, loss))
        a.setStatusTip(LOSS_TIPS.get(loss, loss))
        a.triggered.connect(lambda _c=False, name=loss: w.set_loss(name))
        group.addAction(a)
        actions[f"loss_{loss}"] = a

    for name, dock, tip in (("show_palette", w.palette_dock, "Show or hide the palette"),
                            ("show_inspector", w.inspector_dock, "Show or hide the inspector")):
        a = dock.toggleViewAction()
        a.setObjectName(name)
        a.setToolTip(tip)
        a.setStatusTip(tip)
        actions[name] = a

    replay = w.replay.toggle_action
    replay.setObjectName("replay")
    replay.setShortcut(QKeySequence("F7"))
    set_tips(replay, "Replay one forward and backward pass step by step, every number explained")
    actions["replay"] = replay
    actions["graph_of_operations"] = w.op_graph.action
    health = w.health_dock.toggleViewAction()
    health.setObjectName("show_health")
    health.setText("&Health")
    health.setShortcut(QKeySequence("Ctrl+Shift+H"))
    set_tips(health, "Show the Health panel: dead or saturated units, vanishing or exploding gradients, "
                     "the learning rate, with fixes")
    actions["show_health"] = health
    return actions


def build_menus(window, actions: dict[str, QAction]) -> dict[str, QMenu]:
    bar = window.menuBar()
    menus = {}
    file_menu = menus["file"] = bar.addMenu("&File")
    file_menu.addActions([actions["new"], actions["open"]])
    menus["recent"] = file_menu.addMenu("Open &Recent")
    menus["recent"].setToolTipsVisible(True)
    menus["recent"].aboutToShow.connect(window.fill_recent_menu)
    menus["examples"] = file_menu.addMenu("E&xamples")
    menus["examples"].setToolTipsVisible(True)
    menus["examples"].aboutToShow.connect(window.fill_examples_menu)
    file_menu.addSeparator()
    file_menu.addActions([actions["save"], actions["save_as"]])
    file_menu.addSeparator()
    file_menu.addAction(actions["quit"])

    edit = menus["edit"] = bar.addMenu("&Edit")
    edit.addActions([actions["undo"], actions["redo"]])
    edit.addSeparator()
    edit.addActions([actions[n] for n in ("cut", "copy", "paste", "delete")])
    edit.addSeparator()
    edit.addAction(actions["select_all"])
    edit.addSeparator()
    menus["loss"] = edit.addMenu("&Loss")
    menus["loss"].setToolTipsVisible(True)
    menus["loss"].addActions([actions[f"loss_{loss}"] for loss in LOSSES])

    view = menus["view"] = bar.addMenu("&View")
    view.addActions([actions[n] for n in ("fit", "zoom_in", "zoom_out")])
    view.addSeparator()
    view.addAction(actions["layout"])
    view.addSeparator()
    view.addActions([actions["show_palette"], actions["show_inspector"]])
    view.addSeparator()
    view.addAction(actions["graph_of_operations"])
    view.addAction(actions["show_health"])

    train = menus["train"] = bar.addMenu("&Train")
    train.addActions([actions[n] for n in ("play", "step", "reset")])
    train.addSeparator()
    train.addAction(actions["replay"])

    help_menu = menus["help"] = bar.addMenu("&Help")
    help_menu.addActions([actions["shortcuts"], actions["about"]])
    for menu in menus.values():
        menu.setToolTipsVisible(True)
    return menus


def build_toolbar(window, actions: dict[str, QAction]) -> QToolBar:
    bar = QToolBar("Main toolbar", window)
    bar.setObjectName("main_toolbar")
    bar.setMovable(False)
    for name in TOOLBAR:
        if name is None:
            bar.addSeparator()
        else:
            bar.addAction(actions[name])
    window.addToolBar(bar)
    return bar


class ShortcutsDialog(QDialog):
    """A table of every action's shortcut, then the mouse gestures."""

    def __init__(self, actions: dict[str, QAction], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = []
        for action in actions.values():
            keys = ", ".join(k.toString(QKeySequence.NativeText) for k in action.shortcuts())
            if keys:
                rows.append((ACTIONS.get(action.objectName(), (action.text(),))[0].replace("&", ""),
                             keys))
        rows += GESTURES
        table = QTableWidget(len(rows), 2, self)
        table.setHorizontalHeaderLabels(["Action", "Keys or gesture"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.NoEditTriggers)
        for r, (what, keys) in enumerate(rows):
            table.setItem(r, 0, QTableWidgetItem(what))
            table.setItem(r, 1, QTableWidgetItem(keys))
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(620, 560)
