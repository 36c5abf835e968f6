package config

import "github.com/mugai-project/mugai/sanitizer"

// Auth configures how the transfer sites sign people in.
type Auth struct {
	LDAP LDAP `toml:"ldap"`
}

// LDAP is directory login (OpenLDAP or Active Directory). With url
// empty, only the local accounts (`mugai users`) sign in; with it set,
// every name that is not a local account is checked by the directory.
// app.Check refuses a directory that would see passwords in the clear.
type LDAP struct {
	URL           string             `toml:"url"`            // ldaps://host:636, or ldap://host:389 with starttls
	StartTLS      bool               `toml:"starttls"`       //
	CAFile        string             `toml:"ca_file"`        // PEM CA of the directory's certificate; "" = the system's
	BindDN        string             `toml:"bind_dn"`        // service account for the searches; "" = anonymous
	BindPassword  string             `toml:"bind_password"`  //
	UserDN        string             `toml:"user_dn"`        // template with {user}, instead of a search
	UserBase      string             `toml:"user_base"`      //
	UserFilter    string             `toml:"user_filter"`    // {user} is the login name
	GroupBase     string             `toml:"group_base"`     // "" = only the entry's memberOf
	GroupFilter   string             `toml:"group_filter"`   // {dn} is the user's DN, {user} the name
	DisplayName   string             `toml:"display_name"`   // attribute
	Mail          string             `toml:"mail"`           // attribute of the mail address notifications go to
	DisabledGroup string             `toml:"disabled_group"` // members cannot sign in
	Timeout       sanitizer.Duration `toml:"timeout"`
	Groups        []LDAPGroup        `toml:"groups"`
}

// LDAPGroup maps a directory group (by cn) to a role and a department.
type LDAPGroup struct {
	Group      string `toml:"group"`
	Role       string `toml:"role"`       // user, approver, admin or ""
	Department string `toml:"department"` // 所属, as [[policy.department]] names it
}
