"""Cyclic garbage is collected between events, never inside a paint (gui/garbage.py)."""
import gc
import os
import subprocess
import sys
import textwrap
import weakref
from pathlib import Path

from gui.shell.garbage import collect_between_events

ROOT = Path(__file__).resolve().parents[2]

# A shown widget held only by a reference cycle, whose plot allocates while it paints: with
# automatic collection the collector frees the widget inside its child's paint and the
# process dies with SIGSEGV (exit -11); this is how the suite crashed in CI.
CHURN_WHILE_PAINTING = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget
    import pyqtgraph as pg
    from gui.shell.garbage import collect_between_events

    app = QApplication([])
    collect_between_events()

    class Churn(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint:
                junk = []
                for _ in range(3000):
                    cell = []
                    cell.append(cell)
                    junk.append(cell)
            return False

    churn = Churn()

    def show_and_drop():
        widget = QWidget()
        plot = pg.PlotWidget()
        QVBoxLayout(widget).addWidget(plot)
        plot.plot([1, 2, 3])
        widget.cycle = widget
        plot.viewport().installEventFilter(churn)
        widget.resize(300, 200)
        widget.show()

    for _ in range(30):
        show_and_drop()
        for _ in range(5):
            app.processEvents()
    print("survived")
""")


def test_a_paint_that_allocates_never_frees_the_widget_it_paints():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", CHURN_WHILE_PAINTING, str(ROOT)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "survived" in done.stdout


class Cycle:
    def __init__(self):
        self.me = self


def test_the_timer_still_collects_cycles(qtbot):
    collect_between_events()
    assert not gc.isenabled()
    gc.collect()
    probe = Cycle()
    freed = weakref.ref(probe)
    del probe
    # enough new objects for a generation-0 collection: twice the threshold, which is 700 up to
    # Python 3.12 and 2000 in 3.13 (where 2000 objects were not enough and the test timed out)
    for _ in range(2 * gc.get_threshold()[0] + 100):
        Cycle()
    qtbot.waitUntil(lambda: freed() is None, timeout=3000)


def test_what_lives_at_start_up_is_frozen_out_of_later_collections(qtbot):
    from gui.shell.garbage import TimerCollector
    collector = TimerCollector(interval=0.01)
    try:
        collector.check()                        # the first check freezes what is alive
        assert gc.get_freeze_count() > 0
        probe = Cycle()                          # what comes later is still collected
        freed = weakref.ref(probe)
        del probe
        for _ in range(2 * gc.get_threshold()[0] + 100):
            Cycle()
        qtbot.waitUntil(lambda: freed() is None, timeout=3000)
    finally:
        collector.timer.stop()
