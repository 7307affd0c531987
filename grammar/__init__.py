"""Grammars of DLIR and of the frontends, shipped as package data."""
