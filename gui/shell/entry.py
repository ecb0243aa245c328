"""The ``backprop-studio`` command, and ``python main.py``: the app, or the command line.

    backprop-studio [DESIGN] [--screenshot OUT.png]       the app; DESIGN is a file or an example's name
    backprop-studio train|export|gradcheck|predict|import|diagnose ...   the command line (each has --help)
    backprop-studio --install-desktop                     add the app and its icon to the desktop's menu

Both sides are imported only when chosen, so the command line never loads Qt and the app
never loads the command line.
"""
from __future__ import annotations

import sys

# Kept here rather than read from engine.cli so that starting the app does not import it;
# tests/cli/test_entry.py checks that every command engine.cli knows is listed.
COMMANDS = ("train", "export", "gradcheck", "predict", "import", "diagnose")
INSTALL_DESKTOP = "--install-desktop"


def main(argv: list[str] | None = None) -> int:
    """Run what ``argv`` asks for (default: the process's arguments); return the exit code.

    Called without ``argv`` it is the whole process (main.py, the installed command, the restart
    under Xvfb): a screenshot may then end the process itself, sparing the teardown.
    """
    whole_process = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        from engine.cli import main as cli_main
        return cli_main(argv)
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if INSTALL_DESKTOP in argv:
        if argv != [INSTALL_DESKTOP]:
            print(f"error: {INSTALL_DESKTOP} takes no other arguments", file=sys.stderr)
            return 2
        from gui.shell.desktop import install_desktop
        return install_desktop()
    from gui.shell.app import main as gui_main
    return gui_main(argv, whole_process=whole_process)


if __name__ == "__main__":   # how the app restarts itself under a virtual display
    sys.exit(main())
