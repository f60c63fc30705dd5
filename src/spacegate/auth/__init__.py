"""Authentication: passwords, login, access / refresh / API tokens, rate limits."""
