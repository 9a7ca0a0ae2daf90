# smartlive: `make demo` and `make test` work on a fresh machine; each installs what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the pipeline needs (checked with dpkg, installed with apt-get when missing).
# The fonts draw what the bundled subsets lack (traditional and rare hanzi, emoji), found with
# fontconfig; the bench's ffmpeg reference draws its text with Noto CJK too.
APT_NEEDS := ffmpeg espeak-ng libespeak-ng1 nginx-light libnginx-mod-rtmp \
	fontconfig fonts-noto-cjk fonts-noto-color-emoji
# Only for `make test`: the console's browser tests drive Debian's Chromium (Playwright is a dev extra).
APT_TEST := chromium

.PHONY: setup system venv-package demo test test-fast bench lint clean

setup: system $(STAMP)

# Installs the missing ones; a temporary policy-rc.d keeps nginx from starting as a system
# service on port 80 while it is installed (the tests start their own on loopback).
define apt_install
	@missing=""; for pkg in $(1); do \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  guard=""; if [ ! -e /usr/sbin/policy-rc.d ]; then guard=1; \
	    printf '#!/bin/sh\nexit 101\n' | $$SUDO tee /usr/sbin/policy-rc.d >/dev/null; $$SUDO chmod +x /usr/sbin/policy-rc.d; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  rc=$$?; [ -n "$$guard" ] && $$SUDO rm -f /usr/sbin/policy-rc.d; \
	  [ $$rc = 0 ] || { echo "could not install:$$missing (needs apt-get, and root or sudo)"; exit 1; }; \
	fi
endef

system:
	$(call apt_install,$(APT_NEEDS))

venv-package:
	$(call apt_install,python3-venv)

$(STAMP): pyproject.toml
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || $(MAKE) --no-print-directory venv-package
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

# The product in about a minute: the showcase room steered by its timeline (an inserted line, a
# greeting rule, a gift with its card and the co-streamer's thanks, the robot, an overlay).
DEMO_OUT ?= out
DEMO_SECONDS ?= 30
demo: setup
	@mkdir -p $(DEMO_OUT)
	$(BIN)/smartlive preview assets/rooms/showcase.json -o $(DEMO_OUT)/demo.mp4 --seed 1 \
	  --events-in assets/timelines/showcase.jsonl --events-out $(DEMO_OUT)/demo.jsonl --duration $(DEMO_SECONDS)
	@echo "The showcase room, steered by assets/timelines/showcase.jsonl, is rendered: $$(cd $(DEMO_OUT) && pwd)/demo.mp4"
	@echo "(its events: $(DEMO_OUT)/demo.jsonl; play it with: ffplay $(DEMO_OUT)/demo.mp4)"

# `make test` and `make bench` also install the optional extras, whose tests and figures they
# give: the cluster (Ray: the runner's tests start a 2-node cluster) and Piper with its test
# voice (GPL-3.0; `make demo` and a plain install do without them).
EXTRAS_STAMP := $(VENV)/.installed-extras
$(EXTRAS_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,cluster,piper,piper-voice-joe]'
	@touch $@

test: setup $(EXTRAS_STAMP)
	$(call apt_install,$(APT_TEST))
	$(BIN)/python -m pytest -q

# The edit-test loop: everything but the tests marked slow (real encodes, RTMP, browsers).
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

bench: setup $(EXTRAS_STAMP)
	$(BIN)/python bench/compose.py
	$(BIN)/python bench/preview.py --timeline
	$(BIN)/python bench/live.py
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/density.py
	$(BIN)/python bench/react.py
	$(BIN)/python bench/interaction.py
	$(BIN)/python bench/liveview.py
	$(BIN)/python bench/tts.py
	$(BIN)/python bench/cluster.py

lint: setup
	$(BIN)/ruff check render tests bench tools
	$(BIN)/mypy

clean:
	rm -rf out bench/.ref .pytest_cache
