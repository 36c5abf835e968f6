package archive

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/mugai-project/mugai/sanitizer/archive/zipsafe"
)

// The two zip encryptions senders use for PPAP (パスワード付きZIP).
//
// Traditional PKWARE encryption ("ZipCrypto", APPNOTE.TXT §6.1) and
// WinZip AES (AE-1/AE-2, https://www.winzip.com/en/support/aes-encryption/)
// are written here by hand on the standard library: no maintained Go
// package for either is available to mugai, and the forks of archive/zip
// that carry them would replace the reader whose strictness mugai relies
// on. Both are small; both are only ever decrypted, never produced.
//
// ZipCrypto is weak and unauthenticated: its 12-byte header gives one
// check byte, so one wrong password in 256 gets past it and yields
// garbage, which the CRC-32 and the decompressor then catch. AES entries
// are authenticated (HMAC-SHA1-80) before a single decrypted byte is used.

var (
	errNeedPassword  = errors.New("zip: entry is encrypted")
	errWrongPassword = errors.New("zip: wrong password")
)

// encryptionUnsupported names encryptions mugai cannot open even with a
// password, or "" when the entry's is supported.
func encryptionUnsupported(e *zipsafe.Entry) string {
	switch {
	case e.Flags&zipsafe.FlagStrong != 0:
		return "PKWARE strong encryption"
	case e.Flags&zipsafe.FlagMaskedHdr != 0:
		return "an encrypted central directory"
	case e.Method == zipsafe.MethodAES && e.AES == nil:
		return "AES without its extra field"
	case e.AES != nil && (e.AES.Strength < 1 || e.AES.Strength > 3):
		return fmt.Sprintf("AES key strength %d", e.AES.Strength)
	case e.AES != nil && e.AES.Version != 1 && e.AES.Version != 2:
		return fmt.Sprintf("AE-%d", e.AES.Version)
	}
	return ""
}

// zipCryptoHeaderLen is the encryption header before the data, §6.1.6.
const zipCryptoHeaderLen = 12

// zipCryptoKeys are the three keys of §6.1.5.
type zipCryptoKeys [3]uint32

func newZipCryptoKeys(password string) *zipCryptoKeys {
	k := &zipCryptoKeys{0x12345678, 0x23456789, 0x34567890}
	for i := 0; i < len(password); i++ {
		k.update(password[i])
	}
	return k
}

// crc32Step is the CRC-32 update of one byte without the pre- and
// post-inversion, as §6.1.5 uses it.
func crc32Step(c uint32, b byte) uint32 {
	return crc32.IEEETable[byte(c)^b] ^ c>>8
}

func (k *zipCryptoKeys) update(b byte) {
	k[0] = crc32Step(k[0], b)
	k[1] = (k[1]+k[0]&0xFF)*134775813 + 1
	k[2] = crc32Step(k[2], byte(k[1]>>24))
}

func (k *zipCryptoKeys) streamByte() byte {
	t := uint16(k[2] | 2)
	return byte(uint32(t) * uint32(t^1) >> 8)
}

func (k *zipCryptoKeys) decrypt(p []byte) {
	for i, c := range p {
		p[i] = c ^ k.streamByte()
		k.update(p[i])
	}
}

// zipCryptoReader decrypts the data after the header.
type zipCryptoReader struct {
	r    io.Reader
	keys *zipCryptoKeys
}

func (z *zipCryptoReader) Read(p []byte) (int, error) {
	n, err := z.r.Read(p)
	z.keys.decrypt(p[:n])
	return n, err
}

// openZipCrypto checks the password against the header's check byte
// (§6.1.6: the high byte of the CRC, or of the DOS time when the CRC
// follows in a data descriptor) and returns the decrypting reader over
// the rest of the data.
func openZipCrypto(data *io.SectionReader, e *zipsafe.Entry, password string) (io.Reader, error) {
	var hdr [zipCryptoHeaderLen]byte
	if _, err := io.ReadFull(data, hdr[:]); err != nil {
		return nil, formatError("encrypted entry shorter than its header")
	}
	keys := newZipCryptoKeys(password)
	keys.decrypt(hdr[:])
	check := byte(e.CRC32 >> 24)
	if e.Flags&zipsafe.FlagDescriptor != 0 {
		check = byte(e.DOSTime >> 8)
	}
	if hdr[11] != check {
		return nil, errWrongPassword
	}
	return &zipCryptoReader{r: data, keys: keys}, nil
}

// WinZip AES layout: salt, a 2-byte password verifier, the encrypted
// data, a 10-byte authentication code.
const (
	aesVerifierLen = 2
	aesMACLen      = 10
	aesIterations  = 1000
)

// openAES derives the keys with PBKDF2-HMAC-SHA1 (RFC 8018 §5.2, 1000
// iterations), checks the password verifier, then authenticates the
// whole ciphertext with HMAC-SHA1 truncated to 80 bits before returning
// a reader that decrypts it with AES in CTR mode (little-endian counter
// from 1). Only then is the data trusted to reach the decompressor.
func openAES(data *io.SectionReader, e *zipsafe.Entry, password string) (io.Reader, error) {
	keyLen := 8 + 8*int(e.AES.Strength) // 16, 24, 32
	saltLen := keyLen / 2
	size := data.Size()
	if size < int64(saltLen+aesVerifierLen+aesMACLen) {
		return nil, formatError("AES entry shorter than its header")
	}
	head := make([]byte, saltLen+aesVerifierLen)
	if _, err := data.ReadAt(head, 0); err != nil {
		return nil, formatError("AES entry truncated")
	}
	dk, err := pbkdf2.Key(sha1.New, password, head[:saltLen], aesIterations, 2*keyLen+aesVerifierLen)
	if err != nil {
		return nil, err
	}
	encKey, macKey, verifier := dk[:keyLen], dk[keyLen:2*keyLen], dk[2*keyLen:]
	if subtle.ConstantTimeCompare(verifier, head[saltLen:]) != 1 {
		return nil, errWrongPassword
	}
	body := io.NewSectionReader(data, int64(len(head)), size-int64(len(head))-aesMACLen)
	mac := hmac.New(sha1.New, macKey)
	if _, err := io.Copy(mac, body); err != nil {
		return nil, err
	}
	want := make([]byte, aesMACLen)
	if _, err := data.ReadAt(want, size-aesMACLen); err != nil {
		return nil, formatError("AES entry truncated")
	}
	if !hmac.Equal(mac.Sum(nil)[:aesMACLen], want) {
		return nil, formatError("AES authentication code does not match: the data was altered")
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return &aesCTRReader{r: body, block: block, ctr: 1, used: aes.BlockSize}, nil
}

// aesCTRReader is AES-CTR as WinZip uses it: the counter block is a
// 128-bit little-endian integer starting at 1 (crypto/cipher's CTR counts
// big-endian, so it cannot be used).
type aesCTRReader struct {
	r      io.Reader
	block  cipher.Block
	ctr    uint64 // low 64 bits; an entry would need 2^68 bytes to carry
	stream [aes.BlockSize]byte
	used   int
}

func (a *aesCTRReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	for i := 0; i < n; i++ {
		if a.used == aes.BlockSize {
			var cb [aes.BlockSize]byte
			binary.LittleEndian.PutUint64(cb[:], a.ctr)
			a.ctr++
			a.block.Encrypt(a.stream[:], cb[:])
			a.used = 0
		}
		p[i] ^= a.stream[a.used]
		a.used++
	}
	return n, err
}
