"""Domain contracts: what the project's inputs must be, and the errors that say they are not."""
