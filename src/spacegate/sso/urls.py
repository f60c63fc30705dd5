"""The addresses an identity provider is given (and sends people back to): one set per
account, under the installation's public URL."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from spacegate.settings import Settings


@dataclass(frozen=True)
class SsoUrls:
    sign_in: str
    """Starts single sign-on (the console's "Sign in with SSO")."""
    oidc_redirect: str
    """OIDC: the redirect (callback) URI to register with the provider."""
    saml_metadata: str
    """SAML: this service provider's metadata, and its entity id."""
    saml_acs: str
    """SAML: the assertion consumer service (HTTP-POST)."""


def sso_urls(settings: Settings, account_name: str) -> SsoUrls:
    base = f"{settings.base_url()}/sso/{quote(account_name, safe='')}"
    return SsoUrls(
        sign_in=base,
        oidc_redirect=f"{base}/callback",
        saml_metadata=f"{base}/saml/metadata",
        saml_acs=f"{base}/saml/acs",
    )
