# The README's two commands: `make run` (install, then the main job on the bundled data) and
# `make test` (install, then lint and the test suite; what .ci/run calls).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: run test install lint

# The daily job on the bundled data: load it, then mark, hedge, report and write the email
# (a .eml until SMTP is configured). Offline by design: --source snapshot.
run: install
	$(BIN)/alvh init
	$(BIN)/alvh run --source snapshot

# One pytest worker per core (pytest-xdist); each test file stays on one worker, so a file's
# module-scoped homes and warehouses are built once. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
test: install lint
	bash scripts/install-system-deps.sh --test
	ALVH_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "ALVH Risk needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@
