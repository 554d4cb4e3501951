"""The one shared runtime of Reach services."""
