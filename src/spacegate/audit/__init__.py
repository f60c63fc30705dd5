"""The audit log: one event per mutation, written in the mutation's transaction."""
