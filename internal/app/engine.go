// Package app assembles mugai's parts into the services the binary runs:
// the sanitizer engine with every format handler, and the front doors
// that use it.
package app

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/mugai-project/mugai/internal/clamd"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/archive"
	"github.com/mugai-project/mugai/sanitizer/calendar"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/image"
	"github.com/mugai-project/mugai/sanitizer/mail"
	"github.com/mugai-project/mugai/sanitizer/ocr"
	"github.com/mugai-project/mugai/sanitizer/office"
	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox"
	"github.com/mugai-project/mugai/sanitizer/render"
	"github.com/mugai-project/mugai/sanitizer/text"
	"github.com/mugai-project/mugai/sanitizer/verify"
	"github.com/mugai-project/mugai/transfer"
)

// EngineOptions are everything the sanitizer engine is built from: the
// engine's own options (policy, temporary folder, logger, scanner,
// metrics) and each format package's options. The zero value is the safe
// default.
type EngineOptions struct {
	Sanitizer sanitizer.Options
	// Render is the PDF renderer pool, one for the PDF and office
	// handlers; its Logger defaults to Sanitizer.Logger.
	Render render.Options
	// OCR is Tesseract in its sandbox, for the text layer of flattened
	// pages without text of their own; when it cannot run here, those
	// pages carry no text and their reports say so.
	OCR ocr.Options
	// Disarm is the PDF disarm sandbox, for the PDF handler; its Logger
	// defaults to Sanitizer.Logger.
	Disarm  sandbox.Options
	Image   image.Limits
	Text    text.HandlerOptions
	Office  office.HandlerOptions
	Archive archive.Options
	Mail    mail.Options
}

// NewEngine builds the sanitizer engine with the handlers and verifiers of
// every format package: PDF, images, text and HTML, office documents,
// archives, mail and calendars. It builds the one PDF renderer, started on the first
// PDF, and hands it to the PDF and office handlers (unless
// o.Office.Flattener names another), and the one PDF disarm sandbox,
// started on the first PDF to disarm or flatten, for the PDF handler's
// disarm and its inventory of a flattened PDF; the engine's
// Close releases both. o.Sanitizer.Handlers and o.Sanitizer.Verifiers, if
// set, take precedence.
func NewEngine(o EngineOptions) (*sanitizer.Engine, error) {
	eng, _, err := NewEngineParts(o)
	return eng, err
}

// EngineParts are the sandboxed parts of an engine NewEngineParts built,
// for the administration console's status and the approvers' previews:
// the PDF renderer (the engine closes it), and the options LibreOffice
// and tesseract run with.
type EngineParts struct {
	Renderer *render.Flattener
	Office   office.ConvertOptions
	OCR      ocr.Options
}

// NewEngineParts is NewEngine that also returns the engine's parts.
func NewEngineParts(o EngineOptions) (*sanitizer.Engine, *EngineParts, error) {
	opts := o.Sanitizer
	renderer := newRenderer(o)
	dopts := o.Disarm
	if dopts.Logger == nil {
		dopts.Logger = opts.Logger
	}
	disarmer := sandbox.New(dopts)
	if o.Office.Flattener == nil {
		o.Office.Flattener = renderer
	}
	handlers := map[detect.Kind]sanitizer.Handler{}
	maps.Copy(handlers, pdf.Handlers(pdf.HandlerOptions{Flattener: renderer, Disarmer: disarmer, Inspector: disarmer}))
	maps.Copy(handlers, image.Handlers(o.Image))
	maps.Copy(handlers, text.Handlers(o.Text))
	maps.Copy(handlers, office.Handlers(o.Office))
	maps.Copy(handlers, archive.Handlers(o.Archive))
	maps.Copy(handlers, mail.Handlers(o.Mail))
	maps.Copy(handlers, calendar.Handlers(calendar.Options{}))
	maps.Copy(handlers, opts.Handlers)
	verifiers := map[detect.Kind]verify.Func{}
	maps.Copy(verifiers, pdf.VerifiersFor(opts.Policy))
	maps.Copy(verifiers, image.Verifiers())
	maps.Copy(verifiers, text.Verifiers())
	maps.Copy(verifiers, office.VerifiersFor(o.Office))
	maps.Copy(verifiers, archive.Verifiers())
	maps.Copy(verifiers, mail.Verifiers())
	maps.Copy(verifiers, calendar.Verifiers())
	maps.Copy(verifiers, opts.Verifiers)
	opts.Handlers, opts.Verifiers = handlers, verifiers
	opts.Closers = append(slices.Clip(opts.Closers), renderer, disarmer)
	eng, err := sanitizer.New(opts)
	return eng, &EngineParts{Renderer: renderer, Office: o.Office.Convert, OCR: o.OCR}, err
}

// Status is each part's state now: the renderer's as it is (it starts
// with the first PDF), LibreOffice's and tesseract's by starting their
// sandbox, as a document would.
func (p *EngineParts) Status(ctx context.Context) (renderer, libreOffice, tesseract transfer.PartStatus) {
	libreOffice, tesseract = p.sandboxStatus(ctx)
	return p.rendererStatus(), libreOffice, tesseract
}

// rendererStatus is the renderer's state, which costs nothing to read.
func (p *EngineParts) rendererStatus() transfer.PartStatus {
	switch started, err := p.Renderer.State(); {
	case err != nil:
		return transfer.PartStatus{State: transfer.PartDown, Err: err.Error()}
	case started:
		return transfer.PartStatus{State: transfer.PartUp}
	default:
		return transfer.PartStatus{State: transfer.PartIdle}
	}
}

// sandboxStatus is LibreOffice's and tesseract's state, each found by
// starting it in its sandbox.
func (p *EngineParts) sandboxStatus(ctx context.Context) (libreOffice, tesseract transfer.PartStatus) {
	_, ocrErr := ocr.New(ctx, p.OCR)
	return partStatus(office.CheckConverter(ctx, p.Office)), partStatus(ocrErr)
}

func partStatus(err error) transfer.PartStatus {
	if err != nil {
		return transfer.PartStatus{State: transfer.PartDown, Err: err.Error()}
	}
	return transfer.PartStatus{State: transfer.PartUp}
}

// newRenderer builds the one PDF renderer of o.Render, started on the
// first PDF, with OCR for the text layer when Tesseract can run here.
func newRenderer(o EngineOptions) *render.Flattener {
	ropts := o.Render
	if ropts.Logger == nil {
		ropts.Logger = o.Sanitizer.Logger
	}
	renderer := render.NewFlattener(ropts)
	// Every item's policy (a department's too) may ask for OCR.
	if eng, err := ocr.New(context.Background(), o.OCR); err == nil {
		renderer.OCR = eng
	} else if o.Sanitizer.Logger != nil {
		o.Sanitizer.Logger.Warn("app: OCR is not available: flattened pages without text carry no text layer", "err", err)
	}
	return renderer
}

// NewScanner connects to clamd at addr ("unix:/path", "/path",
// "tcp:host:port" or "host:port") and checks that it answers, so that a
// misconfigured scanner is found at start rather than by withholding
// every item.
func NewScanner(ctx context.Context, addr string) (*clamd.Client, error) {
	network, address, err := clamd.ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	c, err := clamd.New(clamd.Options{Network: network, Address: address})
	if err != nil {
		return nil, err
	}
	if err := c.Ping(ctx); err != nil {
		return nil, fmt.Errorf("clamd at %s: %w", addr, err)
	}
	return c, nil
}
