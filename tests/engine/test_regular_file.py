"""Opening a user's file: anything but a regular file is refused at once, by every loader."""
import os
import re

import numpy as np
import pytest

from engine import Graph, GraphError
from engine.files import regular_file
from engine.files.regular_file import NotAFileError, open_regular, read_regular_bytes, read_regular_text
from engine.io.weights import WeightsError, load_weights, save_weights
from tests.hang_guard import KINDS, MESSAGES, guarded, non_regular


@pytest.mark.parametrize("kind", KINDS)
def test_open_regular_refuses_a_fifo_a_folder_and_a_device(tmp_path, kind):
    path = non_regular(tmp_path, kind)
    with pytest.raises(NotAFileError, match=f"^{re.escape(str(path))} {MESSAGES[kind]}") as e:
        guarded(open_regular, path, path=path)
    assert e.value.filename == str(path) and "not a regular file" in e.value.strerror


def test_a_regular_file_reads_as_before_and_other_problems_stay_os_errors(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbfline 1\r\nline 2\n")
    assert read_regular_bytes(path) == path.read_bytes()
    assert read_regular_text(path, "utf-8-sig") == path.read_text(encoding="utf-8-sig") == "line 1\nline 2\n"
    with pytest.raises(FileNotFoundError):
        open_regular(tmp_path / "absent")
    with pytest.raises(NotAFileError, match="is not a usable file name"):
        open_regular("a\x00b")
    with pytest.raises(ValueError, match="only reads"):
        open_regular(path, "w")


def test_a_path_swapped_for_a_fifo_after_the_check_is_still_refused(tmp_path, monkeypatch):
    # stat() said "regular file"; by open() the path is a FIFO: the open must not block.
    fifo = non_regular(tmp_path, "fifo")
    monkeypatch.setattr(regular_file, "check_regular", lambda path: None)
    before = set(os.listdir("/proc/self/fd"))
    with pytest.raises(NotAFileError, match="is a named pipe"):
        guarded(open_regular, fifo, path=fifo)
    assert set(os.listdir("/proc/self/fd")) <= before      # the descriptor was closed


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_a_design_path_that_is_not_a_regular_file_is_a_graph_error(tmp_path, kind):
    path = non_regular(tmp_path, kind, "design.json")
    with pytest.raises(GraphError, match=f"design.json {MESSAGES[kind]}"):
        guarded(Graph.load, path, path=path)


@pytest.mark.parametrize("suffix", [".npz", ".json", ".safetensors"])
@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_a_weights_path_that_is_not_a_regular_file_is_a_weights_error(tmp_path, kind, suffix):
    path = non_regular(tmp_path, kind, "w" + suffix)
    with pytest.raises(WeightsError, match=f"w{re.escape(suffix)} {MESSAGES[kind]}"):
        guarded(load_weights, path, path=path)
    good = tmp_path / ("good" + suffix)
    save_weights({"b:y": np.zeros(1, np.float32)}, good)
    assert list(load_weights(good)) == ["b:y"]
