# papercc: `make demo` sets up everything and runs the main job on a bundled example;
# `make test` sets up everything and runs lint and the test suite (`make test-slow`: the slow suites). Both are safe to run twice.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMPS := .stamps
export KERAS_BACKEND ?= torch

.PHONY: setup demo test test-slow test-all lint format spec bench clean

$(STAMPS)/system:
	@mkdir -p $(STAMPS)
	@if ! command -v tesseract >/dev/null 2>&1; then \
	  echo "installing system packages (tesseract-ocr)"; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q tesseract-ocr; \
	fi
	@touch $@

$(STAMPS)/venv: requirements.txt pyproject.toml $(STAMPS)/system
	@mkdir -p $(STAMPS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	# torch first and pinned: the CPU build on disk, never an unpinned CUDA build
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -r requirements.txt
	# PP-OCR's models ship in this wheel; --no-deps: it declares opencv-python, which would
	# clash with the pinned opencv-python-headless (its other dependencies are pinned above)
	$(BIN)/python -m pip install -q --no-deps rapidocr-onnxruntime==1.4.4
	$(BIN)/python -m pip install -q --no-build-isolation --no-deps -e .
	@touch $@

setup: $(STAMPS)/venv

PAPER ?= ../shared/papers/vgg_1409.1556.pdf

demo: setup
	$(BIN)/papercc check zoo/resnet50.dlir
	$(BIN)/papercc summary zoo/resnet50.dlir
	$(BIN)/papercc fmt --check zoo/resnet50.dlir && echo "zoo/resnet50.dlir is in canonical form"
	@mkdir -p out
	$(BIN)/python examples/make_example_paper.py out/example_paper.pdf
	$(BIN)/papercc compile out/example_paper.pdf -o out/example.dlir --report out/example_report.html
	$(BIN)/papercc gen out/example.dlir --model B --target pytorch -o out/example_b.py
	$(BIN)/papercc export out/example.dlir --model B -o out/example_b.onnx
	@if [ -f "$(PAPER)" ]; then \
	  $(BIN)/papercc compile "$(PAPER)" -o out/paper.dlir --report out/paper_report.html && \
	  $(BIN)/papercc summary out/paper.dlir --model D && \
	  $(BIN)/papercc gen out/paper.dlir --model D --target pytorch -o out/paper_d.py && \
	  $(BIN)/papercc export out/paper.dlir --model D -o out/paper_d.onnx && \
	  echo "compiled $(PAPER): out/paper.dlir, out/paper_d.py, out/paper_d.onnx, out/paper_report.html"; \
	else echo "($(PAPER) not found: compiled the generated example paper only)"; fi

test: setup lint
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not slow"

test-slow: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m slow

test-all: test test-slow

lint: setup
	$(BIN)/ruff check .
	$(BIN)/black --check --quiet .

format: setup
	$(BIN)/ruff check --fix --quiet . || true
	$(BIN)/black --quiet .

spec: setup
	$(BIN)/papercc ops --markdown > spec/ops.md.tmp && mv spec/ops.md.tmp spec/ops.md

bench: setup
	$(BIN)/python bench/bench_core.py

clean:
	rm -rf $(VENV) $(STAMPS) build *.egg-info .pytest_cache .hypothesis .ruff_cache
