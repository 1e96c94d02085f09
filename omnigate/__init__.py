"""The composition root: which services exist, and how a process runs one or all of them."""
