"""The user's own CSV: header detection, a target column, numeric and text features.

Rows are read with the csv module and converted a block at a time (numpy parses
the numbers; a text column becomes a code per row, engine.data.csv_cells), so a
large file costs its numbers in float64 and little more. A file over the limits
(MAX_VALUES, MAX_ROW_CHARS) is refused as soon as a row crosses them, before the
rest is read; a path that is no regular file, before it is opened. Every problem
is a DataError naming the file, and for a bad cell its row (as counted in the
file, 1-based, header included) and column. Missing values follow ``missing``
(csv_cells.MISSING_POLICIES): refused, or kept as NaN (code -1 in a text column)
for the caller to drop or fill; a row without a target is always left out then.
"""
from __future__ import annotations

import csv
import operator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.data.csv_cells import (MAX_INT_CLASSES, MAX_TEXT_CLASSES, Target, TextColumn, check_policy,
                                   is_missing, missing_error, parse_numbers)
from engine.data.csv_cells import is_number as _is_number
from engine.files.regular_file import NotAFileError, open_regular
from engine.model.errors import DataError

__all__ = ["CsvTable", "read_csv", "csv_columns", "csv_records", "resolve_column",
           "MAX_INT_CLASSES", "MAX_TEXT_CLASSES"]

MAX_VALUES = 20_000_000      # rows × feature columns: 160 MB of float64
MAX_ROW_CHARS = 2_000_000    # a longer record is refused before it is split into cells
SAMPLE_ROWS = 20             # rows read to detect the header and text columns
SAMPLE_CELLS = 1_000_000     # ...or fewer, when the rows are this wide
BLOCK_ROWS = 8192
BLOCK_CELLS = 1_000_000      # cells held as text before a block is parsed: memory stays bounded
DELIMITERS = (",", ";", "\t")


@dataclass
class CsvTable:
    """A CSV file read for learning: numeric features, text features and one target column."""
    path: Path
    columns: list[str]
    has_header: bool
    feature_names: list[str]       # the numeric feature columns
    target_name: str
    X: np.ndarray                  # (n, numeric features) float64; NaN where missing (unless refused)
    y: np.ndarray                  # class index (int64) or the numeric target (float64)
    class_names: list[str]         # [] when the target is numeric (regression)
    skipped: list[str] = field(default_factory=list)   # columns left out of the features
    text_columns: list[TextColumn] = field(default_factory=list)   # text features, as codes per row
    rows_without_target: int = 0   # left out (missing: drop or mean)

    @property
    def task(self) -> str:
        return "classification" if self.class_names else "regression"


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
    numeric_column = [bool(sample) and all(_is_number(r[j]) for r in sample if not is_missing(r[j]))
                      and any(not is_missing(r[j]) for r in sample) for j in range(len(first))]
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


def resolve_column(spec, columns: list[str], path: Path, what: str) -> int:
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


def _choose_features(features, t: int, columns: list[str], data_head, path: Path):
    """(numeric column indices, text column indices): ``features`` if given, else every column
    besides the target. A column is text when most of its sampled cells that are not missing
    are not numbers."""
    if features:
        idx = [resolve_column(f, columns, path, "feature") for f in features]
        if t in idx:
            raise DataError(f'column "{columns[t]}" cannot be both the target and a feature')
        idx = list(dict.fromkeys(idx))
    else:
        idx = [j for j in range(len(columns)) if j != t]
    sample = [r for _, r in data_head if len(r) == len(columns)]
    numeric, text = [], []
    for j in idx:
        present = [r[j] for r in sample if not is_missing(r[j])]
        texts = sum(not _is_number(c) for c in present)
        (text if present and 2 * texts > len(present) else numeric).append(j)
    return numeric, text


def _too_large(file: str, n_features: int, row: int) -> DataError:
    return DataError(f"{file} is too large: more than {MAX_VALUES:,} values (rows × feature columns; "
                     f"{n_features:,} feature columns, refused at row {row:,}); use fewer rows or columns")


def _picker(idx: list[int]):
    if not idx:
        return lambda r: ()
    return operator.itemgetter(*idx) if len(idx) > 1 else (lambda r, j=idx[0]: (r[j],))


class _Blocks:
    """Feature rows collected as text and parsed a block at a time.

    The value cap is checked as each row arrives, so a file too large is refused
    after reading at most MAX_VALUES values and one block of text.
    """

    def __init__(self, idx: list[int], text_idx: list[int], t: int, columns: list[str], target: Target,
                 file: str, missing: str):
        self.pick, self.pick_text = _picker(idx), _picker(text_idx)
        self.t, self.names, self.target, self.file = t, [columns[j] for j in idx], target, file
        self.text = [TextColumn(columns[j]) for j in text_idx]
        self.refuse = missing == "refuse"
        self.width = len(idx) + len(text_idx)
        self.block_rows = max(1, min(BLOCK_ROWS, BLOCK_CELLS // self.width))
        self.blocks: list[np.ndarray] = []
        self.n_rows = 0
        self.without_target = 0
        self.cells, self.tcells, self.numbers, self.texts = [], [], [], []

    def add(self, number: int, record: list[str]) -> None:
        if (self.n_rows + len(self.cells) + 1) * self.width > MAX_VALUES:
            self.flush()        # a bad cell before the cap is reported first
            raise _too_large(self.file, self.width, number)
        self.cells.append(self.pick(record))
        self.texts.append(self.pick_text(record))
        self.tcells.append(record[self.t])
        self.numbers.append(number)
        if len(self.cells) >= self.block_rows:
            self.flush()

    def flush(self) -> None:
        cells, numbers, file = self.cells, self.numbers, self.file
        if not cells:
            return
        if not self.refuse:         # a row without its target teaches nothing: left out
            keep = ~self.target.missing(self.tcells)
            if not keep.all():
                self.without_target += int((~keep).sum())
                cells, numbers = [c for c, k in zip(cells, keep) if k], [n for n, k in zip(numbers, keep) if k]
                self.texts = [c for c, k in zip(self.texts, keep) if k]
                self.tcells = [c for c, k in zip(self.tcells, keep) if k]
        if cells:
            block = parse_numbers(cells, numbers, self.names, file)
            if self.refuse and np.isnan(block).any():
                r, j = np.argwhere(np.isnan(block))[0]
                raise missing_error(file, numbers[r], self.names[j], cells[r][j])
            for j, column in enumerate(self.text):
                column.add([row[j] for row in self.texts], numbers, file, self.refuse)
            self.target.add(self.tcells, numbers, file)
            self.blocks.append(block)
            self.n_rows += len(cells)
        self.cells, self.tcells, self.numbers, self.texts = [], [], [], []


def read_csv(path, target=None, features=None, missing: str = "refuse") -> CsvTable:
    """Read ``path`` for learning: ``target`` by name, "column N", 0-based index, or None (last column).

    ``features`` names the feature columns to use; by default every other column.
    Columns of text are read as codes (``text_columns``), for the caller to encode.
    """
    path = Path(path)
    file = path.name
    check_policy(missing)
    with _Rows(path) as rows:
        head, has_header, columns = _read_head(rows)
        n_cols = len(columns)
        if n_cols < 2:
            raise DataError(f"{file} has only one column: it needs at least one feature column and a "
                            "target column, separated by commas")
        t = resolve_column(-1 if target is None else target, columns, path, "target")
        data_head = head[1:] if has_header else head
        idx, text_idx = _choose_features(features, t, columns, data_head, path)
        target_acc = Target(columns[t])
        blocks = _Blocks(idx, text_idx, t, columns, target_acc, file, missing)
        for number, record in _records(data_head, rows):
            if len(record) != n_cols:
                raise DataError(f"{file}, row {number} has {len(record)} cell{'s' * (len(record) != 1)}, "
                                f"but row {head[0][0]} has "
                                f"{n_cols}: every row needs the same number of columns")
            blocks.add(number, record)
        blocks.flush()
    if not blocks.n_rows:
        raise DataError(f"{file} has a header but no data rows" if not blocks.without_target else
                        f'{file}: no row has a value in the target column "{columns[t]}"')
    y, class_names = target_acc.finish(file)
    for column in blocks.text:
        column.finish()
    return CsvTable(path, columns, has_header, blocks.names, columns[t], np.concatenate(blocks.blocks), y,
                    class_names, text_columns=blocks.text, rows_without_target=blocks.without_target)


def _records(data_head, rows: _Rows):
    """(row number, record) for the sampled rows and then the rest of the file."""
    yield from data_head
    for record in rows:
        yield rows.row, record


@contextmanager
def csv_records(path):
    """(column names, has header, iterator of (row number, record)) of the data rows, for one pass."""
    with _Rows(Path(path)) as rows:
        head, has_header, columns = _read_head(rows)
        yield columns, has_header, _records(head[1:] if has_header else head, rows)
