"""Drawing DLIR models as 2D-box diagrams (`papercc render`, the figure benchmark)."""
