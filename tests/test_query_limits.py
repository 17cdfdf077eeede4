"""Expensive queries are refused before they run, or stopped at their time budget, with a 400 saying how
to narrow the search; cheap ones, and a bare `*` (which lists everything), are answered as always."""
from __future__ import annotations

import string
import threading

import pytest

from indexer import limits
from support import DocServer
from web_world import PUBLICATIONS, Page, build_world
from webapp import create_app


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = DocServer()
    yield build_world(tmp_path_factory.mktemp("limits"), server, PUBLICATIONS[:8])
    server.close()


@pytest.fixture
def client(world):
    return create_app(world.settings, TESTING=True).test_client()


def assert_refused(client, q: str, reason: str):
    page = client.get("/", query_string={"q": q})
    assert page.status_code == 400
    assert reason in Page(page.get_data(as_text=True)).text and limits.NARROW in Page(page.get_data(as_text=True)).text
    api = client.get("/api/search", query_string={"q": q})
    assert api.status_code == 400
    assert reason in api.get_json()["error"] and api.get_json()["error"].endswith(limits.NARROW)


def test_a_leading_wildcard_is_refused_with_how_to_narrow(client):
    assert_refused(client, "*ion", "“*ion” starts with a wildcard")


def test_wildcards_standing_for_too_many_words_are_refused(client, monkeypatch):
    monkeypatch.setattr(limits, "MAX_EXPANSIONS", 20)
    attack = " ".join(f"{letter}*" for letter in "cdefmpqs") + " zz123"  # as many wildcard words as allowed
    assert_refused(client, attack, "stand for more than 20 different words")
    assert client.get("/api/search", query_string={"q": "stack*"}).get_json()["total"] > 0  # a few words: fine


def test_a_word_with_many_wildcards_and_a_query_with_many_words_are_refused(client):
    assert_refused(client, "m*c*o*c*r", "has more than 3 wildcards")
    assert_refused(client, " ".join(f"w{n}" for n in range(limits.MAX_TERMS + 1)), f"it has {limits.MAX_TERMS + 1} words")


def test_a_research_question_pasted_whole_is_answered(client):
    """Up to the box's 1,000 characters: a long request names some 70 distinct words, never refused for that."""
    question = (
        "I am interested in studies of how universities, colleges, vocational providers and employers in Europe, "
        "Australia, New Zealand, Canada and the United States design, recognise, quality-assure and stack short "
        "learning programmes into larger qualifications; which frameworks, credit systems, digital badges, "
        "blockchain records and learner wallets they use; how governments fund them; what evidence exists on "
        "completion, wages, employability, equity for adult learners, portability between institutions, and "
        "trust among employers; and which policy recommendations, national strategies, pilot projects and "
        "evaluation methods are proposed for lifelong learning, upskilling and reskilling of the workforce?"
    )
    assert len(question) <= 1_000 and len(set(question.split())) > limits.MAX_TERMS // 4
    answer = client.get("/api/search", query_string={"q": question})
    assert answer.status_code == 200 and answer.get_json()["total"] > 0


def test_a_star_for_every_word_of_a_field_or_with_nothing_else_is_refused_and_alone_lists_everything(client):
    for q in ("id:* text:*", "*?*", "text:*", "* *", "title:* badges"):
        assert_refused(client, q, "a * on its own (or field:*) stands for every word")
    everything = client.get("/api/search", query_string={"q": "*"})
    assert everything.status_code == 200 and everything.get_json()["total"] == 8


def test_a_search_past_its_time_budget_is_stopped_with_a_400(client, monkeypatch):
    monkeypatch.setattr(limits, "SEARCH_SECONDS", 0)
    assert_refused(client, "credentials", "it ran for more than 0 seconds")


def test_a_trends_chart_may_name_as_many_words_as_one_query(client):
    words = [" ".join(f"w{n}x{i}" for i in range(limits.MAX_TERMS // 2 + 1)) for n in range(2)]
    answer = client.get("/trends", query_string=[("q", q) for q in words])
    assert answer.status_code == 400
    assert limits.NARROW in Page(answer.get_data(as_text=True)).text
    assert client.get("/trends", query_string=[("q", "badges"), ("q", "framework")]).status_code == 200


def test_a_trends_charts_queries_share_one_querys_wildcard_budget(client, monkeypatch):
    lines = [("q", "stack*"), ("q", "qual*"), ("q", "cred*")]
    # the smallest budget each line fits in alone: together they need more
    for budget in range(1, limits.MAX_EXPANSIONS):
        monkeypatch.setattr(limits, "MAX_EXPANSIONS", budget)
        if all(client.get("/api/search", query_string={"q": q}).status_code == 200 for _, q in lines):
            break
    assert all(client.get("/trends", query_string=[line]).status_code == 200 for line in lines)
    answer = client.get("/trends", query_string=lines)
    assert answer.status_code == 400
    assert f"stand for more than {budget} different words" in Page(answer.get_data(as_text=True)).text


@pytest.mark.parametrize("q", ["operators like *, + and -", "*?* stackable", "stackable * credentials", "*:* zz123"])
def test_a_star_standing_alone_among_words_is_punctuation_not_every_word(client, q):
    """A pasted question may hold a * as a symbol; it is read as the analysis reads punctuation."""
    words = limits.without_lone_wildcards(q.replace("?", " "))
    answer = client.get("/api/search", query_string={"q": q})
    assert answer.status_code == 200
    assert answer.get_json()["total"] == client.get("/api/search", query_string={"q": words}).get_json()["total"]
    assert "*" not in words


def test_too_many_words_with_wildcards_are_refused_and_a_few_are_answered(client):
    words = [f"{letter}*" for letter in "abcdefghi"]
    assert_refused(client, " ".join(words), f"9 of its words have wildcards (at most {limits.MAX_WILDCARD_WORDS})")
    assert client.get("/api/search", query_string={"q": "stack* qual* cred*"}).status_code == 200


def test_a_trends_charts_queries_share_one_querys_wildcard_words(client):
    lines = [("q", "st* qu* cr*"), ("q", "fr* po* mi*"), ("q", "le* ed* la*")]
    assert all(client.get("/trends", query_string=[line]).status_code == 200 for line in lines)
    answer = client.get("/trends", query_string=lines)
    assert answer.status_code == 400
    reason = f"9 of its words have wildcards (at most {limits.MAX_WILDCARD_WORDS})"
    assert reason in Page(answer.get_data(as_text=True)).text


@pytest.mark.parametrize("q, reason", [
    (" ".join(f"{letter}*" for letter in string.ascii_lowercase) + " zz123", "26 of its words have wildcards"),
    ("id:* text:* zz123", "a * on its own (or field:*) stands for every word"),
    ("text:* zz123", "a * on its own (or field:*) stands for every word"),
    ("title:*ion", "“*ion” starts with a wildcard"),
    ("(m*c*o*c*r OR badge)", "“m*c*o*c*r” has more than 3 wildcards"),
])
def test_what_the_text_shows_is_refused_before_the_parser_or_the_index_is_asked(client, monkeypatch, q, reason):
    """A refusal must cost less than the cheapest search, or a flood of them starves the site."""
    from indexer.engine import query

    def never(*args):
        raise AssertionError("parsed a query its text already refuses")
    monkeypatch.setattr(query, "_parse_or_null", never)
    assert_refused(client, q, reason)


LONG = " ".join(f"word{n}" for n in range(limits.LONG_WORDS + 1))


@pytest.mark.parametrize("q", [LONG, '"stackable credentials" "quality assurance"'], ids=["many words", "phrases"])
def test_long_searches_take_turns_and_the_one_that_waits_is_told_when_to_ask_again(world, client, q, monkeypatch):
    """A long search while another runs past its wait (the slot is held here, as another worker would)
    is answered 429 with its text and how to shorten it; a short search is answered as always."""
    monkeypatch.setattr(limits, "LONG_SEARCH_WAIT", 0.05)
    with limits.long_search_slot(world.settings.index_dir, ["another"]):
        page = client.get("/", query_string={"q": q})
        api = client.get("/api/search", query_string={"q": q})
        short = client.get("/api/search", query_string={"q": "stackable credentials"})
    assert page.status_code == 429 and page.headers["Retry-After"] == str(limits.Busy.RETRY_SECONDS)
    assert f"try “{q}” again" in Page(page.get_data(as_text=True)).text
    assert api.status_code == 429 and f"at most {limits.LONG_WORDS} words" in api.get_json()["error"]
    assert short.status_code == 200
    assert client.get("/api/search", query_string={"q": q}).status_code == 200  # its turn
    assert client.get("/api/search", query_string={"q": q}).status_code == 200  # the slot was given back


@pytest.fixture
def waiting(monkeypatch) -> threading.Event:
    """Set once a long search finds the slot taken and starts waiting its turn (a long wait allowed)."""
    monkeypatch.setattr(limits, "LONG_SEARCH_WAIT", 30)
    found_taken, sleep = threading.Event(), limits.time.sleep

    def sleep_waiting(seconds):
        found_taken.set()
        sleep(seconds)

    monkeypatch.setattr(limits.time, "sleep", sleep_waiting)
    return found_taken


def _ask_long_search_in_background(client, answers: list) -> threading.Thread:
    """Another reader's long search, its status code appended to `answers` when it is answered."""
    asker = threading.Thread(target=lambda: answers.append(
        client.get("/api/search", query_string={"q": LONG}).status_code))
    asker.start()
    return asker


def test_a_long_search_that_meets_another_is_answered_when_that_one_ends(world, client, waiting):
    """Readers (or a script asking a few questions at once) are not refused for meeting each other: the
    second long search waits for the slot and is answered once the first gives it back."""
    answers = []
    with limits.long_search_slot(world.settings.index_dir, ["another"]):
        asker = _ask_long_search_in_background(client, answers)
        waiting.wait(timeout=20)
    asker.join()
    assert answers == [200]


def test_a_third_long_search_is_told_at_once_while_one_runs_and_one_waits(world, client, waiting):
    """A flood of long searches must not tie up every worker waiting: only one waits its turn."""
    answers = []
    with limits.long_search_slot(world.settings.index_dir, ["running"]):
        second = _ask_long_search_in_background(client, answers)
        waiting.wait(timeout=20)
        third = client.get("/api/search", query_string={"q": LONG})
    second.join()
    assert third.status_code == 429 and third.headers["Retry-After"] == str(limits.Busy.RETRY_SECONDS)
    assert answers == [200]


def test_a_long_query_its_text_refuses_is_the_400_even_while_another_long_search_runs(world, client):
    attack = " ".join(f"{letter}*" for letter in string.ascii_lowercase) + " zz123"
    with limits.long_search_slot(world.settings.index_dir, ["another"]):
        assert_refused(client, attack, "26 of its words have wildcards")
