package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// LDAP checks logins against an LDAP directory (OpenLDAP) or Active
// Directory with a simple bind as the user (RFC 4513 section 5.1.3),
// over ldaps:// or StartTLS (RFC 4511 section 4.14). It implements
// Directory for Local.
//
// The user's entry is found by a search with the service account
// (BindDN, or an anonymous search without it) under UserBase with
// UserFilter, or named directly by UserDN, a template. The user's groups
// are the entries under GroupBase that match GroupFilter, and the groups
// named in the entry's memberOf (Active Directory, or OpenLDAP's memberof
// overlay); Groups maps their names to a role and a department.
//
// An account is disabled, and never bound, when its entry carries
// OpenLDAP's ppolicy administrative lock (pwdAccountLockedTime
// 000001010000Z), has Active Directory's ACCOUNTDISABLE bit (2) in
// userAccountControl, or belongs to DisabledGroup. A temporary ppolicy
// lock is the server's to enforce: its bind fails, which counts as a
// wrong password.
//
// Divergence: RFC 4513 section 5.1.2 lets a bind with a name and an
// empty password succeed as an anonymous one; an empty password is
// refused before any bind.
type LDAP struct {
	opts LDAPOptions
	tls  *tls.Config
}

// LDAPOptions configure LDAP. URL is required; every other zero field
// means its default.
type LDAPOptions struct {
	// URL is ldap://host[:389] or ldaps://host[:636].
	URL string
	// StartTLS upgrades an ldap:// connection before any bind: a
	// directory is reached only over TLS.
	StartTLS bool
	// RootCAs verify the directory's certificate; nil means the
	// system's.
	RootCAs *x509.CertPool
	// BindDN and BindPassword are the service account that searches for
	// users and groups; empty means an anonymous search.
	BindDN, BindPassword string
	// UserDN, if set, names the user's entry directly: "{user}" is
	// replaced by the escaped login name, as in
	// "uid={user},ou=people,dc=example,dc=jp". Otherwise the entry is
	// searched under UserBase with UserFilter (default "(uid={user})";
	// Active Directory: "(sAMAccountName={user})").
	UserDN, UserBase, UserFilter string
	// GroupBase is searched for the user's groups with GroupFilter
	// ("{dn}" is the user's DN, "{user}" the login name; default
	// "(|(member={dn})(uniqueMember={dn})(memberUid={user}))"). Empty
	// means only the entry's memberOf.
	GroupBase, GroupFilter string
	// DisplayName is the attribute shown as the user's name; default
	// "displayName", then "cn".
	DisplayName string
	// Mail is the attribute of the user's mail address, where mugai's
	// notifications go; default "mail" (Active Directory's too).
	Mail string
	// Groups map groups (by cn, case-insensitively) to roles and
	// departments. The highest role of every group applies (user,
	// approver, admin); the first department in order.
	Groups []GroupMap
	// DisabledGroup, if set, names a group whose members cannot sign in.
	DisabledGroup string
	// Timeout bounds each login's talk with the directory; default 10s.
	Timeout time.Duration
}

// GroupMap gives the members of Group a role and a department.
type GroupMap struct {
	Group      string
	Role       Role   // "" for no role of its own
	Department string // "" for none
}

// lockedForever is the pwdAccountLockedTime value of an account an
// administrator locked (draft-behera-ldap-password-policy, 5.3.3).
const lockedForever = "000001010000Z"

// NewLDAP checks the options.
func NewLDAP(opts LDAPOptions) (*LDAP, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || u.Host == "" || (u.Scheme != "ldap" && u.Scheme != "ldaps") {
		return nil, fmt.Errorf("auth: ldap url %q: ldap://host or ldaps://host", opts.URL)
	}
	if u.Scheme == "ldaps" && opts.StartTLS {
		return nil, errors.New("auth: ldap: StartTLS is for ldap://, ldaps:// is TLS already")
	}
	if u.Scheme == "ldap" && !opts.StartTLS {
		return nil, errors.New("auth: ldap: passwords would cross in the clear: use ldaps:// or StartTLS")
	}
	if opts.UserDN == "" && opts.UserBase == "" {
		return nil, errors.New("auth: ldap: set a user DN template or a user search base")
	}
	if opts.UserDN != "" && !strings.Contains(opts.UserDN, "{user}") {
		return nil, fmt.Errorf("auth: ldap: user DN template %q lacks {user}", opts.UserDN)
	}
	for _, g := range opts.Groups {
		if g.Group == "" || (g.Role != "" && !g.Role.Valid()) {
			return nil, fmt.Errorf("auth: ldap: group %q: a group name and a role of user, approver or admin", g.Group)
		}
	}
	if opts.UserFilter == "" {
		opts.UserFilter = "(uid={user})"
	}
	if opts.GroupFilter == "" {
		opts.GroupFilter = "(|(member={dn})(uniqueMember={dn})(memberUid={user}))"
	}
	if opts.DisplayName == "" {
		opts.DisplayName = "displayName"
	}
	if opts.Mail == "" {
		opts.Mail = "mail"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	host, _, err := net.SplitHostPort(u.Host)
	if err != nil {
		host = u.Host
	}
	return &LDAP{opts: opts, tls: &tls.Config{ServerName: host, RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12}}, nil
}

var _ Directory = (*LDAP)(nil)

// Check implements Directory.
func (d *LDAP) Check(ctx context.Context, name, password string) (User, error) {
	if password == "" || !ValidName(name) {
		return User{}, ErrBadCredentials
	}
	deadline := time.Now().Add(d.opts.Timeout)
	if t, ok := ctx.Deadline(); ok && t.Before(deadline) {
		deadline = t
	}
	conn, err := d.dial(deadline)
	if err != nil {
		return User{}, err
	}
	defer conn.Close()
	// A done ctx ends the talk at once.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var entry *ldap.Entry
	if d.opts.UserDN == "" {
		if err := d.serviceBind(conn); err != nil {
			return User{}, err
		}
		if entry, err = d.findUser(conn, name); err != nil {
			return User{}, err
		}
		groups, err := d.groups(conn, entry, name)
		if err != nil {
			return User{}, err
		}
		if d.disabled(entry, groups) {
			return User{}, ErrDisabled
		}
		if err := d.bindUser(conn, entry.DN, password); err != nil {
			return User{}, err
		}
		return d.user(name, entry, groups), nil
	}
	dn := strings.ReplaceAll(d.opts.UserDN, "{user}", ldap.EscapeDN(name))
	if err := d.bindUser(conn, dn, password); err != nil {
		return User{}, err
	}
	// Bound as the user: the entry and groups are read with its rights.
	if entry, err = d.read(conn, dn); err != nil {
		return User{}, err
	}
	groups, err := d.groups(conn, entry, name)
	if err != nil {
		return User{}, err
	}
	if d.disabled(entry, groups) {
		return User{}, ErrDisabled
	}
	return d.user(name, entry, groups), nil
}

func (d *LDAP) dial(deadline time.Time) (*ldap.Conn, error) {
	dialer := &net.Dialer{Deadline: deadline}
	conn, err := ldap.DialURL(d.opts.URL, ldap.DialWithDialer(dialer), ldap.DialWithTLSConfig(d.tls))
	if err != nil {
		return nil, fmt.Errorf("ldap: %w", err)
	}
	conn.SetTimeout(time.Until(deadline))
	if d.opts.StartTLS {
		if err := conn.StartTLS(d.tls.Clone()); err != nil {
			conn.Close()
			return nil, fmt.Errorf("ldap: StartTLS: %w", err)
		}
	}
	return conn, nil
}

func (d *LDAP) serviceBind(conn *ldap.Conn) error {
	if d.opts.BindDN == "" {
		return nil
	}
	if err := conn.Bind(d.opts.BindDN, d.opts.BindPassword); err != nil {
		return fmt.Errorf("ldap: service bind as %s: %w", d.opts.BindDN, err)
	}
	return nil
}

// bindUser binds as dn; a refused password is ErrBadCredentials.
func (d *LDAP) bindUser(conn *ldap.Conn, dn, password string) error {
	err := conn.Bind(dn, password)
	if ldap.IsErrorAnyOf(err, ldap.LDAPResultInvalidCredentials, ldap.LDAPResultNoSuchObject) {
		return ErrBadCredentials
	}
	if err != nil {
		return fmt.Errorf("ldap: bind: %w", err)
	}
	return nil
}

// attrs are the attributes read from a user's entry; pwdAccountLockedTime
// is operational and is returned only when asked for.
func (d *LDAP) attrs() []string {
	return []string{d.opts.DisplayName, "cn", d.opts.Mail, "memberOf", "pwdAccountLockedTime", "userAccountControl"}
}

func (d *LDAP) findUser(conn *ldap.Conn, name string) (*ldap.Entry, error) {
	filter := strings.ReplaceAll(d.opts.UserFilter, "{user}", ldap.EscapeFilter(name))
	res, err := conn.Search(ldap.NewSearchRequest(d.opts.UserBase, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		2, 0, false, filter, d.attrs(), nil))
	if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		return nil, fmt.Errorf("ldap: searching for the user: %w", err)
	}
	switch {
	case res == nil || len(res.Entries) == 0:
		return nil, ErrBadCredentials
	case len(res.Entries) > 1:
		return nil, fmt.Errorf("ldap: %d entries match %s under %s", len(res.Entries), filter, d.opts.UserBase)
	}
	return res.Entries[0], nil
}

func (d *LDAP) read(conn *ldap.Conn, dn string) (*ldap.Entry, error) {
	res, err := conn.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, 0, false, "(objectClass=*)", d.attrs(), nil))
	if err != nil {
		return nil, fmt.Errorf("ldap: reading %s: %w", dn, err)
	}
	if len(res.Entries) != 1 {
		return nil, fmt.Errorf("ldap: %s: no entry", dn)
	}
	return res.Entries[0], nil
}

// groups returns the names (cn) of the user's groups, lower-cased.
func (d *LDAP) groups(conn *ldap.Conn, entry *ldap.Entry, name string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, g := range entry.GetAttributeValues("memberOf") {
		if dn, err := ldap.ParseDN(g); err == nil && len(dn.RDNs) > 0 {
			for _, a := range dn.RDNs[0].Attributes {
				if strings.EqualFold(a.Type, "cn") {
					out[strings.ToLower(a.Value)] = true
				}
			}
		}
	}
	if d.opts.GroupBase == "" {
		return out, nil
	}
	r := strings.NewReplacer("{dn}", ldap.EscapeFilter(entry.DN), "{user}", ldap.EscapeFilter(name))
	res, err := conn.Search(ldap.NewSearchRequest(d.opts.GroupBase, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		1000, 0, false, r.Replace(d.opts.GroupFilter), []string{"cn"}, nil))
	if err != nil {
		return nil, fmt.Errorf("ldap: searching for groups: %w", err)
	}
	for _, e := range res.Entries {
		for _, cn := range e.GetAttributeValues("cn") {
			out[strings.ToLower(cn)] = true
		}
	}
	return out, nil
}

// disabled reports whether the directory disabled the account.
func (d *LDAP) disabled(entry *ldap.Entry, groups map[string]bool) bool {
	if d.opts.DisabledGroup != "" && groups[strings.ToLower(d.opts.DisabledGroup)] {
		return true
	}
	return accountDisabled(entry)
}

// accountDisabled reads the entry's own marks: the ppolicy administrative
// lock and Active Directory's ACCOUNTDISABLE bit. An unreadable
// userAccountControl counts as disabled (fail closed).
func accountDisabled(entry *ldap.Entry) bool {
	if entry.GetAttributeValue("pwdAccountLockedTime") == lockedForever {
		return true
	}
	if v := entry.GetAttributeValue("userAccountControl"); v != "" {
		uac, err := strconv.ParseInt(v, 10, 64)
		return err != nil || uac&2 != 0
	}
	return false
}

// user maps the entry and groups to mugai's user.
func (d *LDAP) user(name string, entry *ldap.Entry, groups map[string]bool) User {
	u := User{Name: name, Role: RoleUser, Directory: true, Mail: entry.GetAttributeValue(d.opts.Mail)}
	if u.DisplayName = entry.GetAttributeValue(d.opts.DisplayName); u.DisplayName == "" {
		u.DisplayName = entry.GetAttributeValue("cn")
	}
	rank := map[Role]int{RoleUser: 0, RoleApprover: 1, RoleAdmin: 2}
	for _, g := range d.opts.Groups {
		if !groups[strings.ToLower(g.Group)] {
			continue
		}
		if g.Role != "" && rank[g.Role] > rank[u.Role] {
			u.Role = g.Role
		}
		if u.Department == "" {
			u.Department = g.Department
		}
	}
	return u
}
