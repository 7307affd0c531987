"""`papercc render`: draw a DLIR model as a 2D-box diagram (being built)."""
