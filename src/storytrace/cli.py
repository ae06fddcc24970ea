"""The ``storytrace`` command line: presentation only, every result comes from the library.

Errors the user can fix (``StorytraceError``) print one line on stderr and exit 2; an
unexpected exception prints one line naming it as a bug and exits 1. Set
``STORYTRACE_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console

from storytrace.errors import InputError, StorytraceError

app = typer.Typer(
    name="storytrace",
    help="Trace one news story across outlets: copies, rewrites, quotes, labels and stories.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@app.command()
def extract(
    file: Annotated[
        str,
        typer.Argument(
            help="Article file (text, HTML, JSON/JSONL, CSV, feed); FILE#N picks record N."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the article as JSON.")] = False,
) -> None:
    """Clean article text and metadata from one file."""
    from storytrace.ingest import load_article

    article = load_article(file)
    if as_json:
        _print_json(article.to_dict())
        return
    out.print(f"[bold]{article.title or '(untitled)'}[/bold]")
    out.print(
        f"[dim]{article.outlet or 'unknown outlet'} · {article.published or 'undated'} · "
        f"{article.language or '?'}{' · ' + article.url if article.url else ''}[/dim]"
    )
    if article.stripped:
        out.print(f"[dim]stripped: {' | '.join(article.stripped)}[/dim]")
    out.print()
    out.print(article.text, markup=False)


@app.command()
def compare(
    a: Annotated[str, typer.Argument(help="First article (path, FILE#N, or text).")],
    b: Annotated[str, typer.Argument(help="Second article.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the documented JSON (docs/schema.md).")
    ] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a side-by-side HTML page here.")
    ] = None,
    no_nlp: Annotated[
        bool, typer.Option("--no-nlp", help="Skip entities and quotes (faster).")
    ] = False,
) -> None:
    """Show what two articles share: verbatim, near-verbatim, paraphrase; quotes; entities; similarity."""
    from storytrace.compare import CompareOptions
    from storytrace.compare import compare as run_compare

    if html is not None and not html.parent.is_dir():
        raise InputError(f"{html.parent}: no such folder for the HTML report")
    with err.status("comparing…"):
        result = run_compare(a, b, CompareOptions(entities=not no_nlp))
    if html is not None:
        from storytrace.report.html import write

        write(result, html)
    if as_json:
        _print_json(result.to_dict())
    else:
        from storytrace.report.terminal import show_comparison

        show_comparison(result, out)
    if html is not None:
        err.print(f"HTML report written to {html}")


@app.command()
def quotes(
    file: Annotated[str, typer.Argument(help="Article file (FILE#N picks a record) or text.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the quotes as JSON.")] = False,
) -> None:
    """Every quote in one article: speaker, cue, direct or indirect."""
    from storytrace.ingest import load_article
    from storytrace.nlp.quotes import extract_quotes

    article = load_article(file)
    found = extract_quotes(article.text)
    if as_json:
        _print_json({"article": article.id, "quotes": [q.to_dict() for q in found]})
        return
    from storytrace.report.terminal import quotes_table

    out.print(quotes_table(found, f"{len(found)} quotes in {article.title or article.id}"))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    debug = os.environ.get("STORYTRACE_DEBUG") == "1"
    try:
        app(args=argv, prog_name="storytrace", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        err.print("storytrace: aborted")
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("storytrace: interrupted")
        return 130
    except StorytraceError as exc:
        if debug:
            raise
        sys.stderr.write(f"storytrace: error: {_one_line(exc)}\n")
        return 2
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so in one line, keep the traceback for debugging
        if debug:
            raise
        sys.stderr.write(
            f"storytrace: internal error ({type(exc).__name__}: {_one_line(exc)[:300]}); "
            "rerun with STORYTRACE_DEBUG=1 for details\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
