"""Domain logic for Thresher: plain functions and dataclasses, no UI and no database."""
