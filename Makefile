# localmem: the two commands of the quick start.
#   make run    set everything up, then open the chat on the default model
#   make test   set everything up, then run the test suite
.PHONY: run test setup bench clean-venv

VENV := .venv
PYTEST_ARGS ?=

setup:
	@bash scripts/setup.sh

run: setup
	@$(VENV)/bin/localmem chat

test: setup
	@$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

bench: setup
	@$(VENV)/bin/python bench/bench_runtime.py

clean-venv:
	rm -rf $(VENV)
