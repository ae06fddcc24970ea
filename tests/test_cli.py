"""The command line as a user meets it: exit codes, one-line errors, JSON."""

import re

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
