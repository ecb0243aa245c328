"""The user's own CSV: header detection, a target column, numeric features.

Rows are read with the csv module and converted a block at a time (numpy parses
the numbers), so a large file costs its numbers in float64 and little more. A file
over the limits (MAX_VALUES, MAX_ROW_CHARS) is refused as soon as a row crosses
them, before the rest is read; a path that is no regular file, before it is opened.
Every problem is a DataError naming the file, and for a bad cell its row (as
counted in the file, 1-based, header included) and column.
"""
from __future__ import annotations

import csv
import operator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.files.regular_file import NotAFileError, open_regular
from engine.model.errors import DataError

MAX_VALUES = 20_000_000      # rows × feature columns: 160 MB of float64
MAX_INT_CLASSES = 20         # an integer target with at most this many values is a class label
MAX_TEXT_CLASSES = 100       # a text target with more distinct values is refused
MAX_ROW_CHARS = 2_000_000    # a longer record is refused before it is split into cells
SAMPLE_ROWS = 20             # rows read to detect the header and text columns
SAMPLE_CELLS = 1_000_000     # ...or fewer, when the rows are this wide
BLOCK_ROWS = 8192
BLOCK_CELLS = 1_000_000      # cells held as text before a block is parsed: memory stays bounded
DELIMITERS = (",", ";", "\t")


@dataclass
class CsvTable:
    """A CSV file read for learning: numeric features and one target column."""
    path: Path
    columns: list[str]
    has_header: bool
    feature_names: list[str]
    target_name: str
    X: np.ndarray                  # (n, features) float64
    y: np.ndarray                  # class index (int64) or the numeric target (float64)
    class_names: list[str]         # [] when the target is numeric (regression)
    skipped: list[str] = field(default_factory=list)   # text columns left out of the features

    @property
    def task(self) -> str:
        return "classification" if self.class_names else "regression"


def _is_number(text: str) -> bool:
    try:
        return np.isfinite(float(text))
    except ValueError:
        return False


class _Rows:
    """The file's records with their row numbers, blank lines skipped."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self._file = open_regular(path, "r", newline="", encoding="utf-8-sig")
        except FileNotFoundError:
            raise DataError(f"{path}: no such file") from None
        except NotAFileError as e:  # a pipe would block open() and read(); /dev/zero never ends
            raise DataError(str(e)) from None
        except OSError as e:
            raise DataError(f"{path}: cannot read it ({e.strerror or e})") from None
        try:
            first_line = self._guard(lambda: self._file.readline(MAX_ROW_CHARS))
        except DataError:
            self._file.close()      # __exit__ will not run: the reader was never made
            raise
        self._file.seek(0)
        delimiter = max(DELIMITERS, key=first_line.count) if any(d in first_line for d in DELIMITERS) else ","
        self._chars = 0             # characters of the record being read
        self._reader = csv.reader(self._lines(), delimiter=delimiter)
        self.row = 0

    def _lines(self):
        """The file's lines, refusing a record longer than MAX_ROW_CHARS before it is held whole."""
        readline, limit = self._file.readline, MAX_ROW_CHARS + 1
        while line := readline(limit):
            self._chars += len(line)
            if self._chars > MAX_ROW_CHARS:
                raise DataError(f"{self.path.name}, row {self.row + 1} is longer than {MAX_ROW_CHARS:,} "
                                "characters: too long to be a row of numbers")
            yield line

    def _guard(self, fn):
        try:
            return fn()
        except UnicodeDecodeError:
            raise DataError(f"{self.path.name} is not UTF-8 text: save it as a UTF-8 CSV file") from None
        except csv.Error as e:
            raise DataError(f"{self.path.name}, row {self.row + 1}: not readable as CSV ({e})") from None

    def __iter__(self):
        return self

    def __next__(self) -> list[str]:
        while True:
            record = self._guard(lambda: next(self._reader))
            self._chars = 0
            self.row += 1
            if record and not (len(record) == 1 and not record[0].strip()):
                return record

    def close(self):
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _read_head(rows: _Rows) -> tuple[list[tuple[int, list[str]]], bool, list[str]]:
    """The first rows (with row numbers), whether the first is a header, and the column names."""
    head, n_cells = [], 0
    for record in rows:
        head.append((rows.row, record))
        n_cells += len(record)
        if len(head) > SAMPLE_ROWS or (len(head) > 1 and n_cells >= SAMPLE_CELLS):
            break
    if not head:
        raise DataError(f"{rows.path.name} is empty: it needs a row per example")
    first = head[0][1]
    sample = [r for _, r in head[1:] if len(r) == len(first)]
    numeric_column = [bool(sample) and all(_is_number(r[j]) for r in sample if r[j].strip())
                      and any(r[j].strip() for r in sample) for j in range(len(first))]
    has_header = any(numeric_column[j] and not _is_number(first[j]) for j in range(len(first)))
    if not has_header and not sample and not any(_is_number(c) for c in first):
        has_header = True  # a lone row of names
    if has_header:
        names, seen = [], set()
        for j, cell in enumerate(first):
            name = cell.strip() or f"column {j + 1}"
            base, k = name, 2
            while name in seen:
                name, k = f"{base} ({k})", k + 1
            seen.add(name)
            names.append(name)
    else:
        names = [f"column {j + 1}" for j in range(len(first))]
    return head, has_header, names


def csv_columns(path) -> list[str]:
    """The column names (or "column 1", "column 2"... when there is no header)."""
    with _Rows(Path(path)) as rows:
        return _read_head(rows)[2]


def _resolve_column(spec, columns: list[str], path: Path, what: str) -> int:
    n = len(columns)
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        if -n <= spec < n:
            return int(spec) % n
        raise DataError(f"{path.name} has {n} columns: there is no {what} column at index {spec}")
    if not isinstance(spec, str):
        raise DataError(f"the {what} column must be a name or a number, not {spec!r}")
    text = spec.strip()
    if text in columns:
        return columns.index(text)
    folded = [c.casefold() for c in columns]
    if text.casefold() in folded:
        return folded.index(text.casefold())
    number = text.casefold().removeprefix("column").strip()
    if number.isdigit() and 1 <= int(number) <= n:
        return int(number) - 1
    shown = ", ".join(columns[:12]) + (", ..." if n > 12 else "")
    raise DataError(f'{path.name} has no column "{spec}": the columns are {shown}')


class _Target:
    """Accumulates the target column: numbers while they last, and its distinct texts."""

    def __init__(self, name: str):
        self.name = name
        self.values: list[np.ndarray] = []
        self.codes: list[np.ndarray] = []
        self.labels: dict[str, int] = {}
        self.first_text: tuple[int, str] | None = None
        self.too_many = False

    def add(self, cells: list[str], row_numbers: list[int], file: str) -> None:
        texts = np.char.strip(np.array(cells, dtype=str))
        empty = np.flatnonzero(texts == "")
        if empty.size:
            raise DataError(f'{file}, row {row_numbers[empty[0]]}, column "{self.name}" (the target) is empty: '
                            "fill it in or delete the row")
        if self.first_text is None:
            try:
                values = texts.astype(np.float64)
            except ValueError:
                i = next(i for i, t in enumerate(texts) if not _is_number(t))
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
            self.codes.append(index[inverse])
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
        numeric = np.array([_is_number(k) for k in self.labels])
        if counts[numeric].sum() > counts[~numeric].sum():  # mostly numbers: the text is a typo
            raise DataError(f'{file}, row {row}, column "{self.name}": "{text}" is not a number, but most '
                            "of the target column is: fix the cell or delete the row")
        names = sorted(self.labels)
        order = np.array([names.index(k) for k in self.labels], dtype=np.int64)
        return order[codes], names


def _bad_cell(cells, row_numbers, names, file) -> DataError:
    """The error for the first feature cell that float() refuses (numpy refused the block)."""
    for r, row in enumerate(cells):
        for j, cell in enumerate(row):
            try:
                float(cell)
            except ValueError:
                what = f'"{cell.strip()}" is not a number' if cell.strip() else "is empty"
                return DataError(f'{file}, row {row_numbers[r]}, column "{names[j]}": {what}: '
                                 "every feature cell must hold a number")
    return DataError(f"{file}: a feature cell is not a number")  # numpy and float() disagree


def _choose_features(features, t: int, columns: list[str], data_head, path: Path):
    """(feature column indices, skipped text columns): ``features`` if given, else every
    column besides the target that holds numbers in the sample rows."""
    if features:
        idx = [_resolve_column(f, columns, path, "feature") for f in features]
        if t in idx:
            raise DataError(f'column "{columns[t]}" cannot be both the target and a feature')
        return list(dict.fromkeys(idx)), []
    sample = [r for _, r in data_head if len(r) == len(columns)]
    idx, skipped = [], []
    for j in range(len(columns)):
        if j == t:
            continue
        if sample and not any(_is_number(r[j]) for r in sample):
            skipped.append(columns[j])
        else:
            idx.append(j)
    if not idx:
        raise DataError(f"{path.name}: no column besides the target holds numbers; the features "
                        "must be numeric")
    return idx, skipped


def _too_large(file: str, n_features: int, row: int) -> DataError:
    return DataError(f"{file} is too large: more than {MAX_VALUES:,} values (rows × feature columns; "
                     f"{n_features:,} feature columns, refused at row {row:,}); use fewer rows or columns")


class _Blocks:
    """Feature rows collected as text and parsed a block at a time into float64.

    The value cap is checked as each row arrives, so a file too large is refused
    after reading at most MAX_VALUES values and one block of text.
    """

    def __init__(self, idx: list[int], t: int, names: list[str], target: _Target, file: str):
        self.pick = operator.itemgetter(*idx) if len(idx) > 1 else (lambda r, j=idx[0]: (r[j],))
        self.t, self.names, self.target, self.file = t, names, target, file
        self.width = len(idx)
        self.block_rows = max(1, min(BLOCK_ROWS, BLOCK_CELLS // self.width))
        self.blocks: list[np.ndarray] = []
        self.n_rows = 0
        self.cells, self.tcells, self.numbers = [], [], []

    def add(self, number: int, record: list[str]) -> None:
        if (self.n_rows + len(self.cells) + 1) * self.width > MAX_VALUES:
            self.flush()        # a bad cell before the cap is reported first
            raise _too_large(self.file, self.width, number)
        self.cells.append(self.pick(record))
        self.tcells.append(record[self.t])
        self.numbers.append(number)
        if len(self.cells) >= self.block_rows:
            self.flush()

    def flush(self) -> None:
        cells, numbers, file = self.cells, self.numbers, self.file
        if not cells:
            return
        try:
            block = np.array(cells, dtype=np.float64)
        except ValueError:
            raise _bad_cell(cells, numbers, self.names, file) from None
        if not np.isfinite(block).all():
            r, j = np.argwhere(~np.isfinite(block))[0]
            raise DataError(f'{file}, row {numbers[r]}, column "{self.names[j]}": "{cells[r][j].strip()}" '
                            "is not a finite number: every feature cell must hold a number")
        self.target.add(self.tcells, numbers, file)
        self.blocks.append(block)
        self.n_rows += len(cells)
        self.cells, self.tcells, self.numbers = [], [], []


def read_csv(path, target=None, features=None) -> CsvTable:
    """Read ``path`` for learning: ``target`` by name, "column N", 0-based index, or None (last column).

    ``features`` names the feature columns to use; by default every other column
    that holds numbers (columns of text are skipped and listed in ``skipped``).
    """
    path = Path(path)
    file = path.name
    with _Rows(path) as rows:
        head, has_header, columns = _read_head(rows)
        n_cols = len(columns)
        if n_cols < 2:
            raise DataError(f"{file} has only one column: it needs at least one feature column and a "
                            "target column, separated by commas")
        t = _resolve_column(-1 if target is None else target, columns, path, "target")
        data_head = head[1:] if has_header else head
        idx, skipped = _choose_features(features, t, columns, data_head, path)
        names = [columns[j] for j in idx]
        target_acc = _Target(columns[t])
        blocks = _Blocks(idx, t, names, target_acc, file)
        for number, record in _records(data_head, rows):
            if len(record) != n_cols:
                raise DataError(f"{file}, row {number} has {len(record)} cell{'s' * (len(record) != 1)}, "
                                f"but row {head[0][0]} has "
                                f"{n_cols}: every row needs the same number of columns")
            blocks.add(number, record)
        blocks.flush()
    if not blocks.n_rows:
        raise DataError(f"{file} has a header but no data rows")
    y, class_names = target_acc.finish(file)
    return CsvTable(path, columns, has_header, names, columns[t], np.concatenate(blocks.blocks), y,
                    class_names, skipped)


def _records(data_head, rows: _Rows):
    """(row number, record) for the sampled rows and then the rest of the file."""
    yield from data_head
    for record in rows:
        yield rows.row, record
