"""The corpus pipeline: jobs written in the engine contract, a run folder of Parquet tables.

jobs       read_articles, dedup, reuse, stories, quotes
run        storytrace run: every job, the output tables, resumable
schemas    the columns of every table
"""
