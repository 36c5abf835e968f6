package mail

import (
	"bytes"
)

// Fields kept from the original header (RFC 5322 §3.6), in the order
// written. Everything else is dropped: trace and list fields a client
// acts on, vendor fields, and the MIME fields, which are rebuilt.
var keptOrder = []string{"Date", "From", "Sender", "Reply-To", "To", "Cc", "Subject", "Message-Id", "In-Reply-To", "References"}

// outputName spells a canonical field name the usual way.
var outputName = map[string]string{"Message-Id": "Message-ID"}

const maxReceived = 100

// writeHeaderFields writes the kept fields of h to b, decoded and
// re-encoded. It reports whether a read receipt was asked for.
func writeHeaderFields(b *bytes.Buffer, h header, o Options, f *textFindings) bool {
	f.rawCharset = rawHeaderCharset(h)
	received := 0
	readReceipt := false
	for _, fl := range h {
		switch fl.Name {
		case "Received":
			if received < maxReceived {
				writeField(b, "Received", asciiTokens(fl.Value))
			}
			received++
		case "Disposition-Notification-To", "Return-Receipt-To":
			readReceipt = true
		}
	}
	for _, name := range keptOrder {
		v, ok := first(h, name)
		if !ok {
			continue
		}
		out := name
		if n, ok := outputName[name]; ok {
			out = n
		}
		switch name {
		case "Date":
			writeField(b, out, asciiTokens(v))
		case "From", "Sender", "Reply-To", "To", "Cc":
			writeField(b, out, addressTokens(v, f))
		case "Subject":
			writeField(b, out, unstructuredTokens(decodeHeaderText(v, f)))
		case "Message-Id":
			writeField(b, out, msgIDTokens(v, 1))
		case "In-Reply-To", "References":
			writeField(b, out, msgIDTokens(v, 200))
		}
	}
	if o.KeepReadReceipt {
		if v, ok := first(h, "Disposition-Notification-To"); ok {
			writeField(b, "Disposition-Notification-To", addressTokens(v, f))
		}
	}
	return readReceipt
}

func first(h header, name string) ([]byte, bool) {
	for _, fl := range h {
		if fl.Name == name {
			return fl.Value, true
		}
	}
	return nil, false
}
