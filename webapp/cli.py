"""The full `observatory` command: the indexer's commands plus `serve`.

`serve` lives here so that dependencies point one way (the web app uses the indexer, never the
reverse); the console script is this module's `main`.
"""

from __future__ import annotations

import click

from indexer.cli import cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Flask's debugger and reloader: never on a public address.")
@click.pass_obj
def serve(settings, host, port, debug):
    """Development server. In production: gunicorn -c gunicorn.conf.py 'webapp:create_app()' (see README)."""
    from . import create_app

    click.echo(f"Observatory Search on http://{host}:{port}/  (index {settings.index_dir})")
    # the development server knows its own address: feeds and OpenSearch get absolute links without a base URL
    create_app(settings, SERVER_ADDRESS=f"http://{host}:{port}").run(host=host, port=port, debug=debug, threaded=True)


def main():
    cli(prog_name="observatory")
