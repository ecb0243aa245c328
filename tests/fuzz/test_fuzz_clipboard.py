"""Fuzzing what comes from outside as text: the clipboard (paste, the canvas's context menu)
and names and titles written into pictures (File ▸ Export Picture… as SVG, parsed as XML).

Clipboard: deep nesting, damaged JSON, JSON of the wrong shape, node ids with '->'. A paste
either adds nodes with valid ids as one undoable edit, or is refused with a status message
and changes nothing; the menu offers Paste exactly when there is a design to paste.
"""
import html
import json
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QMimeData, QPointF
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication

from engine import Graph
from engine.model.param_names import valid_new_id
from gui.canvas import CanvasScene
from gui.canvas.clipboard import DESIGN_MIME, read_clipboard
from gui.files.report import plain_text
from tests.fuzz.strategies import (accepted, count, damaged, designs, fuzz_settings, json_values,
                                   valid_designs)
from tests.gui.conftest import boxes, main_window, settings_file  # noqa: F401  (the window fixtures)

EMPTY = QPointF(0, 600)         # no item there: the canvas's own menu


# ----- clipboard texts --------------------------------------------------------------------
@st.composite
def deep_texts(draw) -> str:
    n = draw(st.sampled_from((50, 1000, 5000, 100_000)))
    opener, closer = draw(st.sampled_from((("[", "]"), ('{"a": ', "}"), ('{"nodes": [', "]}"))))
    inner = opener * n + "1" + closer * n * draw(st.sampled_from((0, 1)))
    if draw(st.booleans()):     # deep inside a design, where a field's value belongs
        design = json.dumps(draw(valid_designs()))
        return design.replace('"connections": ', f'"connections": {inner}, "x": ', 1)
    return inner


@st.composite
def arrow_designs(draw) -> str:
    """A design whose node ids (some, all, in its connections too) contain '->'."""
    d = draw(valid_designs())
    ids = [n["id"] for n in d["nodes"]]
    new = {i: i if draw(st.booleans()) else draw(st.sampled_from((f"{i}->", f"->{i}", f"a->{i}", "->")))
           + draw(st.sampled_from(("", "->b", "b"))) for i in ids}
    for n in d["nodes"]:
        n["id"] = new[n["id"]]
    for c in d["connections"]:
        c["src"], c["dst"] = new.get(c["src"], c["src"]), new.get(c["dst"], c["dst"])
    return json.dumps(d)


@st.composite
def clashing_designs(draw) -> str:
    """A design with the connections a->b → c and a → b->c, whose weights are both W:a->b->c."""
    d = draw(valid_designs())
    a, b, c = draw(st.lists(st.text("pqrs", min_size=1, max_size=2), min_size=3, max_size=3, unique=True))
    size = st.integers(1, 3)
    for i, nid in enumerate((f"{a}->{b}", c, a, f"{b}->{c}")):
        d["nodes"].append({"id": nid, "kind": "hidden", "size": draw(size), "activation": "tanh",
                           "position": [40 * i, 300]})
    d["connections"] += [{"src": f"{a}->{b}", "dst": c}, {"src": a, "dst": f"{b}->{c}"}]
    return json.dumps(d)


def clipboard_texts():
    as_json = designs().map(json.dumps)
    return st.one_of(
        deep_texts(),
        as_json.flatmap(lambda t: damaged(t.encode())).map(lambda b: b.decode("utf-8", "replace")),
        as_json,
        json_values().map(json.dumps),
        arrow_designs(),
        clashing_designs(),
        st.text(max_size=40))


@pytest.fixture
def canvas():
    graph = Graph()
    graph.add_node("input", 2, position=(0, 0))
    graph.add_node("hidden", 3, position=(200, 0))
    graph.add_node("output", 1, position=(400, 0))
    scene = CanvasScene(graph, QUndoStack())
    messages = []
    scene.message.connect(messages.append)
    return scene, messages


@fuzz_settings(300)
@given(text=clipboard_texts(), as_design=st.booleans(), via_menu=st.booleans())
def test_pasting_fuzzed_clipboard_text(canvas, qtbot, text, as_design, via_menu):
    scene, messages = canvas
    graph, stack = scene.graph, scene.undo_stack
    count(loader := "clipboard text: CanvasScene.paste and the context menu (GUI)")
    if as_design:
        mime = QMimeData()
        mime.setData(DESIGN_MIME, text.encode("utf-8", "surrogatepass"))
        QApplication.clipboard().setMimeData(mime)
    else:
        QApplication.clipboard().setText(text)
    before, undo, said = graph.copy(), stack.index(), len(messages)
    with qtbot.captureExceptions() as raised:
        menu = scene.context_menu_at(EMPTY)         # owns its actions: kept until the end
        paste = next(a for a in menu.actions() if a.text() == "Paste")
        offered = paste.isEnabled()
        if via_menu and offered:
            paste.trigger()
        else:
            scene.paste()
    assert not raised, raised
    assert offered == (read_clipboard() is not None)
    new = [n for n in graph.nodes if n not in before.nodes]
    if not new:
        assert graph.same_design(before) and stack.index() == undo and len(messages) > said
        return
    assert offered and stack.index() == undo + 1 and scene.items_match_graph() is None
    assert all(valid_new_id(n) is None for n in new)
    accepted(loader)
    stack.undo()
    assert graph.same_design(before) and scene.items_match_graph() is None


@fuzz_settings(40)
@given(text=clashing_designs())
def test_ids_with_arrows_whose_weight_names_clash_are_renamed_and_pasted(canvas, text):
    scene, messages = canvas
    count(loader := "clipboard text: ids with '->' whose weight names clash (GUI)")
    QApplication.clipboard().setText(text)
    new = scene.paste()
    assert len(new) >= 4, messages
    assert all(valid_new_id(n) is None for n in scene.graph.nodes)
    accepted(loader)
    scene.undo_stack.undo()


# ----- names and titles in an SVG ----------------------------------------------------------
PIECES = ("<", ">", "&", "]]>", "<![CDATA[", "-->", "&amp;", '"', "'", "\x00", "\x01", "\x08", "\x0b",
          "\x0c", "\x0e", "\x1f", "\x7f", "\x85", "\x9f", "\ud800", "\udfff", "\ufffe", "\uffff",
          "\u2028", "\t", "\n", "\r", "é", "𝔵")
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def nasty_names():
    return st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=8).map("".join)


@fuzz_settings(100)
@given(title=nasty_names(), names=st.lists(nasty_names(), min_size=1, max_size=4), report=st.booleans())
def test_an_svg_of_fuzzed_names_parses_as_xml(main_window, boxes, qtbot, tmp_path_factory, title, names,
                                              report):
    """And in the HTML report (half the examples), no character that XML or HTML cannot hold."""
    w = main_window
    count(loader := "names and title: ExportActions.export_picture as SVG (GUI)")
    w.graph.settings["title"] = title
    ids = list(w.graph.nodes)
    assert w.push_edit("Rename", lambda g: [g.update_node(n, name=names[i % len(names)])
                                            for i, n in enumerate(ids)]) is None
    path = tmp_path_factory.mktemp("svg") / "fuzzed.svg"
    with qtbot.captureExceptions() as raised:
        written = w.export_actions.export_picture(path, selection=False)
    assert not raised, raised
    assert written == path and not boxes["warning"]
    root = ET.fromstring(path.read_bytes())
    texts = [t.text or "" for t in root.iter()]
    assert not any(NOT_XML.search(t) for t in texts)
    accepted(loader)
    if report:
        count(loader := "names and title: ExportActions.export_report (GUI)")
        page = w.export_actions.export_report(path.with_suffix(".html"))
        assert page is not None and not boxes["warning"]
        text = page.read_bytes().decode("utf-8")
        assert not NOT_XML.search(text) and not re.search("[\x7f-\x9f]", text)
        assert "<td>" + html.escape(plain_text(names[0])) in text
        accepted(loader)
