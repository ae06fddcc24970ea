"""The errors storytrace raises on purpose.

    StorytraceError            anything the user can fix; the CLI prints its message on one line
     ├── InputError            a file or record that cannot be read as an article
     ├── ConfigError           an option or setting out of range
     ├── ModelError            a model package missing or broken
     └── StoreError            the database is missing, locked, corrupt or of another version

Any other exception is a bug, and the CLI says so rather than hiding it.
"""

from __future__ import annotations


class StorytraceError(Exception):
    """Base class: the message is meant for the user and fits on one line."""


class InputError(StorytraceError):
    """A file or record that cannot be read as an article."""


class ConfigError(StorytraceError):
    """An option or setting out of range."""


class ModelError(StorytraceError):
    """A model package that is not installed or fails to load."""


class StoreError(StorytraceError):
    """The database cannot be opened, read or written as asked."""
