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
// stream, and the mails mugai made (deliverjobs.go): each as chunks on
// the subject mugai.spool.<id>, replicated like the jobs, until its job
// is acknowledged.
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

// job is one job of the work queue: the ID of what it stores and the
// sequences of its chunks in MUGAI_SPOOL, in order. A sanitize job
// stores an accepted message (its spool file); a delivery job
// (Kind jobDeliver) an outbox entry mugai made, a DSN or a site's mail
// (its entry file: the first state line, then the message).
type job struct {
	ID     string   `json:"id"`
	Kind   string   `json:"kind,omitempty"`
	Chunks []uint64 `json:"chunks"`
}

// jobDeliver is the Kind of a delivery job; a sanitize job has none.
const jobDeliver = "deliver"

func parseJob(b []byte) (job, error) {
	var j job
	err := json.Unmarshal(b, &j)
	if err == nil && (!validID(j.ID) || len(j.Chunks) == 0 || j.Kind != "" && j.Kind != jobDeliver) {
		err = errors.New("not a job")
	}
	return j, err
}

// errChunkMissing: a chunk of the job's message is not in the stream.
var errChunkMissing = errors.New("smtpproxy: the job's message is not stored")

// put stores r as id's chunks and returns their sequences, each
// acknowledged by JetStream; on an error, those stored so far, for
// the caller to forget.
func (p *chunkSpool) put(ctx context.Context, js jetstream.JetStream, id string, r io.Reader) ([]uint64, error) {
	buf := make([]byte, chunkSize)
	var seqs []uint64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			ack, perr := js.Publish(ctx, spoolSubject+id, buf[:n])
			if perr != nil {
				return seqs, perr
			}
			seqs = append(seqs, ack.Sequence)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return seqs, nil
		}
		if err != nil {
			return seqs, err
		}
	}
}

// forget deletes the chunks of seqs, as far as JetStream answers: a
// chunk left behind goes when its ID's chunks are dropped.
func (p *chunkSpool) forget(ctx context.Context, seqs []uint64) {
	for _, seq := range seqs {
		p.s.DeleteMsg(ctx, seq)
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
