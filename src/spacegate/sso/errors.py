"""What a failed single sign-on says: neutral sentences (the detail is logged), so that
an answer reveals nothing about the provider's configuration or the token's content."""

from __future__ import annotations

from spacegate.errors import DomainError


class SignInRefused(DomainError):
    """The identity provider's answer does not prove who signed in, or the person may
    not sign in here."""

    status_code = 401
    name = "SignInRefused"

    def __init__(self, message: str = "Single sign-on did not succeed; start again.") -> None:
        super().__init__(message)


class IdpUnavailable(DomainError):
    """The identity provider could not be reached, or answered something unusable."""

    status_code = 502
    name = "IdentityProviderUnavailable"

    def __init__(
        self,
        message: str = "The identity provider could not be reached or gave an answer that "
        "cannot be used; try again in a moment.",
    ) -> None:
        super().__init__(message)
