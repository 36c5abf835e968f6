package sanitizer

import (
	"context"
	"sync"

	"github.com/mugai-project/mugai/internal/spill"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// Job is the state of one item while a handler works on it.
type Job struct {
	Input   *spill.Buffer // the content; io.ReaderAt, Open for a reader
	Name    string        // declared name
	Kind    detect.Kind
	Charset string // for text kinds
	Action  Action
	Depth   int
	// Password is the one supplied with the Input, for encrypted content.
	Password string
	Policy   *Policy
	// Tree is shared by the top-level item and every item nested in it.
	Tree *Tree

	eng     *Engine
	report  *Report
	outputs []*Output
}

// Tree is what one top-level item and every item nested in it (archive
// entries, mail parts, at any depth) have in common.
type Tree struct {
	// ID is the top-level item's ID: the ID under which the original is
	// kept, for notices that tell people what to ask for.
	ID string

	mu     sync.Mutex
	shared map[any]any
}

// Shared returns the tree's value for key, made by init the first time an
// item of the tree asks for it. Handlers keep allowances for a whole tree
// here (the archive entry and byte budget), so that nesting cannot
// multiply them. A key is a value of an unexported type of the package
// that uses it, so that packages cannot collide.
func (t *Tree) Shared(key any, init func() any) any {
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.shared[key]; ok {
		return v
	}
	if t.shared == nil {
		t.shared = map[any]any{}
	}
	v := init()
	t.shared[key] = v
	return v
}

// Create starts a new output named after the input with extension ext
// (".pdf") and of kind k. The handler writes to it; the engine verifies it.
func (j *Job) Create(ext string, k detect.Kind) *Output {
	return j.CreateNamed(detect.WithExt(j.Name, ext), k)
}

// CreateNamed starts a new output with an explicit file name.
func (j *Job) CreateNamed(name string, k detect.Kind) *Output {
	o := &Output{
		Name:      detect.CleanName(name),
		Kind:      k,
		MediaType: detect.MediaType(k),
		buf:       j.NewBuffer(),
	}
	j.outputs = append(j.outputs, o)
	return o
}

// ID is the item ID under which the original is kept: the top-level
// item's ID (Tree.ID).
func (j *Job) ID() string { return j.Tree.ID }

// NewBuffer returns a buffer for a handler's intermediate data, spilling
// to the engine's temporary folder and bounded like an output. The
// handler closes it.
func (j *Job) NewBuffer() *spill.Buffer {
	return spill.New(spill.Options{Threshold: j.Policy.Limits.SpillThreshold, Dir: j.eng.tempDir, Limit: j.Policy.Limits.MaxOutputBytes})
}

// Removed records that n things of one kind were taken out.
func (j *Job) Removed(what string, n int) {
	if n <= 0 {
		return
	}
	for i := range j.report.Removed {
		if j.report.Removed[i].What == what {
			j.report.Removed[i].Count += n
			return
		}
	}
	j.report.Removed = append(j.report.Removed, Removal{What: what, Count: n})
}

// RemovedAtLeast records that at least n things of one kind were taken
// out: where two readers of an item count the same kind, the report keeps
// the larger count.
func (j *Job) RemovedAtLeast(what string, n int) {
	for _, r := range j.report.Removed {
		if r.What == what {
			n -= r.Count
			break
		}
	}
	j.Removed(what, n)
}

// Find records a finding.
func (j *Job) Find(code, detail string) {
	j.report.Findings = append(j.report.Findings, detect.Finding{Code: code, Detail: detail})
}

// Note records a remark for the report, such as "first frame only".
func (j *Job) Note(s string) { j.report.Notes = append(j.report.Notes, s) }

// SetNotice records the notice the item's recipients read.
func (j *Job) SetNotice(s string) { j.report.Notice = s }

// Child sanitizes an item nested in this one (an archive entry, a mail
// part) one level deeper, in the same Tree. Its report is attached to
// this one's children. The caller closes the child Result.
func (j *Job) Child(ctx context.Context, in Input) (*Result, error) {
	in.Depth = j.Depth + 1
	in.ID, in.Kind = "", ""
	in.Policy = j.Policy
	if in.Password == "" {
		in.Password = j.Password
	}
	res, err := j.eng.sanitize(ctx, in, j.Tree)
	if res != nil {
		j.report.Children = append(j.report.Children, res.Report)
	}
	return res, err
}
