package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"runtime"
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
// a 3-server NATS JetStream. Every fourth mail carries a PDF, which is
// flattened: $MUGAI_BENCH_PDF, else a one-page PDF. MUGAI_BENCH_MAILS
// mails a run (default 200), over 8 sessions.
//
// With $MUGAI_BENCH_NODE_CPU cores and $MUGAI_BENCH_CGROUP (a name
// prefix) every mugai process runs in a cgroup of its own with that CPU
// quota, as if it were a host of its own (cpuquota_bench_test.go); the
// benchmark then reports, per node, the cores it used, the share of
// quota periods it was held back in, and for how long; with
// $MUGAI_BENCH_REST, the cores of the uncapped rest (this process,
// PostgreSQL, NATS). It reports the busy cores of the whole machine
// beside them: others' work included.
// bench/cluster.sh runs it.
func BenchmarkScaleOut(b *testing.B) {
	mails := 200
	if v, err := strconv.Atoi(os.Getenv("MUGAI_BENCH_MAILS")); err == nil && v > 0 {
		mails = v
	}
	pdfFile := "../../sanitizer/render/testdata/hello.pdf"
	if f := os.Getenv("MUGAI_BENCH_PDF"); f != "" {
		pdfFile = f
	}
	pdf, err := os.ReadFile(pdfFile)
	if err != nil {
		b.Fatal(err)
	}
	cores := benchNodeCPU()
	db := pgtest.Start(b)
	nc := natstest.Start(b, 3)
	for _, nodes := range []int{0, 1, 2, 3} {
		name := "single"
		if nodes > 0 {
			name = fmt.Sprintf("cluster-%d", nodes)
		}
		b.Run(name, func(b *testing.B) {
			down := startSink(b)
			url := ""
			if nodes > 0 {
				url = db.NewDatabase(b)
			}
			var all []*node
			for i := range max(nodes, 1) {
				// The quota is made before its node, so that it is
				// removed after the node has stopped.
				q := newCPUQuota(b, fmt.Sprintf("%s.n%d", name, i+1), cores)
				var n *node
				switch {
				case nodes == 0:
					n = newNode(b, "single", "all", "", "", down.addr)
				case i == 0:
					n = newNode(b, "bench1", "all", url, nc.URLs(), down.addr)
				default:
					n = newNode(b, fmt.Sprintf("bench%d", i+1), "worker", url, nc.URLs(), down.addr)
				}
				n.quota = q
				n.start(b)
				all = append(all, n)
			}
			for i := range b.N {
				from := make([]cpuUse, len(all))
				for j, n := range all {
					if n.quota != nil {
						from[j] = n.quota.use(b)
					}
				}
				busy0, total0 := machineBusy(b)
				rest0, _ := restUsed(b)
				elapsed := runMails(b, all[0].smtp, down, i*mails, mails, pdf)
				if rest1, ok := restUsed(b); ok {
					b.ReportMetric((rest1-rest0).Seconds()/elapsed.Seconds(), "rest-cores")
				}
				busy1, total1 := machineBusy(b)
				for j, n := range all {
					if n.quota != nil {
						reportUse(b, fmt.Sprintf("n%d", j+1), from[j], n.quota.use(b))
					}
				}
				b.ReportMetric(float64(runtime.NumCPU())*float64(busy1-busy0)/float64(total1-total0), "machine-busy-cores")
				b.ReportMetric(float64(mails)/elapsed.Seconds(), "msg/s")
			}
		})
	}
}

// runMails sends mails numbered from base over 8 sessions and returns
// the time until the sink has every one.
func runMails(b *testing.B, addr string, down *sink, base, mails int, pdf []byte) time.Duration {
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
	return time.Since(start)
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
