"""Single sign-on: an account's identity provider (OIDC or SAML 2.0), the sign-in flows,
just-in-time provisioning and group sync, and password sign-in enforcement."""
