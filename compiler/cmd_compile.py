"""`papercc compile`: figures and papers to DLIR (being built)."""
