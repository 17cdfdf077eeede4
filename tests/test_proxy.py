"""The production recipe behind nginx: slow clients wait in the proxy, never in a gunicorn worker.

gunicorn's sync workers serve one connection each, so a handful of clients that dribble their
headers took the site down. This starts what `make production-proxy` starts (gunicorn with
gunicorn.conf.py, nginx with deploy/nginx.conf.template) on loopback ports, opens 50 connections
that never finish their request, and asks a normal search while they are all open.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from support import PROJECT, DocServer, free_port
from web_world import PUBLICATIONS, build_world
from webapp import SECURITY_HEADERS, nginx

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
pytestmark = pytest.mark.skipif(NGINX is None, reason="Debian's nginx is not installed (`make system-packages`)")
SLOW_CLIENTS = 50


def render(listen: str, upstream: str, run_dir: Path) -> Path:
    config = run_dir / "nginx.conf"
    config.write_text(nginx.render(listen, upstream, str(run_dir)))
    return config


def wait_until_up(url: str, processes: list[subprocess.Popen]) -> requests.Response:
    deadline = time.monotonic() + 90
    while True:
        try:
            response = requests.get(url, timeout=30)
            if response.status_code != 502:  # nginx is up before gunicorn's workers are
                return response
        except requests.ConnectionError:
            pass
        for process in processes:
            assert process.poll() is None, process.stdout.read().decode()
        assert time.monotonic() < deadline, "gunicorn and nginx did not start within 90 s"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def proxied_site(tmp_path_factory):
    server = DocServer()
    world = build_world(tmp_path_factory.mktemp("proxy"), server, PUBLICATIONS[:4])
    app_port, proxy_port = free_port(), free_port()
    run_dir = Path(tempfile.mkdtemp(prefix="observatory-nginx-"))
    run_dir.chmod(0o755)  # nginx's workers (user nobody when started as root) create their buffers here
    config = render(f"127.0.0.1:{proxy_port}", f"127.0.0.1:{app_port}", run_dir)
    env = {**os.environ, "OBSERVATORY_CATALOG": str(world.settings.catalog),
           "OBSERVATORY_INDEX": str(world.settings.index_dir), "OBSERVATORY_CACHE": str(world.settings.cache_dir),
           "OBSERVATORY_TRUSTED_PROXIES": "1", "OBSERVATORY_BASE_URL": f"http://127.0.0.1:{proxy_port}"}
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "2", "-b", f"127.0.0.1:{app_port}"],
        cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    nginx = subprocess.Popen([NGINX, "-c", str(config), "-g", "daemon off;"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{proxy_port}"
        assert wait_until_up(f"{base}/api/search?q=stackable", [gunicorn, nginx]).status_code == 200
        yield base
    finally:
        for process in (nginx, gunicorn):
            process.terminate()
            process.wait(timeout=30)
        server.close()
        shutil.rmtree(run_dir, ignore_errors=True)


def test_the_template_is_a_valid_nginx_configuration(tmp_path):
    run_dir = Path(tempfile.mkdtemp(prefix="observatory-nginx-"))
    try:
        config = render("127.0.0.1:8080", "127.0.0.1:8000", run_dir)
        check = subprocess.run([NGINX, "-t", "-c", str(config)], capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stderr
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def test_fifty_slow_clients_do_not_delay_a_normal_request(proxied_site):
    port = int(proxied_site.rsplit(":", 1)[1])
    slow = []
    try:
        for n in range(SLOW_CLIENTS):
            connection = socket.create_connection(("127.0.0.1", port), timeout=10)
            connection.sendall(f"GET /?q=slow{n} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".encode())  # never finished
            slow.append(connection)
        for connection in slow:  # still dribbling: one more byte each, as slowloris does
            connection.sendall(b"a")
        response = requests.get(f"{proxied_site}/api/search", params={"q": "stackable"}, timeout=20)
        assert response.status_code == 200
        assert response.json()["total"] >= 1
        page = requests.get(f"{proxied_site}/", params={"q": "quality"}, timeout=20)
        assert page.status_code == 200 and "Quality and value of micro-credentials" in page.text
        for connection in slow:  # and every slow client is still waiting: nothing was answered for them
            connection.setblocking(False)
            with pytest.raises(BlockingIOError):
                connection.recv(1)
    finally:
        for connection in slow:
            connection.close()


def test_the_proxy_answers_only_for_the_configured_host(proxied_site):
    assert requests.get(f"{proxied_site}/", headers={"Host": "evil.example"}, timeout=20).status_code == 400


def test_every_answer_through_the_proxy_has_the_security_headers_once(proxied_site):
    port = int(proxied_site.rsplit(":", 1)[1])
    app_page = requests.get(f"{proxied_site}/about", timeout=20)
    many = b"".join(b"X-Field-%d: 1\r\n" % n for n in range(60))  # past gunicorn's limit_request_fields
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:  # passed on, refused by gunicorn
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + many + b"Connection: close\r\n\r\n")
        gunicorns = b"".join(iter(lambda: sock.recv(65536), b"")).decode("latin-1")
    too_large = requests.get(f"{proxied_site}/", headers={"X-Big": "x" * 20_000}, timeout=20)  # refused by nginx
    assert app_page.status_code == 200 and too_large.status_code in (400, 431, 494)
    assert gunicorns.split()[1] == "431"  # "Request Header Fields Too Large", written by gunicorn
    gunicorn_headers = {}
    for line in gunicorns.partition("\r\n\r\n")[0].split("\r\n")[1:]:
        name, _, value = line.partition(":")
        gunicorn_headers.setdefault(name.strip().lower(), []).append(value.strip())
    for name, value in SECURITY_HEADERS.items():
        assert app_page.raw.headers.getlist(name) == [value], name
        assert too_large.headers[name] == value, name
        assert gunicorn_headers[name.lower()] == [value], name
