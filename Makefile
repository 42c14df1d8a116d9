# The two commands of README.md: `make demo` (set up, then analyze a sample call) and
# `make test`. Everything installs into .venv in the project root.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= $(or $(DEALPROOF_SHARED),../shared)
SAMPLE ?= $(SHARED)/eval/audio/pyannote_sample/sample.wav

.PHONY: setup demo test lint system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first and pinned: the CPU build lies on these machines' disk, while an unpinned
# torch (asked for by resemblyzer or sentence-transformers) would pull a multi-GB CUDA build.
# resemblyzer goes in without its dependencies: its webrtcvad pin does not build; the
# project depends on webrtcvad-wheels and librosa instead.
$(VENV)/.installed: pyproject.toml $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps resemblyzer==0.1.4
	touch $@

setup: $(VENV)/.installed

# espeak-ng speaks the synthetic calls of the end-to-end tests (Debian package).
system-deps:
	@command -v espeak-ng >/dev/null || (apt-get update -qq && apt-get install -y -qq espeak-ng >/dev/null)

demo: setup
	@test -f "$(SAMPLE)" || { echo "no sample at $(SAMPLE): set SAMPLE=path/to/call.(wav|m4a|mp4|vtt)"; exit 2; }
	$(BIN)/dealproof analyze "$(SAMPLE)" --json out/sample.json --vtt out/sample.vtt --rttm out/sample.rttm
	@echo "wrote out/sample.json, out/sample.vtt and out/sample.rttm"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

test: setup system-deps lint
	$(BIN)/python -m pytest
