"""Training progress for the command line: a bar on a terminal, plain lines otherwise.

On a terminal the bar (epoch, loss, metric, time left) is rewritten in place with
``\\r`` at most ten times a second; elsewhere (a pipe, a log file) each epoch gets
one plain line. Both go to stderr, so stdout keeps only the final result.
"""
from __future__ import annotations

import shutil
import time

REDRAW_SECONDS = 0.1
BAR_WIDTH = 12


def format_metric(name: str, value) -> str:
    """'accuracy 97.49%' or 'R² 0.8731'; 'n/a' when there is no value."""
    if value is None:
        return f"{'accuracy' if name == 'accuracy' else 'R²'} n/a"
    if name == "accuracy":
        return f"accuracy {100 * value:.2f}%"
    return f"R² {value:.4f}"


def format_loss(value) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def format_seconds(seconds: float) -> str:
    """'0.42 s', '12 s', '3:07' or '1:02:03'."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Shows a Trainer's progress on ``stream``; connect ``on_step`` and ``on_epoch`` to its events.

    ``bar``: True for the in-place bar (a terminal), False for one line per epoch.
    ``quiet``: show nothing.
    """

    def __init__(self, trainer, total_epochs: int, stream, *, bar: bool, quiet: bool = False):
        self.trainer = trainer
        self.total = total_epochs
        self.stream = stream
        self.bar = bar
        self.quiet = quiet
        self.start_epoch = trainer.epoch
        self.started = time.perf_counter()
        self._last_draw = 0.0
        self._last_loss = None
        self._last_report = None
        self._drawn = False

    def connect(self) -> None:
        if self.quiet:
            return
        self.trainer.events.epoch_finished.connect(self.on_epoch)
        if self.bar:
            self.trainer.events.step_finished.connect(self.on_step)

    def on_step(self, step: int, loss: float) -> None:
        self._last_loss = loss
        now = time.perf_counter()
        if now - self._last_draw >= REDRAW_SECONDS:
            self._draw(now)

    def on_epoch(self, report) -> None:
        self._last_report = report
        if self.bar:
            now = time.perf_counter()
            if now - self._last_draw >= REDRAW_SECONDS or report.epoch >= self.total:
                self._draw(now)
            return
        parts = [f"epoch {report.epoch}/{self.total}",
                 f"train loss {format_loss(report.train_loss)}"]
        if report.val_loss is not None:
            parts.append(f"val loss {format_loss(report.val_loss)}")
        parts.append(f"train {format_metric(report.metric_name, report.train_metric)}")
        if report.val_metric is not None:
            parts.append(f"val {format_metric(report.metric_name, report.val_metric)}")
        parts.append(f"({format_seconds(report.seconds)})")
        self.stream.write("  ".join(parts) + "\n")
        self.stream.flush()

    def _fraction(self) -> float:
        span = max(self.total - self.start_epoch, 1)
        done = self.trainer.epoch - self.start_epoch + self.trainer.epoch_fraction
        return min(max(done / span, 0.0), 1.0)

    def _draw(self, now: float) -> None:
        self._last_draw = now
        frac = self._fraction()
        filled = int(round(frac * BAR_WIDTH))
        text = (f"epoch {min(self.trainer.epoch + 1, self.total)}/{self.total} "
                f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}]")
        elapsed = now - self.started
        if frac > 0:   # before the metrics: a narrow terminal cuts the end of the line
            text += f" {format_seconds(elapsed * (1 - frac) / frac)} left"
        rep = self._last_report
        if rep is not None:
            shown = rep.val_loss if rep.val_loss is not None else rep.train_loss
            which = "val" if rep.val_loss is not None else "train"
            metric = rep.val_metric if rep.val_metric is not None else rep.train_metric
            text += f"  {which} loss {format_loss(shown)}  {format_metric(rep.metric_name, metric)}"
        elif self._last_loss is not None:
            text += f"  batch loss {format_loss(self._last_loss)}"
        width = shutil.get_terminal_size((80, 20)).columns - 1
        self.stream.write("\r" + text[:width].ljust(width))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the bar's line (if one was drawn) so that what follows starts cleanly."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
