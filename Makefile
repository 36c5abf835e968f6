# mugai — build, test and benchmark.
#
#   make test    install the Debian packages the tests need (when missing),
#                then go vet ./... and go test ./...
#   make bench   benchmarks beside the native tools (mutool, soffice)
#   make bench-relay  the relay beside a stock Postfix relay (smtp-source → smtp-sink)
#   make bench-cluster  end-to-end msg/s of one node beside clusters of 1 to 3, each node on its own CPU quota
#   make fuzz    run every fuzz target for FUZZTIME each

# Debian packages the tests use: CJK fonts for the PDF renderer's
# sandbox; poppler and qpdf as independent PDF readers; LibreOffice,
# bubblewrap and prlimit (util-linux) for office flattening; clamd with a
# local test signature database; zip and 7-Zip to make PPAP archives the
# way senders do; Postfix and swaks as real MTAs; Chromium for the
# transfer sites' browser test; Noto CJK (Japanese, Chinese, Korean) for
# the renderer's fallback fonts; tesseract with Japanese (horizontal and
# vertical) for OCR of scanned pages; slapd and the LDAP tools for
# directory login; PostgreSQL and nats-server for the cluster tests.
DEBIAN_PACKAGES ?= fonts-ipafont-gothic fonts-ipafont-mincho fonts-noto-cjk poppler-utils qpdf \
	libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
	bubblewrap util-linux clamav-daemon zip 7zip postfix swaks chromium \
	slapd ldap-utils tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert \
	postgresql nats-server
# What the benchmarks compare against.
BENCH_PACKAGES ?= mupdf-tools bc postfix linux-perf

FUZZTIME ?= 1m
GO ?= go

.PHONY: test deps install vet gotest bench bench-relay bench-cluster fuzz

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

bench-cluster: deps
	bash bench/cluster.sh

# Every fuzz target for FUZZTIME, seeded from the corpus. A run fails
# when a target writes a new crasher under testdata/fuzz (commit it with
# the fix); Go's own coordinator hiccups do not fail it.
fuzz:
	$(GO) run ./fixtures/gen -fuzzcache "$$($(GO) env GOCACHE)/fuzz"
	@status=0; \
	for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for f in $$($(GO) test -list 'Fuzz.*' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; \
			before=$$(ls $$dir/testdata/fuzz/$$f 2>/dev/null | wc -l); \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg; \
			after=$$(ls $$dir/testdata/fuzz/$$f 2>/dev/null | wc -l); \
			if [ $$after -gt $$before ]; then echo "new crasher in $$dir/testdata/fuzz/$$f"; status=1; fi; \
		done; \
	done; \
	exit $$status
