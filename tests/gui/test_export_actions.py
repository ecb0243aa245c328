"""File ▸ import and export: weights, PyTorch, pictures, plots, report, design with weights."""
import base64
import re
import threading

import numpy as np
import pytest
from PySide6.QtCore import QByteArray
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine import Graph, GraphError, Network
from engine.io.design_weights import load_design_with_weights
from engine.io.weights import load_weights, load_weights_design, save_weights
from gui.files import background, export_actions, weights_actions
from gui.files.report import PLOT_WIDTH
from gui.files.export_actions import PICTURE_FILTERS, WEIGHT_FILTERS


@pytest.fixture
def window(main_window, qtbot):
    qtbot.waitUntil(lambda: main_window.training.net is not None)   # built on the first event loop turn
    return main_window


@pytest.fixture
def dialogs(monkeypatch):
    """The file dialogs answer with ``answer["save"]`` / ``answer["open"]``: (path, filter)."""
    answer = {"save": ("", ""), "open": ("", ""), "asked": []}

    def save(parent, title, start, filters):
        answer["asked"].append((title, start, filters))
        return answer["save"]

    def open_(parent, title, start, filters):
        answer["asked"].append((title, start, filters))
        return answer["open"]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(open_))
    return answer


def _trigger(window, name):
    window.actions_by_name[name].trigger()


def _params(window):
    return {k: v.copy() for k, v in window.training.net.parameters().items()}


class FakeWorker:
    """Stands in for the running training process: records what it is sent."""

    def __init__(self, monkeypatch, worker):
        self.sent = []
        monkeypatch.setattr(worker, "is_running", lambda: True)
        monkeypatch.setattr(worker, "set_parameters",
                            lambda values: self.sent.append({k: v.copy() for k, v in values.items()}))


def test_the_file_menu_gets_each_action_once(window):
    again = window.export_actions.install(window.menus["file"], window.actions_by_name)
    texts = [a.text() for a in window.menus["file"].actions()]
    for name, (text, _keys, _tip) in export_actions.ACTIONS.items():
        assert texts.count(text) == 1
        assert window.actions_by_name[name] is again[name]
    assert texts.index("Save with &Weights…") == texts.index("Save &As…") + 1
    assert texts.index("Export Re&port…") < texts.index("&Quit")
    assert window.actions_by_name["export_weights"].shortcut().toString() == "Ctrl+E"


@pytest.mark.parametrize("chosen", list(WEIGHT_FILTERS))
def test_export_weights_in_each_format(window, dialogs, boxes, tmp_path, chosen):
    dialogs["save"] = (str(tmp_path / "trained"), chosen)       # no suffix: the filter gives it
    _trigger(window, "export_weights")
    path = tmp_path / f"trained{WEIGHT_FILTERS[chosen]}"
    assert path.is_file() and not boxes["warning"]
    assert str(path) in window.statusBar().currentMessage()
    net = window.training.net
    if path.suffix == ".onnx":
        ort = pytest.importorskip("onnxruntime")
        X = np.random.default_rng(0).normal(size=(7, 2)).astype(np.float32)
        y = ort.InferenceSession(str(path)).run(["output"], {"input": X})[0]
        np.testing.assert_allclose(y, net.forward(X), atol=1e-5)
        return
    back = load_weights(path)
    assert list(back) == list(net.parameters())
    for k, v in net.parameters().items():
        np.testing.assert_array_equal(back[k], v)
    assert Graph.from_dict(load_weights_design(path)).same_design(window.graph)


def test_a_large_network_is_written_off_the_gui_thread(window, qtbot, boxes, tmp_path, monkeypatch):
    monkeypatch.setattr(background, "BACKGROUND_PARAMS", 0)
    threads, outcome = [], []
    write = weights_actions.write_weights
    monkeypatch.setattr(weights_actions, "write_weights",
                        lambda *a: threads.append(threading.current_thread()) or write(*a))
    assert window.export_actions.export_weights(tmp_path / "big.safetensors", done=outcome.append) is None
    qtbot.waitUntil(lambda: len(outcome) == 1, timeout=10000)
    assert outcome == [tmp_path / "big.safetensors"]
    assert threads and threads[0] is not threading.main_thread()
    assert set(load_weights(tmp_path / "big.safetensors")) == set(window.training.net.parameters())
    assert not boxes["warning"]


def test_a_background_write_that_fails_warns_and_a_background_read_loads(
        window, qtbot, boxes, tmp_path, monkeypatch):
    monkeypatch.setattr(background, "BACKGROUND_PARAMS", -1)
    outcome = []
    assert window.export_actions.export_weights(tmp_path / "absent" / "w.npz", done=outcome.append) is None
    qtbot.waitUntil(lambda: len(outcome) == 1, timeout=10000)
    assert outcome == [None] and "w.npz" in boxes["warning"][-1][2]
    saved = {k: np.full_like(v, 0.5) for k, v in _params(window).items()}
    save_weights(saved, tmp_path / "w.npz")
    assert window.export_actions.import_weights(tmp_path / "w.npz", done=outcome.append) is None
    qtbot.waitUntil(lambda: len(outcome) == 2, timeout=10000)
    assert outcome[1] == tmp_path / "w.npz"
    for k, v in saved.items():
        np.testing.assert_array_equal(window.training.net.parameters()[k], v)


def test_import_weights_loads_the_network_the_trainer_and_the_edge_colours(
        window, dialogs, boxes, tmp_path, monkeypatch):
    saved = _params(window)
    save_weights(saved, tmp_path / "w.npz")
    net = window.training.net
    net.initialize(seed=77)
    assert not np.array_equal(net.parameters()["W:x->h1"], saved["W:x->h1"])
    worker = FakeWorker(monkeypatch, window.training.worker)
    window.training.set_edge_mode("weight")
    dialogs["open"] = (str(tmp_path / "w.npz"), "")
    _trigger(window, "import_weights")
    assert not boxes["warning"]
    for k, v in saved.items():
        np.testing.assert_array_equal(net.parameters()[k], v)
        np.testing.assert_array_equal(worker.sent[-1][k], v)
    wmax = max(float(np.abs(v).max()) for k, v in saved.items() if k.startswith("W:"))
    assert window.scene.color_scale() == pytest.approx((-wmax, wmax))
    assert "w.npz" in window.statusBar().currentMessage()


def test_weights_that_do_not_fit_are_refused_and_nothing_changes(window, boxes, tmp_path, monkeypatch):
    other = window.graph.copy()
    other.update_node("h1", size=5)
    save_weights(Network(other).parameters(), tmp_path / "wider.safetensors")
    partial = {k: v for k, v in _params(window).items() if k != "b:y"}
    save_weights(partial, tmp_path / "partial.json")
    (tmp_path / "broken.npz").write_bytes(b"PK not really a zip")
    before, design = _params(window), window.graph.copy()
    worker = FakeWorker(monkeypatch, window.training.worker)
    for name, expected in (("wider.safetensors", r"W:x->h1 has shape \(5, 2\), the design needs \(4, 2\)"),
                           ("partial.json", "missing b:y"),
                           ("broken.npz", "broken.npz: not a readable .npz"),
                           ("absent.npz", "no such file")):
        assert window.export_actions.import_weights(tmp_path / name) is None
        text = boxes["warning"][-1][2]
        assert re.search(expected, text), text
        assert "nothing changed" in text
        for k, v in before.items():
            np.testing.assert_array_equal(window.training.net.parameters()[k], v)
        assert window.graph.same_design(design)
    assert worker.sent == []


def test_save_with_weights_then_open_restores_design_and_weights(window, boxes, tmp_path):
    saved, design = _params(window), window.graph.copy()
    path = window.export_actions.save_with_weights(tmp_path / "with_weights.json")
    graph, params = load_design_with_weights(path)
    assert graph.same_design(design) and graph.settings == design.settings
    assert list(params) == list(saved)
    for k, v in saved.items():
        assert params[k].dtype == v.dtype
        np.testing.assert_array_equal(params[k], v)
    assert Graph.load(path).same_design(design)           # still an ordinary design file
    window.graph.save(tmp_path / "plain.json")
    assert load_design_with_weights(tmp_path / "plain.json")[1] is None
    # Opening: the document hands the weights over after the design is loaded.
    window.training.net.initialize(seed=5)
    window.document.loaded_weights = params
    window.document.replace_design(graph, path)
    for k, v in saved.items():
        np.testing.assert_array_equal(window.training.net.parameters()[k], v)
    assert window.document.loaded_weights is None and not boxes["warning"]
    # A design file can also be imported as weights.
    window.training.net.initialize(seed=6)
    assert window.export_actions.import_weights(path) == path
    np.testing.assert_array_equal(window.training.net.parameters()["b:y"], saved["b:y"])


def test_a_new_window_on_a_design_with_weights_loads_them(window, qtbot, boxes, tmp_path):
    saved = _params(window)
    graph, params = load_design_with_weights(window.export_actions.save_with_weights(tmp_path / "d.json"))
    from gui.shell.main_window import MainWindow
    other = MainWindow(graph, tmp_path / "d.json", restore_settings=False)   # as main.py d.json does
    qtbot.addWidget(other)
    try:
        other.export_actions.apply_opened_weights_later(params)
        qtbot.waitUntil(lambda: other.document.loaded_weights is None)
        for k, v in saved.items():
            np.testing.assert_array_equal(other.training.net.parameters()[k], v)
        assert "with its trained weights" in other.statusBar().currentMessage()
    finally:
        other.training.shutdown()


def test_a_design_whose_weights_do_not_fit_is_refused_by_name(window, tmp_path):
    path = window.export_actions.save_with_weights(tmp_path / "d.json")
    text = path.read_text().replace('"name": "b:y"', '"name": "b:z"')
    path.write_text(text)
    with pytest.raises(GraphError, match=r"d\.json: the weights saved with the design cannot be used.*b:z"):
        load_design_with_weights(path)


def test_export_as_pytorch_writes_the_module_and_its_weights(window, dialogs, boxes, tmp_path):
    dialogs["save"] = (str(tmp_path / "circle_model.py"), "Python module (*.py)")
    _trigger(window, "export_pytorch")
    source = (tmp_path / "circle_model.py").read_text(encoding="utf-8")
    compile(source, "circle_model.py", "exec")
    assert "class CircleModel(nn.Module)" in source and not boxes["warning"]
    back = load_weights(tmp_path / "circle_model.safetensors")
    for k, v in window.training.net.parameters().items():
        np.testing.assert_array_equal(back[k], v)


def _image(path) -> QImage:
    image = QImage(str(path))
    assert not image.isNull(), path
    return image


def _colours(image: QImage) -> int:
    small = image.scaled(120, 60)
    return len({small.pixel(x, y) for x in range(small.width()) for y in range(small.height())})


def test_pictures_png_at_each_scale_and_svg(window, dialogs, boxes, tmp_path):
    sizes = {}
    for chosen, scale in PICTURE_FILTERS.items():
        stem = f"pic.{scale:g}x" if scale else "pic"      # a dot in the name: the suffix is still added
        dialogs["save"] = (str(tmp_path / stem), chosen)
        _trigger(window, "export_picture")
        if scale is None:
            data = (tmp_path / f"{stem}.svg").read_bytes()
            from PySide6.QtSvg import QSvgRenderer
            assert b"<svg" in data and QSvgRenderer(QByteArray(data)).isValid()
        else:
            image = _image(tmp_path / f"{stem}.png")
            sizes[scale] = (image.width(), image.height())
            assert _colours(image) > 3          # nodes and edges, not a blank canvas
    assert not boxes["warning"]
    for scale in (2.0, 4.0):
        assert sizes[scale][0] == pytest.approx(scale * sizes[1.0][0], abs=scale)
        assert sizes[scale][1] == pytest.approx(scale * sizes[1.0][1], abs=scale)


def test_picture_of_the_selection(window, dialogs, boxes, tmp_path):
    scene = window.scene
    scene.node_items["h1"].setSelected(True)
    scene.node_items["h2"].setSelected(True)
    boxes["answer"] = QMessageBox.Yes
    dialogs["save"] = (str(tmp_path / "sel.png"), "PNG image, 1× (*.png)")
    _trigger(window, "export_picture")
    whole = window.export_actions.export_picture(tmp_path / "whole.png", 1.0, selection=False)
    assert boxes["question"] and whole is not None
    assert _image(tmp_path / "sel.png").width() < _image(whole).width()
    assert scene.selected_node_ids() == ["h1", "h2"]           # the selection is kept
    boxes["answer"] = QMessageBox.Cancel
    dialogs["save"] = (str(tmp_path / "never.png"), "PNG image, 1× (*.png)")
    _trigger(window, "export_picture")
    assert not (tmp_path / "never.png").exists()


def test_plots_png(window, dialogs, boxes, tmp_path):
    metrics = window.training.metrics
    metrics.add_steps(np.arange(1, 101), np.linspace(1.0, 0.1, 100))
    metrics.add_epoch(1, 100, 0.3, 0.35, 0.9, 0.85)
    dialogs["save"] = (str(tmp_path / "curves.png"), "PNG image (*.png)")
    _trigger(window, "export_plots")
    image = _image(tmp_path / "curves.png")
    assert image.width() == PLOT_WIDTH and image.height() > 300
    assert _colours(image) > 3 and not boxes["warning"]


def test_report_embeds_pictures_settings_and_final_metrics(window, dialogs, boxes, tmp_path):
    metrics = window.training.metrics
    metrics.add_steps(np.arange(1, 51), np.linspace(0.9, 0.2, 50))
    metrics.add_epoch(1, 25, 0.5, 0.55, 0.8, 0.75)
    metrics.add_epoch(2, 50, 0.25, 0.3125, 0.9375, 0.875)
    window.training.latest = {"epoch": 2, "step": 50}
    window.graph.settings["lr"] = 0.0425
    dialogs["save"] = (str(tmp_path / "report"), "HTML page (*.html *.htm)")
    _trigger(window, "export_report")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2
    for data in images:
        assert not QImage.fromData(base64.b64decode(data), "PNG").isNull()
    for text in ("<th>lr</th><td>0.0425</td>", "<th>loss</th><td>bce</td>",
                 "<th>training loss</th><td>0.25</td>", "<th>validation loss</th><td>0.3125</td>",
                 "<th>validation accuracy</th><td>0.875</td>", "<th>steps</th><td>50</td>",
                 "<td>h1</td><td>hidden</td><td>4</td><td>tanh</td>"):
        assert text in page, text
    assert not boxes["warning"]


def test_failures_are_messages_not_tracebacks(window, dialogs, boxes, tmp_path):
    ea = window.export_actions
    assert ea.export_weights(tmp_path / "missing_dir" / "w.npz") is None
    assert "w.npz" in boxes["warning"][-1][2]
    assert ea.export_weights(tmp_path / "w.txt") is None
    assert "unknown weights format" in boxes["warning"][-1][2]
    dialogs["save"] = ("", "")                      # cancelled: nothing happens
    count = len(boxes["warning"])
    for name in ("export_weights", "export_pytorch", "export_picture", "export_plots", "export_report",
                 "save_with_weights"):
        _trigger(window, name)
    assert len(boxes["warning"]) == count
    window.push_edit("Remove the output", lambda g: g.remove_node("y"))
    window.training.reload()
    for name in ("export_weights", "import_weights", "export_pytorch", "save_with_weights"):
        _trigger(window, name)
        assert "cannot hold weights yet" in boxes["warning"][-1][2]
        assert "no output node" in boxes["warning"][-1][2]
    window.push_edit("Remove all", lambda g: [g.remove_node(n) for n in list(g.nodes)])
    assert ea.export_picture(tmp_path / "empty.png", 1.0, selection=False) is None
    assert "nothing to picture" in boxes["warning"][-1][2]
    assert not (tmp_path / "empty.png").exists()


NASTY_TEXT = "a\x00b\x01\x08\x0b\x0c\x0e\x1f\x7f c<d>&e\"f'g]]>h\ud800\ufffe\uffff\t\n\r."
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _nasty_names(window, text=NASTY_TEXT):
    window.graph.settings["title"] = text
    rename = lambda g: [g.update_node(n, name=f"{n}{text}") for n in list(g.nodes)]   # noqa: E731
    assert window.push_edit("Rename", rename) is None


def test_an_svg_of_names_with_control_characters_and_markup_is_well_formed(window, boxes, tmp_path):
    import xml.etree.ElementTree as ET
    _nasty_names(window)
    path = window.export_actions.export_picture(tmp_path / "nasty.svg", selection=False)
    assert path is not None and not boxes["warning"]
    root = ET.fromstring(path.read_bytes())
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == "ab c<d>&e\"f'g]]>h\ufffd\t\n\n."   # XML reads \r as \n
    texts = "".join(t.text or "" for t in root.iter(f"{ns}text"))
    assert "c<d>&e" in texts and not CONTROLS.search(texts)


def test_a_report_of_names_with_control_characters_and_markup_keeps_them_as_text(window, boxes, tmp_path):
    import html
    _nasty_names(window)
    path = window.export_actions.export_report(tmp_path / "nasty.html")
    assert path is not None and not boxes["warning"]
    page = path.read_bytes().decode("utf-8")        # as written: \r stays \r
    assert not CONTROLS.search(page) and "]]>" not in page and "c<d>" not in page
    clean = "ab c<d>&e\"f'g]]>h\ufffd\t\n\r."
    title = re.search(r"<h1>(.*?)</h1>", page, re.DOTALL).group(1)
    cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", page, re.DOTALL)]
    assert html.unescape(title) == clean and f"h1{clean}" in cells
