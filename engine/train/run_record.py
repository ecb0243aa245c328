"""One training run (Reset → Play until the next Reset or design change): its settings and history.

A ``RunRecord`` keeps what a run was trained with (activation per node, optimiser,
learning rate, batch size, L1/L2, loss, initialisation, the design's structure and
seed) and what it did: per-step losses, per-epoch summaries and per-connection
gradient norms, each thinned to at most ``POINTS_CAP`` points (every other point
dropped when full, then only every other offered point kept, so spacing stays
uniform). ``to_dict``/``from_dict`` give the plain data saved in a design file;
``from_dict`` raises ``RunError`` on anything malformed, naming the problem.
"""
from __future__ import annotations

import hashlib
import json
import math

from engine.model.graph import Graph

MAX_RUNS = 10              # runs a session and a design file keep (the oldest go first)
POINTS_CAP = 1000          # points kept per series of a run
FLOW_CONNECTIONS = 32      # connections whose gradient norms a run keeps
EPOCH_FIELDS = ("epoch", "step", "train_loss", "val_loss", "train_metric", "val_metric")
SETTING_KEYS = ("optimizer", "lr", "batch_size", "l1", "l2", "seed", "init", "data")


class RunError(ValueError):
    """A saved run that cannot be read; the message says why."""


def structure_hash(graph: Graph) -> str:
    """A short hash of the design's structure: nodes (id, kind, size), connections and masks."""
    h = hashlib.sha1()
    for n in sorted(graph.nodes):
        h.update(json.dumps([n, graph.node(n).kind, graph.node(n).size]).encode())
    for c in sorted(graph.connections.values(), key=lambda c: (c.src, c.dst)):
        h.update(json.dumps([c.src, c.dst]).encode())
        if c.mask is not None:
            h.update(c.mask.astype(bool).tobytes())
    return h.hexdigest()[:12]


def run_settings(graph: Graph) -> dict:
    """What a run trains with, as plain data (compared by ``run_labels``)."""
    s = graph.settings if isinstance(graph.settings, dict) else {}
    settings = {k: s.get(k) for k in SETTING_KEYS if _plain(s.get(k))}
    settings.setdefault("init", "auto")         # He for the ReLU family, Glorot otherwise
    settings["loss"] = graph.loss
    settings["activations"] = {n: graph.node(n).activation for n in graph.nodes
                               if graph.node(n).kind != "input"}
    settings["sizes"] = {n: graph.node(n).size for n in graph.nodes}
    settings["names"] = {n: graph.node(n).name for n in graph.nodes if graph.node(n).name}
    settings["connections"] = [[c.src, c.dst] for c in graph.connections.values()]
    settings["structure"] = structure_hash(graph)
    return settings


def _plain(value) -> bool:
    """A string, bool or finite number small enough to show (a setting worth comparing)."""
    if isinstance(value, (str, bool)):
        return len(str(value)) < 1000
    if isinstance(value, int):
        return abs(value) < 10**15
    return isinstance(value, float) and math.isfinite(value)


def _number(value) -> float | None:
    """A finite float, or None (JSON has no NaN)."""
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return v if math.isfinite(v) else None


class Thinned:
    """Rows appended up to ``cap``; then every other row goes and ``stride`` doubles."""

    def __init__(self, cap: int = POINTS_CAP):
        self.cap = max(2, cap - cap % 2)
        self.rows: list = []
        self.stride = 1
        self.offered = 0

    def add(self, row) -> None:
        self.extend([row])

    def kept(self, n: int) -> slice:
        """Which of the next ``n`` offered rows would be kept (before any halving)."""
        return slice((-self.offered) % self.stride, n, self.stride)

    def extend(self, rows, offered: int | None = None) -> None:
        """Offer ``rows``; or, with ``offered``, keep ``rows`` already chosen by ``kept(offered)``."""
        if offered is None:
            offered, rows = len(rows), list(rows)[self.kept(len(rows))]
        self.rows.extend(rows)
        self.offered += offered
        while len(self.rows) > self.cap:     # kept rows are every stride-th from the first
            self.rows = self.rows[::2]
            self.stride *= 2


class RunRecord:
    """A training run: ``number`` (1, 2, … in the session), ``settings`` and its history."""

    def __init__(self, number: int, settings: dict, metric_name: str = "accuracy", cap: int = POINTS_CAP):
        self.number = number
        self.settings = settings
        self.metric_name = metric_name
        self.steps = Thinned(cap)         # [step, loss]
        self.epochs = Thinned(cap)        # [epoch, step, train_loss, val_loss, train_metric, val_metric]
        self.flow = Thinned(cap)          # [step, {connection: norm}]

    @classmethod
    def start(cls, graph: Graph, number: int) -> RunRecord:
        return cls(number, run_settings(graph))

    # ----- history --------------------------------------------------------
    def add_steps(self, steps, losses) -> None:
        """Per-step losses (sequences of the same length; thinned before converting)."""
        n = min(len(steps), len(losses))
        kept = self.steps.kept(n)
        self.steps.extend([[int(s), _number(v)] for s, v in zip(steps[kept], losses[kept])], n)

    def add_epoch(self, report: dict) -> None:
        self.epochs.add([int(report["epoch"]), int(report["step"])]
                        + [_number(report.get(k)) for k in EPOCH_FIELDS[2:]])
        if report.get("metric_name"):
            self.metric_name = str(report["metric_name"])

    def add_flow(self, step: int, norms: dict) -> None:
        kept = dict(list(norms.items())[:FLOW_CONNECTIONS])
        self.flow.add([int(step), {str(k): _number(v) for k, v in kept.items()}])

    @property
    def empty(self) -> bool:
        return not (self.steps.rows or self.epochs.rows)

    def series(self, field: str) -> tuple[list, list, list]:
        """(steps, epochs, values) of one epoch field, e.g. "train_loss"; None values left out."""
        i = EPOCH_FIELDS.index(field)
        rows = [r for r in self.epochs.rows if r[i] is not None]
        return [r[1] for r in rows], [r[0] for r in rows], [r[i] for r in rows]

    def flow_series(self, key: str) -> tuple[list, list]:
        """(steps, norms) of one connection "src->dst"; a missing or zero norm is NaN (a gap)."""
        xs, ys = [], []
        for step, norms in self.flow.rows:
            v = norms.get(key)
            xs.append(step)
            ys.append(v if v is not None and v > 0 else math.nan)
        return xs, ys

    def final(self) -> dict:
        """The last epoch's values (None where unknown), the steps taken and the last step's loss."""
        last = self.epochs.rows[-1] if self.epochs.rows else [None] * len(EPOCH_FIELDS)
        out = dict(zip(EPOCH_FIELDS, last))
        if self.steps.rows:
            out["step"] = max(out["step"] or 0, self.steps.rows[-1][0])
            out["last_step_loss"] = self.steps.rows[-1][1]
        else:
            out["last_step_loss"] = None
        return out

    # ----- plain data -----------------------------------------------------
    def to_dict(self) -> dict:
        return {"number": self.number, "settings": self.settings, "metric_name": self.metric_name,
                "steps": [list(r) for r in self.steps.rows],
                "epochs": [list(r) for r in self.epochs.rows],
                "flow": [[s, dict(n)] for s, n in self.flow.rows]}

    @classmethod
    def from_dict(cls, data, cap: int = POINTS_CAP) -> RunRecord:
        """A run from ``to_dict``'s data, thinned to ``cap``; RunError when it is malformed."""
        if not isinstance(data, dict):
            raise RunError(f"a run must be an object, not {type(data).__name__}")
        number = data.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise RunError(f"its number must be a whole number ≥ 1, not {number!r}")
        settings = _checked_settings(data.get("settings"))
        metric = data.get("metric_name", "accuracy")
        record = cls(number, settings, metric if isinstance(metric, str) else "accuracy", cap)
        for row in _rows(data, "steps", 2):
            record.steps.add([_whole(row[0], "steps"), _number(row[1])])
        for row in _rows(data, "epochs", len(EPOCH_FIELDS)):
            record.epochs.add([_whole(row[0], "epochs"), _whole(row[1], "epochs")]
                              + [_number(v) for v in row[2:]])
        for row in _rows(data, "flow", 2):
            if not isinstance(row[1], dict):
                raise RunError("each row of flow must be [step, {connection: norm}]")
            record.flow.add([_whole(row[0], "flow"), {str(k): _number(v) for k, v in
                                                      list(row[1].items())[:FLOW_CONNECTIONS]}])
        return record


def _rows(data: dict, key: str, width: int) -> list:
    rows = data.get(key, [])
    if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == width for r in rows):
        raise RunError(f"{key} must be a list of rows of {width} values")
    return rows


def _whole(value, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 10**15:
        raise RunError(f"{key} holds {str(value)[:20]!r} where a whole number ≥ 0 belongs")
    return value


def _checked_settings(settings) -> dict:
    if not isinstance(settings, dict):
        raise RunError("its settings must be an object")
    out = {k: settings[k] for k in SETTING_KEYS + ("loss", "structure") if _plain(settings.get(k))}
    for key in ("activations", "sizes", "names"):
        value = settings.get(key, {})
        if not isinstance(value, dict) or not all(_plain(v) for v in value.values()):
            raise RunError(f"its settings' {key} must map node ids to plain values")
        out[key] = {str(k): v for k, v in value.items()}
    conns = settings.get("connections", [])
    if not isinstance(conns, list) or not all(isinstance(c, list) and len(c) == 2
                                              and all(isinstance(n, str) for n in c) for c in conns):
        raise RunError("its settings' connections must be a list of [source, destination] ids")
    out["connections"] = [list(c) for c in conns]
    return out
