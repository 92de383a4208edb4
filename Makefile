.PHONY: install test test-pg lint format bench screenshots

install:
	python3 -m venv .venv && .venv/bin/pip install -e ".[test]"

test:
	.venv/bin/pytest

test-pg:
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/hindsight_dev .venv/bin/pytest

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

bench:
	.venv/bin/python bench/run.py

# The README's screenshots, from `hindsight demo` in /usr/bin/chromium (scripts/screenshots.py).
screenshots:
	.venv/bin/python scripts/screenshots.py --out docs
