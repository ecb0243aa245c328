"""Health findings on the canvas: a small badge at the top right of every affected node.

The badge reads what is wrong in a word or a symbol ("dead", "sat", "∇↓", "∇↑") and its
tooltip gives each finding's one-line summary. ``HealthMarkers`` keeps one badge per node
in step with the newest health check; node items come and go with design edits, so a badge
whose node item was replaced is simply made again.
"""
from __future__ import annotations

import shiboken6
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

SHORT = {"dead": "dead", "saturated": "sat", "vanishing": "∇↓", "exploding": "∇↑", "learning_rate": "lr"}
FILL = QColor(183, 28, 28)
EDGE = QColor(255, 205, 210)
TEXT = QColor(255, 255, 255)


def badge_text(kinds: list[str]) -> str:
    return "⚠ " + " ".join(SHORT[k] for k in kinds)


class HealthBadge(QGraphicsItem):
    """A red tag naming the kinds of finding about its parent node; hover for the summaries."""

    def __init__(self, parent: QGraphicsItem, kinds: list[str], summaries: list[str]):
        super().__init__(parent)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setZValue(5)
        self._font = QFont()
        self._font.setPointSizeF(7.5)
        self._font.setBold(True)
        self._rect = QRectF()
        self.set_findings(kinds, summaries)

    def set_findings(self, kinds: list[str], summaries: list[str]) -> None:
        self.prepareGeometryChange()
        self.text = badge_text(kinds)
        w = QFontMetricsF(self._font).horizontalAdvance(self.text) + 10
        self._rect = QRectF(-w, 0.0, w, 15.0)
        self.setToolTip("Health:\n" + "\n".join(f"• {s}" for s in summaries)
                        + "\n(details and fixes in View ▸ Health)")
        top_right = self.parentItem().boundingRect().topRight()
        self.setPos(top_right.x() + 4, top_right.y() - 4)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setPen(QPen(EDGE, 1.0))
        painter.setBrush(QBrush(FILL))
        painter.drawRoundedRect(self._rect, 5, 5)
        painter.setFont(self._font)
        painter.setPen(TEXT)
        painter.drawText(self._rect, Qt.AlignCenter, self.text)


class HealthMarkers:
    """The badges of one scene: ``show({node_id: [(kind, summary), ...]})`` replaces them all."""

    def __init__(self, scene):
        self.scene = scene
        self.badges: dict[str, HealthBadge] = {}

    def show(self, by_node: dict[str, list[tuple[str, str]]]) -> None:
        for nid in list(self.badges):
            if nid not in by_node:
                self._drop(nid)
        for nid, findings in by_node.items():
            item = self.scene.node_items.get(nid)
            if item is None:
                continue
            kinds = list(dict.fromkeys(k for k, _ in findings))
            summaries = [s for _, s in findings]
            badge = self.badges.get(nid)
            if badge is not None and shiboken6.isValid(badge) and badge.parentItem() is item:
                badge.set_findings(kinds, summaries)
            else:
                self._drop(nid)
                self.badges[nid] = HealthBadge(item, kinds, summaries)

    def clear(self) -> None:
        self.show({})

    def _drop(self, nid: str) -> None:
        badge = self.badges.pop(nid, None)
        if badge is not None and shiboken6.isValid(badge) and badge.scene() is not None:
            badge.scene().removeItem(badge)
