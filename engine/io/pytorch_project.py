"""A self-contained PyTorch training project for a design: File ▸ Export PyTorch Project…,
``main.py export DESIGN [--weights W] --project DIR``.

The folder holds ``model.py`` and ``model.safetensors`` (the generated module and the
starting weights, engine.io.pytorch_export), ``train.py`` (data-parallel training,
engine.io.pytorch_train_code), ``data/train.csv`` and ``data/validation.csv`` (the design's
data and split: the raw columns of the model's FEATURES, then the target), ``design.json``
and a README. It is written into a hidden folder beside DIR and renamed into place, so a
failure leaves no half project.
"""
from __future__ import annotations

import csv
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.data.datasets import Dataset, check_design, from_settings
from engine.io.exported_transform import fitted_preprocessing
from engine.io.pytorch_export import export_pytorch
from engine.io.pytorch_names import Names, safe_text
from engine.io.pytorch_train_code import train_source
from engine.model.errors import ExportError
from engine.model.param_names import weight_name
from engine.model.reach import nodes_reaching_output
from engine.nn.network import Network
from engine.train.config import TrainingConfig

DEFAULT_EPOCHS = 100        # when the design's settings give none (as main.py train)
CLASS = "Model"


@dataclass
class Project:
    """What was written: the folder, and the rows of each split."""
    folder: Path
    train_rows: int
    validation_rows: int


def check_target_folder(folder) -> Path:
    """``folder`` as a Path if a project may be written there (new, or an empty folder whose
    parent exists); ExportError saying why not otherwise."""
    folder = Path(folder).expanduser()
    if folder.exists() or folder.is_symlink():
        if not folder.is_dir():
            raise ExportError(f"{folder} is a file: a project needs a new or empty folder")
        if any(folder.iterdir()):
            raise ExportError(f"{folder} is not empty: choose a new or empty folder for the project")
    parent = folder.absolute().parent
    if not parent.is_dir():
        raise ExportError(f"{folder}: the folder {parent} does not exist")
    return folder


def _raw_rows(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows) of the raw features, before standardisation."""
    if dataset.is_2d():
        return dataset.points_train, dataset.points_val
    mean, std = dataset.feature_mean, dataset.feature_std
    return dataset.X_train * std + mean, dataset.X_val * std + mean


def _targets(dataset: Dataset, labels: np.ndarray) -> list[str]:
    if dataset.task == "classification":
        return [dataset.class_names[int(i)] for i in labels]
    return [repr(float(v)) for v in labels]


def _write_csv(path: Path, header: list[str], raw: np.ndarray, targets: list[str], exact: bool) -> None:
    # Values that went through standardisation and back are printed to 15 digits, which gives
    # the CSV's own numbers (142, not 141.99999999999997); generated points keep every digit.
    number = repr if exact else (lambda v: format(v, ".15g"))
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(header)
        for row, target in zip(raw.tolist(), targets):
            out.writerow([number(v) for v in row] + [target])


def _data(graph, base_dir) -> Dataset:
    settings = graph.settings if isinstance(graph.settings, dict) else {}
    dataset = from_settings(settings, graph.loss, base_dir=base_dir)
    check_design(graph, dataset)
    return dataset


def _transform(graph, dataset: Dataset):
    """The transform the weights were trained with (else the data's own), checked against the data."""
    mine = fitted_preprocessing(graph)
    fitted = dataset.preprocessing
    if mine is None:
        return fitted
    if list(mine.features) != list(fitted.features) or mine.task != fitted.task or \
            list(mine.classes) != list(fitted.classes):
        raise ExportError(f"the model's preprocessing reads {', '.join(mine.features[:6])} and predicts "
                          f"{mine.target}, but the design's data ({dataset.name}) has "
                          f"{', '.join(fitted.features[:6])} and {fitted.target}: train again to refit it")
    return mine


def _readme(graph, dataset: Dataset, config: TrainingConfig, epochs: int, n_train: int, n_val: int) -> str:
    title = safe_text(graph.settings.get("title")) if isinstance(graph.settings.get("title"), str) else "A design"
    return f"""# {title}: a PyTorch training project

Written by Backprop Studio's *Export PyTorch Project*. It needs Python with `torch` and `safetensors`
(`pip install torch safetensors`).

- `model.py`: the design as a `torch.nn.Module` (`{CLASS}`); it takes raw rows and answers in the
  target's units or as class probabilities
- `model.safetensors`: the starting weights, with the preprocessing fitted in training
- `train.py`: trains the model on one process or many (`DistributedDataParallel`)
- `data/train.csv`, `data/validation.csv`: the design's data ({dataset.name}), {n_train} training and
  {n_val} validation rows: the model's FEATURES, then the target `{safe_text(dataset.target_name)}`
- `design.json`: the design, for Backprop Studio

## Train

    python train.py                                            # one process (GPU when there is one)
    torchrun --standalone --nproc_per_node=4 train.py          # four processes on this machine
    python train.py --epochs 50 --lr 0.003 --device cpu --out trained.safetensors

The defaults are the design's settings ({config.optimizer}, learning rate {config.lr:g}, batch size
{config.batch_size} per process, {epochs} epochs, L1 {config.l1:g}, L2 {config.l2:g}); `python train.py --help`
lists the flags. The processes talk over gloo on CPUs and nccl on GPUs. Rank 0 prints the losses
each epoch and writes `trained.safetensors`. Where this machine's hostname does not resolve (some
containers), torchrun waits for it forever: add `--local-addr=127.0.0.1` after `--standalone`.

## Back into Backprop Studio

`trained.safetensors` holds the weights under the app's parameter names, with the preprocessing:
open `design.json`, then File > Import Weights, or from the command line

    python main.py predict design.json --weights trained.safetensors data/validation.csv
"""


def _write_files(graph, params: dict, dataset: Dataset, config: TrainingConfig, folder: Path) -> tuple[int, int]:
    epochs = config.epochs if config.epochs is not None else DEFAULT_EPOCHS
    export_pytorch(graph, params, folder / "model.py", class_name=CLASS)
    graph.save(folder / "design.json")
    p = graph.preprocessing
    raw_train, raw_val = _raw_rows(dataset)
    (folder / "data").mkdir()
    header = list(p.features) + [p.target]
    for name, raw, labels in (("train", raw_train, dataset.labels_train), ("validation", raw_val, dataset.labels_val)):
        _write_csv(folder / "data" / f"{name}.csv", header, raw, _targets(dataset, labels), dataset.is_2d())
    names = Names(graph)
    masks = {weight_name(*pair): attr for pair, attr in names.mask.items()}
    live = nodes_reaching_output(graph)
    title = graph.settings.get("title") if isinstance(graph.settings.get("title"), str) else "the design"
    source = train_source(cls=CLASS, title=safe_text(title), task=p.task, outputs=graph.output_node().size,
                          masks=masks, find_unused=any(n not in live for n in graph.nodes), config=config,
                          epochs=epochs)
    compile(source, "train.py", "exec")     # a generator bug must not reach the user's disk
    (folder / "train.py").write_text(source, encoding="utf-8")
    (folder / "README.md").write_text(_readme(graph, dataset, config, epochs, len(raw_train), len(raw_val)),
                                      encoding="utf-8")
    return len(raw_train), len(raw_val)


def export_project(graph, params: dict | None, folder, *, base_dir=None) -> Project:
    """Write the training project for ``graph`` into ``folder`` (new or empty).

    ``params``: the starting weights (None: fresh ones from the design's seed). The data
    is the design's (``settings``; a relative CSV path is taken from ``base_dir``).
    Raises ExportError, DataError, WeightsError, ConfigError (all ValueError) or OSError;
    then nothing is left behind.
    """
    folder = check_target_folder(folder)
    graph = graph.copy()
    graph.check_complete()
    graph.check_loss()
    config = TrainingConfig.from_settings(graph.settings if isinstance(graph.settings, dict) else {})
    dataset = _data(graph, base_dir)
    graph.set_preprocessing(_transform(graph, dataset))
    if params is None:
        params = Network(graph, seed=config.seed).parameters()
    parent = folder.absolute().parent
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=parent))
    work.chmod(0o755)           # mkdtemp makes it private; a project folder is an ordinary one
    try:
        n_train, n_val = _write_files(graph, params, dataset, config, work)
        if folder.is_dir():
            folder.rmdir()          # empty, as checked
        os.replace(work, folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Project(folder, n_train, n_val)
