"""One module per provider; each exposes a Provider subclass (see shotreel.generation.base)."""
