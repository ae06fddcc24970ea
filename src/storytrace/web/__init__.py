"""The web UI and JSON API (FastAPI + Jinja2, server-rendered; no build step)."""
