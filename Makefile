# servicedesk: `make run` starts the embedded desk with demo data, `make test` runs the suite.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
FLASK   = $(BIN)/flask --app wsgi
STAMP   = $(VENV)/.installed

.PHONY: run test lint worker relay i18n-extract i18n-compile clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(FLASK) init --demo
	$(FLASK) run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

worker: $(STAMP)
	$(FLASK) worker

relay: $(STAMP)
	$(FLASK) relay

i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --ignore-dirs='.* forms_engine tests bench migrations __pycache__' \
	  -o servicedesk/translations/messages.pot .
	$(BIN)/pybabel update -i servicedesk/translations/messages.pot -d servicedesk/translations \
	  --ignore-obsolete 

i18n-compile: $(STAMP)
	$(BIN)/pybabel compile -d servicedesk/translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
