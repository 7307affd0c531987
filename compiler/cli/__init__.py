"""The `papercc` command line: the command group and one module per command family."""
