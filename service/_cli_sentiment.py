"""``clarion train-sentiment`` and ``clarion evaluate``: the sentiment model.

Thin commands over ``enrichment._train`` (imported when the command runs); each
prints its report as JSON on stdout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["evaluate", "train_sentiment"]


def train_sentiment(
    out: Annotated[Path, typer.Option(help="output folder for the model")],
    data: Annotated[Path | None, typer.Option(help="folder with newsmtsc/ and sentfin/")] = None,
    epochs: Annotated[int | None, typer.Option(help="passes over the training data")] = None,
    seed: Annotated[int, typer.Option(help="random seed (the run is reproducible)")] = 13,
    max_train: Annotated[int | None, typer.Option(help="cap on training examples")] = None,
) -> None:
    """Fine-tune Clarion's target-aware sentiment classifier on the MiniLM encoder."""
    from enrichment._train import train_sentiment as train

    options: dict[str, Any] = {"out_dir": out, "seed": seed, "max_train": max_train}
    if data is not None:
        options["data_dir"] = data
    if epochs is not None:
        options["epochs"] = epochs
    report = train(**options)
    typer.echo(
        json.dumps(report if isinstance(report, dict) else vars(report), indent=2, default=str)
    )


def evaluate(
    model: Annotated[str | None, typer.Option(help="model id or path; default: shipped")] = None,
    data: Annotated[Path | None, typer.Option(help="folder with newsmtsc/ and sentfin/")] = None,
    quantize: Annotated[
        bool, typer.Option(help="int8 linear layers (CLARION_MODEL_QUANTIZE)")
    ] = False,
) -> None:
    """Print the sentiment model's accuracy on the held-out dev splits."""
    from enrichment import SentimentModel
    from enrichment._train import evaluate_sentiment

    loaded = SentimentModel.load(model, quantize=quantize)
    figures = evaluate_sentiment(loaded, data) if data else evaluate_sentiment(loaded)
    typer.echo(json.dumps(figures, indent=2, default=str))
