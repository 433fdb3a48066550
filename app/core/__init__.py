"""Plain data and rules. Standard library only."""
