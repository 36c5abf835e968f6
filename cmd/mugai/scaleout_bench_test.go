package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/meta/pgtest"
	"github.com/mugai-project/mugai/internal/natstest"
)

// BenchmarkScaleOut measures end-to-end mail per second, from the first
// MAIL to the last delivery at the downstream, through one mugai with
// the single-machine default and through clusters of 1, 2 and 3 nodes
// (one with SMTP, all sanitizing and delivering) on one PostgreSQL and
// a 3-server NATS JetStream. Every fourth mail carries a one-page PDF,
// which is flattened. MUGAI_BENCH_MAILS mails a run (default 200),
// over 8 sessions. bench/cluster.sh runs it.
func BenchmarkScaleOut(b *testing.B) {
	mails := 200
	if v, err := strconv.Atoi(os.Getenv("MUGAI_BENCH_MAILS")); err == nil && v > 0 {
		mails = v
	}
	pdf, err := os.ReadFile("../../sanitizer/render/testdata/hello.pdf")
	if err != nil {
		b.Fatal(err)
	}
	db := pgtest.Start(b)
	nc := natstest.Start(b, 3)
	for _, nodes := range []int{0, 1, 2, 3} {
		name := "single"
		if nodes > 0 {
			name = fmt.Sprintf("cluster-%d", nodes)
		}
		b.Run(name, func(b *testing.B) {
			down := startSink(b)
			var smtpNode *node
			if nodes == 0 {
				smtpNode = newNode(b, "single", "all", "", "", down.addr)
				smtpNode.start(b)
			} else {
				url := db.NewDatabase(b)
				for i := range nodes {
					role := "worker"
					if i == 0 {
						role = "all"
					}
					n := newNode(b, fmt.Sprintf("bench%d", i+1), role, url, nc.URLs(), down.addr)
					n.start(b)
					if i == 0 {
						smtpNode = n
					}
				}
			}
			for i := range b.N {
				b.ReportMetric(runMails(b, smtpNode.smtp, down, i*mails, mails, pdf), "msg/s")
			}
		})
	}
}

// runMails sends mails numbered from base over 8 sessions and returns
// mails per second until the sink has every one.
func runMails(b *testing.B, addr string, down *sink, base, mails int, pdf []byte) float64 {
	b.Helper()
	attachment := base64.StdEncoding.EncodeToString(pdf)
	start := time.Now()
	sendAll(8, mails, func(i int) {
		for !sendMessage(addr, benchMail(base+i, i%4 == 0, attachment)) {
			time.Sleep(50 * time.Millisecond)
		}
	})()
	deadline := time.Now().Add(10 * time.Minute)
	for i := range mails {
		for down.count(base+i) == 0 {
			if time.Now().After(deadline) {
				b.Fatalf("mail %d never delivered", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return float64(mails) / time.Since(start).Seconds()
}

func benchMail(n int, withPDF bool, attachment string) string {
	if !withPDF {
		return fmt.Sprintf("From: sender@example.com\r\nTo: staff@lg.example.jp\r\nSubject: scaleout-mail-%d\r\n\r\nThis is scaleout-mail-%d.\r\n", n, n)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: sender@example.com\r\nTo: staff@lg.example.jp\r\nSubject: scaleout-mail-%d\r\nMIME-Version: 1.0\r\n", n)
	b.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n")
	fmt.Fprintf(&b, "This is scaleout-mail-%d, with a PDF.\r\n--b\r\nContent-Type: application/pdf; name=hello.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n", n)
	for len(attachment) > 76 {
		b.WriteString(attachment[:76] + "\r\n")
		attachment = attachment[76:]
	}
	b.WriteString(attachment + "\r\n--b--\r\n")
	return b.String()
}
