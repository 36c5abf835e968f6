# mugai: one static binary on Debian with the CJK fonts the PDF renderer
# needs. Build: docker build -t mugai .   Run: docker compose up
#
# Stages: build (Go), mugai (the gateway), lgwan (a demo LGWAN MTA:
# Postfix delivering every lg.example.jp recipient into one Maildir).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/mugai ./cmd/mugai

FROM debian:bookworm-slim AS mugai
# Fonts for Japanese text in rendered PDFs. For Office documents add
# libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui bubblewrap.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates fonts-ipafont-gothic fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/mugai /usr/local/bin/mugai
RUN useradd --system --uid 10025 --home-dir /var/lib/mugai mugai \
 && mkdir -p /var/lib/mugai/data && chown -R mugai /var/lib/mugai
USER mugai
WORKDIR /var/lib/mugai
# The data folder: spool, outbox, quarantine, maildir, mugai.db.
VOLUME /var/lib/mugai/data
# SMTP; the admin listener (/healthz, /metrics).
EXPOSE 2525 9025
ENTRYPOINT ["mugai"]
CMD ["serve"]

FROM debian:bookworm-slim AS lgwan
RUN echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix \
 && rm -rf /var/lib/apt/lists/* \
 && cp /etc/postfix/main.cf.proto /etc/postfix/main.cf \
 && postconf -e compatibility_level=3.6 maillog_file=/dev/stdout inet_interfaces=all inet_protocols=ipv4 \
      myhostname=lgwan.example.jp mydestination= mynetworks_style=subnet relay_domains= \
      virtual_mailbox_domains=lg.example.jp virtual_mailbox_base=/var/mail/vmail \
      virtual_mailbox_maps=static:mailbox/ virtual_uid_maps=static:65534 virtual_gid_maps=static:65534 \
      virtual_minimum_uid=1 smtpd_relay_restrictions="permit_mynetworks, reject_unauth_destination" \
 && mkdir -p /var/mail/vmail && chown 65534:65534 /var/mail/vmail
VOLUME /var/mail/vmail
EXPOSE 25
CMD ["postfix", "start-fg"]
