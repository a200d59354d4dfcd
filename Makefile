# servicedesk: `make run` starts the embedded desk with demo data, `make test` runs the suite.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
FLASK   = $(BIN)/flask --app wsgi
STAMP   = $(VENV)/.installed

.PHONY: run test lint bench-smoke worker relay i18n-extract i18n-compile clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(FLASK) init --demo
	$(FLASK) run --host 127.0.0.1 --port 5000

# Two workers: the machine (and CI's) has two cores.
PYTEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
	@# Then the outage tests, in a session of their own (exit 5: none selected by PYTEST_ARGS).
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS) -m isolated || [ $$? -eq 5 ]

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Every benchmark script at a small size, so a broken bench fails the build, not the next
# measurement. BENCH_DB=postgresql uses servicedesk_bench_smoke (made and dropped by it).
BENCH_DB  ?= sqlite
BENCH_ARGS = --db $(BENCH_DB) $(if $(filter postgresql,$(BENCH_DB)),--url postgresql://postgres@127.0.0.1:5432/servicedesk_bench_smoke,--path bench/out/smoke.db)
bench-smoke: $(STAMP)
	$(BIN)/python bench/forms.py
	$(BIN)/python bench/photos.py --megapixels 0.5 --runs 1
	$(BIN)/python bench/generate.py $(BENCH_ARGS) --tickets 2000
	$(BIN)/python bench/dashboard.py $(BENCH_ARGS) --tickets 2000 --runs 3
	$(BIN)/python bench/pages.py $(BENCH_ARGS) --runs 1
	$(BIN)/python bench/reports.py $(BENCH_ARGS) --tickets 2000 --runs 1
	$(BIN)/python bench/exports.py $(BENCH_ARGS) --tickets 2000 --runs 1
	$(BIN)/python bench/escalation.py $(BENCH_ARGS) --tickets 2000 --runs 3
	@# Last: it files its tickets in a copy (smoke.create.db, servicedesk_bench_smoke_run) it drops.
	$(BIN)/python bench/create.py $(BENCH_ARGS) --tickets 2000 --creates 30

worker: $(STAMP)
	$(FLASK) worker

relay: $(STAMP)
	$(FLASK) relay

# N_ (servicedesk/vocabulary.py) marks a message translated where it is shown; Babel knows
# the name by default, and it is listed so every marker the code uses is named here.
i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output \
	  --ignore-dirs='.* forms_engine tests bench migrations __pycache__' \
	  -o servicedesk/translations/messages.pot .
	$(BIN)/pybabel update -i servicedesk/translations/messages.pot -d servicedesk/translations \
	  --ignore-obsolete 

i18n-compile: $(STAMP)
	$(BIN)/pybabel compile -d servicedesk/translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
