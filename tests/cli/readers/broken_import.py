"""A consumer module that fails while it is imported."""

raise RuntimeError("the consumer's settings are missing")
