"""Start-up without PySide6's source scan of every imported module.

Importing PySide6 replaces ``__import__`` so that ``from __feature__ import snake_case`` can
work module by module. After every import, in any module, its hook asks whether the new
module uses PySide: it reads and scans the module's source file (``inspect.getsource``), ~45 ms
of the app's start over its ~400 modules (napari/napari#8584). The answer only decides whether
the module is left out of feature switching (-1) or runs with no features (0), and this app
selects no features anywhere, so both behave the same: ``skip`` answers "uses PySide" for every
module without reading any source. A PySide6 without this hook is left as it is.
"""
from __future__ import annotations

import sys


def skip() -> bool:
    """Stop the per-import source scan; True if PySide6 had it."""
    import PySide6.QtCore  # noqa: F401  (installs the import hook and its feature module)

    feature = sys.modules.get("PySide6.support.feature")
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    feature._mod_uses_pyside = _uses_pyside
    return True


def _uses_pyside(module) -> bool:
    return True
