# Two commands do all set-up on a fresh machine:
#   make demo   install, then run storytrace on the bundled sample corpus
#   make test   install, then run every test
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	mkdir -p out
	rm -f out/demo.db out/demo.db-wal out/demo.db-shm
	$(BIN)/storytrace ingest sample/corpus --db out/demo.db
	$(BIN)/storytrace analyse --db out/demo.db
	$(BIN)/storytrace stories --db out/demo.db
	$(BIN)/storytrace story "$$($(BIN)/storytrace stories --db out/demo.db --json | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')" \
		--db out/demo.db --html out/story.html > /dev/null
	$(BIN)/storytrace compare \
		sample/corpus/meridianwire.example/wire.jsonl#2 \
		sample/corpus/harbortribune.example/thousands-flee-as-sella-floods-valdora.html \
		--html out/compare.html > /dev/null
	@echo "biggest story: $(CURDIR)/out/story.html"
	@echo "wire vs copy:  $(CURDIR)/out/compare.html"

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf out .pytest_cache
