"""With no display the app says it runs on a virtual display, and restarts through the entry point."""
import os
import signal
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gui.shell import app as gui_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_display(monkeypatch):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", gui_app.UNDER_XVFB):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(gui_app.shutil, "which", lambda name: "/usr/bin/xvfb-run")
    calls = []
    monkeypatch.setattr(gui_app, "run_in_own_session", lambda cmd, env: calls.append((cmd, env)) or 0)
    return calls


def test_it_says_where_the_window_is_and_how_to_stop_or_see_it(no_display, capsys):
    assert gui_app.main(["house_prices"]) == 0
    err = capsys.readouterr().err
    assert "virtual display" in err and "Ctrl+C" in err and "--screenshot" in err
    cmd, env = no_display[0]
    assert cmd[-4:] == [sys.executable, "-m", "gui.shell.entry", "house_prices"]   # not main.py's path
    assert str(gui_app.PACKAGE_ROOT) in env["PYTHONPATH"].split(os.pathsep)


def test_a_screenshot_gets_one_short_line(no_display, capsys):
    assert gui_app.main(["--screenshot", "out.png"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "virtual display" in err[0]


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (setup.sh installs it)")
def test_a_real_restart_under_xvfb_takes_the_screenshot_from_another_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["BACKPROP_STUDIO_SETTINGS"] = str(tmp_path / "settings.ini")
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", "shot.png", "xor_neurons"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "shot.png").stat().st_size > 10_000
    assert "virtual display" in done.stderr


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups as on Linux")
def test_ctrl_c_ends_the_app_and_its_x_server_quietly(tmp_path):
    """The session's grandchild (as Xvfb and the app are under xvfb-run) goes with it."""
    pidfile = tmp_path / "pid"
    script = ("import signal, sys; from gui.shell.app import run_in_own_session\n"
              "signal.signal(signal.SIGINT, signal.default_int_handler)\n"   # a background launch ignores it
              f"sys.exit(run_in_own_session(['sh', '-c', 'sleep 300 & echo $! > {pidfile}; wait'], {{}}))\n")
    parent = subprocess.Popen([sys.executable, "-c", script], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                              stderr=subprocess.PIPE, text=True)
    for _ in range(600):                       # wait until the grandchild is up (at most ~60 s)
        if pidfile.exists() and pidfile.read_text().strip():
            break
        time.sleep(0.1)
    grandchild = int(pidfile.read_text())
    parent.send_signal(signal.SIGINT)          # what Ctrl+C sends to the terminal's group
    assert parent.wait(timeout=60) == 130
    assert "Traceback" not in parent.stderr.read()
    for _ in range(600):
        if not _alive(grandchild):
            break
        time.sleep(0.1)
    assert not _alive(grandchild)
