# mugai — build, test and benchmark.
#
#   make test    install the Debian packages the tests need (when missing),
#                then go vet ./... and go test ./...
#   make bench   benchmarks beside the native tools (mutool, soffice)
#   make fuzz    run every fuzz target for FUZZTIME each

# Debian packages the tests use: CJK fonts for the PDF renderer's
# sandbox, poppler and qpdf as independent PDF readers, mupdf-tools for
# the benchmark comparison.
DEBIAN_PACKAGES ?= fonts-ipafont-gothic poppler-utils qpdf mupdf-tools

FUZZTIME ?= 1m
GO ?= go

.PHONY: test deps vet gotest bench fuzz

test: deps vet gotest

deps:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		echo "postfix postfix/main_mailer_type select No configuration" | $$SUDO debconf-set-selections; \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

vet:
	$(GO) vet ./...

gotest:
	$(GO) test ./...

bench: deps
	bash bench/flatten.sh

fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list 'Fuzz.*' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done
