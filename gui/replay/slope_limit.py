"""The limit of a slope, seen: L against one weight, a secant shrinking onto the tangent,
and the error of the central difference for h = 1e-1 … 1e-10.

``SlopeLimitView`` draws an ``engine.nn.slope_limit.SlopeLimit``: on the left L(w) around
the weight with the secant through w ± h (h chosen with the slider) and the tangent of slope
∂L/∂w from backprop; in the middle the error |slope − ∂L/∂w| against h on log-log axes, with
the h² and ε·L/h guides; on the right a table of the slopes with ten significant digits.
``SlopeLimitDialog`` holds it in its own window (the explain panel's "Show the limit…").
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QGridLayout, QHBoxLayout, QLabel,
                               QPushButton, QSlider, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from engine import GraphError
from engine.model.param_names import connection_named, is_weight
from engine.nn.slope_limit import SlopeLimit, slope_limit

from gui.plots.parts import DecadeAxis, style_plot

DIGITS = 10
CURVE_PEN = pg.mkPen((40, 44, 52), width=2)
SECANT_PEN = pg.mkPen((230, 120, 20), width=2)
TANGENT_PEN = pg.mkPen((30, 110, 200), width=2, style=Qt.DashLine)
GUIDE_PEN = pg.mkPen((150, 150, 150), width=1, style=Qt.DotLine)
ERROR_FLOOR = 1e-18   # an error of exactly 0 is drawn here (a log axis has no 0)


def digits(value: float, n: int = DIGITS) -> str:
    """``value`` with ``n`` significant digits and a true minus sign."""
    return f"{value:.{n}g}".replace("-", "−")


def verdict(rel: float, h: float, float64: bool = True) -> str:
    """One line on how well a central difference at step ``h`` agrees, and why it differs."""
    if rel < 1e-6:
        return "✓ agree"
    if not float64:
        return "differ: this network computes in float32, whose rounding needs h ≈ 1e-2"
    if h > 1e-4:
        return "differ: h is large, the secant is not yet the tangent (error ∝ h²); try 1e-5"
    return ("differ: h is tiny, float64 rounding of L (~1e-16·L/h) dominates; try 1e-5"
            if h < 1e-7 else "differ: a kink (relu) or a very curved loss near w")


class SlopeLimitView(QWidget):
    """The plots and the table of one SlopeLimit; the slider picks the secant's h."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.limit: SlopeLimit | None = None
        self.label = "w"
        self.curve_plot = pg.PlotWidget()
        style_plot(self.curve_plot)
        item = self.curve_plot.getPlotItem()
        item.addLegend(offset=(8, 8), labelTextSize="8pt")
        item.setLabel("left", "L")
        self.curve = item.plot(pen=CURVE_PEN, name="L(w)")
        self.tangent = item.plot(pen=TANGENT_PEN, name="tangent, slope ∂L/∂w")
        self.secant_line = item.plot(pen=SECANT_PEN, name="secant through w ± h")
        self.secant_points = item.plot(pen=None, symbol="o", symbolSize=8,
                                       symbolBrush=SECANT_PEN.color(), symbolPen=None)
        self.error_plot = pg.PlotWidget(axisItems={"left": DecadeAxis("left"),
                                                   "bottom": DecadeAxis("bottom")})
        style_plot(self.error_plot)
        eitem = self.error_plot.getPlotItem()
        eitem.setLogMode(True, True)
        eitem.setLabel("bottom", "h")
        eitem.setLabel("left", "|slope − ∂L/∂w|")
        eitem.addLegend(offset=(-8, 8), labelTextSize="8pt")
        self.truncation = eitem.plot(pen=GUIDE_PEN, name="∝ h²")
        self.rounding = eitem.plot(pen=pg.mkPen((200, 60, 60), width=1, style=Qt.DotLine),
                                   name="ε·L / h")
        self.errors = eitem.plot(pen=pg.mkPen((40, 44, 52)), symbol="o", symbolSize=6,
                                 symbolBrush=(40, 44, 52), name="error")
        self.chosen = eitem.plot(pen=None, symbol="o", symbolSize=11, symbolPen=SECANT_PEN,
                                 symbolBrush=None)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setToolTip("The step h of the secant: slide right to shrink it")
        self.slider.valueChanged.connect(self._show_secant)
        self.secant_label = QLabel()
        self.secant_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["h", "slope (L(w+h) − L(w−h)) / 2h", "error"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.setSelectionMode(QTableWidget.SingleSelection)
        self.table.cellClicked.connect(lambda row, _c: self._choose_sweep_row(row))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self._layout()

    def _layout(self) -> None:
        left = QVBoxLayout()
        left.addWidget(self.curve_plot, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("h"))
        row.addWidget(self.slider, 1)
        left.addLayout(row)
        left.addWidget(self.secant_label)
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.addLayout(left, 0, 0)
        grid.addWidget(self.error_plot, 0, 1)
        grid.addWidget(self.table, 1, 0)
        grid.addWidget(self.summary, 1, 1)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

    # ----- API -------------------------------------------------------------------------
    def set_limit(self, limit: SlopeLimit, label: str = "w") -> None:
        """Show ``limit``; ``label`` names the parameter entry ("w" or "b" and where it is)."""
        self.limit = limit
        self.label = label
        self.curve_plot.getPlotItem().setLabel("bottom", label)
        self.curve.setData(limit.curve_theta, limit.curve_loss)
        self._fill_errors()
        self._fill_table()
        self._write_summary()
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(limit.secants) - 1)
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self._show_secant(0)

    def set_h(self, h: float) -> None:
        """Draw the secant of the step closest to ``h``."""
        if self.limit is not None:
            chosen = self.limit.secant(h)
            self.slider.setValue(self.limit.secants.index(chosen))

    def secant_h(self) -> float | None:
        return None if self.limit is None else self.limit.secants[self.slider.value()].h

    # ----- drawing -----------------------------------------------------------------------
    def _show_secant(self, k: int) -> None:
        limit = self.limit
        if limit is None:
            return
        s = limit.secants[k]
        w, L = limit.theta, limit.loss
        xs = np.array([limit.curve_theta[0], limit.curve_theta[-1]])
        mid = (s.loss_plus + s.loss_minus) / 2
        self.secant_line.setData(xs, mid + s.slope * (xs - (s.theta_plus + s.theta_minus) / 2))
        self.tangent.setData(xs, L + limit.gradient * (xs - w))
        self.secant_points.setData([s.theta_minus, s.theta_plus], [s.loss_minus, s.loss_plus])
        self.chosen.setData([s.h], [max(s.error, ERROR_FLOOR)])
        self.curve_plot.getPlotItem().setYRange(*_y_range(limit.curve_loss), padding=0.05)
        self.secant_label.setText(
            f"h = {s.h:g}: secant slope = <b>{digits(s.slope)}</b>, ∂L/∂{self.label} = "
            f"<b>{digits(limit.gradient)}</b>, error = {s.error:.2e}")
        rows = [x.h for x in limit.sweep()]
        self.table.blockSignals(True)
        if s.h in rows:
            self.table.selectRow(rows.index(s.h))
        else:
            self.table.clearSelection()
        self.table.blockSignals(False)

    def _choose_sweep_row(self, row: int) -> None:
        if self.limit is not None:
            self.set_h(self.limit.sweep()[row].h)

    def _fill_errors(self) -> None:
        limit = self.limit
        sweep = limit.sweep()
        h = np.array([s.h for s in sweep])
        err = np.maximum([s.error for s in sweep], ERROR_FLOOR)
        self.errors.setData(h, err)
        self.rounding.setData(h, [limit.rounding_error(x) for x in h])
        self.truncation.setData(h, err[0] * (h / h[0]) ** 2)   # through the largest h's error
        self.error_plot.getPlotItem().setYRange(np.log10(max(err.min(), 1e-17)) - 0.5,
                                                np.log10(err.max()) + 0.5, padding=0)

    def _fill_table(self) -> None:
        sweep = self.limit.sweep()
        best = self.limit.best()
        self.table.setRowCount(len(sweep))
        for r, s in enumerate(sweep):
            cells = (f"1e-{round(-np.log10(s.h))}", digits(s.slope), f"{s.error:.2e}")
            for c, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if s is best:
                    font = cell.font()
                    font.setBold(True)
                    cell.setFont(font)
                self.table.setItem(r, c, cell)
        self.table.resizeColumnsToContents()

    def _write_summary(self) -> None:
        limit, best = self.limit, self.limit.best()
        precision = "float64" if limit.epsilon < 1e-10 else "float32"
        what = "∂L/∂w" if is_weight(limit.name) else "∂L/∂b"
        self.summary.setText(
            f"<p>Backprop (the chain rule): {what} = <b>{digits(limit.gradient)}</b> at "
            f"{self.label} = {digits(limit.theta)}, L = {digits(limit.loss)}.</p>"
            f"<p>As h shrinks the secant turns into the tangent: the error falls as h² "
            f"(truncation; each row 100× smaller). The closest is h = {best.h:g}, off by "
            f"{best.error:.1e}. Below that the error rises again: the replay computes in "
            f"{precision}, so L carries a rounding error of about ε·L ≈ {limit.epsilon:.1e}·L, "
            f"and dividing by 2h magnifies it to about ε·L/h.</p>")


def _y_range(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if not finite.size:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


class SlopeLimitDialog(QDialog):
    """A window holding a SlopeLimitView; non-modal, so the replay stays usable."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("The limit of a slope")
        self.view = SlopeLimitView()
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.resize(1000, 620)

    def show_limit(self, limit: SlopeLimit, label: str, h: float | None = None) -> None:
        self.setWindowTitle(f"The limit of a slope: ∂L/∂{label}")
        self.view.set_limit(limit, label)
        if h is not None:
            self.view.set_h(h)
        self.show()
        self.raise_()
        self.activateWindow()


class LimitButton(QPushButton):
    """"Show the limit…": opens the slope view of the explain panel's checked parameter.

    ``panel`` is the ExplainPanel: its ``parameter()``, ``net``, ``X``, ``T``, ``h_box`` and
    ``result`` (where a refusal is written) are read when the button is pressed.
    """

    def __init__(self, panel):
        super().__init__("Show the limit…")
        self.panel = panel
        self.dialog: SlopeLimitDialog | None = None
        self.setToolTip("Plot L against this weight with the secant through w ± h and the "
                        "tangent, and the slope's error for h = 1e-1 … 1e-10")
        self.clicked.connect(self.open)

    def open(self) -> None:
        p = self.panel
        target = p.parameter()
        if target is None or p.X is None:
            p.result.setText("Select a weight (an edge) or a neuron's bias to see its slope.")
            return
        name, index = target
        try:
            limit = slope_limit(p.net, p.X, p.T, name, index)
        except (GraphError, ValueError) as e:
            p.result.setText(f"<span style='color: #c62828'>{e}</span>")
            return
        if self.dialog is None:
            self.dialog = SlopeLimitDialog(self.window())
        self.dialog.show_limit(limit, entry_label(name, index, p.net.masks), p.h_box.value())


def entry_label(name: str, index: tuple, pairs) -> str:
    """"w" or "b" with the entry: entry (1, 0) of W:x->h is "w(x[0] → h[1])"; ``pairs``
    are the design's connections (src, dst)."""
    if is_weight(name):
        src, dst = connection_named(name, pairs)
        return f"w({src}[{index[1]}] → {dst}[{index[0]}])"
    return f"b({name.removeprefix('b:')}[{index[0]}])"
