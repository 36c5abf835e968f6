# mugai — build, test and benchmark.
#
#   make test    install the Debian packages the tests need (when missing),
#                then go vet ./... and go test ./...
#   make bench   benchmarks beside the native tools (mutool, soffice)
#   make bench-relay  the relay beside a stock Postfix relay (smtp-source → smtp-sink)
#   make fuzz    run every fuzz target for FUZZTIME each

# Debian packages the tests use: CJK fonts for the PDF renderer's
# sandbox; poppler and qpdf as independent PDF readers; LibreOffice,
# bubblewrap and prlimit (util-linux) for office flattening; clamd with a
# local test signature database; zip and 7-Zip to make PPAP archives the
# way senders do; Postfix and swaks as real MTAs; Chromium for the
# transfer sites' browser test.
DEBIAN_PACKAGES ?= fonts-ipafont-gothic fonts-ipafont-mincho poppler-utils qpdf \
	libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
	bubblewrap util-linux clamav-daemon zip 7zip postfix swaks chromium
# What the benchmarks compare against.
BENCH_PACKAGES ?= mupdf-tools bc postfix

FUZZTIME ?= 1m
GO ?= go

.PHONY: test deps install vet gotest bench bench-relay fuzz

test: deps vet gotest

deps:
	@$(MAKE) --no-print-directory install PACKAGES="$(DEBIAN_PACKAGES)"

install:
	@missing=""; \
	for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		echo "postfix postfix/main_mailer_type select No configuration" | $$SUDO debconf-set-selections; \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

vet:
	$(GO) vet ./...

gotest:
	$(GO) test ./...

bench: deps
	@$(MAKE) --no-print-directory install PACKAGES="$(BENCH_PACKAGES)"
	bash bench/flatten.sh
	bash bench/office.sh

bench-relay: deps
	@$(MAKE) --no-print-directory install PACKAGES="$(BENCH_PACKAGES)"
	bash bench/relay.sh

fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list 'Fuzz.*' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done
