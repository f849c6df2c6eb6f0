"""Raw export lines to bronze rows: split by the feed's layout, nothing dropped but headers."""
