package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// slapd is a real OpenLDAP server started for one test, on loopback
// ports, with its own database in a temporary folder.
type slapd struct {
	ldapURL, ldapsURL string
	ca                *x509.CertPool
}

// directoryLDIF is the test directory: people, a service account and
// groups. The passwords are stored in the clear, which slapd compares
// on a simple bind.
const directoryLDIF = `dn: dc=example,dc=jp
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

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startSlapd runs slapd with the mdb backend and the ppolicy overlay,
// loaded with directoryLDIF, serving ldap:// (with StartTLS) and ldaps://
// with a certificate from a test CA.
func startSlapd(t *testing.T) *slapd {
	t.Helper()
	bin, err := exec.LookPath("slapd")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/slapd"); err != nil {
			t.Skip("slapd is not installed")
		}
		bin = "/usr/sbin/slapd"
	}
	dir := t.TempDir()
	pool := writeTestCA(t, dir)
	conf := filepath.Join(dir, "slapd.conf")
	os.Mkdir(filepath.Join(dir, "db"), 0o700)
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
rootdn "cn=admin,dc=example,dc=jp"
rootpw admin-secret
directory %[1]s/db
overlay ppolicy
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
`, dir)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	ldif := filepath.Join(dir, "directory.ldif")
	os.WriteFile(ldif, []byte(directoryLDIF), 0o600)
	if out, err := exec.Command("slapadd", "-f", conf, "-l", ldif).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
	p1, p2 := freePort(t), freePort(t)
	s := &slapd{ldapURL: fmt.Sprintf("ldap://127.0.0.1:%d", p1), ldapsURL: fmt.Sprintf("ldaps://localhost:%d", p2), ca: pool}
	cmd := exec.Command(bin, "-d", "0", "-f", conf, "-h", fmt.Sprintf("ldap://127.0.0.1:%d/ ldaps://127.0.0.1:%d/", p1, p2))
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(15 * time.Second); ; {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p1))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slapd did not start: %s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// writeTestCA writes ca.crt, server.crt and server.key (for localhost
// and 127.0.0.1) into dir and returns a pool with the CA.
func writeTestCA(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mugai test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
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

// options are the test directory's: StartTLS, the service account's
// search, the groups mapped to roles and departments.
func (s *slapd) options() LDAPOptions {
	return LDAPOptions{
		URL: s.ldapURL, StartTLS: true, RootCAs: s.ca,
		BindDN: "cn=mugai,dc=example,dc=jp", BindPassword: "service-secret",
		UserBase: "ou=people,dc=example,dc=jp", GroupBase: "ou=groups,dc=example,dc=jp",
		DisabledGroup: "mugai-disabled",
		Groups: []GroupMap{
			{Group: "mugai-approvers", Role: RoleApprover},
			{Group: "mugai-admins", Role: RoleAdmin},
			{Group: "zaisei", Department: "財政課"},
		},
	}
}

func newDirectoryLocal(t *testing.T, o LDAPOptions, now func() time.Time) *Local {
	t.Helper()
	d, err := NewLDAP(o)
	if err != nil {
		t.Fatal(err)
	}
	l := newLocal(t, now)
	l.opts.Directory = d
	return l
}

func TestLDAPGroupGivesApproverRoleOverStartTLS(t *testing.T) {
	sd := startSlapd(t)
	l := newDirectoryLocal(t, sd.options(), time.Now)
	ctx := context.Background()
	u, err := l.AuthenticateFrom(ctx, "hanako", "hanako-password", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != RoleApprover || u.Department != "財政課" || u.DisplayName != "佐藤 花子" || !u.Directory {
		t.Fatalf("hanako = %+v; want an approver of 財政課 from the directory", u)
	}
	tok, _, err := l.NewSession(ctx, "hanako", "download", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := l.Session(ctx, tok, "download"); err != nil || !s.User.Role.CanApprove() {
		t.Fatalf("session = %+v, %v; want hanako's approver session", s, err)
	}
	taro, err := l.AuthenticateFrom(ctx, "taro", "taro-password", "192.0.2.1")
	if err != nil || taro.Role != RoleUser || taro.Department != "" {
		t.Fatalf("taro = %+v, %v; want a plain user with no department", taro, err)
	}
	if err := l.SetPassword(ctx, "hanako", "a-local-password"); !errors.Is(err, ErrDirectoryUser) {
		t.Fatalf("SetPassword on a directory user = %v; want ErrDirectoryUser", err)
	}
}

func TestLDAPDisabledAccountCannotSignIn(t *testing.T) {
	sd := startSlapd(t)
	l := newDirectoryLocal(t, sd.options(), time.Now)
	for _, tc := range []struct{ name, user, password string }{
		{"ppolicy administrative lock", "locked", "locked-password"},
		{"disabled group", "leaver", "leaver-password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.AuthenticateFrom(context.Background(), tc.user, tc.password, "192.0.2.1")
			if !errors.Is(err, ErrDisabled) || !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("login of %s with the right password = %v; want ErrDisabled", tc.user, err)
			}
		})
	}
}

func TestLDAPDisabledAfterSigningInEndsSessions(t *testing.T) {
	sd := startSlapd(t)
	ctx := context.Background()
	l := newDirectoryLocal(t, sd.options(), time.Now)
	if _, err := l.AuthenticateFrom(ctx, "taro", "taro-password", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	tok, _, _ := l.NewSession(ctx, "taro", "upload", "192.0.2.1")
	admin, err := ldap.DialURL(sd.ldapURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.Bind("cn=admin,dc=example,dc=jp", "admin-secret"); err != nil {
		t.Fatal(err)
	}
	m := ldap.NewModifyRequest("cn=mugai-disabled,ou=groups,dc=example,dc=jp", nil)
	m.Add("member", []string{"uid=taro,ou=people,dc=example,dc=jp"})
	if err := admin.Modify(m); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AuthenticateFrom(ctx, "taro", "taro-password", "192.0.2.1"); !errors.Is(err, ErrDisabled) {
		t.Fatalf("login after the directory disabled taro = %v; want ErrDisabled", err)
	}
	if _, err := l.Session(ctx, tok, "upload"); !errors.Is(err, ErrNoSession) {
		t.Fatalf("taro's session after he was disabled = %v; want ErrNoSession", err)
	}
}

func TestLDAPWrongPasswordCountsTowardLockout(t *testing.T) {
	sd := startSlapd(t)
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	l := newDirectoryLocal(t, sd.options(), func() time.Time { return now })
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		_, err := l.AuthenticateFrom(ctx, "hanako", "wrong-password", "203.0.113.9")
		if !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("wrong password %d = %v; want ErrBadCredentials", i, err)
		}
		if locked := errors.Is(err, ErrLocked); locked != (i == 5) {
			t.Fatalf("wrong password %d: locked = %v", i, locked)
		}
	}
	if _, err := l.AuthenticateFrom(ctx, "hanako", "hanako-password", "203.0.113.9"); !errors.Is(err, ErrLocked) {
		t.Fatalf("right password from the locked address = %v; want ErrLocked", err)
	}
	if _, err := l.AuthenticateFrom(ctx, "hanako", "hanako-password", "192.0.2.1"); err != nil {
		t.Fatalf("right password from another address = %v; want a login", err)
	}
	// Names the directory does not know are counted and locked the same.
	for range 5 {
		l.AuthenticateFrom(ctx, "nobody", "some-password", "203.0.113.9")
	}
	if _, err := l.AuthenticateFrom(ctx, "nobody", "some-password", "203.0.113.9"); !errors.Is(err, ErrLocked) {
		t.Fatalf("unknown name after five tries = %v; want ErrLocked", err)
	}
}

func TestLDAPUnauthenticatedBindRefused(t *testing.T) {
	sd := startSlapd(t)
	l := newDirectoryLocal(t, sd.options(), time.Now)
	// RFC 4513 5.1.2: a name with an empty password binds anonymously.
	if _, err := l.AuthenticateFrom(context.Background(), "hanako", "", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("empty password = %v; want ErrBadCredentials", err)
	}
}

func TestLDAPSAndDNTemplate(t *testing.T) {
	sd := startSlapd(t)
	o := sd.options()
	o.URL, o.StartTLS = sd.ldapsURL, false
	o.BindDN, o.BindPassword, o.UserBase = "", "", ""
	o.UserDN = "uid={user},ou=people,dc=example,dc=jp"
	l := newDirectoryLocal(t, o, time.Now)
	ctx := context.Background()
	u, err := l.AuthenticateFrom(ctx, "hanako", "hanako-password", "192.0.2.1")
	if err != nil || u.Role != RoleApprover {
		t.Fatalf("ldaps login with a DN template = %+v, %v; want an approver", u, err)
	}
	if _, err := l.AuthenticateFrom(ctx, "leaver", "leaver-password", "192.0.2.1"); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled-group member with a DN template = %v; want ErrDisabled", err)
	}
	if _, err := l.AuthenticateFrom(ctx, "taro", "not-taros", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password with a DN template = %v; want ErrBadCredentials", err)
	}
}

func TestLDAPUntrustedCertificateRefused(t *testing.T) {
	sd := startSlapd(t)
	o := sd.options()
	o.RootCAs = x509.NewCertPool() // not the test CA
	l := newDirectoryLocal(t, o, time.Now)
	_, err := l.AuthenticateFrom(context.Background(), "hanako", "hanako-password", "192.0.2.1")
	if err == nil || errors.Is(err, ErrBadCredentials) {
		t.Fatalf("StartTLS to an untrusted certificate = %v; want a directory error", err)
	}
}

func TestLocalBreakGlassWhileDirectoryDown(t *testing.T) {
	o := LDAPOptions{URL: fmt.Sprintf("ldap://127.0.0.1:%d", freePort(t)), StartTLS: true,
		UserBase: "ou=people,dc=example,dc=jp", Timeout: 2 * time.Second}
	l := newDirectoryLocal(t, o, time.Now)
	ctx := context.Background()
	if err := l.Add(ctx, User{Name: "breakglass", Role: RoleAdmin}, "a-long-local-password"); err != nil {
		t.Fatal(err)
	}
	if u, err := l.AuthenticateFrom(ctx, "breakglass", "a-long-local-password", "192.0.2.1"); err != nil || u.Role != RoleAdmin || u.Directory {
		t.Fatalf("break-glass admin = %+v, %v; want a local admin", u, err)
	}
	if _, err := l.AuthenticateFrom(ctx, "breakglass", "wrong-password", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong local password = %v; want ErrBadCredentials", err)
	}
	_, err := l.AuthenticateFrom(ctx, "hanako", "hanako-password", "192.0.2.1")
	if err == nil || errors.Is(err, ErrBadCredentials) {
		t.Fatalf("directory user while the directory is down = %v; want a directory error", err)
	}
}

func TestNewLDAPRefusesPasswordsInTheClear(t *testing.T) {
	for _, o := range []LDAPOptions{
		{URL: "ldap://dir.example.jp", UserBase: "dc=example,dc=jp"},
		{URL: "ldaps://dir.example.jp", StartTLS: true, UserBase: "dc=example,dc=jp"},
		{URL: "http://dir.example.jp", UserBase: "dc=example,dc=jp"},
		{URL: "ldaps://dir.example.jp"},
		{URL: "ldaps://dir.example.jp", UserDN: "cn=fixed,dc=example,dc=jp"},
		{URL: "ldaps://dir.example.jp", UserBase: "dc=example,dc=jp", Groups: []GroupMap{{Group: "x", Role: "root"}}},
	} {
		if _, err := NewLDAP(o); err == nil {
			t.Errorf("NewLDAP(%+v) accepted", o)
		}
	}
}

func TestActiveDirectoryAccountDisabledBit(t *testing.T) {
	for _, tc := range []struct {
		uac  string
		want bool
	}{{"512", false}, {"514", true}, {"66050", true}, {"66048", false}, {"garbage", true}, {"", false}} {
		e := ldap.NewEntry("cn=x,dc=example,dc=jp", map[string][]string{})
		if tc.uac != "" {
			e = ldap.NewEntry("cn=x,dc=example,dc=jp", map[string][]string{"userAccountControl": {tc.uac}})
		}
		if got := accountDisabled(e); got != tc.want {
			t.Errorf("userAccountControl %q: disabled = %v; want %v", tc.uac, got, tc.want)
		}
	}
}
