"""The command line: train, export and gradcheck a design file without the GUI.

    python main.py train DESIGN.json [--data NAME|CSV] [--epochs N] ... [--export OUT] [--json]
    python main.py export DESIGN.json --weights W.npz OUT.(npz|json|safetensors|onnx|py)
    python main.py gradcheck DESIGN.json [--data xor] [--samples N] [--seed 0]
    python main.py predict DESIGN.json --weights W DATA.csv [--out OUT.csv] [--missing drop|mean]
    python main.py import MODEL.onnx|STATE.(safetensors|pt|pth) OUT.json [--design DESIGN.json]
    python main.py diagnose DESIGN.json [--weights W] [--data NAME|CSV] [--probe-steps N] [--json]

Each subcommand lives in its own module (train_command, export_command, gradcheck,
predict_command).
Data and training settings default to the design's ``settings`` and flags override
them. Every bad input ends with one line "error: ..." on stderr and a non-zero
exit: 2 for a usage error, 1 otherwise, 130 after Ctrl+C.
"""
from __future__ import annotations

import os
import sys

from engine.cli.diagnose_command import cmd_diagnose
from engine.cli.export_command import cmd_export, export_parser
from engine.cli.exporters import EXPORTERS, export, exporter_for
from engine.cli.gradcheck import cmd_gradcheck, gradcheck_parser
from engine.cli.import_command import cmd_import, import_parser
from engine.cli.options import CliError
from engine.cli.predict_command import cmd_predict, predict_parser
from engine.cli.train_command import DEFAULT_EPOCHS, cmd_train, train_parser
from engine.data.datasets import DataError
from engine.io.onnx_export import ExportError
from engine.io.weights import WeightsError
from engine.model.graph import GraphError
from engine.nn.gradcheck import GradientCheck, check_gradients
from engine.train.trainer import ConfigError

__all__ = ["main", "COMMANDS", "INPUT_ERRORS", "CliError", "EXPORTERS", "export", "exporter_for",
           "GradientCheck", "check_gradients", "DEFAULT_EPOCHS",
           "train_parser", "export_parser", "gradcheck_parser", "predict_parser", "import_parser"]

# Errors that describe bad input; anything else is a bug and keeps its traceback.
INPUT_ERRORS = (GraphError, DataError, WeightsError, ExportError, ConfigError, OSError)

COMMANDS = {"train": cmd_train, "export": cmd_export, "gradcheck": cmd_gradcheck, "predict": cmd_predict,
            "import": cmd_import, "diagnose": cmd_diagnose}


def main(argv: list[str]) -> int:
    """Run ``argv`` (command first); returns the exit status."""
    if not argv or argv[0] not in COMMANDS:
        print(f"error: the command must be one of {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except BrokenPipeError:     # `predict ... | head`: the reader has all it wanted
        # Python would complain again when it flushes stdout at exit; point it at nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except CliError as e:
        _fail(str(e))
        return e.code
    except INPUT_ERRORS as e:
        _fail(str(e) if not isinstance(e, OSError) or not e.filename else
              f"{e.filename}: {e.strerror or e}")
        return 1
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except SystemExit as e:     # argparse after --help
        return e.code if isinstance(e.code, int) else 0


def _fail(message: str) -> None:
    sys.stdout.flush()
    print("error: " + " ".join(message.split()), file=sys.stderr)
