# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: venv demo serve test test-fast pywb bench bench-large bench-env lock clean

$(STAMP): requirements.lock pyproject.toml
	@echo "setting up $(VENV) from requirements.lock (first time: about a minute)…"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock > $(VENV)/install.log 2>&1 \
	  || { tail -n 30 $(VENV)/install.log; echo "pip install failed: see $(VENV)/install.log"; exit 1; }
	@$(BIN)/pip install --disable-pip-version-check -q --no-deps -e . >> $(VENV)/install.log 2>&1 \
	  || { tail -n 30 $(VENV)/install.log; exit 1; }
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/redline demo

# The main job: watch the seed statements for real (./archive), with the browse view on
# 127.0.0.1:8800 and a local Prefect server with its UI; it prints the three addresses. Ctrl-C stops.
serve: venv
	$(BIN)/redline serve --browse

# On 2 workers (pytest-xdist), a file's tests on one worker (--dist loadfile: module fixtures such as
# test_workers' cluster start once); each worker starts its own PostgreSQL and SeaweedFS.
test: venv pywb
	$(BIN)/pytest -q --durations=15 -n 2 --dist loadfile

# The inner loop: everything but the slow and whole-stack tests.
test-fast: venv
	$(BIN)/pytest -q -m "not slow and not e2e"

# pywb (WARC replay, for tests/e2e/test_pywb.py) in its own venv: its pins clash with Prefect's.
PYWB_VENV  := .venv-pywb
PYWB_STAMP := $(PYWB_VENV)/.installed-$(shell cat requirements-pywb.lock | cksum | cut -d' ' -f1)

$(PYWB_STAMP): requirements-pywb.lock
	@echo "setting up $(PYWB_VENV) from requirements-pywb.lock (pywb, for the WARC replay test)…"
	@test -x $(PYWB_VENV)/bin/python || $(PYTHON) -m venv $(PYWB_VENV)
	@$(PYWB_VENV)/bin/pip install --disable-pip-version-check -q -r requirements-pywb.lock > $(PYWB_VENV)/install.log 2>&1 \
	  || { tail -n 30 $(PYWB_VENV)/install.log; echo "pip install failed: see $(PYWB_VENV)/install.log"; exit 1; }
	@rm -f $(PYWB_VENV)/.installed-*
	@touch $(PYWB_STAMP)

pywb: $(PYWB_STAMP)

# Benchmarks (not part of `make test`): write BENCHMARKS.md; urlwatch gets its own venv.
BENCH_VENV := bench/.venv-urlwatch
BENCH_STAMP := $(BENCH_VENV)/.installed-$(shell cat requirements-bench.lock | cksum | cut -d' ' -f1)

$(BENCH_STAMP): requirements-bench.lock
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	@$(BENCH_VENV)/bin/pip install --disable-pip-version-check -q -r requirements-bench.lock > $(BENCH_VENV)/install.log 2>&1 \
	  || { tail -n 30 $(BENCH_VENV)/install.log; exit 1; }
	@rm -f $(BENCH_VENV)/.installed-*
	@touch $(BENCH_STAMP)

bench-env: $(BENCH_STAMP)

bench: venv bench-env
	$(BIN)/python bench/run.py --sizes 100,1000 --repeats 5,3 --workers-sources 10000 --workers-repeats 1 --command "make bench"

bench-large: venv bench-env
	$(BIN)/python bench/run.py --sizes 100,1000,10000 --repeats 5,3,1 --workers-sources 10000 --workers-repeats 3 --command "make bench-large"

# Re-resolve the lock after changing pyproject.toml dependencies.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install -q -e ".[test]"
	.lockenv/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) $(PYWB_VENV) demo .pytest_cache
