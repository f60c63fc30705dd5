"""Users of an account: listing, direct add, removal, account roles, status."""
