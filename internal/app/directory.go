package app

import (
	"crypto/x509"
	"fmt"
	"os"

	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/config"
)

// directory is the [auth.ldap] directory the sites sign people in with;
// nil when auth.ldap.url is empty.
func directory(c *config.Config) (auth.Directory, error) {
	l := c.Auth.LDAP
	if l.URL == "" {
		return nil, nil
	}
	o := auth.LDAPOptions{
		URL: l.URL, StartTLS: l.StartTLS, BindDN: l.BindDN, BindPassword: l.BindPassword,
		UserDN: l.UserDN, UserBase: l.UserBase, UserFilter: l.UserFilter,
		GroupBase: l.GroupBase, GroupFilter: l.GroupFilter, DisplayName: l.DisplayName, Mail: l.Mail,
		DisabledGroup: l.DisabledGroup, Timeout: l.Timeout.Duration,
	}
	for _, g := range l.Groups {
		o.Groups = append(o.Groups, auth.GroupMap{Group: g.Group, Role: auth.Role(g.Role), Department: g.Department})
	}
	if l.CAFile != "" {
		pem, err := os.ReadFile(l.CAFile)
		if err != nil {
			return nil, fmt.Errorf("config: auth.ldap.ca_file: %w", err)
		}
		o.RootCAs = x509.NewCertPool()
		if !o.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("config: auth.ldap.ca_file %s: no PEM certificate", l.CAFile)
		}
	}
	d, err := auth.NewLDAP(o)
	if err != nil {
		return nil, fmt.Errorf("config: auth.ldap: %w", err)
	}
	return d, nil
}
