# Two entry points that work on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# What `make test` lints first (ruff; the rules are in pyproject.toml).
LINTED := autograder assignments solutions tests benchmarks

.PHONY: demo serve test quick bench bench-quick bytecode clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian packages, installed when missing and we can (root with apt-get): bubblewrap
# isolates student code (without it grade, serve, vet and demo refuse to run student code);
# chromium renders the reports in the browser tests (which skip, saying why, without it); nginx
# runs the deployment recipe (docs/deploy/nginx.conf) in front of the server in its test.
define need
	@command -v $(1) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $(2)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2)) >/dev/null; \
	  else echo "warning: $(1) is missing and cannot be installed here (Debian: apt-get install $(2))"; fi; }
endef

# Bytecode for our own modules, written once here: the sandbox's Python runs with -B and never
# writes it, and where PYTHONDONTWRITEBYTECODE is set (as in many CI images) nothing does, so every
# process of every command would compile the engine and the assignments from source again.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q autograder assignments solutions

demo: bytecode
	$(call need,bwrap,bubblewrap)
	$(BIN)/autograder demo --out demo-output

# The course server on the bundled sample class; prints sign-in links for a student and a TA.
serve: bytecode
	$(call need,bwrap,bubblewrap)
	$(BIN)/autograder serve --demo

test: bytecode
	$(call need,bwrap,bubblewrap)
	$(call need,chromium,chromium fonts-dejavu-core)
	$(call need,nginx,nginx-light)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/python -m pytest

# The developers' loop: the tests that start no process, and one end-to-end grade (under a minute).
quick: bytecode
	$(call need,bwrap,bubblewrap)
	$(BIN)/python -m pytest -m "not slow or smoke" --hypothesis-profile=quick

# Then vet --mutants on a class of 100: every mutant of both assignments on every variant (minutes).
bench: bytecode
	$(call need,bwrap,bubblewrap)
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/vetting.py --students 100 --mutants-only

# The short version: classes of 10, nbgrader on 3 of them, a large class of 100 (a few minutes).
bench-quick: bytecode
	$(call need,bwrap,bubblewrap)
	$(BIN)/python benchmarks/throughput.py --quick

clean:
	rm -rf $(VENV) demo-output demo-server
