"""LDAP / Active Directory sign-in and synchronisation (ldap3): config, client, sync, backend."""
