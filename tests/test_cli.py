"""The command line as a user meets it: exit codes, one-line errors, JSON."""

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import SAMPLE


def _one_clean_line(result):
    assert result.code != 0
    lines = [ln for ln in result.err.splitlines() if ln.strip()]
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    assert lines[0].startswith("storytrace: error:")
    return lines[0]


@pytest.mark.parametrize(
    "make", ["missing", "directory", "binary", "empty", "huge", "no_article_html"]
)
def test_extract_bad_input_gives_one_line(cli, tmp_path, make):
    path = tmp_path / "input.txt"
    if make == "directory":
        path.mkdir()
    elif make == "binary":
        path.write_bytes(b"\x00\x01\x02\xff" * 5000)
    elif make == "empty":
        path.write_bytes(b"")
    elif make == "huge":
        with path.open("wb") as fh:
            fh.write(b"All work and no play makes a dull reporter. " * (50 * 1024 * 1024 // 44 + 1))
    elif make == "no_article_html":
        path = tmp_path / "page.html"
        path.write_text(
            "<html><body><nav>Home | News | Sport</nav><footer>(c) 2026</footer></body></html>"
        )
    line = _one_clean_line(cli("extract", path))
    assert str(path.name) in line or "text" in line


def test_extract_invalid_utf8_falls_back(cli, tmp_path):
    path = tmp_path / "cp1252.txt"
    path.write_bytes(
        "The mayor’s office said the café would reopen on Friday after repairs.".encode("cp1252")
    )
    result = cli("extract", path, "--json")
    assert result.code == 0, result.err
    assert "café" in result.json()["text"]


def test_extract_json_fields(cli):
    result = cli("extract", SAMPLE / "corpus" / "meridianwire.example" / "wire.jsonl#1", "--json")
    assert result.code == 0, result.err
    data = result.json()
    for field in ("title", "text", "published", "outlet", "url", "language", "stripped"):
        assert field in data
    assert data["language"] == "en"
    assert data["published"].startswith("2026-03-")


def test_compare_bad_second_argument(cli):
    result = cli(
        "compare", SAMPLE / "corpus" / "meridianwire.example" / "wire.jsonl#1", "/no/such/file.txt"
    )
    _one_clean_line(result)


def test_unknown_record_number(cli):
    line = _one_clean_line(
        cli("extract", SAMPLE / "corpus" / "meridianwire.example" / "wire.jsonl#999")
    )
    assert "#999" in line


# -- help pages ----------------------------------------------------------------------------
def _commands() -> list[str]:
    from typer.main import get_command

    from storytrace.cli import app

    return sorted(get_command(app).commands)


def _help(*args: str, columns: int = 250) -> str:
    """``storytrace ARGS --help`` in this process, as wide as asked."""
    from typer.testing import CliRunner

    from storytrace.cli import app

    result = CliRunner().invoke(
        app, [*args, "--help"], env={"COLUMNS": str(columns)}, prog_name="storytrace"
    )
    assert result.exit_code == 0, result.output
    return result.output


def _param_line(output: str, names: list[str]) -> str:
    """The help row whose first words name the parameter."""
    for line in output.splitlines():
        if not line.startswith("│"):
            continue  # only the rows of the Arguments and Options panels
        words = line.strip("│ ").removeprefix("* ").split()
        if words and words[0] in names:
            return line
    raise AssertionError(f"no help row for {names}:\n{output}")


@pytest.mark.parametrize("command", ["", *_commands()])
def test_help_shows_what_to_type(command):
    from typer.main import get_command

    from storytrace.cli import app

    args = [command] if command else []
    output = _help(*args)
    assert "<bool>" not in output
    assert re.search(r"<[a-z][a-z \[\]]*>", output) is None, output  # no <str>, <path>, ...
    assert "{" not in output and "}" not in output, output
    group = get_command(app)
    cmd = group.commands[command] if command else group
    for param in cmd.params:
        assert param.help, f"{command} {param.opts} has no description"
        if getattr(param, "param_type_name", "") == "argument":
            names = [(param.metavar or param.name).upper(), f"{param.name.upper()}..."]
            assert (param.metavar or param.name.upper()) in output.split("Usage:")[1].split("\n")[0]
        else:
            names = list(param.opts)
        line = _param_line(output, names)
        first_words = " ".join(param.help.split()[:2])
        assert first_words in line, (line, param.help)


def test_help_reads_at_80_columns():
    output = _help("compare", columns=80)
    assert "Usage: storytrace compare [OPTIONS] A B" in output
    assert max(len(line) for line in output.splitlines()) <= 80
    # a docstring's later paragraphs are reflowed, not broken where the source lines end
    assert "on Spark. An interrupted run resumes" in _help("run", columns=200)


# -- reading at 80 columns -------------------------------------------------------------------
_BOX = re.compile(r"[\u2500-\u257f]")  # box-drawing characters: table borders
WIRE_2 = SAMPLE / "corpus" / "meridianwire.example" / "wire.jsonl#2"
FLOOD_HTML = (
    SAMPLE / "corpus" / "harbortribune.example" / "thousands-flee-as-sella-floods-valdora.html"
)


def _assert_quotes_readable(output: str, quotes: list[dict]) -> None:
    """No table row shrunk to "…", and the opening words of every quote there to read."""
    assert quotes
    assert re.search(r"[│┃]\s*…\s*[│┃]", output) is None, output
    assert max(len(line) for line in output.splitlines()) <= 80
    flat = " ".join(_BOX.sub(" ", output).split())
    for q in quotes:
        opening = " ".join(q["text"].split()[:8]).rstrip("…")
        assert opening in flat, (opening, output)


def test_quotes_read_at_80_columns(cli):
    found = cli("quotes", FLOOD_HTML, "--json").json()["quotes"]
    shown = cli("quotes", FLOOD_HTML, columns=80)
    assert shown.code == 0, shown.err
    _assert_quotes_readable(shown.out, found)
    title = shown.out.strip().splitlines()[0]
    assert f"{len(found)} quotes in Thousands flee as Sella floods Valdora" in title


def test_quotes_title_names_the_file_without_a_headline(cli, tmp_path):
    path = tmp_path / "statement.txt"
    path.write_text(
        'The harbour master said the wall would be rebuilt by spring.\n\n"We will not '
        'let the town down," said Anna Brel, the council leader, on Monday.\n'
    )
    shown = cli("quotes", path, columns=80)
    assert shown.code == 0, shown.err
    assert "in statement.txt" in shown.out.splitlines()[0]


def test_compare_quotes_in_b_read_at_80_columns(cli):
    quotes_b = cli("quotes", FLOOD_HTML, "--json").json()["quotes"]
    shown = cli("compare", WIRE_2, FLOOD_HTML, columns=80)
    assert shown.code == 0, shown.err
    part_b = shown.out.split("quotes in B: Thousands flee as Sella floods Valdora", 1)[1]
    _assert_quotes_readable(part_b.split("Same statement in both")[0], quotes_b)
    assert "evidence (not weighted)" in shown.out


# -- what goes to stdout -----------------------------------------------------------------------
def test_compare_html_prints_the_path_only(tmp_path):
    """In this process, so the models load once for both runs (and for test_compare)."""
    from typer.testing import CliRunner

    from storytrace.cli import app

    page = tmp_path / "c.html"
    args = ["compare", str(WIRE_2), str(FLOOD_HTML), "--no-nlp", "--html", str(page)]
    alone = CliRunner().invoke(app, args, prog_name="storytrace")
    assert alone.exit_code == 0, alone.output
    assert alone.stdout == f"{page}\n"
    assert page.stat().st_size > 0
    page.unlink()
    both = CliRunner().invoke(app, [*args, "--json"], prog_name="storytrace")
    assert both.exit_code == 0, both.output
    assert json.loads(both.stdout)["similarity"]["overall"] > 0.5  # stdout is the JSON alone
    assert str(page) in both.stderr and page.exists()


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    """The sample corpus ingested and analysed (without quotes), in this process."""
    from conftest import analyse_store
    from storytrace import corpus
    from storytrace.store.db import Store

    db = tmp_path_factory.mktemp("sample") / "sample.db"
    with Store.open(db) as store:
        files, _ = corpus.expand_paths([str(SAMPLE / "corpus")])
        corpus.ingest(store, files)
        analyse_store(store)
    return db


def test_story_html_prints_the_path_only(cli, sample_db, tmp_path):
    story_id = cli("stories", "--db", sample_db, "--json").json()[0]["id"]
    page = tmp_path / "story.html"
    shown = cli("story", story_id, "--db", sample_db, "--html", page)
    assert shown.code == 0, shown.err
    assert shown.out == f"{page}\n"
    assert "timeline" in page.read_text(encoding="utf-8").lower()


def test_exclusive_output_flags_are_refused(cli, sample_db):
    line = _one_clean_line(cli("outlets", "--db", sample_db, "--json", "--dot"))
    assert "--json" in line and "--dot" in line
    assert cli("outlets", "--db", sample_db, "--json", "--dot").code == 2


# -- progress and summaries --------------------------------------------------------------------
def test_ingest_progress_is_plain_lines_and_reruns_say_what_is_new(cli, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(SAMPLE / "corpus" / "valleycourier.example", folder)
    db = tmp_path / "p.db"
    first = cli("ingest", folder, "--db", db)
    assert first.code == 0, first.err
    assert first.err.splitlines() == [
        "  ingesting files: 4/4 in " + first.err.split(" in ")[-1].strip()
    ]
    assert first.out.startswith(f"4 articles new this run, 4 in the store ({db})")
    again = cli("ingest", folder, "--db", db)
    assert again.out.startswith(f"0 articles new this run, 4 in the store ({db})")
    assert "4 of 4 files unchanged" in again.out
    (folder / "extra.txt").write_text("A new bridge opened over the river on Monday. " * 8)
    third = cli("ingest", folder, "--db", db)
    assert third.out.startswith("1 article new this run, 5 in the store")


def test_analyse_summary_tells_new_from_stored(cli, tmp_path):
    db = tmp_path / "a.db"
    assert cli("ingest", SAMPLE / "corpus", "--db", db).code == 0
    first = cli("analyse", "--db", db, "--no-quotes")
    assert first.code == 0, first.err
    again = cli("analyse", "--db", db, "--no-quotes")
    new_first = re.search(
        r"reused passages:\s+([\d,]+) new this run, ([\d,]+) in the store", first.out
    )
    new_again = re.search(
        r"reused passages:\s+([\d,]+) new this run, ([\d,]+) in the store", again.out
    )
    assert new_first and new_again, (first.out, again.out)
    assert new_first.group(1) == new_first.group(2) != "0"
    assert new_again.group(1) == "0" and new_again.group(2) == new_first.group(2)
    assert "" not in first.err.splitlines()  # no blank lines where a bar would be
    # off a terminal: one line per job, with its place among the jobs known before the
    # first starts, its steps and time, not thirty step names
    jobs = re.findall(
        r"^  (\w+), job (\d) of (\d): done \((\d+) steps?, [\d.]+ s\)$", first.err, re.M
    )
    assert [(job, n, of) for job, n, of, _ in jobs] == [
        ("dedup", "1", "3"),
        ("reuse", "2", "3"),
        ("stories", "3", "3"),
    ], first.err
    assert all(int(steps) > 1 for *_, steps in jobs)
    assert "stories/profiles" not in first.err and "store:" not in first.err


def test_run_reports_each_planned_job_once_in_order(cli, tmp_path):
    """Off a terminal, ``run`` prints one line per job, each with its place among the jobs
    planned before the first starts; the eight table writes are one job, not eight lines."""
    from storytrace.pipeline.run import RUN_JOBS

    result = cli("run", "-i", SAMPLE / "corpus", "-o", tmp_path / "out", "--no-quotes")
    assert result.code == 0, result.err
    jobs = re.findall(
        r"^  (\w+), job (\d) of (\d): done \((\d+) steps?, [\d.]+ s\)$", result.err, re.M
    )
    assert [job for job, *_ in jobs] == list(RUN_JOBS), result.err
    assert [(int(n), int(of)) for _, n, of, _ in jobs] == [
        (n, len(RUN_JOBS)) for n in range(1, len(RUN_JOBS) + 1)
    ]
    assert "write articles" not in result.err


# -- one wording for what is missing -------------------------------------------------------------
def test_counts_agree_with_their_nouns():
    from storytrace.report.words import count

    assert [count(1, "article"), count(2, "article"), count(7, "story"), count(1204, "quote")] == [
        "1 article",
        "2 articles",
        "7 stories",
        "1,204 quotes",
    ]


def test_story_report_says_unknown_outlet_undated_untitled():
    from rich.console import Console

    from storytrace.report.terminal import show_story

    story = {"id": "s1", "headline": "", "keywords": ["bridge"], "first": None, "last": None}
    view = {
        "story": {**story, "outlets": ["Daily"], "article_ids": ["a1"]},
        "first": {"id": "a1", "outlet": None, "published": None, "title": ""},
        "timeline": [{"id": "a1", "outlet": None, "published": None, "title": "", "url": None}],
        "passages": [
            {"from_outlet": None, "to_outlet": "Daily", "kind": "verbatim", "text": "The bridge."}
        ],
        "speakers": [
            {
                "speaker": "Anna Brel",
                "quotes": [{"outlet": None, "direct": True, "text": "We will rebuild."}],
            }
        ],
        "labels": [],
    }
    console = Console(record=True, width=160)  # wide enough that no cell wraps
    show_story(view, console)
    text = console.export_text()
    assert "1 article · 1 outlet · undated" in text
    assert "first published by unknown outlet, undated: (untitled)" in text
    tables = " ".join(_BOX.sub(" ", text.split("timeline")[1]).split())
    assert tables.count("unknown outlet") == 3  # timeline, passage source, speaker's outlet
    assert " ? " not in text and "?" not in text.replace("(untitled)", "")
    assert "1 articles" not in text


# -- metadata for files that carry none ------------------------------------------------------
_PLAIN = (
    "The ferry between Holm and the mainland was cancelled on Friday after a storm damaged"
    " the pier at Holm harbour, the operator said. Engineers will inspect the pier on Monday.\n"
)


def test_extract_takes_outlet_date_title_and_url(cli, tmp_path):
    path = tmp_path / "ferry.txt"
    path.write_text(_PLAIN)
    result = cli(
        "extract", path, "--json", "--outlet", "Holm Gazette", "--published", "2026-02-06T09:30",
        "--title", "Storm cancels ferry", "--url", "https://holm.example/ferry",
    )  # fmt: skip
    assert result.code == 0, result.err
    data = result.json()
    assert (data["outlet"], data["published"], data["title"], data["url"]) == (
        "Holm Gazette",
        "2026-02-06T09:30:00",
        "Storm cancels ferry",
        "https://holm.example/ferry",
    )
    shown = cli("extract", path, "--outlet", "Holm Gazette")
    assert "Holm Gazette · undated" in shown.out


@pytest.mark.parametrize("command", ["extract", "ingest", "compare", "run"])
def test_a_date_that_is_not_iso_is_one_line(cli, tmp_path, command):
    path = tmp_path / "ferry.txt"
    path.write_text(_PLAIN)
    option = "--b-published" if command == "compare" else "--published"
    args = {
        "extract": ["extract", path],
        "ingest": ["ingest", path, "--db", tmp_path / "x.db"],
        "compare": ["compare", path, path],
        "run": ["run", "-i", path, "-o", tmp_path / "out"],
    }[command]
    line = _one_clean_line(cli(*args, option, "06/02/2026"))
    assert f"{option} '06/02/2026'" in line and "ISO 8601" in line


def test_compare_takes_metadata_per_side(tmp_path):
    from typer.testing import CliRunner

    from storytrace.cli import app

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(_PLAIN)
    b.write_text(_PLAIN.replace("Friday", "Saturday"))
    args = ["compare", str(a), str(b), "--no-nlp", "--json", "--a-outlet", "Holm Gazette"]
    args += ["--b-outlet", "Island Radio", "--b-published", "2026-02-07", "--a-title", "Ferry"]
    result = CliRunner().invoke(app, args, prog_name="storytrace")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["a"]["outlet"], data["a"]["title"], data["a"]["published"]) == (
        "Holm Gazette",
        "Ferry",
        None,
    )
    assert (data["b"]["outlet"], data["b"]["published"]) == ("Island Radio", "2026-02-07")


def test_stories_list_keeps_keywords_whole_at_80_columns(cli, sample_db):
    listed = cli("stories", "--db", sample_db, "--json").json()
    shown = cli("stories", "--db", sample_db, columns=80)
    assert shown.code == 0, shown.err
    assert max(len(line) for line in shown.out.splitlines()) <= 80
    cells = " ".join(part.strip() for line in shown.out.splitlines() for part in line.split("│"))
    for story in listed:
        for keyword in story["keywords"][:3]:
            assert keyword in cells.split() or f"{keyword}," in cells.split(), keyword


def test_dedup_groups_read_at_80_columns_with_whole_titles(cli, sample_db):
    listed = cli("dedup", "--db", sample_db, "--json").json()
    shown = cli("dedup", "--db", sample_db, columns=80)
    assert shown.code == 0, shown.err
    assert listed["groups"]
    assert max(len(line) for line in shown.out.splitlines()) <= 80
    cells = " ".join(
        part.strip() for line in shown.out.splitlines() for part in line.split("│") if part.strip()
    )
    for group in listed["groups"]:
        for member in group["members"]:
            assert member["id"][:12] in cells
            assert " ".join(member["title"].split()) in " ".join(cells.split()), member["title"]
