"""`python -m bench quality|speed|extract|generate|load|reliability [options]` — see bench/README.md."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

BENCHES = {
    "quality": "ranking quality on Cranfield, MED, CACM, NPL, TIME: ours vs tantivy, SQLite FTS5, rank-bm25",
    "speed": "build, incremental, query latency and memory on a generated collection",
    "extract": "PDF extraction pages/s: pdfium, pdfminer, pdftotext",
    "generate": "only write (or reuse) the synthetic collection the speed bench uses",
    "load": "gunicorn as in production under 16 clients, alone and during a full rebuild",
    "reliability": "hostile documents in one full build, then kill -9 of full builds while gunicorn serves searches",
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="bench", required=True)
    for name, help_text in BENCHES.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--out",
            type=Path,
            default=Path(__file__).parent / "out",
            help="where <bench>.json, generated corpora and work directories go (default bench/out)",
        )
        module = importlib.import_module(f"bench.{name}")
        module.add_arguments(sub)
        sub.set_defaults(run=module.main)
    args = parser.parse_args(argv)
    args.out = args.out.resolve()
    args.run(args)


if __name__ == "__main__":
    main()
