"""Spaces and their memberships."""
