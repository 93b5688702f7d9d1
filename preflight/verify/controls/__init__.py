"""Control builders, one module per AWS resource the stack outputs name."""
