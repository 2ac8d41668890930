"""The Textual app and the `thresher` command line: the only layer that talks to people."""
