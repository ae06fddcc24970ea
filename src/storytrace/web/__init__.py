"""The web UI and JSON API (FastAPI + Jinja2, server-rendered; no build step).

Kept free of imports so the CLI can read the serving defaults without loading FastAPI.
"""

# Words per article above which a comparison is refused: aligning two texts costs time and
# memory that grow faster than their length (a 13 MB article took 40 s and 1.8 GB).
MAX_COMPARE_WORDS = 20_000
