# Two commands on a fresh machine:  `make serve`  and  `make test`.
# Both create .venv and install AIDIS into it first (again only when pyproject.toml changes): serving
# installs what the server runs on; testing adds the test tools (pytest, mypy, Playwright, …).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cksum pyproject.toml | cut -d' ' -f1)

CLAUDE_CODE_VERSION ?= 2.1.337
CODEX_VERSION ?= 0.171.0
GEMINI_CLI_VERSION ?= 0.61.0
MEMORY_SERVER_VERSION ?= 2026.8.31
OIDC_PROVIDER_VERSION ?= 9.13.3
CCUSAGE_VERSION ?= 20.0.24

.PHONY: install dev browser git agents serve mcp test lint typecheck pytest screenshots clean

install: $(STAMP)      ## AIDIS and what it runs on, nothing more

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	rm -f $(VENV)/.installed-[0-9]*
	touch $@

dev: $(DEV_STAMP)      ## the test tools too

$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-dev-*
	touch $@

serve: install          ## install, then run the server on the embedded SQLite default
	$(BIN)/aidis serve

mcp: install            ## install, then serve MCP over stdio
	$(BIN)/aidis mcp

lint: dev
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: dev
	$(BIN)/mypy

browser:                ## Debian's Chromium for the dashboard tests (never `playwright install`)
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (apt-get)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

git:                    ## git for the workspace tests (temporary repositories)
	@command -v git >/dev/null 2>&1 || { \
	  echo "installing git (apt-get)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq git >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq git >/dev/null; fi; }

AGENT_PACKAGES = @anthropic-ai/claude-code@$(CLAUDE_CODE_VERSION) @openai/codex@$(CODEX_VERSION) \
	@google/gemini-cli@$(GEMINI_CLI_VERSION) @modelcontextprotocol/server-memory@$(MEMORY_SERVER_VERSION) \
	oidc-provider@$(OIDC_PROVIDER_VERSION) ccusage@$(CCUSAGE_VERSION)
AGENTS_STAMP = .agents/.installed-$(shell echo '$(AGENT_PACKAGES)' | cksum | cut -d' ' -f1)

agents: $(AGENTS_STAMP)  ## pinned agents (and the OpenID provider for the sign-on tests) from npm, run offline

$(AGENTS_STAMP):
	@echo "installing $(AGENT_PACKAGES) (npm)"
	@npm install --prefix .agents --no-audit --no-fund --loglevel=error $(AGENT_PACKAGES) >/dev/null
	@rm -f .agents/.installed-*
	@touch $@

pytest: dev browser git agents
	$(BIN)/pytest $(PYTEST_ARGS)

screenshots: dev browser   ## refresh docs/screenshots/ from demo data
	$(BIN)/python scripts/screenshots.py

test: lint typecheck pytest   ## install, then lint, type-check and run the whole suite (SQLite + PostgreSQL)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
