"""Invitations by email: invite, deliver, accept, resend, revoke."""
