"""Accounts: the tenants of an installation, and first-run setup."""
