"""The curators' screens are closed to everyone but signed-in curators, and every change needs a valid
form: signed out, with a reader's session, without or with a forged CSRF token, by guessing passwords,
by uploading a file that lies about its type or whose name is a path."""
from __future__ import annotations

import io
from dataclasses import replace

import pytest

from curate_world import NAME, PASSWORD, build_curate_world, sign_in, token
from indexer.catalog import load_catalog
from indexer.curators import CuratorStore
from support import make_pdf
from webapp import create_app

SAMPLE_ARGS = {"record_id": "fine-report", "suggestion_id": 1}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from support import DocServer

    server = DocServer()
    yield build_curate_world(tmp_path_factory.mktemp("curate-security"), server)
    server.close()


@pytest.fixture
def app(world):
    return create_app(world, TESTING=True, RATELIMIT_STORAGE_URI="memory://")


def curator_routes(app):
    """(method, path) of every curator route but the sign-in form, from the app's own URL map."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("curate.") and rule.endpoint != "curate.sign_in":
            path = rule.rule
            for name, value in SAMPLE_ARGS.items():
                path = path.replace(f"<{name}>", str(value)).replace(f"<int:{name}>", str(value))
            for method in sorted(rule.methods & {"GET", "POST"}):
                yield method, path


def test_there_are_curator_routes_to_walk(app):
    routes = set(curator_routes(app))
    assert ("GET", "/curate") in routes and ("POST", "/curate/record/fine-report/retire") in routes
    assert len(routes) >= 15


def test_every_curator_route_signed_out_asks_to_sign_in_and_changes_nothing(app, world):
    before = world.catalog.read_bytes()
    client = app.test_client()
    csrf = token(client.get("/curate/sign-in").get_data(as_text=True))  # a valid form, but nobody signed in
    for method, path in curator_routes(app):
        if method == "GET":
            response = client.get(path)
            if path.endswith(".json"):
                assert response.status_code == 401, path
            else:
                assert response.status_code == 302, path
                assert response.headers["Location"].startswith("/curate/sign-in?next=/curate"), path
        else:
            response = client.post(path, data={"csrf_token": csrf, "url": "https://example.org/x", "reason": "x",
                                               "title": "Changed"})
            assert response.status_code == 401, path
    assert world.catalog.read_bytes() == before


def test_a_readers_session_is_not_a_curators(app):
    reader = app.test_client()
    csrf = token(reader.get("/suggest").get_data(as_text=True))  # the reader's own session and CSRF token
    assert reader.get("/curate").status_code == 302
    assert reader.post("/curate/record/fine-report/retire", data={"csrf_token": csrf}).status_code == 401
    assert "Sign out" not in reader.get("/status").get_data(as_text=True)
    assert "/curate" not in reader.get("/").get_data(as_text=True), "readers are never shown the curators' screens"


@pytest.mark.parametrize("forged", [None, "not-a-token", "IjQ0ZGU2Y2E5In0.Z1Bz9w.forged"], ids=["missing", "wrong", "forged"])
def test_a_post_without_a_valid_csrf_token_is_refused(app, world, forged):
    client = app.test_client()
    sign_in(client)
    before = world.catalog.read_bytes()
    data = {"title": "Hijacked", "year": "2022", "section": "report", "type": "report", "regions": "Ireland"}
    if forged:
        data["csrf_token"] = forged
    response = client.post("/curate/record/fine-report", data=data)
    assert response.status_code == 400
    assert "expired or came from another page" in response.get_data(as_text=True)
    assert client.post("/curate/record/fine-report/retire", data={} if forged is None else {"csrf_token": forged}
                       ).status_code == 400
    assert world.catalog.read_bytes() == before


def test_the_sign_in_form_itself_needs_its_token(app):
    client = app.test_client()
    response = client.post("/curate/sign-in", data={"name": NAME, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/curate").status_code == 302


def test_wrong_passwords_are_refused_and_then_rate_limited(world):
    app = create_app(world, TESTING=True, RATELIMIT_STORAGE_URI="memory://", CURATE_SIGN_IN_LIMIT="3 per minute")
    client = app.test_client()
    answers = [sign_in(client, password=f"wrong guess {n}") for n in range(3)]
    assert [answer.status_code for answer in answers] == [401, 401, 401]
    assert "do not match an account" in answers[0].get_data(as_text=True)
    limited = sign_in(client)  # even the right password, once the address is over its limit
    assert limited.status_code == 429
    assert client.get("/curate").status_code == 302


def test_guesses_at_one_name_from_many_addresses_are_limited_too(world):
    app = create_app(world, TESTING=True, RATELIMIT_STORAGE_URI="memory://", CURATE_SIGN_IN_LIMIT="100 per minute", CURATE_SIGN_IN_LIMIT_PER_NAME="2 per hour")
    codes = []
    for n in range(3):
        client = app.test_client()
        page = client.get("/curate/sign-in", environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
        codes.append(client.post("/curate/sign-in", environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}, data={
            "name": NAME, "password": "guess", "csrf_token": token(page.get_data(as_text=True))}).status_code)
    assert codes == [401, 401, 429]


def test_the_session_cookie_is_httponly_samesite_lax_and_secure_over_https(world):
    plain = sign_in(create_app(world, TESTING=True, RATELIMIT_STORAGE_URI="memory://").test_client())
    cookie = plain.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = sign_in(create_app(replace(world, base_url="https://observatory.example.org"), TESTING=True,
                               RATELIMIT_STORAGE_URI="memory://").test_client(),
                    base_url="https://observatory.example.org")  # with a base URL, only its host is answered
    assert "Secure" in https.headers["Set-Cookie"]


def test_a_session_ends_after_its_hours_and_with_a_password_change(world):
    expired = create_app(world, TESTING=True, RATELIMIT_STORAGE_URI="memory://", CURATE_SESSION_HOURS=0).test_client()
    sign_in(expired)
    assert expired.get("/curate").status_code == 302

    app = create_app(world, TESTING=True, RATELIMIT_STORAGE_URI="memory://")
    client = app.test_client()
    sign_in(client)
    assert client.get("/curate").status_code == 200
    CuratorStore(world.suggestion_db).set_password(NAME, PASSWORD)  # same password, new session key
    assert client.get("/curate").status_code == 302


def test_signing_in_never_sends_anyone_to_another_site(app):
    client = app.test_client()
    page = client.get("/curate/sign-in?next=https://evil.example/")
    response = client.post("/curate/sign-in?next=https://evil.example/", data={
        "name": NAME, "password": PASSWORD, "csrf_token": token(page.get_data(as_text=True))})
    assert response.headers["Location"] == "/curate"


def test_signing_out_ends_the_session(app):
    client = app.test_client()
    sign_in(client)
    page = client.get("/curate").get_data(as_text=True)
    assert client.post("/curate/sign-out", data={"csrf_token": token(page)}).status_code == 303
    assert client.get("/curate").status_code == 302


def _upload(client, name: str, content: bytes, title: str):
    page = client.get("/curate/add").get_data(as_text=True)
    return client.post("/curate/add", content_type="multipart/form-data", data={
        "csrf_token": token(page), "title": title, "year": "2023", "section": "report", "type": "report",
        "regions": "Europe", "file": (io.BytesIO(content), name)})


@pytest.mark.parametrize("name, content, said", [
    ("report.pdf", b"<!doctype html><html><body><p>Not a PDF at all.</p></body></html>",
     "named .pdf but its content is an HTML page"),
    ("report.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "this file is image/png"),
    ("notes.txt", make_pdf(["A PDF calling itself text."]), "named .txt but its content is a PDF"),
    ("archive.zip", b"some plain text really", "Only .pdf, .html or .txt files"),
])
def test_an_upload_that_lies_about_its_type_is_refused(app, world, name, content, said):
    client = app.test_client()
    sign_in(client)
    before = world.catalog.read_bytes()
    files_before = sorted((world.catalog.parent / "files").iterdir())
    response = _upload(client, name, content, "An upload that lies")
    assert response.status_code == 200
    assert said in response.get_data(as_text=True)
    assert world.catalog.read_bytes() == before
    assert sorted((world.catalog.parent / "files").iterdir()) == files_before


@pytest.mark.parametrize("name", ["../../../../tmp/escaped.pdf", "..\\..\\escaped.pdf", "/etc/cron.d/escaped.pdf"])
def test_a_path_in_an_uploaded_file_name_is_never_used(tmp_path, name):
    from support import DocServer

    server = DocServer()
    settings = build_curate_world(tmp_path, server)
    client = create_app(settings, TESTING=True).test_client()
    sign_in(client)
    response = _upload(client, name, make_pdf(["Uploaded with a hostile name."]), "Uploaded with a hostile name")
    server.close()
    assert response.status_code == 303
    record = load_catalog(settings.catalog)[-1]
    assert record.path == "files/uploaded-with-a-hostile-name-2023.pdf"
    assert (settings.catalog.parent / record.path).is_file()
    assert not any(p.name == "escaped.pdf" for p in tmp_path.rglob("*.pdf"))
    assert not any(p.name == "escaped.pdf" for p in (tmp_path.parent.parent).glob("*.pdf"))


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(world):
    client = create_app(world, TESTING=True, RATELIMIT_STORAGE_URI="memory://", CURATE_UPLOAD_MAX_BYTES=1000).test_client()
    sign_in(client)
    before = world.catalog.read_bytes()
    response = _upload(client, "big.pdf", make_pdf(["x " * 5000] * 3) + b"0" * 2_000_000, "Too big")
    assert response.status_code == 413
    assert world.catalog.read_bytes() == before
