"""Views (screens) of the app shell, one module each."""
