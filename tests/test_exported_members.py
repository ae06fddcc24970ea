"""The public surface: ``__all__`` is what the package exports, and every name keeps working.

``storytrace.compare`` once stopped being callable after its first call: the function
imported a submodule of the same name, and importing a submodule rebinds the package
attribute to the module. These tests call every exported name twice, and refuse a
submodule whose name would shadow an export.
"""

import pkgutil
from types import ModuleType

import pytest

import storytrace

# Bound by ``from __future__ import annotations``, not an export.
_NOT_EXPORTS = {"annotations"}
TEXT = (
    "The harbour authority said on Tuesday that 2,500 people had left the valley. "
    "Tomas Brell, the harbour master, said the ships would wait."
)


def test_all_matches_the_public_names() -> None:
    public = {
        name
        for name, value in vars(storytrace).items()
        if not name.startswith("_")
        and not isinstance(value, ModuleType)
        and name not in _NOT_EXPORTS
    }
    assert sorted(storytrace.__all__) == sorted(public)
    assert len(set(storytrace.__all__)) == len(storytrace.__all__)


def test_no_submodule_shadows_an_export() -> None:
    submodules = {m.name for m in pkgutil.iter_modules(storytrace.__path__)}
    assert not submodules & set(storytrace.__all__)


@pytest.mark.slow
def test_every_function_works_twice() -> None:
    calls = {
        "extract": lambda: storytrace.extract(TEXT),
        "compare": lambda: storytrace.compare(TEXT, TEXT),
    }
    assert set(calls) == {
        n for n in storytrace.__all__ if not isinstance(getattr(storytrace, n), type)
    }
    for name, call in calls.items():
        first, second = call(), call()
        assert callable(getattr(storytrace, name)), name
        assert type(first) is type(second), name
    assert storytrace.extract(TEXT).text == TEXT.strip()
    result = storytrace.compare(TEXT, TEXT)
    assert result.similarity.overall > 0.95 and result.a.id == result.b.id


def test_every_class_is_usable_twice() -> None:
    makers = {
        "Article": lambda: storytrace.Article(text="x"),
        "Entity": lambda: storytrace.Entity("Tomas Brell", "person"),
        "Passage": lambda: storytrace.Passage("verbatim", (0, 1), (0, 1), "x", "x", 1.0),
        "Quote": lambda: storytrace.Quote("x", (0, 1), None, None, None, None, None, True),
        "Story": lambda: storytrace.Story("s1", "headline", ("a",)),
    }
    errors = {n for n in storytrace.__all__ if n.endswith("Error")}
    classes = {n for n in storytrace.__all__ if isinstance(getattr(storytrace, n), type)}
    assert classes == set(makers) | errors
    for name, make in makers.items():
        first, second = make(), make()
        assert first == second and isinstance(first, getattr(storytrace, name))
        assert first.to_dict() == second.to_dict()
    for name in errors:
        cls = getattr(storytrace, name)
        assert issubclass(cls, storytrace.StorytraceError)
        for _ in range(2):
            with pytest.raises(storytrace.StorytraceError, match="bad value"):
                raise cls("bad value")


def test_a_short_text_is_a_text_and_a_missing_file_name_is_a_missing_file(tmp_path) -> None:
    from storytrace.errors import InputError

    assert storytrace.extract("Minister resigns").text == "Minister resigns"
    assert storytrace.extract("report.txt is ready").text == "report.txt is ready"
    page = tmp_path / "page one.txt"
    page.write_text("The ferry to Orlen sailed at dawn with forty passengers.", encoding="utf-8")
    assert storytrace.extract(str(page)).text.startswith("The ferry to Orlen")
    for meant_as_a_file in ("Mnister", "missing.txt", "my notes.html#2", str(tmp_path / "gone")):
        with pytest.raises(InputError, match="no such file"):
            storytrace.extract(meant_as_a_file)
