"""The main window as a whole: start-up design, actions and shortcuts, settings, --screenshot."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from engine import Graph
from gui.shell import app as gui_app
from gui.shell.actions import ShortcutsDialog
from gui.files.document import SETTINGS_ENV
from gui.shell.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]

SHORTCUTS = {
    "new": ["Ctrl+N"], "open": ["Ctrl+O"], "save": ["Ctrl+S"], "save_as": ["Ctrl+Shift+S"],
    "quit": ["Ctrl+Q"], "undo": ["Ctrl+Z"], "redo": ["Ctrl+Y", "Ctrl+Shift+Z"],
    "cut": ["Ctrl+X"], "copy": ["Ctrl+C"], "paste": ["Ctrl+V"],
    "delete": ["Del", "Backspace"], "select_all": ["Ctrl+A"], "fit": ["Ctrl+0"],
    "zoom_in": ["Ctrl++", "Ctrl+="], "zoom_out": ["Ctrl+-"], "layout": ["Ctrl+L"],
}
MENU_ACTIONS = {
    "file": ["new", "open", "save", "save_as", "save_with_weights", "import_weights", "import_model",
             "export_weights", "export_pytorch", "export_project", "export_picture", "export_plots", "export_report",
             "predict_csv", "quit"],
    "train": ["play", "step", "reset", "replay"],
    "edit": ["undo", "redo", "cut", "copy", "paste", "delete", "select_all",
             "loss_mse", "loss_bce", "loss_softmax_ce"],
    "loss": ["loss_mse", "loss_bce", "loss_softmax_ce"],
    "view": ["fit", "zoom_in", "zoom_out", "layout", "show_palette", "show_inspector",
             "graph_of_operations", "show_health"],
    "help": ["shortcuts", "about"],
}


@pytest.fixture
def window(main_window):
    return main_window


def _menu_actions(menu: QMenu):
    for a in menu.actions():
        if a.menu() is not None:
            yield from _menu_actions(a.menu())
        elif not a.isSeparator():
            yield a


def test_window_opens_on_the_circle_example(window):
    g = window.graph
    assert [(n.kind, n.size, n.activation) for n in g.nodes.values()] == [
        ("input", 2, "linear"), ("hidden", 4, "tanh"), ("hidden", 2, "tanh"), ("output", 1, "sigmoid")]
    assert g.loss == "bce" and g.settings["data"] == "circle"
    assert window.windowTitle() == "circle.json — Backprop Studio"
    assert not window.document.is_dirty() and window.document.path is None
    assert window.centralWidget() is window.view
    assert window.scene.items_match_graph() is None
    assert "18 edges" in window.summary_label.text() and "loss bce" in window.summary_label.text()


def test_every_action_has_its_shortcut_and_tips(window):
    actions = window.actions_by_name
    for name, keys in SHORTCUTS.items():
        got = [k.toString(QKeySequence.PortableText) for k in actions[name].shortcuts()]
        assert got == keys, name
    for menu_name, names in MENU_ACTIONS.items():
        in_menu = [a.objectName() for a in _menu_actions(window.menus[menu_name])]
        assert in_menu == names, menu_name
    for menu in window.menus.values():
        for a in _menu_actions(menu):
            assert a.toolTip().strip() and a.statusTip().strip(), a.objectName()
    toolbar = [a.objectName() for a in window.toolbar.actions() if not a.isSeparator()]
    assert {"new", "open", "save", "undo", "redo", "fit", "layout"} <= set(toolbar)
    assert all(not a.icon().isNull() for a in window.toolbar.actions() if not a.isSeparator())


def test_loss_menu_is_undoable(window):
    loss = window.actions_by_name
    assert loss["loss_bce"].isChecked()
    loss["loss_mse"].trigger()
    assert window.graph.loss == "mse" and loss["loss_mse"].isChecked()
    assert window.undo_stack.undoText() == "Set loss to mse"
    assert window.document.is_dirty() and window.windowTitle().startswith("circle.json*")
    window.actions_by_name["undo"].trigger()
    assert window.graph.loss == "bce" and loss["loss_bce"].isChecked()
    assert not window.document.is_dirty()


def test_undo_action_names_the_edit(window):
    window.inspector.resize_node("h1", 6)
    assert window.actions_by_name["undo"].text() == "&Undo Resize h1 to 6"
    assert window.actions_by_name["undo"].toolTip().startswith("Undo Resize h1 to 6")
    window.actions_by_name["undo"].trigger()
    assert window.graph.nodes["h1"].size == 4
    assert window.actions_by_name["redo"].isEnabled()


def test_shortcuts_dialog_lists_the_actions(window):
    dialog = ShortcutsDialog(window.actions_by_name, window)
    rows = {dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text()
            for r in range(dialog.table.rowCount())}
    assert rows["New"] == QKeySequence("Ctrl+N").toString(QKeySequence.NativeText)
    assert "Automatic Layout" in rows and "Fit to View" in rows
    assert any("Middle button" in k for k in rows)
    dialog.deleteLater()


def test_settings_remember_geometry_and_docks(qtbot, boxes, settings_file):
    first = MainWindow()
    qtbot.addWidget(first)
    first.resize(760, 590)  # inside the offscreen screen (800×600)
    first.show()
    first.inspector_dock.hide()
    first.close()
    assert settings_file.exists()
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    assert (second.width(), second.height()) == (760, 590)
    assert second.inspector_dock.isHidden() and not second.palette_dock.isHidden()


def test_close_with_unsaved_changes_asks_and_can_cancel(qtbot, boxes, monkeypatch):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.inspector.resize_node("h2", 3)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Cancel))
    assert not w.close() and w.isVisible()
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Discard))
    assert w.close()


def test_unreadable_design_at_start_opens_the_default_and_warns(qtbot, boxes, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{ not json", encoding="utf-8")
    args = gui_app.parse_args([str(bad)])
    graph, problem = None, None
    try:
        Graph.load(args.design)
    except ValueError as e:
        problem = str(e)
    w = gui_app.open_window(args.design, graph, problem)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: bool(boxes["warning"]))
    assert "broken.json" in boxes["warning"][0][2]
    assert set(w.graph.nodes) == {"x", "h1", "h2", "y"}


def test_no_display_reruns_under_xvfb_or_explains(monkeypatch, capsys):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", gui_app.UNDER_XVFB):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    calls = []
    monkeypatch.setattr(gui_app.shutil, "which", lambda name: "/usr/bin/xvfb-run")
    monkeypatch.setattr(gui_app, "run_in_own_session", lambda cmd, env: calls.append((cmd, env)) or 7)
    assert gui_app.main(["d.json", "--screenshot", "o.png"]) == 7
    cmd, env = calls[0]
    assert cmd[:4] == ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"]
    assert cmd[-3:] == ["d.json", "--screenshot", "o.png"] and env[gui_app.UNDER_XVFB] == "1"
    capsys.readouterr()                          # the notice of the virtual display
    monkeypatch.setattr(gui_app.shutil, "which", lambda name: None)
    assert gui_app.main([]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "display" in err[0]


def test_bad_arguments_do_not_raise(capsys):
    assert gui_app.main(["a.json", "b.json"]) == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def _run_main(args, tmp_path, **env):
    full_env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OPENBLAS_NUM_THREADS="1",
                    **{SETTINGS_ENV: str(tmp_path / "settings.ini")}, **env)
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=tmp_path,
                          env=full_env, capture_output=True, text=True, timeout=120)


def test_screenshot_writes_a_png_of_the_window(tmp_path):
    out = tmp_path / "shot.png"
    done = _run_main(["--screenshot", str(out)], tmp_path)
    assert done.returncode == 0, done.stderr
    image = QImage(str(out))
    assert not image.isNull()
    assert abs(image.width() - 1600) <= 100 and abs(image.height() - 1000) <= 100
    # Not a blank grab: the canvas and docks put many colours on it.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 41)}
    assert len(colours) > 5


def test_screenshot_of_a_corrupt_design_fails_with_one_line(tmp_path):
    bad = tmp_path / "corrupt.json"
    bad.write_text('{"format": "backprop-studio-design", "version": 1, "nodes": 3}', encoding="utf-8")
    out = tmp_path / "shot.png"
    done = _run_main([str(bad), "--screenshot", str(out)], tmp_path)
    assert done.returncode != 0 and not out.exists()
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "corrupt.json" in lines[0] and "Traceback" not in done.stderr


def test_startup_imports_no_heavy_libraries(tmp_path):
    code = ("import sys; import gui.shell.app, gui.shell.main_window; "
            "print(','.join(m for m in ('sklearn', 'torch', 'onnx', 'onnxruntime') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"), timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_a_graph_given_to_the_window_is_the_one_it_edits(qtbot, boxes):
    graph = Graph.load(ROOT / "resources" / "examples" / "house_prices.json")
    w = MainWindow(graph, path="somewhere/house.json")  # not given to qtbot: deleted below
    assert w.graph is graph and w.windowTitle() == "house.json — Backprop Studio"
    assert w.scene.items_match_graph() is None and "mse" in w.summary_label.text()
    w.inspector.resize_node("h1", 5)
    assert graph.nodes["h1"].size == 5 and w.windowTitle() == "house.json* — Backprop Studio"
    w.undo_stack.setClean()
    w.close()
    w.deleteLater()
    qtbot.waitUntil(lambda: len(graph.events.changed) == 0)  # the dead window stops listening
    graph.update_node("h1", size=6)
