"""Start-up kept lean (issue 22): what the first window imports, the screenshot, a large design."""
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage

from engine import Graph
from gui.files.document import SETTINGS_ENV
from gui.shell.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]

FIRST_WINDOW = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from PySide6.QtWidgets import QApplication
    from gui.shell.main_window import MainWindow
    app = QApplication([])
    window = MainWindow(restore_settings=False)
    heavy = ("engine.cli", "onnx", "onnxruntime", "safetensors", "torch", "sklearn", "scipy")
    print(",".join(m for m in heavy if m in sys.modules))
""")


def _env(tmp_path, **more):
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", OPENBLAS_NUM_THREADS="1",
                BACKPROP_STUDIO_DATA=str(tmp_path / "data"),
                **{SETTINGS_ENV: str(tmp_path / "settings.ini")}, **more)


def test_the_first_window_imports_no_command_line_and_no_model_formats(tmp_path):
    done = subprocess.run([sys.executable, "-c", FIRST_WINDOW, str(ROOT)], env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ""


def test_the_garbage_timer_does_not_import_pyqtgraph(tmp_path):
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from PySide6.QtWidgets import QApplication; "
            "app = QApplication([]); from gui.shell.garbage import collect_between_events; "
            "import gc; collect_between_events(); print(gc.isenabled(), 'pyqtgraph' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT)], env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "False"], done.stderr[-2000:]


def _colours(path: Path) -> np.ndarray:
    image = QImage(str(path)).convertToFormat(QImage.Format_RGB32)
    bgra = np.array(image.constBits(), copy=True).reshape(image.height(), image.width(), 4)
    return bgra[..., 2::-1].astype(int)          # RGB


def test_the_screenshot_shows_the_plots_drawn_and_leaves_no_process_behind(tmp_path):
    out = tmp_path / "xor.png"
    child = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out), "xor_neurons"],
                             cwd=tmp_path, env=_env(tmp_path), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    try:                            # the training worker went with the app
        os.killpg(child.pid, 0)
        leftover = True
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        leftover = False
    assert not leftover
    rgb = _colours(out)
    assert rgb.shape[:2] == (1000, 1600)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    blue, orange = (b > r + 80) & (b > g + 20), (r > b + 100) & (g > b + 30)
    boundary = (slice(330, 700), slice(1270, 1520))   # the decision boundary's plot, right
    assert blue[boundary].sum() > 300 and orange[boundary].sum() > 300   # its two classes' points


def _chain(path: Path, sizes: list[int]) -> None:
    g = Graph("softmax_ce")
    ids = [g.add_node("input" if k == 0 else "output" if k == len(sizes) - 1 else "hidden", size,
                      "softmax" if k == len(sizes) - 1 else None, position=(250.0 * k, 0.0)).id
           for k, size in enumerate(sizes)]
    for a, b in zip(ids, ids[1:]):
        g.connect(a, b)
    g.save(path)


def test_a_large_design_opens_as_its_file_says(qtbot, tmp_path):
    path = tmp_path / "large.json"
    _chain(path, [784, 1024, 1024, 10])
    window = MainWindow(restore_settings=False)
    qtbot.addWidget(window)
    assert window.document.load(path)
    expected = Graph.load(path)
    assert window.graph.same_design(expected)
    assert window.scene.items_match_graph() is None
    assert window.graph.edge_count() == 1_861_632
    window.document.undo_stack.setClean()
    window.autosave.close()
    window.training.shutdown()


def test_a_screenshot_of_a_large_design_shows_every_edge_not_the_stand_in(qtbot, qapp, tmp_path):
    from gui.shell.app import take_screenshot
    path = tmp_path / "wide.json"
    _chain(path, [300, 200, 10])                 # 60,000 edges: drawn in slices on screen
    window = MainWindow(restore_settings=False)
    qtbot.addWidget(window)
    assert window.document.load(path)
    assert take_screenshot(qapp, window, tmp_path / "shot.png") == 0
    items = window.scene.connection_items.values()
    assert any(item.is_lod() for item in items)
    assert not any(item.is_coarse() for item in items)     # the fit's zoom had settled
    assert not window.scene.edges_refining()               # and every slice was drawn
    assert not QImage(str(tmp_path / "shot.png")).isNull()
    window.training.shutdown()


def test_the_hidden_plot_docks_are_built_when_first_shown(qtbot, main_window):
    from gui.plots.gradient_flow import GradientFlowPlot
    from gui.plots.gradient_matrix import GradientMatrixView
    from gui.plots.predictions import PredictionsView
    docks = main_window.training.docks
    kinds = {"Gradient flow": GradientFlowPlot, "Gradient matrix": GradientMatrixView,
             "Predictions": PredictionsView}
    assert not any(isinstance(docks[title].widget(), kind) for title, kind in kinds.items())
    main_window.show()
    qtbot.waitExposed(main_window)
    main_window.scene.select_edge(("h1", "h2", 0, 0))      # chosen while the matrix is not built
    docks["Gradient matrix"].raise_()
    qtbot.waitUntil(lambda: isinstance(docks["Gradient matrix"].widget(), GradientMatrixView))
    matrix = docks["Gradient matrix"].widget()
    assert matrix is main_window.training.matrix
    assert "h1 → h2" in matrix.caption.text()               # it caught up with the selection
    assert matrix.minimumHeight() == 80
    docks["Gradient flow"].raise_()
    qtbot.waitUntil(lambda: isinstance(docks["Gradient flow"].widget(), GradientFlowPlot))
    assert main_window.training.flow is docks["Gradient flow"].widget()


def test_a_lazy_view_takes_the_calls_made_before_it_was_built(qtbot):
    from PySide6.QtWidgets import QDockWidget, QLabel
    from gui.training.docks import LazyView
    dock = QDockWidget("Later")
    qtbot.addWidget(dock)
    built = []
    lazy = LazyView(dock, lambda: QLabel("fresh"), on_built=lambda view: built.append(view.text()))
    stand_in = lazy.deferring()
    stand_in.setText("first")
    stand_in.setText("latest")              # only the latest call of a name is kept
    assert not lazy.is_built() and not isinstance(dock.widget(), QLabel)
    label = lazy.get()
    assert dock.widget() is label and label.text() == "latest" and built == ["latest"]
    stand_in.setText("now")                 # once built, calls go straight through
    assert label.text() == "now" and lazy.text() == "now"


def test_the_screenshot_png_holds_the_exact_pixels(qapp, tmp_path):
    from PySide6.QtGui import QColor, QPixmap
    from gui.shell.app import save_png
    from gui.shell.png import png_bytes
    image = QImage(7, 3, QImage.Format_RGB32)              # 21 bytes a row: Qt pads each to 24
    for x in range(7):
        for y in range(3):
            image.setPixelColor(x, y, QColor(30 * x, 80 * y, 255 - 30 * x))
    back = QImage.fromData(png_bytes(image), "PNG").convertToFormat(QImage.Format_RGB32)
    assert back == image
    assert save_png(QPixmap.fromImage(image), tmp_path / "shot.png") == 0
    assert QImage(str(tmp_path / "shot.png")).convertToFormat(QImage.Format_RGB32) == image


def test_a_screenshot_that_cannot_be_written_says_why_in_one_line(qapp, tmp_path, capsys):
    from PySide6.QtGui import QPixmap
    from gui.shell.app import save_png
    pixmap = QPixmap(4, 4)
    pixmap.fill()
    assert save_png(pixmap, tmp_path / "missing" / "shot.png") == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Could not write the screenshot to") and "\n" not in err
    assert "Traceback" not in err


def test_a_design_that_cannot_be_read_leaves_garbage_collection_as_it_was(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    code = ("import gc, sys; sys.path.insert(0, sys.argv[1]); from gui.shell.app import main; "
            "print(main(['--screenshot', sys.argv[2], sys.argv[3]]), gc.isenabled())")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT), str(tmp_path / "out.png"), str(bad)],
                          env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["1", "True"], done.stderr[-2000:]
    assert "Cannot open the design" in done.stderr and "Traceback" not in done.stderr


def test_the_screenshot_paints_the_window_once_in_its_grab(qtbot, qapp, tmp_path):
    from PySide6.QtCore import QEvent, QObject

    from gui.shell.app import take_screenshot
    window = MainWindow(restore_settings=False)
    qtbot.addWidget(window)
    grabbing, paints = [False], {"grab": 0, "loop": 0}

    class Paints(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint:
                paints["grab" if grabbing[0] else "loop"] += 1
            return False

    def grab(*args):
        grabbing[0] = True
        try:
            return type(window).grab(window, *args)
        finally:
            grabbing[0] = False

    window.grab = grab
    counter = Paints()
    qapp.installEventFilter(counter)
    try:
        assert take_screenshot(qapp, window, tmp_path / "shot.png") == 0
    finally:
        qapp.removeEventFilter(counter)
    assert paints["loop"] == 0 and paints["grab"] > 10     # ~30 ms of painting, done once
    assert window.updatesEnabled()
    window.training.shutdown()


def test_the_pyside_feature_hook_reads_no_source_once_skipped(tmp_path, monkeypatch):
    import inspect

    from gui.shell import feature_scan
    assert feature_scan.skip()                      # the pinned PySide6 has the per-import scan

    def no_source(*args, **kwargs):
        raise AssertionError("a module's source was read")

    monkeypatch.setattr(inspect, "getsource", no_source)
    (tmp_path / "fresh_module_for_feature_scan.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import fresh_module_for_feature_scan
    assert fresh_module_for_feature_scan.VALUE == 1
    features = sys.modules["PySide6.support.feature"].pyside_feature_dict
    assert features["fresh_module_for_feature_scan"] == 0     # no features: as every module here
