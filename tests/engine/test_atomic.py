"""Atomic writes: temporaries a killed save left behind are removed by the next save."""
import os
import time

from engine.files.atomic import STALE_AFTER, atomic_write_bytes


def _left_behind(folder, name: str, age: float):
    path = folder / name
    path.write_bytes(b"half a save")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_the_next_save_removes_its_stale_temporaries_and_nothing_else(tmp_path):
    old = _left_behind(tmp_path, ".design.json.k3x_9abc.tmp", STALE_AFTER + 60)
    young = _left_behind(tmp_path, ".design.json.q1w2e3r4.tmp", 1)      # a save running now
    other = _left_behind(tmp_path, ".design.json.bak.k3x_9abc.tmp", STALE_AFTER + 60)
    mine = _left_behind(tmp_path, ".design.json.notes.tmp", STALE_AFTER + 60)
    atomic_write_bytes(tmp_path / "design.json", b"{}")
    assert not old.exists()
    assert young.exists() and other.exists() and mine.exists()
    assert (tmp_path / "design.json").read_bytes() == b"{}"
    atomic_write_bytes(tmp_path / "design.json.bak", b"{}")
    assert not other.exists() and young.exists()


def test_a_temporary_that_cannot_be_removed_does_not_fail_the_save(tmp_path):
    stuck = tmp_path / ".w.npz.abcdefgh.tmp"
    stuck.mkdir()                      # not a file: left alone
    then = time.time() - STALE_AFTER - 60
    os.utime(stuck, (then, then))
    atomic_write_bytes(tmp_path / "w.npz", b"x")
    assert stuck.is_dir() and (tmp_path / "w.npz").read_bytes() == b"x"
