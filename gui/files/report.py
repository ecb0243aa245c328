"""Pictures of the window's views (canvas as PNG or SVG, loss plots as PNG) and the HTML report.

The canvas is drawn with ``QGraphicsScene.render`` into a QImage (PNG, at a
scale) or a QSvgGenerator (SVG), over the bounding box of the design or of the
selection, without the selection highlight. The plots use pyqtgraph's
ImageExporter. The report is one self-contained HTML page: the pictures are
embedded as base64 PNG, so the page can be mailed or archived on its own.
Names and titles may hold any character a design file can: what XML and HTML
cannot hold (control characters, noncharacters) is dropped from both.
"""
from __future__ import annotations

import base64
import contextlib
import datetime
import html
import math
import re

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem

from engine.io.onnx_export import expected_shapes

MARGIN = 24.0                 # scene units around the pictured items
MAX_PIXELS = 64_000_000       # a larger PNG would take more than 256 MB while drawn
PLOT_WIDTH = 1000             # pixels of the exported plots
SETTING_ORDER = ("title", "data", "target", "features", "samples", "noise", "validation", "optimizer",
                 "lr", "batch_size", "epochs", "l1", "l2", "seed")


# XML 1.0 allows no C0 control character but tab, newline and carriage return, nor U+FFFE or
# U+FFFF; C1 controls and DEL are legal but invisible, and HTML calls them parse errors.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_NOT_TEXT_UTF8 = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]|\xef\xbf[\xbe\xbf]")
_SURROGATE = re.compile("[\ud800-\udfff]")     # unpaired (JSON's "\ud800"): not encodable as UTF-8


class PictureError(ValueError):
    """A picture that cannot be made; the message says why."""


def plain_text(value) -> str:
    """``str(value)`` without the characters XML and HTML cannot hold (see ``_NOT_TEXT``)."""
    return _SURROGATE.sub("\ufffd", _NOT_TEXT.sub("", str(value)))


def _escaped(value) -> str:
    return html.escape(plain_text(value))


# ----- the canvas ------------------------------------------------------------------
def pictured_items(scene, selection: bool = False) -> list:
    """The design's items, or the selected nodes and connections and what joins them."""
    if not selection:
        return list(scene.node_items.values()) + list(scene.connection_items.values())
    chosen = set(scene.selected_node_ids())
    pairs = set(scene.selected_connection_keys())
    pairs.update(k for k in scene.connection_items if k[0] in chosen and k[1] in chosen)
    nodes = chosen.union(*pairs)
    return [scene.node_items[n] for n in nodes] + [scene.connection_items[k] for k in pairs]


def _source_rect(items) -> QRectF:
    rect = QRectF()
    for item in items:
        rect = rect.united(item.sceneBoundingRect())
    if rect.isEmpty():
        raise PictureError("there is nothing to picture: the canvas (or the selection) is empty")
    return rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


@contextlib.contextmanager
def _only(scene, items):
    """Show only ``items``, unselected (no highlight), drawn afresh rather than from the
    pixmaps the view keeps of them (which would land in an SVG as images, and blur at another
    scale), restoring everything afterwards."""
    keep = set(items)
    hidden = [i for i in scene.items() if i.parentItem() is None and i not in keep and i.isVisible()]
    selected = scene.selectedItems()
    cached = [(i, i.cacheMode()) for item in items for i in (item, *item.childItems())
              if i.cacheMode() != QGraphicsItem.NoCache]
    blocked = scene.blockSignals(True)   # the selection comes back as it was: nobody need know
    try:
        for item in hidden:
            item.setVisible(False)
        for item in selected:
            item.setSelected(False)
        for item, _mode in cached:
            item.setCacheMode(QGraphicsItem.NoCache)
        yield
    finally:
        for item, mode in cached:
            item.setCacheMode(mode)
        for item in selected:
            item.setSelected(True)
        for item in hidden:
            item.setVisible(True)
        scene.blockSignals(blocked)


def render_scene(scene, scale: float = 1.0, selection: bool = False) -> QImage:
    """The design (or the selection) as an image, ``scale`` pixels per scene unit."""
    items = pictured_items(scene, selection)
    rect = _source_rect(items)
    w, h = math.ceil(rect.width() * scale), math.ceil(rect.height() * scale)
    if w * h > MAX_PIXELS:
        raise PictureError(f"the picture would be {w:,} × {h:,} pixels, too large: choose a smaller "
                           "scale, export the selection, or export SVG")
    image = QImage(QSize(w, h), QImage.Format_ARGB32_Premultiplied)
    image.fill(scene.backgroundBrush().color())
    if image.isNull():
        raise PictureError(f"not enough memory for a picture of {w:,} × {h:,} pixels")
    painter = QPainter(image)
    painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing | QPainter.SmoothPixmapTransform)
    try:
        with _only(scene, items):
            scene.render(painter, QRectF(0, 0, w, h), rect, Qt.KeepAspectRatio)
    finally:
        painter.end()
    return image


def scene_svg(scene, selection: bool = False, title: str = "Backprop Studio design") -> bytes:
    """The design (or the selection) as an SVG document."""
    from PySide6.QtSvg import QSvgGenerator
    items = pictured_items(scene, selection)
    rect = _source_rect(items)
    w, h = math.ceil(rect.width()), math.ceil(rect.height())
    buffer = QBuffer()
    buffer.open(QIODevice.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(QSize(w, h))
    generator.setViewBox(QRect(0, 0, w, h))
    generator.setTitle(plain_text(title))
    generator.setDescription("Drawn by Backprop Studio")
    painter = QPainter(generator)
    try:
        painter.fillRect(QRectF(0, 0, w, h), scene.backgroundBrush().color())
        with _only(scene, items):
            scene.render(painter, QRectF(0, 0, w, h), rect, Qt.KeepAspectRatio)
    finally:
        painter.end()
    buffer.close()
    # Node names reach the SVG as drawn text, which QSvgGenerator writes as it is.
    return _NOT_TEXT_UTF8.sub(b"", bytes(buffer.data()))


def png_bytes(image: QImage) -> bytes:
    """The image encoded as PNG."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    ok = image.save(buffer, "PNG")
    buffer.close()
    if not ok or data.isEmpty():
        raise PictureError("the picture could not be encoded as PNG")
    return bytes(data)


# ----- the plots ---------------------------------------------------------------------
def plots_image(metrics, width: int = PLOT_WIDTH) -> QImage:
    """The loss plot above the accuracy (or R²) plot, as in the window, ``width`` pixels wide."""
    import pyqtgraph.exporters as exporters
    metrics.flush()
    plots = (metrics.loss_plot, metrics.metric_plot)
    hidden = not metrics.isVisible()
    old = [p.geometry() for p in plots]
    if hidden:   # never laid out: give both (x-linked) plots the proportions of the dock at once
        for plot, aspect in zip(plots, (0.42, 0.3)):
            plot.setGeometry(QRectF(0, 0, width, width * aspect))
        for plot in plots:
            plot.enableAutoRange()
    images = []
    try:
        for plot in plots:
            exporter = exporters.ImageExporter(plot)
            exporter.parameters()["width"] = int(width)    # the height follows the plot's aspect
            images.append(exporter.export(toBytes=True))
    finally:
        if hidden:
            for plot, rect in zip(plots, old):
                plot.setGeometry(rect)
    if any(image is None or image.isNull() for image in images):
        raise PictureError("the plots could not be drawn")
    out = QImage(QSize(width, sum(i.height() for i in images)), QImage.Format_ARGB32_Premultiplied)
    out.fill(QColor("white"))
    painter = QPainter(out)
    y = 0
    for image in images:
        painter.drawImage(0, y, image)
        y += image.height()
    painter.end()
    return out


# ----- the report --------------------------------------------------------------------
def final_metrics(metrics, latest: dict | None) -> dict:
    """The newest values of the curves: epoch, step, losses and metrics (None where unknown)."""
    def last(key):
        series = metrics.epoch_values[key]
        return float(series.ys[-1]) if len(series) else None
    out = {"epoch": None, "step": None, "train_loss": last("train_loss"), "val_loss": last("val_loss"),
           "train_metric": last("train_metric"), "val_metric": last("val_metric"),
           "last_step_loss": float(metrics.steps.ys[-1]) if len(metrics.steps) else None,
           "metric_name": metrics.metric_name}
    if latest:
        out["epoch"], out["step"] = latest.get("epoch"), latest.get("step")
    return out


def _number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}" if np.isfinite(value) else str(value)
    return str(value)


def _rows(pairs) -> str:
    return "\n".join(f"<tr><th>{_escaped(k)}</th><td>{_escaped(_number(v))}</td></tr>"
                     for k, v in pairs)


def _image_tag(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{_escaped(alt)}" src="data:image/png;base64,{data}">'


STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:0}.sub{color:#666;margin-top:.2em}img{max-width:100%;border:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ddd;padding:.3em .7em;
text-align:left}th{background:#f4f5f7;font-weight:600}td.num{text-align:right}"""


def build_report(graph, scene, metrics, latest: dict | None, name: str,
                 design_scale: float = 2.0, runs: list | None = None) -> str:
    """The training report of the design ``name``: design picture, settings, loss curves, final
    metrics (``metrics``, the MetricsPlot, and ``latest``, the newest training snapshot) and,
    given ``runs`` as (label, RunRecord, is_current) triples, a table comparing the runs."""
    settings = graph.settings if isinstance(graph.settings, dict) else {}
    title = settings.get("title") if isinstance(settings.get("title"), str) and settings.get("title") \
        else name
    try:
        design = _image_tag(png_bytes(render_scene(scene, design_scale)), "The design")
    except PictureError as e:
        design = f"<p>{_escaped(e)}</p>"
    nodes = _node_rows(graph)
    try:
        n_params = f"{sum(int(np.prod(s)) for s in expected_shapes(graph).values()):,}"
    except ValueError:
        n_params = "— (the design is not complete)"
    setting_rows = [("loss", graph.loss)] + [(k, settings[k]) for k in SETTING_ORDER
                                             if k in settings and k != "title"]
    setting_rows += [(k, v) for k, v in settings.items() if k not in SETTING_ORDER]
    m = final_metrics(metrics, latest)
    metric_name = m["metric_name"]
    trained = any(m[k] is not None for k in ("train_loss", "last_step_loss"))
    metric_rows = [("epochs finished", m["epoch"]), ("steps", m["step"]),
                   ("training loss", m["train_loss"]), ("validation loss", m["val_loss"]),
                   (f"training {metric_name}", m["train_metric"]),
                   (f"validation {metric_name}", m["val_metric"]),
                   ("loss of the last step", m["last_step_loss"])]
    metrics_html = (f"<table>{_rows(metric_rows)}</table>" if trained
                    else "<p>Not trained yet: no curves or metrics.</p>")
    try:
        curves = _image_tag(png_bytes(plots_image(metrics)), "Loss and metric curves")
    except PictureError as e:
        curves = f"<p>{_escaped(e)}</p>"
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{_escaped(title)} — training report</title>
<style>{STYLE}</style></head>
<body>
<h1>{_escaped(title)}</h1>
<p class="sub">Training report from Backprop Studio, {when} · {_escaped(name)}</p>
<h2>Design</h2>
{design}
<p>{len(graph.nodes)} nodes, {len(graph.connections)} connections, {graph.edge_count():,} edges,
{n_params} parameters, loss {_escaped(graph.loss)}.</p>
<table><tr><th>node</th><th>kind</th><th>size</th><th>activation</th><th>fed by</th></tr>
{chr(10).join(nodes)}</table>
<h2>Settings</h2>
<table>{_rows(setting_rows)}</table>
<h2>Final metrics</h2>
{metrics_html}
<h2>Loss curves</h2>
{curves}
{_runs_section(runs or [])}
</body></html>
"""


def _runs_section(runs: list) -> str:
    """A table of the session's runs: label, epochs, steps, final losses and metric."""
    if not runs:
        return ""
    metric = runs[-1][1].metric_name
    head = ("run", "label", "epochs", "steps", "training loss", "validation loss",
            f"training {metric}", f"validation {metric}")
    rows = []
    for label, run, current in runs:
        f = run.final()
        cells = [f"{run.number}{' (now)' if current else ''}", label, f["epoch"], f["step"],
                 f["train_loss"] if f["train_loss"] is not None else f["last_step_loss"],
                 f["val_loss"], f["train_metric"], f["val_metric"]]
        rows.append("<tr>" + "".join(f"<td>{_escaped(_number(c))}</td>" for c in cells) + "</tr>")
    return ("<h2>Runs compared</h2>\n<p>Each training run of the session (Reset → Play), labelled "
            "by what differs from the others; the last values each reached.</p>\n<table><tr>"
            + "".join(f"<th>{_escaped(h)}</th>" for h in head) + "</tr>\n" + "\n".join(rows) + "</table>")


def _node_rows(graph) -> list[str]:
    """One table row per node: label, kind, size, activation, the nodes feeding it."""
    rows = []
    for n in graph.topological_order() if _acyclic(graph) else graph.nodes:
        node = graph.node(n)
        sources = ", ".join(c.src for c in graph.incoming(n)) or "—"
        act = "—" if node.kind == "input" else node.activation
        rows.append("<tr>" + "".join(f"<td>{_escaped(v)}</td>"
                                     for v in (node.label, node.kind, node.size, act, sources)) + "</tr>")
    return rows


def _acyclic(graph) -> bool:
    try:
        graph.topological_order()
    except ValueError:
        return False
    return True
