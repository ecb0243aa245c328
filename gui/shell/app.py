"""Starting the app: arguments, a display (or Xvfb), the main window, --screenshot.

    python main.py [DESIGN.json] [--screenshot OUT.png]

On Linux with no display (no DISPLAY or WAYLAND_DISPLAY, and QT_QPA_PLATFORM
not set), the app runs itself again under ``xvfb-run`` (through the entry point,
``python -m gui.shell.entry``, so that nothing depends on where main.py is) and
says so on stderr. Heavy libraries (scikit-learn, onnx, torch) are never
imported here: the window should be up within about a second.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import shutil
import subprocess
import sys
from pathlib import Path

APP_NAME = "Backprop Studio"
SCREENSHOT_SIZE = (1600, 1000)
XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"]
UNDER_XVFB = "BACKPROP_STUDIO_UNDER_XVFB"  # set in the re-run, so that it never loops
# The folder holding the gui and engine packages: a checkout, or site-packages.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message):  # one line and exit code 2, as argparse does, without the usage dump
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = _ArgumentParser(prog=program_name(), description=f"{APP_NAME}: design, train and watch "
                        "neural networks. Subcommands train, export and gradcheck run without "
                        "the GUI.")
    p.add_argument("design", nargs="?", metavar="DESIGN.json",
                   help="a design file to open, or a shipped example's name (e.g. house_prices)")
    p.add_argument("--screenshot", metavar="OUT.png",
                   help="open the window at 1600×1000, save a PNG of it after the first paint, exit")
    return p.parse_args(argv)


def has_display(env=None) -> bool:
    env = os.environ if env is None else env
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"))


def program_name() -> str:
    """How the user started us: ``backprop-studio`` or ``main.py``."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "main.py" if name == "main.py" else "backprop-studio"


def virtual_display_notice(screenshot: bool) -> str:
    """What to tell a user whose machine has no display, before the window opens unseen."""
    if screenshot:
        return f"{APP_NAME}: no display; taking the screenshot on a virtual display (Xvfb)"
    command = "python main.py" if program_name() == "main.py" else program_name()
    return (f"{APP_NAME}: no display found (DISPLAY, WAYLAND_DISPLAY), so the window is running on a "
            f"virtual display (Xvfb) where nobody can see it. Stop it with Ctrl+C; to see the app, "
            f"save a picture of it instead: {command} --screenshot out.png [DESIGN]")


def rerun_under_xvfb(argv: list[str]) -> int:
    """Run the app again inside a virtual X server; return its exit code."""
    env = dict(os.environ, **{UNDER_XVFB: "1"})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
    try:
        return run_in_own_session(XVFB + [sys.executable, "-m", "gui.shell.entry", *argv], env)
    except OSError as e:
        print(f"{APP_NAME}: could not start xvfb-run ({e})", file=sys.stderr)
        return 1


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _xvfb_run_folders(pgid: int) -> list[Path]:
    """The temporary folders (of the X server's -auth file) that xvfb-run made in group ``pgid``."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            args = (proc / "cmdline").read_bytes().split(b"\0")
            if b"-auth" in args:
                folder = Path(os.fsdecode(args[args.index(b"-auth") + 1])).parent
                if folder.name.startswith("xvfb-run."):
                    found.append(folder)
    return found


def run_in_own_session(cmd: list[str], env: dict) -> int:
    """Run ``cmd`` (xvfb-run: the X server and the app) in a session of its own and wait.

    Ctrl+C, a closed terminal (SIGHUP) or SIGTERM reach only this process, which then ends the
    whole session quietly: sent to the terminal's group, Ctrl+C would kill the X server under the
    app and leave it printing tracebacks, and without this no child would outlive us unseen.
    """
    child = subprocess.Popen(cmd, env=env, start_new_session=True)
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return child.wait()
    except KeyboardInterrupt:
        leftovers = _xvfb_run_folders(child.pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGTERM)     # the app, the X server and xvfb-run at once: quiet
        child.wait()
        for folder in leftovers:                     # what xvfb-run would have removed on a normal exit
            shutil.rmtree(folder, ignore_errors=True)
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None, *, whole_process: bool = False) -> int:
    """Open the app (or take a screenshot); return the exit code.

    ``whole_process``: nothing runs after us in this process, so a screenshot ends it at once.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse_args(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 2
    if sys.platform.startswith("linux") and not has_display():
        if shutil.which("xvfb-run") and not os.environ.get(UNDER_XVFB):
            print(virtual_display_notice(bool(args.screenshot)), file=sys.stderr, flush=True)
            return rerun_under_xvfb(argv)
        print(f"{APP_NAME} needs a display: none is set (DISPLAY, WAYLAND_DISPLAY) and xvfb-run "
              "is not installed; run `bash setup.sh` or set QT_QPA_PLATFORM=offscreen",
              file=sys.stderr)
        return 1
    return run(args, whole_process)


def run(args: argparse.Namespace, whole_process: bool = False) -> int:
    """Open the window (or take the screenshot) and run the event loop."""
    # The window collects garbage from a timer (gui.shell.garbage); until it is up, automatic
    # collections during the imports cost 35 ms of a 0.65 s start-up and find next to nothing.
    gc.disable()
    from gui.shell import feature_scan
    feature_scan.skip()     # no source scan of each module the window imports next
    from engine import GraphError
    from engine.files.resources import resolve_design

    graph, problem, weights = None, None, None
    if args.design:
        args.design = resolve_design(args.design)
        try:
            from engine.io.design_weights import load_design_with_weights
            graph, weights = load_design_with_weights(args.design)
        except GraphError as e:
            problem = str(e)
    if problem and args.screenshot:
        gc.enable()         # no window: collection as it was
        print(f"Cannot open the design: {problem}", file=sys.stderr)
        return 1
    app = make_application()
    window = open_window(args.design, graph, problem, screenshot=bool(args.screenshot))
    if weights is not None:
        window.export_actions.apply_opened_weights_later(weights)
    if args.screenshot:
        code = take_screenshot(app, window, args.screenshot)
        if whole_process:
            exit_now(code)
        return code
    from PySide6.QtCore import QTimer

    from gui.shell.crash_handler import install_excepthook
    install_excepthook(lambda: window, window.autosave.save_now)
    QTimer.singleShot(300, window.autosave.offer_recovery)   # once the window is up
    return app.exec()


def exit_now(code: int) -> None:
    """End the process with ``code`` without tearing down the window and the modules one by one.

    After a screenshot nothing is left to save (no settings, the autosave closed), and the
    teardown of a window nobody will see took 0.1 s on a quiet machine and 0.3 s on a busy one.
    The training worker, which may still be starting, is killed first: a daemon child that
    found its pipe closed would print a traceback on its way out.
    """
    import multiprocessing

    for child in multiprocessing.active_children():
        child.kill()
        child.join(1.0)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def make_application():
    from PySide6.QtWidgets import QApplication

    from gui.shell.icons import icon
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "main.py"])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("backprop-studio")   # matches the entry --install-desktop writes
    app.setWindowIcon(icon("app"))
    return app


def open_window(design_path, graph, problem: str | None = None, *, screenshot: bool = False):
    """The main window on ``graph`` (or the default example if None); shown unless for a
    screenshot. A ``problem`` reading the design is shown in a message box and the status bar."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from gui.shell.main_window import MainWindow

    window = MainWindow(graph, design_path if graph is not None else None,
                        restore_settings=not screenshot)
    if screenshot:
        return window
    if graph is not None:
        window.document.add_recent(design_path)
    window.show()
    if problem:
        def warn():
            window.show_message(f"Could not open {design_path}: {problem}")
            QMessageBox.warning(window, "Cannot open design",
                                f"Could not open {design_path}.\n\n{problem}\n\n"
                                "Showing the default example instead.")
        QTimer.singleShot(0, warn)
    return window


def save_png(pixmap, out) -> int:
    """Write ``pixmap`` to ``out`` as PNG (atomically); 0 if written, else 1 and a line on stderr."""
    from engine.files.atomic import atomic_write_bytes
    from gui.shell.png import png_bytes

    if pixmap.isNull():
        print(f"Could not write the screenshot to {out}: the window gave no picture", file=sys.stderr)
        return 1
    try:
        atomic_write_bytes(out, png_bytes(pixmap.toImage()))
    except OSError as e:
        print(f"Could not write the screenshot to {out}: {e.strerror or e}", file=sys.stderr)
        return 1
    return 0


def take_screenshot(app, window, out) -> int:
    """Lay ``window`` out at 1600×1000, let its start-up work run, save it as PNG; 0 if saved.

    The window is never painted on the screen (WA_DontShowOnScreen), nor at all until ``grab``
    (updates are off till then): ``grab`` paints it once, into the picture.
    """
    from PySide6.QtCore import Qt, QTimer

    result = {"code": 1}

    def capture():
        window.view.fit_to_view()
        window.scene.refine_edges()     # the zoom has settled: every edge, not a stand-in
        app.processEvents()     # the plots apply their deferred updates
        window.setUpdatesEnabled(True)
        image = window.grab()
        if window.scene.settle_edges():   # pictures drawn in slices over turns: all of them now
            image = window.grab()
        result["code"] = save_png(image, out)
        app.quit()

    window.setAttribute(Qt.WA_DontShowOnScreen)
    window.resize(*SCREENSHOT_SIZE)
    # Not painted by the event loop before the grab (twice, ~60 ms of a start): only the grab paints.
    window.setUpdatesEnabled(False)
    window.show()
    QTimer.singleShot(0, capture)    # after the window's own start-up timers (data, fit to view)
    app.exec()
    window.document.undo_stack.setClean()  # nothing to ask about on the way out
    window.autosave.close()                 # nor to recover
    window.hide()
    return result["code"]
