"""The fitted transform on the canvas: a "μσ" badge on the input node (and a regression's output).

The network never sees the raw data: its inputs are standardised with the mean and
deviation of the training split (2-D data gets derived features such as x1² first),
and a regression's output is the standardised target. The badge says so at a glance
and its tooltip gives the numbers; ``TransformFollower`` keeps the node items in step
with ``graph.preprocessing``. The texts are plain functions, usable anywhere.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from engine.model.preprocessing import Preprocessing
from gui.core.formatting import fmt, fmt_units

MAX_LINES = 12          # per-input lines in a tooltip; then "…"
BADGE_TEXT = "μσ"
BADGE_FILL = QColor(38, 50, 56)
BADGE_EDGE = QColor(255, 202, 40)
BADGE_TEXT_COLOR = QColor(255, 224, 130)


# ----- texts ------------------------------------------------------------------------------
def input_line(p: Preprocessing, k: int) -> str:
    """How the network's input ``k`` is made: "area_m2: mean 142.3, deviation 38.1"."""
    return f"{p.inputs[k]}: mean {fmt_units(p.mean[k])}, deviation {fmt_units(p.std[k])}"


def input_tooltip(p: Preprocessing) -> str:
    """The input transform in words and numbers, at most MAX_LINES per-input lines."""
    lines = ["Standardised inputs: (value − mean) / deviation,",
             "mean and deviation fitted on the training split only:"]
    rows = [input_line(p, k) for k in range(len(p.inputs))]
    if len(rows) > MAX_LINES:
        rows = rows[:MAX_LINES - 1] + [f"… and {len(rows) - MAX_LINES + 1} more"]
    lines += ["  " + r for r in rows]
    derived = [n for n in p.inputs if n not in p.features]
    if derived:
        lines.append(f"Derived from x1 and x2 before standardising: {', '.join(derived)}")
    for column, cats in p.categories.items():
        lines.append(f"Text column {column} one-hot encoded: {', '.join(cats[:6])}"
                     f"{', …' if len(cats) > 6 else ''}")
    return "\n".join(lines)


def units_text(p: Preprocessing, y: float) -> str:
    """A regression output on both scales: "ŷ = 0.42 (network) → 326,000 price"."""
    return f"ŷ = {fmt(y)} (network) → {fmt_units(p.to_units([[y]])[0, 0])} {p.target}"


def output_tooltip(p: Preprocessing) -> str:
    """What the output means: the target's scale (regression) or the classes in order."""
    if p.task == "classification":
        return f"Outputs in class order: {', '.join(p.classes[:12])}{', …' if len(p.classes) > 12 else ''}"
    mean, std = fmt_units(p.target_mean), fmt_units(p.target_std)
    return "\n".join([
        f"Target {p.target}, standardised for the network (training split):",
        f"  mean {mean}, deviation {std}",
        f"{p.target} = {mean} + {std} × ŷ, e.g. {units_text(p, 1.0)}",
        f"Predict and every export de-standardise the output: they give {p.target} itself."])


def shows_badge(kind: str, p: Preprocessing | None) -> bool:
    return p is not None and (kind == "input" or kind == "output" and p.is_standardised_target)


# ----- the badge --------------------------------------------------------------------------
class TransformBadge(QGraphicsItem):
    """A small "μσ" tag above a node's header; its tooltip gives the transform's numbers."""

    def __init__(self, parent: QGraphicsItem):
        super().__init__(parent)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self._font = QFont()
        self._font.setPointSizeF(7.5)
        self._font.setBold(True)
        w = QFontMetricsF(self._font).horizontalAdvance(BADGE_TEXT) + 10
        self._rect = QRectF(-w / 2, 0.0, w, 14.0)

    def height(self) -> float:
        return self._rect.height()

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setPen(QPen(BADGE_EDGE, 1.0))
        painter.setBrush(QBrush(BADGE_FILL))
        painter.drawRoundedRect(self._rect, 4, 4)
        painter.setFont(self._font)
        painter.setPen(BADGE_TEXT_COLOR)
        painter.drawText(self._rect, Qt.AlignCenter, BADGE_TEXT)


# ----- following the Graph ----------------------------------------------------------------
class TransformFollower:
    """Gives every node item of ``scene`` the Graph's transform, now and whenever it or the nodes change."""

    def __init__(self, graph, scene):
        self.graph, self.scene = graph, scene
        graph.events.changed.connect(self._on_changed)
        self.refresh()

    def refresh(self) -> None:
        for item in self.scene.node_items.values():
            item.set_preprocessing(self.graph.preprocessing)

    def _on_changed(self, name: str, *args) -> None:
        # ``changed`` follows the specific event, so the scene has made the item already.
        if name == "preprocessing_changed":
            self.refresh()
        elif name == "node_added":
            item = self.scene.node_items.get(args[0].id)
            if item is not None:
                item.set_preprocessing(self.graph.preprocessing)

    def detach(self) -> None:
        self.graph.events.changed.disconnect(self._on_changed)
