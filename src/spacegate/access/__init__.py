"""Authorization at the request edge: the route guards, their shorthands, and the
decision API. The grants they decide from are `spacegate.grants`."""
