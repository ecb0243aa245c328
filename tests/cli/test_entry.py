"""The one entry point (``backprop-studio``, ``python main.py``) and shipped examples named bare."""
import json
import subprocess
import sys
from pathlib import Path

from engine.cli.commands import COMMANDS as CLI_COMMANDS
from engine.files.resources import example_path, resolve_design, resource_dir
from gui.shell import entry

ROOT = Path(__file__).resolve().parents[2]


def test_every_command_of_the_command_line_is_dispatched():
    assert set(CLI_COMMANDS) <= set(entry.COMMANDS)


def test_a_subcommand_runs_the_command_line_without_loading_qt(tmp_path):
    script = ("import json, sys\n"
              "from gui.shell.entry import main\n"
              "code = main(['train', 'house_prices', '--epochs', '1', '--json'])\n"
              "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))]\n"
              "sys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["epochs"] == 1


def test_main_py_is_a_shim_over_the_entry_point(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--help"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "--install-desktop" in done.stdout and "train" in done.stdout


def test_a_bare_name_is_a_shipped_example_from_any_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert Path(resolve_design("house_prices")) == example_path("house_prices")
    assert example_path("house_prices").is_file()
    assert entry.main(["gradcheck", "xor_neurons", "--samples", "8"]) == 0
    assert "pass" in capsys.readouterr().out


def test_a_file_wins_over_an_example_and_paths_are_never_examples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "circle").write_text("{}")
    assert resolve_design("circle") == "circle"
    assert resolve_design("missing/xor_neurons") == "missing/xor_neurons"
    assert resolve_design("xor_neurons.json") == "xor_neurons.json"
    assert resolve_design("no_such_example") == "no_such_example"


def test_an_unknown_name_is_one_error_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert entry.main(["train", "no_such_example"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no_such_example" in err[0]


def test_the_resource_folder_holds_what_the_app_ships():
    root = resource_dir()
    assert (root / "icons" / "app.svg").is_file()
    assert (root / "data" / "house_prices.csv").is_file()
    assert {p.stem for p in (root / "examples").glob("*.json")} >= {"house_prices", "circle", "xor_neurons"}
