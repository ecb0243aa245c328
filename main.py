"""Backprop Studio from a checkout: the same as the installed ``backprop-studio`` command.

    python main.py [DESIGN.json|EXAMPLE] [--screenshot out.png]   the app
    python main.py train|export|gradcheck|predict|import ...       the command line (see --help)
    python main.py --install-desktop                               add the app to the desktop's menu
"""
import sys

from gui.shell.entry import main

if __name__ == "__main__":
    sys.exit(main())   # no argv: the whole process, as the installed command runs it
