"""The words every report, page and API view shows for metadata a record did not carry.

One module, so the terminal, the static reports and the web pages say the same thing for
the same gap, and none of them ever prints ``None`` or an empty heading. JSON keeps ``null``
for a missing value; these words are only for what a person reads.
"""

from __future__ import annotations

UNKNOWN_OUTLET = "unknown outlet"
UNDATED = "undated"
UNTITLED = "(untitled)"
