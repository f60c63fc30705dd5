"""Groups: named sets of users that hold an account role and space roles together; the
identity provider's groups map onto them (`idp_identifier`)."""
