# Two entry points a newcomer needs: `make run` and `make test`. The venv is created on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run lint typecheck test demo bench bench-anomaly bench-experiments bench-startup bench-gui screenshots dist dist-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m workbench

# Lint rules and import contracts (pyproject.toml); `make test` runs them first.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

# mypy over all of workbench/ (pyproject.toml [tool.mypy] files).
typecheck: $(STAMP)
	$(VENV)/bin/mypy

test: lint typecheck
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(PY) -m pytest -q

demo: $(STAMP)
	$(PY) -m workbench demo --out demo_data

bench: $(STAMP)
	$(PY) bench/bench_metrics.py

bench-anomaly: $(STAMP)
	$(PY) bench/bench_anomaly.py

bench-experiments: $(STAMP)
	$(PY) bench/bench_experiments.py

bench-startup: $(STAMP)
	$(PY) bench/bench_startup.py
	$(PY) bench/bench_cli_startup.py

bench-gui: $(STAMP)
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(PY) bench/bench_gui_stall.py

screenshots: $(STAMP)
	xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) docs/make_screenshots.py
	xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) docs/make_screenshots.py --theme dark

# Installers for offline machines: bundle, .tar.gz, .deb, SBOM and checksums in dist/ (packaging/README.md).
dist: $(STAMP)
	$(PY) -m pip install --quiet -e ".[dist]"
	PYTHON=$(PY) packaging/build.sh

# Build, install the .deb, self-test it with no network, uninstall (needs root on Debian/Ubuntu).
dist-check: dist
	SKIP_BUILD=1 packaging/ci_check.sh

clean:
	rm -rf $(VENV) build dist .pytest_cache
