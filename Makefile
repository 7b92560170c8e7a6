# Set-up and the two main jobs. `make demo` and `make test` work from a fresh clone.
#   TORCH=...   the torch requirement installed first (CPU wheel by default; GPU: TORCH=torch)
#   PYTHON=...  the interpreter that creates the virtual environment

PYTHON ?= python3
VENV   ?= .venv
TORCH  ?= torch==2.13.0
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install system-deps lint bench clean

demo: install
	$(BIN)/emobox demo

test: install
	$(BIN)/ruff check src tests bench
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/python -m pytest -q --cov=emobox \
		--cov-report=term:skip-covered --cov-fail-under=90

install: system-deps $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

system-deps:
	@sh scripts/system-deps.sh

lint: install
	$(BIN)/ruff check src tests bench

bench: install
	@sh scripts/system-deps.sh bench
	$(BIN)/python -m pip install -q -e ".[bench]"
	HF_HUB_OFFLINE=1 $(BIN)/python bench/extract.py --quick
	HF_HUB_OFFLINE=1 $(BIN)/python bench/train.py --quick
	HF_HUB_OFFLINE=1 $(BIN)/python bench/scale.py --quick
	HF_HUB_OFFLINE=1 $(BIN)/python bench/report.py

clean:
	rm -rf $(VENV) emobox-work .pytest_cache
