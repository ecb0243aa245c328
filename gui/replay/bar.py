"""The replay bar: choose an example, then play, pause, step or scrub through the pass.

The bar only keeps the current frame and example and says when they change;
what a frame shows is the ReplayTimeline's and the overlay's business.
Keys (while the bar has focus): space plays or pauses, Left and Right step.
With "motion" ticked, the signal is seen moving between frames for ``motion_ms()``,
a share of the time between frames at the chosen speed.
"""
from __future__ import annotations

import random

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QSlider, QStyle,
                               QVBoxLayout, QWidget)

SPEEDS = (0.5, 1, 1.5, 2, 3, 4, 6, 8, 12)   # frames per second, by slider position
DEFAULT_SPEED = 3
MOTION_SHARE = 0.75   # of the time between two frames, the signal moves for this share


class WrappedCaption(QLabel):
    """A word-wrapped label that asks for the height of all its lines, so a splitter or dock
    holding it never clips the last one (a long chain-rule caption at 1280 px wide)."""

    def __init__(self, text: str = ""):
        super().__init__(text)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextSelectableByMouse)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        need = self.heightForWidth(self.width()) if self.width() > 0 else -1
        if need > 0 and need != self.minimumHeight():
            self.setMinimumHeight(need)


class ReplayBar(QWidget):
    """Example chooser, Play/Pause, Step back/forward, speed, a timeline slider and the caption."""

    frame_changed = Signal(int)
    example_changed = Signal(int)
    point_chosen = Signal(float, float)   # a typed-in 2-D point (raw data coordinates)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.StrongFocus)
        self._timeline = None
        self._frame = 0
        self._example = 0
        self._count = 0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)

        self._build_example_row()
        self._build_playback_row()
        self.values_label = QLabel()   # the example, raw and as the network sees it
        self.values_label.setWordWrap(True)
        self.values_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.values_label.setStyleSheet("color: #555")
        self.values_label.hide()
        self.caption = WrappedCaption("Pick an example and press Play.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._examples_layout)
        layout.addWidget(self.values_label)
        layout.addLayout(self._controls_layout)
        layout.addWidget(self.caption)
        layout.addStretch(1)   # the rows stay together at the top of a tall dock
        self.set_is_2d(False)
        self._speed_changed(self.speed_slider.value())
        self._refresh()

    def _build_example_row(self) -> None:
        """Previous / next / random example, and a typed-in 2-D point."""
        icon = self.style().standardIcon
        self.prev_button = self._button("Previous", "Previous example", icon(QStyle.SP_ArrowLeft))
        self.example_label = QLabel("no examples")
        self.next_button = self._button("Next", "Next example", icon(QStyle.SP_ArrowRight))
        self.random_button = self._button("Random", "A random example", None)
        self.prev_button.clicked.connect(lambda: self.set_example(self._example - 1))
        self.next_button.clicked.connect(lambda: self.set_example(self._example + 1))
        self.random_button.clicked.connect(self._random_example)

        self.x1_box, self.x2_box = self._coordinate("x1"), self._coordinate("x2")
        self.point_button = self._button("Use point", "Replay the pass for the point (x1, x2)", None)
        self.point_button.clicked.connect(
            lambda: self.point_chosen.emit(self.x1_box.value(), self.x2_box.value()))
        self._point_widgets = (self.x1_box, self.x2_box, self.point_button)

        examples = QHBoxLayout()
        for w in (self.prev_button, self.example_label, self.next_button, self.random_button):
            examples.addWidget(w)
        examples.addSpacing(8)
        for w in (QLabel("x1"), self.x1_box, QLabel("x2"), self.x2_box, self.point_button):
            examples.addWidget(w)
            if isinstance(w, QLabel):
                self._point_widgets += (w,)
        examples.addStretch(1)
        self._examples_layout = examples

    def _build_playback_row(self) -> None:
        """Step back, play/pause, step forward, the timeline slider and the speed."""
        icon = self.style().standardIcon
        self.back_button = self._button("", "Step back (Left)", icon(QStyle.SP_MediaSeekBackward))
        self.play_button = self._button("", "Play / Pause (Space)", icon(QStyle.SP_MediaPlay))
        self.forward_button = self._button("", "Step forward (Right)",
                                           icon(QStyle.SP_MediaSeekForward))
        self.back_button.clicked.connect(self.step_back)
        self.play_button.clicked.connect(self.toggle_play)
        self.forward_button.clicked.connect(self.step_forward)

        self.speed_slider = QSlider(Qt.Horizontal)
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setValue(DEFAULT_SPEED)
        self.speed_slider.setFocusPolicy(Qt.NoFocus)
        self.speed_slider.setMaximumWidth(110)
        self.speed_slider.valueChanged.connect(self._speed_changed)
        self.speed_label = QLabel()
        self.timeline_slider = QSlider(Qt.Horizontal)
        self.timeline_slider.setFocusPolicy(Qt.NoFocus)
        self.timeline_slider.setToolTip("Scrub through the pass")
        self.timeline_slider.valueChanged.connect(self.set_frame)
        self.frame_label = QLabel()
        self.motion_box = QCheckBox("motion")
        self.motion_box.setChecked(True)
        self.motion_box.setFocusPolicy(Qt.NoFocus)
        self.motion_box.setToolTip("Show the signal moving along the edges between frames: "
                                   "activations forward, the gradient backward (a click skips it)")

        controls = QHBoxLayout()
        for w in (self.back_button, self.play_button, self.forward_button, self.timeline_slider,
                  self.frame_label, QLabel("speed"), self.speed_slider, self.speed_label,
                  self.motion_box):
            controls.addWidget(w)
        controls.setStretch(3, 1)
        self._controls_layout = controls

    def _button(self, text: str, tip: str, icon) -> QPushButton:
        b = QPushButton(text)
        if icon is not None:
            b.setIcon(icon)
        b.setToolTip(tip)
        b.setFocusPolicy(Qt.NoFocus)  # keys belong to the bar, not to a button
        return b

    def _coordinate(self, name: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(-100.0, 100.0)
        box.setDecimals(2)
        box.setSingleStep(0.5)
        box.setToolTip(f"{name} of a point to replay")
        return box

    # ----- API ------------------------------------------------------------------------
    def set_timeline(self, timeline, frame: int = 0) -> None:
        """Show ``timeline`` (a ReplayTimeline, or None) from ``frame``."""
        self._timeline = timeline
        n = len(timeline) if timeline is not None else 0
        self.timeline_slider.blockSignals(True)
        self.timeline_slider.setRange(0, max(n - 1, 0))
        self.timeline_slider.blockSignals(False)
        if n == 0:
            self.pause()
        self._frame = -1
        self.set_frame(min(max(frame, 0), max(n - 1, 0)))

    def timeline(self):
        return self._timeline

    def set_example_count(self, n: int) -> None:
        self._count = max(int(n), 0)
        self._example = min(self._example, max(self._count - 1, 0))
        self._refresh()

    def set_is_2d(self, is_2d: bool) -> None:
        for w in self._point_widgets:
            w.setVisible(bool(is_2d))

    def set_example_values(self, text: str, tip: str = "") -> None:
        """One line on the current example (raw values → what the network sees); "" hides it."""
        self.values_label.setText(text)
        self.values_label.setToolTip(tip)
        self.values_label.setVisible(bool(text))

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)

    def animates(self) -> bool:
        """Whether the signal is seen moving between frames ("motion" ticked)."""
        return self.motion_box.isChecked()

    def motion_ms(self) -> int:
        """How long the signal moves between two frames, at the chosen speed."""
        return int(MOTION_SHARE * 1000 / SPEEDS[self.speed_slider.value()])

    def current_frame(self) -> int:
        return self._frame

    def current_example(self) -> int:
        return self._example

    def set_example(self, k: int) -> None:
        """Choose example ``k`` (wrapping around); emits example_changed."""
        if self._count == 0:
            return
        self._example = int(k) % self._count
        self._refresh()
        self.example_changed.emit(self._example)

    def set_frame(self, k: int) -> None:
        n = len(self._timeline) if self._timeline is not None else 0
        if n == 0:
            self._frame = 0
            self._refresh()
            return
        k = min(max(int(k), 0), n - 1)
        if k == self._frame:
            return
        self._frame = k
        self.timeline_slider.blockSignals(True)
        self.timeline_slider.setValue(k)
        self.timeline_slider.blockSignals(False)
        self.caption.setText(self._timeline.frame(k).caption)
        self._refresh()
        self.frame_changed.emit(k)

    def step_forward(self) -> None:
        self.pause()
        self.set_frame(self._frame + 1)

    def step_back(self) -> None:
        self.pause()
        self.set_frame(self._frame - 1)

    def is_playing(self) -> bool:
        return self._timer.isActive()

    def play(self) -> None:
        if self._timeline is None or len(self._timeline) == 0:
            return
        if self._frame >= len(self._timeline) - 1:
            self.set_frame(0)  # play again from the start
        self._timer.start()
        self._refresh()

    def pause(self) -> None:
        self._timer.stop()
        self._refresh()

    def toggle_play(self) -> None:
        self.pause() if self.is_playing() else self.play()

    # ----- internals --------------------------------------------------------------------
    def _tick(self) -> None:
        if self._timeline is None or self._frame >= len(self._timeline) - 1:
            self.pause()
            return
        self.set_frame(self._frame + 1)
        if self._frame >= len(self._timeline) - 1:
            self.pause()

    def _random_example(self) -> None:
        if self._count:
            self.set_example(random.randrange(self._count))

    def _speed_changed(self, k: int) -> None:
        fps = SPEEDS[k]
        self._timer.setInterval(int(1000 / fps))
        self.speed_label.setText(f"{fps:g}/s")

    def _refresh(self) -> None:
        n = len(self._timeline) if self._timeline is not None else 0
        self.frame_label.setText(f"{self._frame + 1} / {n}" if n else "–")
        has = self._count > 0
        for b in (self.prev_button, self.next_button, self.random_button):
            b.setEnabled(has)
        self.example_label.setText(f"example {self._example + 1} of {self._count}" if has
                                   else "no examples")
        for b in (self.back_button, self.forward_button, self.play_button):
            b.setEnabled(n > 0)
        playing = self._timer.isActive()
        self.play_button.setIcon(self.style().standardIcon(
            QStyle.SP_MediaPause if playing else QStyle.SP_MediaPlay))

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key_Space:
            self.toggle_play()
        elif key == Qt.Key_Left:
            self.step_back()
        elif key == Qt.Key_Right:
            self.step_forward()
        else:
            super().keyPressEvent(event)
