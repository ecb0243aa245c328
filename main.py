"""Backprop Studio: the GUI, or the command line when given a subcommand.

    python main.py [DESIGN.json] [--screenshot out.png]    the app
    python main.py train|export|gradcheck|predict ...       the command line (see --help)
"""
import sys

COMMANDS = ("train", "export", "gradcheck", "predict")


def main(argv: list[str]) -> int:
    if argv and argv[0] in COMMANDS:
        from engine.cli import main as cli_main
        return cli_main(argv)
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    from gui.shell.app import main as gui_main
    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
