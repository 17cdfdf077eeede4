"""`python -m webapp.nginx LISTEN UPSTREAM RUN_DIR`: the production nginx configuration, rendered.

deploy/nginx.conf.template with its placeholders filled. The security headers come from
`webapp.SECURITY_HEADERS`, the one list of them, and are added only to answers that lack them:
nginx's own errors and the fixed ones gunicorn writes for requests it cannot parse (gunicorn.conf.py);
the app's answers keep their own (a local file's sandboxing policy among them).
"""

from __future__ import annotations

import re
import sys

from indexer.config import PROJECT_ROOT

from . import SECURITY_HEADERS

TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf.template"


def _variable(header: str) -> str:
    return re.sub(r"\W", "_", header.lower())


def render(listen: str, upstream: str, run_dir: str) -> str:
    """An empty value is a header nginx leaves out, so each is mapped to empty where the answer has it."""
    maps = "\n".join(
        f'    map $upstream_http_{_variable(name)} $default_{_variable(name)} {{ "" "{value}"; default ""; }}'
        for name, value in SECURITY_HEADERS.items()
    )
    adds = "\n".join(f"        add_header {name} $default_{_variable(name)} always;" for name in SECURITY_HEADERS)
    text = TEMPLATE.read_text(encoding="utf-8")
    for placeholder, value in (
        ("@LISTEN@", listen),
        ("@UPSTREAM@", upstream),
        ("@RUN_DIR@", run_dir),
        ("    @SECURITY_HEADER_DEFAULTS@", maps),
        ("        @ADD_SECURITY_HEADERS@", adds),
    ):
        text = text.replace(placeholder, value)
    return text


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.splitlines()[0])
    sys.stdout.write(render(*sys.argv[1:]))
