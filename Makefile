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
	$(BIN)/storytrace compare \
		sample/corpus/meridianwire.example/wire.jsonl#2 \
		sample/corpus/harbortribune.example/thousands-flee-as-sella-floods-valdora.html \
		--html out/compare.html
	@echo "demo report: $(CURDIR)/out/compare.html"

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf out .pytest_cache
