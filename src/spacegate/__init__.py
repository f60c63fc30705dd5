"""spacegate: the access layer of an environment-as-a-service platform."""
