# Two commands for a fresh machine: `make demo` and `make test` (see README.md).
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# Exactly this torch: a CPU wheel on these machines; an unpinned torch pulls a multi-GB CUDA build.
TORCH  := torch==2.13.0
PORT   ?= 8888

.PHONY: demo test install build chromium lint unit e2e wheel-test benchmarks screenshots clean

demo: install
	@echo "Starting JupyterLab on notebooks/demo.ipynb; open the URL it prints below (http://127.0.0.1:$(PORT)/lab/...?token=...)"
	$(VENV)/bin/jupyter lab notebooks/demo.ipynb --no-browser --ip=127.0.0.1 --port=$(PORT) \
		$(if $(filter 0,$(shell id -u)),--allow-root,)

test: install chromium lint
	npx vitest run
	$(PY) -m pytest tests -q

install: $(VENV)/.installed build

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

build: node_modules/.installed
	npm run build

$(VENV)/.installed: pyproject.toml node_modules/.installed
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install "$(TORCH)"
	npm run build
	$(PIP) install -e ".[dev]"
	touch $@

# Debian's chromium drives the browser tests (Playwright's own browser download does not work here).
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y --no-install-recommends chromium)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	npx tsc --noEmit

unit: install
	npx vitest run
	$(PY) -m pytest tests/unit -q

e2e: install chromium
	$(PY) -m pytest tests/e2e -q

benchmarks: install chromium
	$(PY) benchmarks/heatmap_latency.py
	$(PY) benchmarks/permutation_speed.py
	$(PY) benchmarks/shap_overhead.py
	$(PY) benchmarks/lime_speed.py
	$(PY) benchmarks/explain_first_bars.py
	$(PY) benchmarks/network_layout.py  # needs torchview and Debian graphviz (benchmark-only)
	$(PY) benchmarks/monitor_log.py
	$(PY) benchmarks/captum_overhead.py

# The README's pictures come from the browser tests' own screenshots.
README_SHOTS := demo-voila heatmap-lab-dark heatmap-lab-sidebar network-voila-resnet-expanded deep-ensemble-digits-dark
screenshots: install chromium
	$(PY) -m pytest tests/e2e/test_heatmap.py -q -k "demo or lab_inline or lab_sidebar"
	$(PY) -m pytest tests/e2e/test_network.py -q -k resnet_expand
	$(PY) -m pytest tests/e2e/test_deep_overlay.py -q -k dark_theme
	mkdir -p docs
	for shot in $(README_SHOTS); do cp tests/e2e/artifacts/$$shot.png docs/$$shot.png; done

clean:
	rm -rf $(VENV) node_modules src/ipyexplain/static dist build tests/e2e/artifacts
