"""`main.py predict ... | head`: a reader that stops early is not an error."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_closed_pipe_ends_predict_quietly(tmp_path):
    weights = tmp_path / "w.npz"
    design = ROOT / "resources" / "examples" / "house_prices.json"
    subprocess.run([sys.executable, "main.py", "train", str(design), "--epochs", "1", "--export", str(weights)],
                   cwd=ROOT, check=True, capture_output=True)
    lines = (ROOT / "resources" / "data" / "house_prices.csv").read_text().splitlines()
    big = tmp_path / "many.csv"     # far more than a pipe's buffer holds
    big.write_text("\n".join(lines[:1] + lines[1:] * 100) + "\n")
    run = subprocess.Popen([sys.executable, "main.py", "predict", str(design), "--weights", str(weights), str(big)],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = run.stdout.readline()
    run.stdout.close()          # like `| head -1`
    err = run.stderr.read().decode()
    assert run.wait() == 0 and first.startswith(b"area_m2,")
    assert "Broken pipe" not in err and "Traceback" not in err
