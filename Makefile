# smartlive: `make demo` and `make test` work on a fresh machine; each installs what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the pipeline needs, each with a file that proves it is there.
APT_NEEDS := ffmpeg:/usr/bin/ffmpeg espeak-ng:/usr/bin/espeak-ng libespeak-ng1:/usr/lib/x86_64-linux-gnu/libespeak-ng.so.1 \
	nginx-light:/usr/sbin/nginx libnginx-mod-rtmp:/usr/lib/nginx/modules/ngx_rtmp_module.so
# Only for `make bench` (the ffmpeg reference draws its text with Noto CJK).
APT_BENCH := fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

.PHONY: setup system demo test bench lint clean

setup: system $(STAMP)

define apt_install
	@missing=""; for pair in $(1); do pkg=$${pair%%:*}; file=$${pair#*:}; \
	  [ -e "$$file" ] || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	    || { echo "could not install:$$missing (need apt-get and root or sudo)"; exit 1; }; \
	fi
endef

system:
	$(call apt_install,$(APT_NEEDS))

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

demo: setup
	@mkdir -p out
	$(BIN)/smartlive preview assets/rooms/example.json -o out/example.mp4
	@echo "The example room is rendered: $$(pwd)/out/example.mp4 (play it with: ffplay out/example.mp4)"

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(call apt_install,$(APT_BENCH))
	$(BIN)/python bench/compose.py
	$(BIN)/python bench/preview.py
	$(BIN)/python bench/live.py

lint: setup
	$(BIN)/ruff check render tests bench tools

clean:
	rm -rf out bench/.ref .pytest_cache
