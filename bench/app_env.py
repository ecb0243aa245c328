"""The environment of a benchmark that runs the app; import it before numpy or Qt.

Offscreen unless a display is asked for, one BLAS thread (as the training worker), the
repository on ``sys.path``, and a data folder of its own (removed at exit), so that the
benchmark's autosaves never reach the user's data folder.
"""
import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["BACKPROP_STUDIO_DATA"] = tempfile.mkdtemp(prefix="backprop-bench-")
atexit.register(shutil.rmtree, os.environ["BACKPROP_STUDIO_DATA"], True)
sys.path.insert(0, str(ROOT))
