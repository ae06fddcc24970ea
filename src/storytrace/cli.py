"""The ``storytrace`` command line: presentation only, every result comes from the library.

Errors the user can fix (``StorytraceError``) print one line on stderr and exit 2; an
unexpected exception prints one line naming it as a bug and exits 1. Set
``STORYTRACE_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import importlib
import os
import sys

# importing the command modules registers their commands on the app
from storytrace.commands import corpus, scale, serve, single  # noqa: F401
from storytrace.commands.common import app, err
from storytrace.errors import StorytraceError


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _classes(name: str) -> tuple[type[BaseException], ...]:
    """Exception ``name`` as click defines it and as typer's own copy of click does.

    Recent typer releases carry a private copy of click, whose exceptions are other
    classes than the installed click's; a bad option value raises typer's, so both count.
    """
    found: list[type[BaseException]] = []
    for module in ("click.exceptions", "typer._click.exceptions", "typer.exceptions", "typer"):
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(dict.fromkeys(found))


_EXITS = _classes("Exit")
_ABORTS = _classes("Abort")
_USAGE_ERRORS = _classes("ClickException")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    debug = os.environ.get("STORYTRACE_DEBUG") == "1"
    try:
        # Outside standalone mode click hands back ``typer.Exit``'s code as the return value
        # instead of raising it, so a command's "something failed" status arrives here.
        status = app(args=argv, prog_name="storytrace", standalone_mode=False)
    except _EXITS as exc:
        return exc.exit_code
    except _ABORTS:
        err.print("storytrace: aborted")
        return 130
    except _USAGE_ERRORS as exc:  # a bad option value or a missing argument: one line, exit 2
        ctx = getattr(exc, "ctx", None)
        where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        sys.stderr.write(f"storytrace: error: {_one_line(exc.format_message())}{where}\n")
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
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
