# The README's two commands. Each works on a fresh machine: it makes the
# virtualenv and installs the pinned packages first when they are missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
# The shared open data sets the demo imports (Decide Madrid, Polis, Pabulib).
DATA_DIR ?= ../shared/data
# Tests run on every core (pytest-xdist); override with PYTEST_ARGS=.
PYTEST_ARGS ?= -n auto

.PHONY: demo test install lint format serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/python manage.py migrate --noinput
	LOG_LEVEL=WARNING $(BIN)/python manage.py load_demo --data-dir $(DATA_DIR)
	$(BIN)/python manage.py runserver $(HOST)

serve: install
	$(BIN)/python manage.py runserver $(HOST)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
