// Package ldaptest starts a real OpenLDAP slapd (Debian package slapd)
// for tests: the mdb backend and the ppolicy overlay in a temporary
// folder, on loopback ports, serving ldap:// (with StartTLS) and ldaps://
// with a certificate from a CA made for the test, loaded with Directory.
// The server is killed when the test ends.
package ldaptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/freeport"
)

// The test directory's names and passwords.
const (
	AdminDN         = "cn=admin,dc=example,dc=jp"
	AdminPassword   = "admin-secret"
	ServiceDN       = "cn=mugai,dc=example,dc=jp"
	ServicePassword = "service-secret"
	People          = "ou=people,dc=example,dc=jp"
	Groups          = "ou=groups,dc=example,dc=jp"
)

// Directory is the test directory: hanako (in mugai-approvers and
// zaisei), taro (in no group), locked (ppolicy's administrative lock),
// leaver (in mugai-disabled), each with the password "<uid>-password",
// and the service account. The passwords are stored in the clear,
// which slapd compares on a simple bind.
const Directory = `dn: dc=example,dc=jp
objectClass: dcObject
objectClass: organization
o: example
dc: example

dn: ou=people,dc=example,dc=jp
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=jp
objectClass: organizationalUnit
ou: groups

dn: cn=mugai,dc=example,dc=jp
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: mugai
userPassword: service-secret

dn: uid=hanako,ou=people,dc=example,dc=jp
objectClass: inetOrgPerson
uid: hanako
cn: Hanako Sato
sn: Sato
displayName: 佐藤 花子
mail: h-sato@lg.example.jp
description: hanako.sato@zaisei.lg.example.jp
userPassword: hanako-password

dn: uid=taro,ou=people,dc=example,dc=jp
objectClass: inetOrgPerson
uid: taro
cn: Taro Suzuki
sn: Suzuki
userPassword: taro-password

dn: uid=locked,ou=people,dc=example,dc=jp
objectClass: inetOrgPerson
uid: locked
cn: Locked User
sn: User
userPassword: locked-password
pwdAccountLockedTime: 000001010000Z

dn: uid=leaver,ou=people,dc=example,dc=jp
objectClass: inetOrgPerson
uid: leaver
cn: Left Already
sn: Already
userPassword: leaver-password

dn: cn=mugai-approvers,ou=groups,dc=example,dc=jp
objectClass: groupOfNames
cn: mugai-approvers
member: uid=hanako,ou=people,dc=example,dc=jp

dn: cn=zaisei,ou=groups,dc=example,dc=jp
objectClass: groupOfNames
cn: zaisei
member: uid=hanako,ou=people,dc=example,dc=jp

dn: cn=mugai-disabled,ou=groups,dc=example,dc=jp
objectClass: groupOfNames
cn: mugai-disabled
member: uid=leaver,ou=people,dc=example,dc=jp
`

// Server is a running slapd.
type Server struct {
	URL      string // ldap://127.0.0.1:port, for StartTLS
	LDAPSURL string // ldaps://localhost:port
	CA       *x509.CertPool
	CAFile   string // the CA as PEM
}

// Start runs slapd with Directory loaded; the test is skipped when slapd
// is not installed.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("slapd")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/slapd"); err != nil {
			t.Skip("slapd is not installed")
		}
		bin = "/usr/sbin/slapd"
	}
	dir := t.TempDir()
	pool := writeCA(t, dir)
	conf := filepath.Join(dir, "slapd.conf")
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	err = os.WriteFile(conf, []byte(fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile %[1]s/slapd.pid
TLSCACertificateFile %[1]s/ca.crt
TLSCertificateFile %[1]s/server.crt
TLSCertificateKeyFile %[1]s/server.key
database mdb
suffix "dc=example,dc=jp"
rootdn "%[2]s"
rootpw %[3]s
directory %[1]s/db
overlay ppolicy
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
`, dir, AdminDN, AdminPassword)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	ldif := filepath.Join(dir, "directory.ldif")
	if err := os.WriteFile(ldif, []byte(Directory), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("slapadd", "-f", conf, "-l", ldif).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
	p1, p2 := freeport.Port(t), freeport.Port(t)
	s := &Server{URL: fmt.Sprintf("ldap://127.0.0.1:%d", p1), LDAPSURL: fmt.Sprintf("ldaps://localhost:%d", p2),
		CA: pool, CAFile: filepath.Join(dir, "ca.crt")}
	cmd := exec.Command(bin, "-d", "0", "-f", conf, "-h", fmt.Sprintf("ldap://127.0.0.1:%d/ ldaps://127.0.0.1:%d/", p1, p2))
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p1))
		if err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("slapd did not start: %s", log.String())
		}
	}
}

// writeCA writes ca.crt, server.crt and server.key (for localhost and
// 127.0.0.1) into dir and returns a pool with the CA.
func writeCA(t testing.TB, dir string) *x509.CertPool {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mugai test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]*pem.Block{
		"ca.crt":     {Type: "CERTIFICATE", Bytes: caDER},
		"server.crt": {Type: "CERTIFICATE", Bytes: der},
		"server.key": {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
}
