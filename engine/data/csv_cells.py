"""Cells of a CSV column gathered a block at a time: missing values, the target, text columns.

A missing value is an empty cell or one of MISSING_TEXTS ("NA", "NaN", "nan"). What
happens to it is the setting ``missing``: "refuse" (a DataError naming its row and
column), "drop" (the row is left out) or "mean" (the cell gets the training split's
mean of its column). A text column is kept as integer codes, one per row (-1 for a
missing cell), and the distinct texts: its memory is one integer a row.
"""
from __future__ import annotations

import numpy as np

from engine.model.errors import DataError

MISSING_POLICIES = ("refuse", "drop", "mean")
MISSING_TEXTS = ("", "NA", "NaN", "nan")
MAX_INT_CLASSES = 20         # an integer target with at most this many values is a class label
MAX_TEXT_CLASSES = 100       # a text target with more distinct values is refused
MAX_TEXT_VALUES = 1000       # a text feature column with more distinct values is no longer collected
FIX_MISSING = "fill it in, or handle missing values with --missing drop or --missing mean"


def is_number(text: str) -> bool:
    try:
        return bool(np.isfinite(float(text)))
    except ValueError:
        return False


def is_missing(text: str) -> bool:
    return text.strip() in MISSING_TEXTS


def check_policy(missing) -> str:
    if missing not in MISSING_POLICIES:
        raise DataError(f"missing must be one of {', '.join(MISSING_POLICIES)}, not {missing!r}")
    return missing


def missing_error(file: str, row: int, column: str, text: str, what: str = "") -> DataError:
    shown = "is empty" if not text.strip() else f'"{text.strip()}" is a missing value'
    return DataError(f'{file}, row {row}, column "{column}"{what}: {shown}: {FIX_MISSING}')


def _missing(texts: np.ndarray) -> np.ndarray:
    return np.isin(texts, MISSING_TEXTS)


class TextColumn:
    """A text feature column: a code per row (-1 when missing) and its distinct texts.

    Past MAX_TEXT_VALUES distinct texts the codes are no longer kept (``too_many``):
    such a column has far more than a one-hot encoding takes.
    """

    def __init__(self, name: str):
        self.name = name
        self.values: list[str] = []           # text of each code
        self._index: dict[str, int] = {}
        self._codes: list[np.ndarray] = []
        self.too_many = False

    def add(self, cells, row_numbers: list[int], file: str, refuse: bool) -> np.ndarray:
        """Take a block's cells; returns the rows whose cell is missing (as a mask)."""
        texts = np.char.strip(np.array(cells, dtype=str))
        missing = _missing(texts)
        if refuse and missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise missing_error(file, row_numbers[i], self.name, str(cells[i]))
        if not self.too_many:
            uniq, inverse = np.unique(texts, return_inverse=True)
            index = np.array([-1 if _missing(u) else self._index.setdefault(str(u), len(self._index))
                              for u in uniq], dtype=np.int64)
            self._codes.append(index[inverse.reshape(-1)])
            self.too_many = len(self._index) > MAX_TEXT_VALUES
            if self.too_many:
                self._codes = []
        return missing

    def finish(self) -> None:
        self.values = list(self._index)

    @property
    def codes(self) -> np.ndarray:
        if len(self._codes) != 1:
            self._codes = [np.concatenate(self._codes) if self._codes else np.zeros(0, np.int64)]
        return self._codes[0]

    def keep(self, rows: np.ndarray) -> None:
        """Keep only ``rows`` (a mask or indices) of every block read so far."""
        if not self.too_many:
            self._codes = [self.codes[rows]]


class Target:
    """Accumulates the target column: numbers while they last, and its distinct texts."""

    def __init__(self, name: str):
        self.name = name
        self.values: list[np.ndarray] = []
        self.codes: list[np.ndarray] = []
        self.labels: dict[str, int] = {}
        self.first_text: tuple[int, str] | None = None
        self.too_many = False

    def missing(self, cells) -> np.ndarray:
        return _missing(np.char.strip(np.array(cells, dtype=str)))

    def add(self, cells: list[str], row_numbers: list[int], file: str) -> None:
        texts = np.char.strip(np.array(cells, dtype=str))
        empty = np.flatnonzero(_missing(texts))
        if empty.size:
            i = empty[0]
            raise missing_error(file, row_numbers[i], self.name, str(texts[i]), " (the target)")
        if self.first_text is None:
            try:
                values = texts.astype(np.float64)
            except ValueError:
                i = next(i for i, t in enumerate(texts) if not is_number(t))
                self.first_text = (row_numbers[i], str(texts[i]))
            else:
                bad = np.flatnonzero(~np.isfinite(values))
                if bad.size:
                    i = bad[0]
                    raise DataError(f'{file}, row {row_numbers[i]}, column "{self.name}": '
                                    f'"{texts[i]}" is not a finite number')
                self.values.append(values)
        if not self.too_many:
            uniq, inverse = np.unique(texts, return_inverse=True)
            index = np.array([self.labels.setdefault(str(u), len(self.labels)) for u in uniq], dtype=np.int64)
            self.codes.append(index[inverse.reshape(-1)])
            self.too_many = len(self.labels) > MAX_TEXT_CLASSES

    def finish(self, file: str) -> tuple[np.ndarray, list[str]]:
        """(y, class names): class indices and names for classes, else the numbers and []."""
        if self.first_text is None:
            y = np.concatenate(self.values)
            distinct = np.unique(y)
            if len(distinct) <= MAX_INT_CLASSES and np.all(distinct == np.round(distinct)):
                return np.searchsorted(distinct, y).astype(np.int64), [str(int(v)) for v in distinct]
            return y, []
        row, text = self.first_text
        if self.too_many:
            raise DataError(f'{file}, row {row}, column "{self.name}": "{text}" is not a number, and the target '
                            f"has more than {MAX_TEXT_CLASSES} distinct values, too many to be classes: "
                            "fix the cell or choose another target column")
        codes = np.concatenate(self.codes)
        counts = np.bincount(codes, minlength=len(self.labels))
        numeric = np.array([is_number(k) for k in self.labels])
        if counts[numeric].sum() > counts[~numeric].sum():  # mostly numbers: the text is a typo
            raise DataError(f'{file}, row {row}, column "{self.name}": "{text}" is not a number, but most '
                            "of the target column is: fix the cell or delete the row")
        names = sorted(self.labels)
        order = np.array([names.index(k) for k in self.labels], dtype=np.int64)
        return order[codes], names


def parse_numbers(cells, row_numbers: list[int], names: list[str], file: str) -> np.ndarray:
    """A block of numeric feature cells as float64, NaN where a cell is missing.

    A cell that is neither a number nor missing, or an infinity, is a DataError.
    """
    try:
        block = np.array(cells, dtype=np.float64)
    except ValueError:
        block = np.empty((len(cells), len(names)))
        for r, row in enumerate(cells):
            for j, cell in enumerate(row):
                if is_missing(cell):
                    block[r, j] = np.nan
                    continue
                try:
                    block[r, j] = float(cell)
                except ValueError:
                    raise DataError(f'{file}, row {row_numbers[r]}, column "{names[j]}": "{cell.strip()}" '
                                    "is not a number: every feature cell must hold a number") from None
    block = block.reshape(len(cells), len(names))
    if np.isinf(block).any():
        r, j = np.argwhere(np.isinf(block))[0]
        raise DataError(f'{file}, row {row_numbers[r]}, column "{names[j]}": "{cells[r][j].strip()}" '
                        "is not a finite number: every feature cell must hold a number")
    return block
