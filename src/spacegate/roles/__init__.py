"""Roles: the built-in ones from the catalog, and an account's custom roles."""
