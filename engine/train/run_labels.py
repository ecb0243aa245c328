"""Label runs by what differs between them: "sigmoid" vs "ReLU", "SGD lr 0.1" vs "Adam lr 0.01",
"with skip n1→n4" vs "without skip n1→n4".

Only settings that differ among the runs given appear in their labels; runs that
differ in nothing are told apart by number ("run 3"), as are two runs whose labels
would otherwise be the same.
"""
from __future__ import annotations

from engine.model.queries import path_exists

ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "elu": "ELU"}
OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "momentum", "nesterov": "Nesterov", "adam": "Adam"}
MAX_STRUCTURE_PARTS = 2     # connection or node differences named at most, then "…"


def activation_name(name) -> str:
    return ACTIVATION_NAMES.get(name, str(name))


def run_labels(settings_list: list[dict], numbers: list[int] | None = None) -> list[str]:
    """One label per run (its ``settings`` as ``run_record.run_settings`` gives them)."""
    numbers = numbers or list(range(1, len(settings_list) + 1))
    parts: list[list[str]] = [[] for _ in settings_list]
    for describe in (_structure, _activations, _loss, _optimizer, _others):
        for part, text in zip(parts, describe(settings_list)):
            if text:
                part.append(text)
    labels = [" · ".join(p) if p else f"run {n}" for p, n in zip(parts, numbers)]
    return [f"{label} (run {n})" if labels.count(label) > 1 and not label.startswith("run ") else label
            for label, n in zip(labels, numbers)]


def _differs(settings_list, key) -> bool:
    return len({repr(s.get(key)) for s in settings_list}) > 1


def _name(settings: dict, node: str) -> str:
    names = settings.get("names") or {}
    return str(names.get(node) or node)


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _loss(settings_list) -> list[str]:
    if not _differs(settings_list, "loss"):
        return [""] * len(settings_list)
    return [f"loss {s.get('loss')}" for s in settings_list]


def _optimizer(settings_list) -> list[str]:
    opt, lr = _differs(settings_list, "optimizer"), _differs(settings_list, "lr")
    out = []
    for s in settings_list:
        words = []
        if opt:
            words.append(OPTIMIZER_NAMES.get(s.get("optimizer"), str(s.get("optimizer", "adam"))))
        if lr:
            words.append(f"lr {_number(s.get('lr', 'default'))}")
        out.append(" ".join(words))
    return out


def _others(settings_list) -> list[str]:
    keys = (("batch_size", "batch "), ("l1", "L1 "), ("l2", "L2 "), ("init", "init "),
            ("seed", "seed "), ("data", "data "))
    changed = [(k, prefix) for k, prefix in keys if _differs(settings_list, k)]
    return [", ".join(f"{prefix}{_number(s.get(k, '—'))}" for k, prefix in changed) for s in settings_list]


def _activations(settings_list) -> list[str]:
    """The activation of each node whose activation differs (and that every run has)."""
    maps = [s.get("activations") or {} for s in settings_list]
    common = set.intersection(*(set(m) for m in maps)) if maps else set()
    nodes = sorted(n for n in common if len({m[n] for m in maps}) > 1)
    if not nodes:
        return [""] * len(settings_list)
    out = []
    for s, m in zip(settings_list, maps):
        used = {m[n] for n in nodes}
        if len(used) == 1:          # "sigmoid" says it all when every changed node has it
            out.append(activation_name(used.pop()))
        else:
            out.append(", ".join(f"{_name(s, n)} {activation_name(m[n])}" for n in nodes))
    # The same single name for runs that differ in which nodes carry it: name the nodes.
    if len(set(out)) < len({tuple(m[n] for n in nodes) for m in maps}):
        out = [", ".join(f"{_name(s, n)} {activation_name(m[n])}" for n in nodes)
               for s, m in zip(settings_list, maps)]
    return out


def _structure(settings_list) -> list[str]:
    """Connections and nodes some runs have and others lack; node sizes that differ."""
    conns = [{tuple(c) for c in s.get("connections") or []} for s in settings_list]
    nodes = [set(s.get("sizes") or {}) for s in settings_list]
    all_conns = sorted(set().union(*conns) - set.intersection(*conns)) if conns else []
    all_nodes = sorted(set().union(*nodes) - set.intersection(*nodes)) if nodes else []
    common = set.intersection(*nodes) if nodes else set()
    resized = sorted(n for n in common if len({s["sizes"][n] for s in settings_list}) > 1)
    out = []
    for s, have_c, have_n in zip(settings_list, conns, nodes):
        words = []
        for src, dst in all_conns:
            skip = _is_skip(settings_list, src, dst)
            what = f"{'skip ' if skip else ''}{_name(s, src)}→{_name(s, dst)}"
            words.append(f"{'with' if (src, dst) in have_c else 'without'} {what}")
        words += [f"{'with' if n in have_n else 'without'} {_name(s, n)}" for n in all_nodes]
        words += [f"{_name(s, n)} ×{s['sizes'][n]}" for n in resized]
        if not words and _differs(settings_list, "structure"):    # e.g. masks differ
            words.append(f"design {str(s.get('structure'))[:6]}")
        if len(words) > MAX_STRUCTURE_PARTS:
            words = words[:MAX_STRUCTURE_PARTS] + ["…"]
        out.append(", ".join(words))
    return out


def _is_skip(settings_list, src: str, dst: str) -> bool:
    """Whether, in a run that has src→dst, dst is also reached from src through another node."""
    for s in settings_list:
        edges = [tuple(c) for c in s.get("connections") or []]
        if (src, dst) not in edges:
            continue
        return any(path_exists(edges, d, dst) for a, d in edges if a == src and d != dst)
    return False
