"""``main.py gradcheck``: chain-rule gradients against central finite differences.

    python main.py gradcheck DESIGN.json [--data xor] [--samples N] [--seed 0]
"""
from __future__ import annotations

import argparse

from engine.cli.options import Parser, add_data_options, load_design_and_data
from engine.nn.gradcheck import MAX_ENTRIES, MAX_EXAMPLES, check_gradients
from engine.nn.network import Network

GRADCHECK_TOLERANCE = 1e-6


def gradcheck_parser() -> argparse.ArgumentParser:
    p = Parser(prog="main.py gradcheck",
               description="Compare chain-rule gradients with central finite differences (float64) "
                           f"per parameter, on up to {MAX_EXAMPLES} training examples and up to "
                           f"{MAX_ENTRIES} entries per parameter; exit 1 if any relative error "
                           f"exceeds {GRADCHECK_TOLERANCE:g}.")
    add_data_options(p)
    return p


def cmd_gradcheck(argv: list[str]) -> int:
    args = gradcheck_parser().parse_args(argv)
    graph, settings, dataset = load_design_and_data(args, with_target=False)
    network = Network(graph, seed=settings.get("seed") or 0, dtype="float64")
    results = check_gradients(network, dataset.X_train, dataset.T_train, seed=settings.get("seed") or 0)
    width = max(len("parameter"), *(len(r.name) for r in results))
    print(f"{'parameter':<{width}}  {'shape':<12} {'checked':>7}  max rel. error")
    worst = 0.0
    failed = []
    for r in results:
        err = "n/a" if r.max_error is None else f"{r.max_error:.2e}"
        ok = r.max_error is None or r.max_error <= GRADCHECK_TOLERANCE
        note = "" if not r.skipped else f"  ({r.skipped} skipped at a relu kink)"
        print(f"{r.name:<{width}}  {str(r.shape):<12} {r.checked:>7}  {err:<9} "
              f"{'ok' if ok else 'FAIL'}{note}")
        if r.max_error is not None:
            worst = max(worst, r.max_error)
        if not ok:
            failed.append(r.name)
    if failed:
        print(f"{len(failed)} of {len(results)} parameters fail: relative error above "
              f"{GRADCHECK_TOLERANCE:g} ({', '.join(failed)})")
        return 1
    print(f"all {len(results)} parameters pass (max relative error {worst:.2e} ≤ {GRADCHECK_TOLERANCE:g})")
    return 0
