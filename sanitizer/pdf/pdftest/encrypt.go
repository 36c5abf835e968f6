package pdftest

import (
	"bufio"
	"bytes"

	pdfcpu "github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Encrypt returns in encrypted with AES-256 (ISO 32000-2 §7.6.4) under the
// user and owner passwords, written by pdfcpu.
func Encrypt(in []byte, userPW, ownerPW string) ([]byte, error) {
	// Avoid pdfcpu's config directory (model.NewDefaultConfiguration).
	conf := &model.Configuration{Reader15: true, ValidationMode: model.ValidationRelaxed, Eol: types.EolLF,
		Limits: model.DefaultResourceLimits(), UserPW: userPW, OwnerPW: ownerPW, EncryptUsingAES: true,
		EncryptKeyLength: 256, Permissions: model.PermissionsAll, Cmd: model.ENCRYPT, WriteObjectStream: true, WriteXRefStream: true}
	pc, err := pdfcpu.Read(bytes.NewReader(in), conf)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	pc.Write.Writer = bufio.NewWriter(&out)
	if err := pdfcpu.WriteContext(pc); err != nil {
		return nil, err
	}
	if err := pc.Write.Flush(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
