"""read_json_text: every way text fails to be JSON is the caller's error; nesting is bounded."""
import json
from pathlib import Path

import pytest

from engine import Graph, GraphError
from engine.files.json_text import MAX_DEPTH, depth, read_json_text

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "xor_neurons.json"


class Refused(ValueError):
    pass


@pytest.mark.parametrize("text,words", [
    ("{bad", ["not valid JSON", "line 1, column 2"]),
    (b"\xff\xfe{}", ["not valid JSON", "utf-8"]),
    ("9" * 5000, ["not valid JSON", "4300"]),
    ("[" * 100_000 + "]" * 100_000, ["nested too deeply"]),
    (None, ["not JSON text but NoneType"]),
    (b'\x00{\x00}', ["not valid JSON"]),         # UTF-16 is not guessed
])
def test_every_failure_is_the_callers_error_naming_what(text, words):
    with pytest.raises(Refused, match=r"^the thing: ") as err:
        read_json_text(text, "the thing", Refused)
    for w in words:
        assert w in str(err.value)


def test_depth_counts_without_recursing():
    assert depth(1) == 0 and depth([]) == 1 and depth({"a": [[1], {}]}) == 3
    assert depth(json.loads("[" * 900 + "]" * 900)) == MAX_DEPTH + 1     # stops counting early


@pytest.mark.parametrize("levels", [MAX_DEPTH, 900])
def test_settings_too_deep_to_be_written_back_are_refused_when_loading(tmp_path, levels):
    # 900 levels parsed, and then Save died in json.dumps with a RecursionError.
    data = json.loads(EXAMPLE.read_text())
    data["settings"]["deep"] = json.loads("[" * levels + "]" * levels)
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(data))
    with pytest.raises(GraphError, match=r"^deep\.json: the design's field 'settings' nests more than 64"):
        Graph.load(path)
    data["settings"]["deep"] = json.loads("[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2))
    path.write_text(json.dumps(data))
    Graph.load(path).save(tmp_path / "again.json")
