"""The ``clarion`` command line.

Errors a user can cause (a bad config file, a port in use, a bad option) end with
a one-line message on stderr and exit code 2, never a traceback.

This module is the ``typer`` app: it registers the commands, in the order the
help lists them, and ``main`` runs it. Each command lives in its own
``service._cli_*`` module; what they share (settings, errors, the store run) is
in ``service._cli_run``.
"""

from __future__ import annotations

import sys

import typer

from service._cli_backfill import backfill_command
from service._cli_brands import brands_app
from service._cli_crawl import crawl
from service._cli_keys import keys_app
from service._cli_migrate import migrate, reindex
from service._cli_retention import retention
from service._cli_sentiment import evaluate, train_sentiment
from service._cli_serve import demo, serve
from service._cli_sources import sources_app

app = typer.Typer(
    name="clarion",
    help="Clarion: media monitoring and share of voice, self-hosted.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command()(serve)
app.command()(demo)
app.command()(crawl)
app.command("train-sentiment")(train_sentiment)
app.command()(evaluate)
app.add_typer(sources_app, name="sources")
app.add_typer(keys_app, name="keys")
app.add_typer(brands_app, name="brands")
app.command("backfill")(backfill_command)
app.command()(migrate)
app.command()(reindex)
app.command()(retention)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
