"""SCIM 2.0 provisioning (RFC 7643/7644) at `/scim/v2`: the identity provider creates,
updates, deactivates and removes users and groups of the account its token belongs to."""
