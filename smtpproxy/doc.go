// Package smtpproxy is mugai's mail front door: a store-and-forward SMTP
// relay from the Internet MTA to the LGWAN MTA that passes only mail the
// sanitizer rebuilt, and never loses a message it accepted.
//
// A message moves through four folders under the data folder, each step
// written to a temporary name, made durable and renamed into place, so a
// crash (kill -9, or a power loss) at any instant redoes at most the step
// it was in. What is made durable at once is made so by one syncfs(2) of
// the data folder's file system, shared by every session, worker and
// delivery that needs it meanwhile (barrier.go): the data folder is one
// file system, and one of its own keeps others' writes out of that sync.
//
//	spool/incoming/<id>   accepted: the envelope as one JSON line, then the
//	                      message with our Received: header (RFC 5321 4.4);
//	                      durable before "250" is sent
//	quarantine/items/<id> the sanitizer's report and the item's record, beside
//	                      <id>.original (internal/store): the spool file
//	                      itself, hard-linked
//	outbox/<id>           what will be delivered (the sanitized message, a
//	                      notice or a DSN) after its first delivery state;
//	                      outbox/<id>.state once that changes
//	outbox/results.log    the downstream's final replies, for every entry
//	maildir/<rcpt>/       local delivery when no downstream relay is set
//
// Accepting (RFC 5321, with RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531
// SMTPUTF8, RFC 2920 PIPELINING, RFC 2034 ENHANCEDSTATUSCODES, RFC 3207
// STARTTLS, and RFC 3030 CHUNKING, which go-smtp always offers) is done
// by emersion/go-smtp. Recipients outside the configured LGWAN domains are
// refused with 550 5.7.1: mugai is never an open relay. The domain is
// compared in lower case without a trailing dot; a quoted local part is
// delivered quoted (RFC 5321 4.1.2).
//
// Divergences, all on the side of refusing:
//   - A bare CR or bare LF anywhere in DATA or BDAT content refuses the
//     message (554 5.6.0) instead of being passed or repaired, as mox
//     does: this closes SMTP smuggling (RFC 5321 2.3.8 and 4.1.1.4 allow
//     only CRLF), whatever the downstream MTA makes of such lines. The
//     bytes are also watched below go-smtp, whose DATA reader drops the
//     ".\r" of "\r\n.\rX" (wirewatch.go); under STARTTLS mugai ends the
//     client's TLS session itself and watches its plaintext, giving
//     go-smtp a second TLS session in memory (tlsbridge.go).
//   - A local part with "@", "%" or "!" (an address, the percent hack, a
//     bang path: routing after mugai's) is refused with 550 5.1.3 (addr.go).
//   - Connection caps (total and per client IP) and the client IP
//     allow-list answer 421/554 at the greeting, before any command.
//   - More than MaxJunkCommands commands that do not advance a
//     transaction (NOOP, RSET, VRFY, HELP) between messages close the
//     session with 421, like Postfix's smtpd_junk_command_limit.
//   - Under MinFree free bytes in the spool's file system, MAIL gets
//     452 4.3.1 (RFC 1870 6.1), like Postfix's queue_minfree.
//
// Processing runs the sanitizer engine on the whole message. Its one
// output of kind eml is delivered; if the engine withholds the message,
// fails, panics or times out, the recipients get a notice mail (Japanese
// and English) naming the quarantine ID instead, and the original is held.
// Input bytes never reach the outbox. When a download site is
// configured (Options.HeldLink, internal/held), that notice and the one
// at the top of a sanitized message with anything withheld carry the
// link to the message's page there, where its recipients type a PPAP
// password or ask for the original.
//
// Send queues the mails the transfer sites make (kind "site": the
// unlocked contents, a released original, notifications) into the same
// outbox (on a cluster, through a delivery job: below), with a null
// sender and only to the LGWAN domains, so that they are retried like
// any other delivery and never block the page that made them. Release
// queues an original an administrator released from the console (kind
// "release", to its recipients from its sender) the same way;
// `mugai quarantine release` writes it into the outbox folder
// (Outbox.Release). Its entry is ITEM-release: releasing twice queues
// it once. After an administrator deleted that entry from the queue, a
// new release is a new decision and gets ITEM-release-2 (then -3), so
// that neither JetStream's duplicates window nor the deleted entry's
// row stops it (release.go).
//
// A graceful shutdown cuts sanitizing (it is redone at the next start
// and is not counted as a crash: only starts of processing that never
// returned count toward withholding a message that crashes the process)
// and lets delivery attempts under way finish within DrainTimeout.
//
// Delivery uses go-smtp's client with per-recipient results, and keeps a
// session to the downstream for the next transaction (RFC 5321 3.3) for
// a few seconds, as Postfix's connection cache does. Each final
// reply from the downstream is journalled, durably, before anything
// else (results.go), so that neither a crash nor a shutdown after a 250
// delivers the message again. 4xx replies
// and connection failures retry with exponential backoff; 5xx replies and
// queue expiry produce a delivery status notification (RFC 3464,
// multipart/report, RFC 6522) with a null sender, sent to the envelope
// sender through the configured return path, and never for a message
// whose own sender was null (RFC 5321 6.1). A DSN names the message by
// its Subject, gives each recipient's Diagnostic-Code (RFC 3464 2.3.6)
// and returns the identifying header fields as text/rfc822-headers
// (RFC 6522), from mugai's rebuilt copy. Sanitizing verdicts never
// bounce to the Internet sender: that would be backscatter.
//
// # Scale-out
//
// With Options.JetStream (cluster.nats) several nodes share the work,
// and any one of them, or one NATS server, may die. The pipeline code
// is the same; only where an accepted message waits changes (jobs.go):
//
//   - Accepting: Data writes the spool file as always, then stores it
//     in the MUGAI_SPOOL stream (chunks, jobspool.go) and publishes a
//     sanitize job to the MUGAI_JOBS work queue with the message ID as
//     Nats-Msg-Id (JetStream drops a republished duplicate); both with
//     Options.Replicas. 250 is sent only when JetStream acknowledged
//     both; on any failure 451 4.3.0, and the stored chunks are purged.
//     A job whose message is not stored is recognized when it is taken
//     and dropped: its message is finished (the row's state is final)
//     or it was never acknowledged (no row).
//   - Working: every node (role "all" or "worker") pulls jobs from one
//     durable consumer with explicit acks, holds at most JobsHeld, of
//     them at most ProcessWorkers not yet sanitized (a node busy
//     sanitizing leaves the queue to nodes with a free worker), and
//     writes each job's message into its own spool/incoming, marked in
//     spool/jobs. The same process, outbox and deliver code then runs
//     on it. The job is acknowledged only when the message's outcome is
//     final and recorded: every recipient delivered or failed with its
//     attempt row in the shared database, the DSN stored in JetStream,
//     the original quarantined. Until then the node says "in progress" every
//     JobAckWait/3, through a long sanitize or days of deferred
//     delivery.
//   - A node that dies leaves its jobs unacknowledged: after JobAckWait
//     JetStream hands them to another node, which sanitizes again and
//     delivers only to the recipients the database has no final result
//     for. Duplicates are left to the window between the downstream's
//     250 and its row (the same window as RFC 1047's). A node that comes
//     back forgets the spool files and outbox entries of the jobs it
//     held (spool/jobs): they are another node's now. A node stopping
//     gracefully hands its jobs back at once, each marked as handed
//     back in the mugai-tries bucket, so that the node taking it again
//     counts it in mugai_smtp_jobs_redelivered_total as it counts one
//     JetStream redelivered (handback.go).
//   - Crashers: the count of starts that never returned (maxTries) is
//     kept in the mugai-tries bucket, so a message that kills its
//     workers is withheld, with its notice and its original held, after
//     maxTries crashes wherever they were. MaxDeliver is unlimited: a
//     job past its MaxDeliver would stay in the stream never handed out
//     again, an accepted message stalled for good.
//   - Mails mugai makes (deliverjobs.go): a DSN, each mail of Send and
//     each original of Release, is stored in MUGAI_SPOOL as its outbox
//     entry file and published as a delivery job (kind "deliver") with
//     the entry ID as Nats-Msg-Id, before finish goes on or Send
//     returns: a message's job is acknowledged only once its DSN is in
//     JetStream, and an entry queued again under its ID is queued once.
//     The node that takes a delivery job writes the entry into its
//     outbox, with the final results the database has as its results
//     journal, and the same deliver and finish code sends it and
//     acknowledges the job once every recipient is final and recorded. A
//     node that dies holding one leaves it to another after JobAckWait,
//     which delivers only to the recipients not recorded. A DSN on a
//     node with no return path is held in that node's failed list, as on
//     one node, and its job acknowledged once the entry is durable
//     there, so that it does not hold one of JobsHeld while it waits.
//   - Deleting (deleted.go): an administrator deletes an entry from the
//     outbox folder of the node that has it (`mugai queue delete`, the
//     console: Outbox.Delete, in the relay's process or another),
//     marking its row Deleted first; an entry with no row, a site's
//     mail or a release, gets one. The relay honours the mark, not the
//     call: every JobAckWait/3 it acknowledges each held job whose spool
//     file and entry are gone and whose row says Deleted, and drops its
//     stored chunks; a job taken whose row says Deleted (or, for a
//     sanitize job, any final state: its node finished it and died
//     before acknowledging) is acknowledged the same way instead of being
//     done again, whether this node restarted or another took it over.
//     Every job taken costs one look-up of its row for this. A retry
//     only changes the entry's state: the job stays held and is
//     acknowledged once the entry is delivered.
//   - Leftovers (spoolsweep.go): chunks whose purge failed, or whose
//     job was never published and never tried again, are purged by one
//     node at a time (Options.Lead: meta.DB.Lead) every SpoolSweep,
//     once older than SpoolLeftoverAge (7 days) and only for an ID with
//     no job in MUGAI_JOBS and no row that is not final. Each purge is
//     filtered to the ID's subject and stops at the last old chunk seen.
//   - Back-pressure: with more than MaxPending jobs not yet taken by any
//     node, MAIL gets 451 4.3.2.
//
// One job per message, covering sanitizing and delivery, rather than a
// second stream of delivery jobs for every message: the outbox, its
// results journal and its retries stay one code path for one node and
// many, and a redelivered job needs only the database's attempt rows to
// skip what was delivered. The cost is that a node dying mid-delivery
// makes the next one sanitize the message again. Only what mugai makes
// after a message is done (its DSN) or outside the relay (the sites'
// mails, the console's releases) is a delivery job of its own, on the same subject and
// consumer as the sanitize jobs, so that one pull loop and one limit of
// JobsHeld take both.
package smtpproxy
