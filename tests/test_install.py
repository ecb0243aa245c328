"""Installing like a real tool: the wheel holds the packages and resources/ as package data, the
installed command trains a shipped example from any folder, and the desktop entry is written only
when asked for."""
import configparser
import email
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gui.shell import desktop

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built offline from the checkout (the .venv has setuptools)."""
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("setuptools is not installed: cannot build the wheel offline")
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")   # a copy: building writes build/ and *.egg-info
    subprocess.run(["cp", "-r", *(str(ROOT / n) for n in ("pyproject.toml", "README.md", "engine", "gui",
                                                           "resources")), str(build)], check=True)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation",
                           "--no-index", "-q", "-w", str(out)], cwd=build, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    (found,) = out.glob("backprop_studio-*.whl")
    return found


def _sources(package: str) -> set[str]:
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / package).rglob("*.py")
            if "__pycache__" not in p.parts}


def test_the_wheel_holds_every_module_and_the_resources_as_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert _sources("engine") | _sources("gui") <= names        # no package left out of pyproject's list
    shipped = {"engine/resources/" + p.relative_to(ROOT / "resources").as_posix()
               for p in (ROOT / "resources").rglob("*") if p.is_file()}
    assert shipped and shipped <= names
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"engine", "gui"}   # no main.py, no resources/


def test_the_metadata_has_ranges_the_command_and_the_readme(wheel):
    with zipfile.ZipFile(wheel) as z:
        meta_name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.message_from_bytes(z.read(meta_name))
        scripts = z.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    assert meta["Requires-Python"] == "<3.14,>=3.11"
    requires = meta.get_all("Requires-Dist")
    assert not [r for r in requires if "==" in r.split(";")[0]], requires   # pins live in constraints.txt
    assert any(r.startswith("PySide6-Essentials~=6.11") for r in requires)
    assert "backprop-studio = gui.shell.entry:main" in scripts
    assert meta["Description-Content-Type"] == "text/markdown" and "Backprop Studio" in meta.get_payload()


def test_the_installed_command_trains_a_shipped_example_from_any_folder(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--target", str(site), str(wheel)], check=True, capture_output=True, timeout=300)
    assert (site / "bin" / "backprop-studio").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site), OPENBLAS_NUM_THREADS="1")
    # -P: nothing from the working folder or the checkout; the copy in site/ is what runs.
    code = ("import json, sys, engine; from gui.shell.entry import main\n"
            "print(json.dumps({'engine': engine.__file__}))\n"
            "sys.exit(main(['train', 'house_prices', '--epochs', '1', '--json']))\n")
    done = subprocess.run([sys.executable, "-P", "-c", code], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    where, metrics = (json.loads(line) for line in done.stdout.splitlines())
    assert Path(where["engine"]).is_relative_to(site)
    assert metrics["epochs"] == 1


def test_install_desktop_writes_the_entry_and_icon(tmp_path, capsys):
    assert desktop.install_desktop({"XDG_DATA_HOME": str(tmp_path)}) == 0
    entry = tmp_path / "applications" / "backprop-studio.desktop"
    icon = tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "backprop-studio.svg"
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.read(entry)
    keys = parsed["Desktop Entry"]
    assert keys["Type"] == "Application" and keys["Icon"] == "backprop-studio"
    assert keys["Exec"].endswith(" %f") and keys["Exec"].split()[0] == desktop.launcher()[0]
    assert icon.read_bytes() == (ROOT / "resources" / "icons" / "app.svg").read_bytes()
    assert str(entry) in capsys.readouterr().out


def test_exec_arguments_are_quoted_as_the_spec_asks():
    assert desktop.quote_exec_arg("/usr/bin/backprop-studio") == "/usr/bin/backprop-studio"
    assert desktop.quote_exec_arg("/home/a b/bin/x") == '"/home/a b/bin/x"'
    assert desktop.quote_exec_arg('/p/$x"') == '"/p/\\$x\\""'
    assert "%%" in desktop.desktop_entry(["/opt/100%/backprop-studio"])


def test_an_unwritable_data_folder_is_one_error_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert desktop.install_desktop({"XDG_DATA_HOME": str(blocker)}) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")


def test_the_app_never_installs_the_desktop_entry_by_itself(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path / "data"),
               BACKPROP_STUDIO_SETTINGS=str(tmp_path / "settings.ini"))
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(tmp_path / "s.png")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "data" / "applications").exists()
