"""Help pages that show what a user types, without the type annotations behind it.

Typer 0.29 builds its help from the Python annotations through its own copy of click, and
prints them as if they were syntax: ``<bool>`` after every flag (``--help`` too), ``<str>``
after every argument, and required arguments in braces on the usage line
(``storytrace quotes [OPTIONS] {file}``). The classes here keep typer's layout and change only
those pieces: a flag shows nothing after its name, an option shows its metavar (``FILE``,
``N``, ``MB``, set where the option is declared), an argument shows its name in capitals,
and the usage line reads ``storytrace compare [OPTIONS] A B``. A docstring's later
paragraphs are reflowed too: typer keeps their source line breaks, which at 80 columns
leave a word or two stranded on a line of their own.
"""

from __future__ import annotations

import inspect
from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


class _Argument(TyperArgument):
    """An argument shown by its name in capitals: no ``<str>``, no braces on the usage line."""

    @property
    def display_name_raw(self) -> str:
        return self.metavar or (self.name or "").upper()

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        name = self.display_name_raw
        if self.nargs != 1:
            name += "..."
        return [name if self.required else f"[{name}]"]


def _plain(param: Any) -> None:
    """Make one parameter print as typed.

    Typer creates its parameter objects itself, from the annotations, and offers no hook
    for their class; an argument is therefore moved to the subclass above (which adds no
    state, only its display methods), and a flag gets an empty metavar, which typer prints
    instead of its type.
    """
    if type(param) is TyperArgument:
        param.__class__ = _Argument
    elif isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
        param.metavar = ""


class _PlainParams:
    """Shared by commands and the group: plain parameters, the help option included."""

    params: list[Any]

    def _plain_params(self) -> None:
        for param in self.params:
            _plain(param)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            _plain(option)
        return option


def reflow(text: str | None) -> str | None:
    """Each paragraph of a docstring on one line, for the console to wrap at its width."""
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(p if p.startswith("\b") else " ".join(p.split()) for p in paragraphs)


class HelpCommand(_PlainParams, TyperCommand):
    """A command whose help shows flags bare, metavars after options, arguments in capitals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = reflow(self.help)
        self._plain_params()


class HelpGroup(_PlainParams, TyperGroup):
    """The top-level group, with the same plain help option as its commands."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain_params()
