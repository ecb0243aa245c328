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
