"""Reference models written in DLIR by hand (package data)."""
