package smtpproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"
)

// chunkSpool keeps the accepted messages of a cluster in the MUGAI_SPOOL
// stream: each message (its spool file: the envelope line, then the
// message) as chunks on the subject mugai.spool.<id>, replicated like
// the jobs, until its job is acknowledged.
//
// QUIRK: a stream of chunks, not JetStream's Object Store. On
// nats-server 2.9 an object just stored read as missing when another
// replica answered the read (the Object Store reads by direct get,
// which any replica serves, including one catching up after a restart),
// and reading its chunks through an ordered consumer stalled while one
// server was down. Every read here is a message get by sequence, which
// the stream's leader answers: what JetStream acknowledged is there.
type chunkSpool struct{ s jetstream.Stream }

const (
	spoolStream  = "MUGAI_SPOOL"
	spoolSubject = "mugai.spool." // + message ID
	// chunkSize is under NATS's default max_payload of 1 MB.
	chunkSize = 256 << 10
)

// job is a sanitize job: the message ID and the sequences of its
// chunks in MUGAI_SPOOL, in order.
type job struct {
	ID     string   `json:"id"`
	Chunks []uint64 `json:"chunks"`
}

func parseJob(b []byte) (job, error) {
	var j job
	err := json.Unmarshal(b, &j)
	if err == nil && (!validID(j.ID) || len(j.Chunks) == 0) {
		err = errors.New("not a sanitize job")
	}
	return j, err
}

// errChunkMissing: a chunk of the job's message is not in the stream.
var errChunkMissing = errors.New("smtpproxy: the job's message is not stored")

// put stores r as id's chunks and returns their sequences, each
// acknowledged by JetStream. On an error what was stored is purged.
func (p *chunkSpool) put(ctx context.Context, js jetstream.JetStream, id string, r io.Reader) ([]uint64, error) {
	buf := make([]byte, chunkSize)
	var seqs []uint64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			ack, perr := js.Publish(ctx, spoolSubject+id, buf[:n])
			if perr != nil {
				p.drop(ctx, id)
				return nil, perr
			}
			seqs = append(seqs, ack.Sequence)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return seqs, nil
		}
		if err != nil {
			p.drop(ctx, id)
			return nil, err
		}
	}
}

// copyTo writes the job's message to w.
func (p *chunkSpool) copyTo(ctx context.Context, w io.Writer, j job) error {
	for _, seq := range j.Chunks {
		m, err := p.s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) || err == nil && m.Subject != spoolSubject+j.ID {
			return errChunkMissing
		}
		if err != nil {
			return err
		}
		if _, err := w.Write(m.Data); err != nil {
			return err
		}
	}
	return nil
}

// drop removes every chunk of id.
func (p *chunkSpool) drop(ctx context.Context, id string) error {
	if err := p.s.Purge(ctx, jetstream.WithPurgeSubject(spoolSubject+id)); err != nil {
		return fmt.Errorf("purging %s: %w", id, err)
	}
	return nil
}
